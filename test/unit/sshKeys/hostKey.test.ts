import { createHash } from 'node:crypto';

import { SocialSecurityError } from '../../../nodes/domain/errors';
import {
	fingerprintFromHex,
	fingerprintOfPublicKeyBlob,
	hexHashOfPublicKeyBlob,
	hostHashMatches,
	normalizeFingerprint,
} from '../../../nodes/domain/sshKeys/hostKey';
import { hasTool, KeyLab } from '../../helpers/sshKeyLab';

function errorOf(fn: () => unknown): SocialSecurityError {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(SocialSecurityError);
		return error as SocialSecurityError;
	}
	throw new Error('expected an error');
}

// A fixed digest so the tool-free tests are exact.
const DIGEST = createHash('sha256').update('host key').digest();
const HEX = DIGEST.toString('hex');
const B64 = DIGEST.toString('base64').replace(/=$/, '');
/** The last of 43 characters has 2 unused bits that must be 0; the next character sets one. */
const nextBase64Char = (c: string): string => {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
	return alphabet[alphabet.indexOf(c) + 1];
};

describe('normalizeFingerprint', () => {
	it.each([
		['SHA256:… as ssh-keygen prints it', `SHA256:${B64}`],
		['without the prefix', B64],
		['with the = padding', `SHA256:${B64}=`],
		['without prefix, with padding', `${B64}=`],
		['lower-case prefix and spaces around', `  sha256:${B64} \n`],
		['quoted', `"SHA256:${B64}"`],
		['a whole ssh-keygen -l line', `3072 SHA256:${B64} root@sftp (RSA)`],
		['hex', HEX],
		['upper-case hex', HEX.toUpperCase()],
		['hex with colons', HEX.match(/../g)!.join(':')],
		['SHA256: prefix before hex', `SHA256:${HEX}`],
	])('accepts %s', (_name, input) => {
		expect(normalizeFingerprint(input)).toEqual({ display: `SHA256:${B64}`, hex: HEX });
	});

	it('refuses a legacy MD5 fingerprint with a hint to use -E sha256', () => {
		for (const md5 of [
			'MD5:a9:5f:ad:8b:99:78:5c:ca:5d:94:68:1c:60:d9:d2:e0',
			'a9:5f:ad:8b:99:78:5c:ca:5d:94:68:1c:60:d9:d2:e0',
			'a95fad8b99785cca5d94681c60d9d2e0',
		]) {
			const error = errorOf(() => normalizeFingerprint(md5));
			expect(error.code).toBe('HOST_FINGERPRINT_INVALID');
			expect(error.message).toMatch(/MD5/);
			expect(error.hint).toMatch(/ssh-keygen -l -E sha256/);
		}
	});

	it.each([
		['empty', ''],
		['garbage', 'not a fingerprint'],
		['too short', `SHA256:${B64.slice(1)}`],
		['too long', `SHA256:${B64}AA`],
		[
			'non-canonical last character (a typo)',
			`SHA256:${B64.slice(0, -1)}${nextBase64Char(B64[B64.length - 1])}`,
		],
		['63 hex digits', HEX.slice(1)],
		['SHA-1 hex', HEX.slice(0, 40)],
		['non-string', 42 as unknown as string],
		['very long', 'A'.repeat(10_000)],
	])(
		'refuses %s with HOST_FINGERPRINT_INVALID and the expected form in the hint',
		(_name, input) => {
			const error = errorOf(() => normalizeFingerprint(input));
			expect(error.code).toBe('HOST_FINGERPRINT_INVALID');
			expect(error.hint).toMatch(/SHA256:/);
		},
	);
});

describe('fingerprintFromHex / hostHashMatches', () => {
	it('converts ssh2 hostVerifier hex to the OpenSSH form and back', () => {
		expect(fingerprintFromHex(HEX)).toBe(`SHA256:${B64}`);
		expect(fingerprintFromHex(HEX.toUpperCase())).toBe(`SHA256:${B64}`);
		expect(normalizeFingerprint(fingerprintFromHex(HEX)).hex).toBe(HEX);
	});
	it('refuses anything but 64 hex digits', () => {
		expect(errorOf(() => fingerprintFromHex('abc')).code).toBe('HOST_FINGERPRINT_INVALID');
	});
	it('matches the hex ssh2 passes to hostVerifier, case-insensitively', () => {
		const pinned = normalizeFingerprint(`SHA256:${B64}`);
		expect(hostHashMatches(pinned, HEX)).toBe(true);
		expect(hostHashMatches(pinned, HEX.toUpperCase())).toBe(true);
		expect(
			hostHashMatches(
				pinned,
				HEX.replace(/^./, (c) => (c === '0' ? '1' : '0')),
			),
		).toBe(false);
	});
});

(hasTool('ssh-keygen') ? describe : describe.skip)('against ssh-keygen', () => {
	const lab = new KeyLab();
	afterAll(() => lab.cleanup());

	it.each(['rsa', 'ed25519', 'ecdsa'])(
		'fingerprintOfPublicKeyBlob equals ssh-keygen -l for a %s host key',
		(type) => {
			const key = lab.sshKeygen({ type, bits: type === 'rsa' ? 3072 : undefined });
			const blob = Buffer.from(key.publicKey.split(' ')[1], 'base64');
			expect(fingerprintOfPublicKeyBlob(blob)).toBe(key.fingerprint);
			const line = lab.run('ssh-keygen', [
				'-l',
				'-E',
				'sha256',
				'-f',
				lab.write(key.publicKey + ' host\n'),
			]);
			const pinned = normalizeFingerprint(line);
			expect(pinned.display).toBe(key.fingerprint);
			expect(hostHashMatches(pinned, hexHashOfPublicKeyBlob(blob))).toBe(true);
		},
	);
});
