/**
 * Issue "The channel credential and one SFTP transport": a key of every format people paste logs in to a
 * real sshd through the paths n8n uses — the credential test (`checkChannel`) and
 * `channelSettingsFromCredential` + `SftpChannel.open` — also when the one-line password field lost its
 * newlines. Generated portal key pairs (API and CLI) log in with what they print. Keys are made at test
 * time by ssh-keygen, openssl and puttygen; the expected fingerprints come from ssh-keygen, never from
 * our own code, and sshd's log proves which key logged in.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { checkChannel } from '../../../nodes/domain/channel/channelCheck';
import { channelSettingsFromCredential } from '../../../nodes/domain/channel/channelCredential';
import { ALL_FOLDERS } from '../../../nodes/domain/names/environments';
import { generatePortalKeyPair } from '../../../nodes/domain/sshKeys/keyPairGenerator';
import { SftpChannel } from '../../../nodes/domain/transport/sftpChannel';
import { startSshdSandbox, SshdSandbox } from '../../../sandbox/sshdSandbox';
import { describeWithSshd } from '../../helpers/sandbox';
import { KeyLab, MadeKey, pastedVariants } from '../../helpers/sshKeyLab';
import {
	loggedInWith,
	PASSPHRASE,
	resultSurface,
	sandboxCredential,
	SecretRegistry,
} from '../../helpers/channelCredential';

const run = promisify(execFile);
const REPO = resolve(__dirname, '../../..');

interface Format {
	name: string;
	/** Proves the tool made the format we mean to test. */
	marker: RegExp;
	make: (lab: KeyLab) => MadeKey;
}

const FORMATS: Format[] = [
	{
		name: 'OpenSSH (ssh-keygen), plain',
		marker: /^-----BEGIN OPENSSH PRIVATE KEY-----/,
		make: (l) => l.sshKeygen({ bits: 2048 }),
	},
	{
		name: 'OpenSSH (ssh-keygen), passphrase',
		marker: /^-----BEGIN OPENSSH PRIVATE KEY-----/,
		make: (l) => l.sshKeygen({ bits: 2048, passphrase: PASSPHRASE }),
	},
	{
		name: 'PEM PKCS#1 (ssh-keygen -m PEM), plain',
		marker: /^-----BEGIN RSA PRIVATE KEY-----\n(?!Proc-Type)/,
		make: (l) => l.sshKeygen({ bits: 2048, format: 'PEM' }),
	},
	{
		name: 'PEM PKCS#1 (ssh-keygen -m PEM), encrypted',
		marker: /^-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: /,
		make: (l) => l.sshKeygen({ bits: 2048, format: 'PEM', passphrase: PASSPHRASE }),
	},
	{
		name: 'PKCS#8 (openssl genpkey), plain',
		marker: /^-----BEGIN PRIVATE KEY-----/,
		make: (l) => l.openssl({ bits: 2048 }),
	},
	{
		name: 'PKCS#8 (openssl pkcs8 -topk8 -v2 aes256), encrypted',
		marker: /^-----BEGIN ENCRYPTED PRIVATE KEY-----/,
		make: (l) => l.openssl({ bits: 2048, passphrase: PASSPHRASE }),
	},
	{
		name: 'PuTTY PPK v2 (puttygen), plain',
		marker: /^PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none/,
		make: (l) => l.puttygen({ bits: 2048, version: 2 }),
	},
	{
		name: 'PuTTY PPK v2 (puttygen), passphrase',
		marker: /^PuTTY-User-Key-File-2: ssh-rsa\nEncryption: aes256-cbc/,
		make: (l) => l.puttygen({ bits: 2048, version: 2, passphrase: PASSPHRASE }),
	},
	{
		name: 'PuTTY PPK v3 (puttygen), plain',
		marker: /^PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none/,
		make: (l) => l.puttygen({ bits: 2048 }),
	},
	{
		name: 'PuTTY PPK v3 (puttygen, Argon2id), passphrase',
		marker:
			/^PuTTY-User-Key-File-3: ssh-rsa\nEncryption: aes256-cbc[\s\S]*Key-Derivation: Argon2id/,
		make: (l) => l.puttygen({ bits: 2048, passphrase: PASSPHRASE }),
	},
];

describeWithSshd('Channel credential: keys of every format log in to a real sshd', () => {
	const lab = new KeyLab();
	const secrets = new SecretRegistry();
	const keys = new Map<string, MadeKey>();
	let sandbox: SshdSandbox;
	let okMessage: string;

	beforeAll(async () => {
		for (const format of FORMATS) {
			const key = format.make(lab);
			keys.set(format.name, key);
			secrets.addKeyText(key.text, [key.publicKey]);
		}
		sandbox = await startSshdSandbox({
			authorizedKeys: [...keys.values()].map((k) => k.publicKey),
		});
		okMessage = `Connected as ${sandbox.username} to ${sandbox.host}:${sandbox.port} (host key ${sandbox.hostKeys[0].fingerprint}); all six folders are there.`;
	}, 60_000);

	afterAll(async () => {
		await sandbox?.stop();
		lab.cleanup();
	});

	it.each(FORMATS.map((f) => [f.name, f] as const))(
		'%s: logs in as the file, with newlines → spaces and with literal \\n',
		async (_name, format) => {
			const key = keys.get(format.name) as MadeKey;
			expect(key.text.replace(/\r/g, '')).toMatch(format.marker);
			const pasted = pastedVariants(key.text);
			const variants: Record<string, string> = {
				'as the file': key.text,
				'newlines → spaces': pasted['newlines → spaces'],
				'literal \\n': pasted['literal \\n'],
			};
			expect(variants['newlines → spaces']).not.toContain('\n');
			expect(variants['literal \\n']).not.toContain('\n');
			// The leak detector recognises the key in each of these forms.
			for (const text of Object.values(variants))
				expect(secrets.leaksIn(text).length).toBeGreaterThan(5);

			// The node's path: settings once, then one SftpChannel.
			const settings = await channelSettingsFromCredential(
				sandboxCredential(sandbox, {
					privateKey: variants['newlines → spaces'],
					passphrase: key.passphrase,
				}),
				{
					requireFingerprint: true,
				},
			);
			expect(settings.connection.keyFingerprint).toBe(key.fingerprint);
			expect(String(settings.connection.privateKey)).not.toMatch(/ENCRYPTED|Proc-Type|PuTTY/);
			const channel = await SftpChannel.open(settings.connection);
			try {
				expect(channel.presentedFingerprint).toBe(sandbox.hostKeys[0].fingerprint);
				const folders = (await channel.list('/'))
					.filter((e) => e.type === 'dir')
					.map((e) => e.name);
				expect(folders.sort()).toEqual([...ALL_FOLDERS].sort());
			} finally {
				await channel.close();
			}

			// The credential test, once per way the key can arrive.
			const results = await Promise.all(
				Object.entries(variants).map(async ([variant, privateKey]) => ({
					variant,
					result: await checkChannel(
						sandboxCredential(sandbox, { privateKey, passphrase: key.passphrase }),
					),
				})),
			);
			for (const { variant, result } of results) {
				expect({
					variant,
					ok: result.ok,
					message: result.message,
					warnings: result.warnings,
				}).toEqual({ variant, ok: true, message: okMessage, warnings: [] });
				expect(result.serverFingerprint).toBe(sandbox.hostKeys[0].fingerprint);
				expect({ variant, leaks: secrets.leaksIn(resultSurface(result)) }).toEqual({
					variant,
					leaks: [],
				});
			}
			// sshd itself says this very key logged in.
			expect(loggedInWith(sandbox, key.fingerprint)).toBe(true);
		},
		60_000,
	);

	it('a generated 3072-bit portal key pair logs in; its RFC 4716 public key converts (ssh-keygen -i) to the same line, which logs in too', async () => {
		const [viaOpenSsh, viaRfc4716] = await Promise.all([
			generatePortalKeyPair({ bits: 3072 }),
			generatePortalKeyPair({ bits: 3072 }),
		]);
		for (const pair of [viaOpenSsh, viaRfc4716]) {
			secrets.addKeyText(pair.privateKeyOpenSsh, [pair.publicKeyOpenSsh, pair.publicKeyRfc4716]);
			const converted = KeyLab.bare(
				lab.run('ssh-keygen', [
					'-i',
					'-m',
					'RFC4716',
					'-f',
					lab.write(pair.publicKeyRfc4716, 'rfc4716'),
				]),
			);
			expect(converted).toBe(KeyLab.bare(pair.publicKeyOpenSsh));
			expect(lab.fingerprintOfPublic(converted)).toBe(pair.fingerprintSha256);
			expect(
				lab.run('ssh-keygen', ['-l', '-f', lab.write(pair.publicKeyOpenSsh + '\n', 'pub')]),
			).toMatch(/^3072 SHA256:/);
		}
		const credentialOf = (pair: { privateKeyOpenSsh: string }) =>
			sandboxCredential(sandbox, { privateKey: pair.privateKeyOpenSsh });

		// Not registered yet: refused, so the registration below is what lets it in.
		const before = await checkChannel(credentialOf(viaRfc4716));
		expect(before.ok).toBe(false);
		expect(before.message).toContain(`refused the SSH key for user ${sandbox.username}`);

		sandbox.addAuthorizedKey(viaOpenSsh.publicKeyOpenSsh);
		// Only the line ssh-keygen made from the RFC 4716 block is registered for the second pair.
		sandbox.addAuthorizedKey(
			lab.run('ssh-keygen', [
				'-i',
				'-m',
				'RFC4716',
				'-f',
				lab.write(viaRfc4716.publicKeyRfc4716, 'rfc4716'),
			]),
		);

		const [a, b] = await Promise.all([
			checkChannel(credentialOf(viaOpenSsh)),
			checkChannel(credentialOf(viaRfc4716)),
		]);
		expect(a).toMatchObject({ ok: true, message: okMessage });
		expect(b).toMatchObject({ ok: true, message: okMessage });
		expect(loggedInWith(sandbox, viaOpenSsh.fingerprintSha256)).toBe(true);
		expect(loggedInWith(sandbox, viaRfc4716.fingerprintSha256)).toBe(true);
		for (const r of [before, a, b]) expect(secrets.leaksIn(resultSurface(r))).toEqual([]);
	}, 60_000);

	it('the CLI scripts/generate-key-pair.ts writes a key pair that logs in (plain, and encrypted from SSH_KEY_PASSPHRASE)', async () => {
		const outDir = mkdtempSync(join(tmpdir(), 'ss-cli-'));
		try {
			const cli = (out: string, env: NodeJS.ProcessEnv = {}) =>
				run(
					process.execPath,
					[
						'-r',
						'ts-node/register/transpile-only',
						'scripts/generate-key-pair.ts',
						'--bits',
						'2048',
						'--out',
						out,
					],
					{
						cwd: REPO,
						env: { ...process.env, SSH_KEY_PASSPHRASE: '', ...env },
						timeout: 60_000,
					},
				);
			const plainDir = join(outDir, 'plain');
			const encryptedDir = join(outDir, 'encrypted');
			const [plainRun, encryptedRun] = await Promise.all([
				cli(plainDir),
				cli(encryptedDir, { SSH_KEY_PASSPHRASE: PASSPHRASE }),
			]);

			for (const [dir, output, passphrase] of [
				[plainDir, plainRun, undefined],
				[encryptedDir, encryptedRun, PASSPHRASE],
			] as const) {
				const base = join(dir, 'socialsecurity_rsa');
				const privateKey = readFileSync(base, 'utf8');
				secrets.addKeyText(privateKey, [
					readFileSync(`${base}.pub`, 'utf8'),
					readFileSync(`${base}.rfc4716.pub`, 'utf8'),
				]);
				expect(statSync(base).mode & 0o777).toBe(0o600);
				expect(secrets.leaksIn(output.stdout + output.stderr)).toEqual([]);

				// The tools agree with what the CLI wrote: the private key gives the .pub, the RFC 4716 file converts to it.
				const publicKey = KeyLab.bare(readFileSync(`${base}.pub`, 'utf8'));
				expect(lab.publicOfOpenSshFile(base, passphrase)).toBe(publicKey);
				expect(
					KeyLab.bare(lab.run('ssh-keygen', ['-i', '-m', 'RFC4716', '-f', `${base}.rfc4716.pub`])),
				).toBe(publicKey);
				const fingerprint = lab.fingerprintOfPublic(publicKey);
				expect(output.stdout).toContain(`Fingerprint: ${fingerprint}`);
				if (passphrase) expect(() => lab.publicOfOpenSshFile(base, '')).toThrow();

				sandbox.addAuthorizedKey(readFileSync(`${base}.pub`, 'utf8'));
				const result = await checkChannel(sandboxCredential(sandbox, { privateKey, passphrase }));
				expect(result).toMatchObject({ ok: true, message: okMessage });
				expect(loggedInWith(sandbox, fingerprint)).toBe(true);
				expect(secrets.leaksIn(resultSurface(result))).toEqual([]);
			}
		} finally {
			rmSync(outDir, { recursive: true, force: true });
		}
	}, 90_000);
});
