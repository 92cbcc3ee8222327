import { repairPastedKey } from '../../../nodes/domain/sshKeys/pastedKey';
import { pastedVariants } from '../../helpers/sshKeyLab';

const b64 = (n: number, seed = 1): string => {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
	let out = '';
	for (let i = 0; i < n; i++) out += alphabet[(i * 7 + seed * 13) % 64];
	return out;
};
const wrap = (s: string, width: number): string =>
	s.match(new RegExp(`.{1,${width}}`, 'g'))!.join('\n');

const ENCRYPTED_PKCS1 = [
	'-----BEGIN RSA PRIVATE KEY-----',
	'Proc-Type: 4,ENCRYPTED',
	'DEK-Info: AES-128-CBC,FF8B4616923133156EFB027F6F07394B',
	'',
	wrap('ABCDEF0123' + b64(1182), 64),
	'-----END RSA PRIVATE KEY-----',
	'',
].join('\n');

const DES_PKCS1 = ENCRYPTED_PKCS1.replace(
	'AES-128-CBC,FF8B4616923133156EFB027F6F07394B',
	'DES-EDE3-CBC,0123456789ABCDEF',
);

const OPENSSH = [
	'-----BEGIN OPENSSH PRIVATE KEY-----',
	wrap(b64(1000), 70),
	'-----END OPENSSH PRIVATE KEY-----',
	'',
].join('\n');

const PPK3 = [
	'PuTTY-User-Key-File-3: ssh-rsa',
	'Encryption: aes256-cbc',
	'Comment: EXP 1234 key: Public-Lines: tricky',
	'Public-Lines: 6',
	wrap('AAAAB3NzaC1yc2E' + b64(345), 64),
	'Key-Derivation: Argon2id',
	'Argon2-Memory: 8192',
	'Argon2-Passes: 21',
	'Argon2-Parallelism: 1',
	'Argon2-Salt: 4039b0ba54c2882525c8d8f769c46e1f',
	'Private-Lines: 14',
	wrap('7' + b64(895, 3), 64),
	'Private-MAC: 0b4383526c1446fda51e29f07181ab393b27c336beb5a2a4cf2ed35f5bc69766',
	'',
].join('\n');

const PPK2 = [
	'PuTTY-User-Key-File-2: ssh-rsa',
	'Encryption: none',
	'Comment: plain key',
	'Public-Lines: 1',
	'AAAAB3NzaC1yc2E' + b64(40),
	'Private-Lines: 1',
	'1' + b64(59, 5),
	'Private-MAC: a8db87463f547ddbfa5ccbf7200d85a8ecc3d763',
	'',
].join('\n');

describe('repairPastedKey', () => {
	it.each([
		['encrypted PKCS#1 (Proc-Type/DEK-Info, AES)', ENCRYPTED_PKCS1],
		['encrypted PKCS#1 (DES-EDE3)', DES_PKCS1],
		['OpenSSH', OPENSSH],
		['PPK v3 (comment that mentions a header)', PPK3],
		['PPK v2 (private base64 starting with a digit)', PPK2],
	])('%s: intact text stays the same', (_name, text) => {
		expect(repairPastedKey(text)).toBe(text);
	});

	it.each([
		['encrypted PKCS#1 (AES)', ENCRYPTED_PKCS1],
		['encrypted PKCS#1 (DES-EDE3)', DES_PKCS1],
		['OpenSSH', OPENSSH],
		['PPK v2', PPK2],
	])('%s: every damaged variant is rebuilt exactly', (_name, text) => {
		for (const [variant, damaged] of Object.entries(pastedVariants(text))) {
			expect([variant, repairPastedKey(damaged)]).toEqual([variant, text]);
		}
	});

	it('PPK with a comment containing a header name: rebuilt exactly when lines survived', () => {
		for (const variant of [
			'CRLF',
			'literal \\n',
			'literal \\r\\n',
			'quoted, padded',
			'base64 of the file',
		]) {
			expect([variant, repairPastedKey(pastedVariants(PPK3)[variant])]).toEqual([variant, PPK3]);
		}
	});

	it('PPK comment with spaces survives "newlines → spaces" and "newlines removed"', () => {
		const ppk = PPK3.replace(
			'Comment: EXP 1234 key: Public-Lines: tricky',
			'Comment: EXP 1234 payroll key',
		);
		expect(repairPastedKey(ppk.trim().replace(/\n/g, ' '))).toBe(ppk);
		expect(repairPastedKey(ppk.trim().replace(/\n/g, ''))).toBe(ppk);
	});

	it('keeps headers on their own lines with a blank line after them', () => {
		const repaired = repairPastedKey(ENCRYPTED_PKCS1.replace(/\n/g, ' '));
		expect(repaired.split('\n').slice(0, 4)).toEqual([
			'-----BEGIN RSA PRIVATE KEY-----',
			'Proc-Type: 4,ENCRYPTED',
			'DEK-Info: AES-128-CBC,FF8B4616923133156EFB027F6F07394B',
			'',
		]);
	});

	it('drops text around PEM blocks and keeps each block', () => {
		const text = `Bag Attributes\n  friendlyName: x\n${OPENSSH}junk\n${DES_PKCS1}`;
		expect(repairPastedKey(text)).toBe(OPENSSH + DES_PKCS1);
	});

	it('is idempotent', () => {
		for (const text of [ENCRYPTED_PKCS1, OPENSSH, PPK3, PPK2, 'garbage', '-----BEGIN X-----']) {
			for (const damaged of Object.values(pastedVariants(text))) {
				const once = repairPastedKey(damaged);
				expect(repairPastedKey(once)).toBe(once);
			}
		}
	});

	it('returns unknown text trimmed, without inventing structure', () => {
		expect(repairPastedKey('  hello world \n')).toBe('hello world');
		expect(repairPastedKey('ssh-rsa AAAAB3Nza comment')).toBe('ssh-rsa AAAAB3Nza comment');
		expect(repairPastedKey('-----BEGIN RSA PRIVATE KEY----- MIIE')).toBe(
			'-----BEGIN RSA PRIVATE KEY----- MIIE',
		);
		expect(repairPastedKey('')).toBe('');
	});

	it('stays linear on hostile input', () => {
		const hostile = [
			'-----BEGIN A-----'.repeat(4000),
			'-----BEGIN '.repeat(6000),
			'-----BEGIN RSA PRIVATE KEY-----' + 'Proc-Type: '.repeat(5000),
			'PuTTY-User-Key-File-3: ' + 'Comment: Public-Lines: '.repeat(2500),
			'PuTTY-User-Key-File-3: x Public-Lines: ' + '9'.repeat(60000),
			'\\n'.repeat(30000),
			'"'.repeat(60000),
			'A'.repeat(65536),
		];
		const started = Date.now();
		for (const text of hostile) repairPastedKey(text);
		expect(Date.now() - started).toBeLessThan(2000);
	});
});
