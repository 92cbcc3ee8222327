import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { utils as ssh2Utils } from 'ssh2';

import {
	generatePortalKeyPair,
	rfc4716PublicKey,
	type PortalKeyPair,
} from '../../../nodes/domain/sshKeys/keyPairGenerator';
import { loadSshPrivateKey } from '../../../nodes/domain/sshKeys/privateKey';
import { hasTool, KeyLab, codeOf } from '../../helpers/sshKeyLab';

jest.setTimeout(180_000);

const PASS = 'portal key passphrase';
const ROOT = join(__dirname, '../../..');

describe('generatePortalKeyPair', () => {
	const lab = new KeyLab();
	afterAll(() => lab.cleanup());
	const haveSshKeygen = hasTool('ssh-keygen');
	const itTool = haveSshKeygen ? it : it.skip;

	let plain: PortalKeyPair;
	let encrypted: PortalKeyPair;
	beforeAll(async () => {
		[plain, encrypted] = await Promise.all([
			generatePortalKeyPair({ bits: 2048, comment: 'EXP12345 payroll' }),
			generatePortalKeyPair({ bits: 4096, passphrase: PASS }),
		]);
	});

	it('gives an OpenSSH one-line public key with the comment', () => {
		expect(plain.publicKeyOpenSsh).toMatch(/^ssh-rsa AAAA[A-Za-z0-9+/=]+ EXP12345 payroll$/);
		expect(encrypted.comment).toMatch(/^socialsecurity-be-sftp-\d{4}-\d{2}-\d{2}$/);
		expect(encrypted.publicKeyOpenSsh.endsWith(' ' + encrypted.comment)).toBe(true);
	});

	it('gives an RFC 4716 block with a Comment header and 70-column lines', () => {
		const lines = plain.publicKeyRfc4716.trimEnd().split('\n');
		expect(lines[0]).toBe('---- BEGIN SSH2 PUBLIC KEY ----');
		expect(lines[1]).toBe('Comment: "EXP12345 payroll"');
		expect(lines[lines.length - 1]).toBe('---- END SSH2 PUBLIC KEY ----');
		const body = lines.slice(2, -1);
		body.slice(0, -1).forEach((l) => expect(l).toHaveLength(70));
		expect(body.join('')).toBe(plain.publicKeyOpenSsh.split(' ')[1]);
	});

	it('has the right sizes', async () => {
		expect((await loadSshPrivateKey(plain.privateKeyOpenSsh)).bits).toBe(2048);
		const loaded = await loadSshPrivateKey(encrypted.privateKeyOpenSsh, PASS);
		expect(loaded).toMatchObject({
			bits: 4096,
			format: 'openssh',
			encrypted: true,
			fingerprintSha256: encrypted.fingerprintSha256,
		});
	});

	it('encrypts the private key only when a passphrase is given', async () => {
		expect(await codeOf(loadSshPrivateKey(encrypted.privateKeyOpenSsh))).toBe(
			'SSH_KEY_PASSPHRASE_REQUIRED',
		);
		expect((await loadSshPrivateKey(plain.privateKeyOpenSsh)).encrypted).toBe(false);
		const parsed = ssh2Utils.parseKey(encrypted.privateKeyOpenSsh, PASS);
		if (parsed instanceof Error) throw parsed;
		expect(parsed.getPublicSSH().toString('base64')).toBe(encrypted.publicKeyOpenSsh.split(' ')[1]);
	});

	itTool(
		'ssh-keygen reads the RFC 4716 file back to the same OpenSSH public key and fingerprint',
		() => {
			for (const pair of [plain, encrypted]) {
				const rfc = lab.write(pair.publicKeyRfc4716, 'rfc');
				const converted = lab.run('ssh-keygen', ['-i', '-m', 'RFC4716', '-f', rfc]);
				expect(KeyLab.bare(converted)).toBe(KeyLab.bare(pair.publicKeyOpenSsh));
				// ssh-keygen -l does not read RFC 4716 itself: fingerprint what -i made of it.
				expect(lab.run('ssh-keygen', ['-l', '-f', lab.write(converted, 'converted')])).toContain(
					pair.fingerprintSha256,
				);
				expect(
					lab.run('ssh-keygen', ['-l', '-f', lab.write(pair.publicKeyOpenSsh + '\n', 'pub')]),
				).toContain(pair.fingerprintSha256);
			}
		},
	);

	itTool('ssh-keygen derives the same public key from the private key', () => {
		expect(lab.publicOfOpenSshFile(lab.write(plain.privateKeyOpenSsh, 'priv'))).toBe(
			KeyLab.bare(plain.publicKeyOpenSsh),
		);
		expect(lab.publicOfOpenSshFile(lab.write(encrypted.privateKeyOpenSsh, 'priv'), PASS)).toBe(
			KeyLab.bare(encrypted.publicKeyOpenSsh),
		);
	});

	itTool('a long comment is continued over RFC 4716 header lines of at most 72 bytes', () => {
		const comment = 'c'.repeat(150);
		const blob = Buffer.from(plain.publicKeyOpenSsh.split(' ')[1], 'base64');
		const rfc = rfc4716PublicKey(blob, comment);
		rfc.split('\n').forEach((l) => expect(l.length).toBeLessThanOrEqual(72));
		expect(
			KeyLab.bare(lab.run('ssh-keygen', ['-i', '-m', 'RFC4716', '-f', lab.write(rfc, 'rfc')])),
		).toBe(KeyLab.bare(plain.publicKeyOpenSsh));
	});

	it.each([
		['1024 bits', { bits: 1024 }, 'SSH_KEY_NOT_ALLOWED'],
		['8192 bits', { bits: 8192 }, 'SSH_KEY_NOT_ALLOWED'],
		['no bits', {}, 'SSH_KEY_NOT_ALLOWED'],
		['comment with a quote', { bits: 2048, comment: 'a"b' }, 'SSH_KEY_COMMENT_INVALID'],
		['comment with a newline', { bits: 2048, comment: 'a\nb' }, 'SSH_KEY_COMMENT_INVALID'],
		['comment too long', { bits: 2048, comment: 'x'.repeat(201) }, 'SSH_KEY_COMMENT_INVALID'],
	])('refuses %s', async (_name, options, code) => {
		expect(await codeOf(generatePortalKeyPair(options as never))).toBe(code);
	});
});

describe('scripts/generate-key-pair', () => {
	const lab = new KeyLab();
	afterAll(() => lab.cleanup());
	const runCli = (args: string[], env: Record<string, string> = {}) =>
		spawnSync(
			process.execPath,
			[
				'-r',
				'ts-node/register/transpile-only',
				join(ROOT, 'scripts/generate-key-pair.ts'),
				...args,
			],
			{
				cwd: ROOT,
				encoding: 'utf8',
				env: { ...process.env, ...env },
				timeout: 120_000,
			},
		);

	it('writes the private key with mode 0600 and prints only public material', async () => {
		const out = join(lab.dir, 'keys');
		const result = runCli(['--bits', '2048', '--comment', 'cli test', '--out', out], {
			SSH_KEY_PASSPHRASE: PASS,
		});
		expect(result.stderr).toBe('');
		expect(result.status).toBe(0);
		expect(result.stdout).not.toMatch(/PRIVATE KEY/);
		const privatePath = join(out, 'socialsecurity_rsa');
		expect(statSync(privatePath).mode & 0o777).toBe(0o600);
		const loaded = await loadSshPrivateKey(readFileSync(privatePath, 'utf8'), PASS);
		expect(result.stdout).toContain(loaded.fingerprintSha256);
		expect(result.stdout).toContain(loaded.publicKeyOpenSsh);
		expect(readFileSync(`${privatePath}.pub`, 'utf8').trim()).toBe(loaded.publicKeyOpenSsh);
		expect(readFileSync(`${privatePath}.rfc4716.pub`, 'utf8')).toMatch(
			/^---- BEGIN SSH2 PUBLIC KEY ----\nComment: "cli test"\n/,
		);
		// Never overwrites.
		expect(runCli(['--bits', '2048', '--out', out]).status).toBe(1);
	});

	it('prints the private key when there is no --out', async () => {
		const result = runCli(['--bits', '2048']);
		expect(result.status).toBe(0);
		const pem =
			/-----BEGIN OPENSSH PRIVATE KEY-----[\s\S]+?-----END OPENSSH PRIVATE KEY-----\n/.exec(
				result.stdout,
			);
		expect(pem).not.toBeNull();
		expect(result.stdout).toContain((await loadSshPrivateKey(pem![0])).fingerprintSha256);
	});

	it('refuses a passphrase on the command line and bad sizes', () => {
		const pass = runCli(['--passphrase', 'secret words']);
		expect(pass.status).toBe(2);
		expect(pass.stderr).toMatch(/SSH_KEY_PASSPHRASE/);
		const bits = runCli(['--bits', '1024']);
		expect(bits.status).toBe(1);
		expect(bits.stderr).toMatch(/2048 to 4096/);
	});
});
