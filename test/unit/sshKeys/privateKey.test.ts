import { readFileSync } from 'node:fs';

import { utils as ssh2Utils } from 'ssh2';

import { isSocialSecurityError, SocialSecurityError } from '../../../nodes/domain/errors';
import { repairPastedKey } from '../../../nodes/domain/sshKeys/pastedKey';
import {
	loadSshPrivateKey,
	type LoadedSshKey,
	type SshPrivateKeyFormat,
} from '../../../nodes/domain/sshKeys/privateKey';
import { wireString, wireU32 } from '../../../nodes/domain/sshKeys/sshWire';
import { hasTool, KeyLab, pastedVariants, type MadeKey, codeOf } from '../../helpers/sshKeyLab';

jest.setTimeout(180_000);

const PASS = 'correct horse battery';
const haveTools = hasTool('ssh-keygen') && hasTool('openssl') && hasTool('puttygen');
const describeTools = haveTools ? describe : describe.skip;
if (!haveTools) console.warn('ssh-keygen, openssl or puttygen missing: key format tests skipped');

async function errorOf(promise: Promise<unknown>): Promise<SocialSecurityError> {
	try {
		await promise;
	} catch (error) {
		if (isSocialSecurityError(error)) return error;
		throw error;
	}
	throw new Error('expected an error');
}

describeTools('loadSshPrivateKey with keys made by the real tools', () => {
	const lab = new KeyLab();
	afterAll(() => lab.cleanup());

	interface Case {
		name: string;
		make: () => MadeKey;
		format: SshPrivateKeyFormat;
		bits: number;
	}
	const cases: Case[] = [
		{
			name: 'OpenSSH RSA 2048',
			make: () => lab.sshKeygen({ bits: 2048 }),
			format: 'openssh',
			bits: 2048,
		},
		{
			name: 'OpenSSH RSA 2048, passphrase',
			make: () => lab.sshKeygen({ bits: 2048, passphrase: PASS }),
			format: 'openssh',
			bits: 2048,
		},
		{
			name: 'OpenSSH RSA 4096',
			make: () => lab.sshKeygen({ bits: 4096 }),
			format: 'openssh',
			bits: 4096,
		},
		{
			name: 'OpenSSH RSA 4096, passphrase',
			make: () => lab.sshKeygen({ bits: 4096, passphrase: PASS }),
			format: 'openssh',
			bits: 4096,
		},
		{
			name: 'OpenSSH RSA 3072, comment with spaces',
			make: () => lab.sshKeygen({ bits: 3072, comment: 'EXP12345 payroll 2025' }),
			format: 'openssh',
			bits: 3072,
		},
		{
			name: 'PEM PKCS#1',
			make: () => lab.sshKeygen({ bits: 2048, format: 'PEM' }),
			format: 'pkcs1',
			bits: 2048,
		},
		{
			name: 'PEM PKCS#1, passphrase',
			make: () => lab.sshKeygen({ bits: 2048, format: 'PEM', passphrase: PASS }),
			format: 'pkcs1',
			bits: 2048,
		},
		{
			name: 'PKCS#8 (ssh-keygen -m PKCS8)',
			make: () => lab.sshKeygen({ bits: 2048, format: 'PKCS8' }),
			format: 'pkcs8',
			bits: 2048,
		},
		{
			name: 'encrypted PKCS#8 (ssh-keygen -m PKCS8)',
			make: () => lab.sshKeygen({ bits: 2048, format: 'PKCS8', passphrase: PASS }),
			format: 'pkcs8',
			bits: 2048,
		},
		{
			name: 'PKCS#8 (openssl genpkey)',
			make: () => lab.openssl({ bits: 3072 }),
			format: 'pkcs8',
			bits: 3072,
		},
		{
			name: 'encrypted PKCS#8 (openssl pkcs8 -v2 aes256)',
			make: () => lab.openssl({ bits: 2048, passphrase: PASS }),
			format: 'pkcs8',
			bits: 2048,
		},
		{ name: 'PPK v3', make: () => lab.puttygen({ bits: 2048 }), format: 'ppk3', bits: 2048 },
		{
			name: 'PPK v3, passphrase (Argon2id)',
			make: () => lab.puttygen({ bits: 2048, passphrase: PASS, comment: 'my putty key' }),
			format: 'ppk3',
			bits: 2048,
		},
		{
			name: 'PPK v3, passphrase (Argon2i)',
			make: () => lab.puttygen({ bits: 2048, passphrase: PASS, kdf: 'argon2i' }),
			format: 'ppk3',
			bits: 2048,
		},
		{
			name: 'PPK v3, passphrase (Argon2d), 3072',
			make: () => lab.puttygen({ bits: 3072, passphrase: PASS, kdf: 'argon2d' }),
			format: 'ppk3',
			bits: 3072,
		},
		{
			name: 'PPK v2',
			make: () => lab.puttygen({ bits: 2048, version: 2 }),
			format: 'ppk2',
			bits: 2048,
		},
		{
			name: 'PPK v2, passphrase',
			make: () => lab.puttygen({ bits: 2048, version: 2, passphrase: PASS }),
			format: 'ppk2',
			bits: 2048,
		},
	];

	const made = new Map<string, MadeKey>();
	const loaded = new Map<string, LoadedSshKey>();
	beforeAll(async () => {
		for (const c of cases) {
			const key = c.make();
			made.set(c.name, key);
			loaded.set(c.name, await loadSshPrivateKey(key.text, key.passphrase));
		}
	});

	describe.each(cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
		it('is recognised with the right type, size and format', () => {
			const key = loaded.get(name)!;
			expect(key).toMatchObject({
				type: 'ssh-rsa',
				bits: c.bits,
				format: c.format,
				encrypted: !!made.get(name)!.passphrase,
			});
		});

		it('gives the public key and fingerprint that ssh-keygen/puttygen give', () => {
			const key = loaded.get(name)!;
			expect(KeyLab.bare(key.publicKeyOpenSsh)).toBe(made.get(name)!.publicKey);
			expect(key.fingerprintSha256).toBe(made.get(name)!.fingerprint);
		});

		it('hands ssh2 an unencrypted key it accepts, with the same public key', () => {
			const key = loaded.get(name)!;
			expect(key.privateKey).not.toMatch(/ENCRYPTED/);
			const parsed = ssh2Utils.parseKey(key.privateKey);
			if (parsed instanceof Error) throw parsed;
			expect(parsed.type).toBe('ssh-rsa');
			expect(`ssh-rsa ${parsed.getPublicSSH().toString('base64')}`).toBe(made.get(name)!.publicKey);
			// ssh2 can sign with it (what user authentication does).
			expect(parsed.sign(Buffer.from('x'))).toBeInstanceOf(Buffer);
		});

		it('writes a key that ssh-keygen reads back to the same public key', () => {
			const path = lab.write(loaded.get(name)!.privateKey, 'out');
			expect(lab.publicOfOpenSshFile(path)).toBe(made.get(name)!.publicKey);
		});
	});

	it('keeps the comment of OpenSSH and PuTTY keys', () => {
		expect(loaded.get('OpenSSH RSA 3072, comment with spaces')!.comment).toBe(
			'EXP12345 payroll 2025',
		);
		expect(loaded.get('OpenSSH RSA 3072, comment with spaces')!.publicKeyOpenSsh).toMatch(
			/ EXP12345 payroll 2025$/,
		);
		expect(loaded.get('PPK v3, passphrase (Argon2id)')!.comment).toBe('my putty key');
		expect(loaded.get('PEM PKCS#1')!.comment).toBe('');
	});

	describe('pasted into a one-line field, env var or JSON', () => {
		const samples = [
			'OpenSSH RSA 2048, passphrase',
			'PEM PKCS#1, passphrase',
			'encrypted PKCS#8 (openssl pkcs8 -v2 aes256)',
			'PKCS#8 (ssh-keygen -m PKCS8)',
			'PPK v3, passphrase (Argon2id)',
			'PPK v2',
			'OpenSSH RSA 3072, comment with spaces',
		];
		it.each(samples)('%s: every damaged variant repairs to the same text', (name) => {
			const original = repairPastedKey(made.get(name)!.text);
			for (const [variant, text] of Object.entries(pastedVariants(made.get(name)!.text))) {
				expect([variant, repairPastedKey(text)]).toEqual([variant, original]);
			}
		});
		it.each(samples)('%s: every damaged variant loads to the same key', async (name) => {
			const key = made.get(name)!;
			for (const [variant, text] of Object.entries(pastedVariants(key.text))) {
				const result = await loadSshPrivateKey(text, key.passphrase);
				expect([variant, result.fingerprintSha256]).toEqual([variant, key.fingerprint]);
			}
		});
	});

	describe('passphrase problems', () => {
		const encrypted = cases.filter((c) => /passphrase|encrypted/.test(c.name)).map((c) => c.name);
		it.each(encrypted)('%s: missing passphrase → SSH_KEY_PASSPHRASE_REQUIRED', async (name) => {
			expect(await codeOf(loadSshPrivateKey(made.get(name)!.text))).toBe(
				'SSH_KEY_PASSPHRASE_REQUIRED',
			);
			expect(await codeOf(loadSshPrivateKey(made.get(name)!.text, ''))).toBe(
				'SSH_KEY_PASSPHRASE_REQUIRED',
			);
		});
		it.each(encrypted)(
			'%s: wrong passphrase → SSH_KEY_PASSPHRASE_WRONG, passphrase not echoed',
			async (name) => {
				const error = await errorOf(
					loadSshPrivateKey(made.get(name)!.text, 'Wrong Passphrase 123'),
				);
				expect(error.code).toBe('SSH_KEY_PASSPHRASE_WRONG');
				expect(error.hint).toBeTruthy();
				expect(`${error.message} ${error.hint}`).not.toMatch(/Wrong Passphrase 123|correct horse/);
			},
		);
		it('a passphrase given for an unencrypted key is ignored', async () => {
			const key = made.get('PEM PKCS#1')!;
			expect((await loadSshPrivateKey(key.text, 'whatever')).fingerprintSha256).toBe(
				key.fingerprint,
			);
		});
	});

	describe('damaged keys', () => {
		it.each(cases.map((c) => c.name))(
			'%s: truncated or missing lines → SSH_KEY_INVALID',
			async (name) => {
				const key = made.get(name)!;
				const lines = key.text.trim().split('\n');
				const half = key.text.slice(0, Math.floor(key.text.length / 2));
				expect(await codeOf(loadSshPrivateKey(half, key.passphrase))).toBe('SSH_KEY_INVALID');
				if (!key.passphrase) {
					const middleRemoved = [...lines.slice(0, 4), ...lines.slice(8)].join('\n');
					expect(await codeOf(loadSshPrivateKey(middleRemoved))).toBe('SSH_KEY_INVALID');
				}
			},
		);

		it('an edited PuTTY comment breaks the MAC (plain → INVALID, encrypted → PASSPHRASE_WRONG)', async () => {
			const plain = made.get('PPK v3')!;
			expect(
				await codeOf(loadSshPrivateKey(plain.text.replace(/^Comment: .*$/m, 'Comment: edited'))),
			).toBe('SSH_KEY_INVALID');
			const enc = made.get('PPK v2, passphrase')!;
			expect(
				await codeOf(
					loadSshPrivateKey(enc.text.replace(/^Comment: .*$/m, 'Comment: edited'), PASS),
				),
			).toBe('SSH_KEY_PASSPHRASE_WRONG');
		});

		it('a public key instead of the private key → SSH_KEY_INVALID saying so', async () => {
			const key = made.get('OpenSSH RSA 2048')!;
			const error = await errorOf(loadSshPrivateKey(key.publicKey + ' comment'));
			expect(error.code).toBe('SSH_KEY_INVALID');
			expect(error.message).toMatch(/public key/);
			const rfc = lab.run('ssh-keygen', ['-e', '-f', lab.write(key.publicKey + '\n', 'pub')]);
			expect(await codeOf(loadSshPrivateKey(rfc))).toBe('SSH_KEY_INVALID');
		});
	});

	describe('key type and size policy', () => {
		let rsa1024: MadeKey;
		let ed25519: MadeKey;
		let ed25519Ppk: MadeKey;
		let ecdsaPpk: MadeKey;
		let ecdsa384: MadeKey;
		beforeAll(() => {
			rsa1024 = lab.sshKeygen({ bits: 1024 });
			ed25519 = lab.sshKeygen({ type: 'ed25519', passphrase: PASS });
			ed25519Ppk = lab.puttygen({ type: 'ed25519' });
			ecdsaPpk = lab.puttygen({ type: 'ecdsa', bits: 256, passphrase: PASS });
			ecdsa384 = lab.sshKeygen({ type: 'ecdsa', bits: 384, format: 'PEM' });
		});

		it.each([
			['RSA 1024', () => rsa1024, /RSA key of 1024 bits.*2048 to 4096/],
			['ed25519', () => ed25519, /Ed25519.*only RSA keys of 2048 to 4096/],
			['ed25519 PPK', () => ed25519Ppk, /Ed25519/],
			['ECDSA PPK', () => ecdsaPpk, /ECDSA/],
			['ECDSA SEC1 PEM', () => ecdsa384, /ECDSA/],
		])('%s is refused with SSH_KEY_NOT_ALLOWED', async (_name, key, message) => {
			const error = await errorOf(loadSshPrivateKey(key().text, key().passphrase));
			expect(error.code).toBe('SSH_KEY_NOT_ALLOWED');
			expect(error.message).toMatch(message);
			expect(error.hint).toMatch(/RSA/);
		});

		it('is refused before asking for the passphrase when the public half tells (OpenSSH, PPK)', async () => {
			expect(await codeOf(loadSshPrivateKey(ed25519.text))).toBe('SSH_KEY_NOT_ALLOWED');
			expect(await codeOf(loadSshPrivateKey(ecdsaPpk.text))).toBe('SSH_KEY_NOT_ALLOWED');
		});

		it.each([
			['RSA 1024', () => rsa1024, 'ssh-rsa', 1024, 'openssh'],
			['ed25519 (OpenSSH, passphrase)', () => ed25519, 'ssh-ed25519', 256, 'openssh'],
			['ed25519 PPK', () => ed25519Ppk, 'ssh-ed25519', 256, 'ppk3'],
			['ECDSA P-256 PPK (passphrase)', () => ecdsaPpk, 'ecdsa-sha2-nistp256', 256, 'ppk3'],
			['ECDSA P-384 SEC1 PEM', () => ecdsa384, 'ecdsa-sha2-nistp384', 384, 'sec1'],
		])(
			'%s is accepted with allowAnyKeyType and usable by ssh2 and ssh-keygen',
			async (_name, key, type, bits, format) => {
				const k = key();
				const result = await loadSshPrivateKey(k.text, k.passphrase, { allowAnyKeyType: true });
				expect(result).toMatchObject({ type, bits, format });
				expect(KeyLab.bare(result.publicKeyOpenSsh)).toBe(k.publicKey);
				expect(result.fingerprintSha256).toBe(k.fingerprint);
				const parsed = ssh2Utils.parseKey(result.privateKey);
				if (parsed instanceof Error) throw parsed;
				expect(`${parsed.type} ${parsed.getPublicSSH().toString('base64')}`).toBe(k.publicKey);
				expect(parsed.sign(Buffer.from('x'))).toBeInstanceOf(Buffer);
				expect(lab.publicOfOpenSshFile(lab.write(result.privateKey, 'out'))).toBe(k.publicKey);
			},
		);

		it('refuses an 8192-bit RSA key (judged from the public half, before decryption)', async () => {
			// Hand-made OpenSSH envelope: the policy check reads only the public blob.
			const n = Buffer.concat([Buffer.from([0x00, 0xc0]), Buffer.alloc(1023, 0x11)]);
			const blob = Buffer.concat([
				wireString('ssh-rsa'),
				wireString(Buffer.from([1, 0, 1])),
				wireString(n),
			]);
			const kdf = Buffer.concat([wireString(Buffer.alloc(16, 1)), wireU32(16)]);
			const body = Buffer.concat([
				Buffer.from('openssh-key-v1\0', 'latin1'),
				wireString('aes256-ctr'),
				wireString('bcrypt'),
				wireString(kdf),
				wireU32(1),
				wireString(blob),
				wireString(Buffer.alloc(64)),
			]);
			const text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
			const error = await errorOf(loadSshPrivateKey(text, PASS));
			expect(error.code).toBe('SSH_KEY_NOT_ALLOWED');
			expect(error.message).toMatch(/8192 bits/);
		});
	});

	describe('formats that are not supported', () => {
		it('ssh.com private key → SSH_KEY_UNSUPPORTED_FORMAT with a conversion hint', async () => {
			const path = lab.name('sshcom');
			lab.run('puttygen', [
				'-q',
				'-t',
				'rsa',
				'-b',
				'2048',
				'-O',
				'private-sshcom',
				'-o',
				path,
				'--new-passphrase',
				lab.write(PASS),
			]);
			const error = await errorOf(loadSshPrivateKey(readFileSync(path, 'utf8'), PASS));
			expect(error.code).toBe('SSH_KEY_UNSUPPORTED_FORMAT');
			expect(error.hint).toMatch(/puttygen|PuTTYgen/);
			expect(error.hint).toMatch(/ssh-keygen/);
		});

		it('OpenSSH key encrypted with chacha20-poly1305 → SSH_KEY_UNSUPPORTED_FORMAT with the fix', async () => {
			const path = lab.name('chacha');
			lab.run('ssh-keygen', [
				'-q',
				'-t',
				'rsa',
				'-b',
				'2048',
				'-N',
				PASS,
				'-Z',
				'chacha20-poly1305@openssh.com',
				'-f',
				path,
			]);
			const error = await errorOf(loadSshPrivateKey(readFileSync(path, 'utf8'), PASS));
			expect(error.code).toBe('SSH_KEY_UNSUPPORTED_FORMAT');
			expect(error.hint).toMatch(/ssh-keygen -p -Z aes256-ctr/);
		});

		it('OpenSSH key encrypted with aes256-gcm is read', async () => {
			const path = lab.name('gcm');
			lab.run('ssh-keygen', [
				'-q',
				'-t',
				'rsa',
				'-b',
				'2048',
				'-N',
				PASS,
				'-Z',
				'aes256-gcm@openssh.com',
				'-f',
				path,
			]);
			const key = await loadSshPrivateKey(readFileSync(path, 'utf8'), PASS);
			expect(KeyLab.bare(key.publicKeyOpenSsh)).toBe(lab.publicOfOpenSshFile(path, PASS));
			expect(await codeOf(loadSshPrivateKey(readFileSync(path, 'utf8'), 'nope'))).toBe(
				'SSH_KEY_PASSPHRASE_WRONG',
			);
		});

		it('a certificate → SSH_KEY_INVALID saying it is a certificate', async () => {
			const keyPath = made.get('PEM PKCS#1')!.path;
			const cert = lab.run('openssl', [
				'req',
				'-new',
				'-x509',
				'-key',
				keyPath,
				'-subj',
				'/CN=test',
				'-days',
				'1',
			]);
			const error = await errorOf(loadSshPrivateKey(cert));
			expect(error.code).toBe('SSH_KEY_INVALID');
			expect(error.message).toMatch(/certificate/);
		});

		it('a key file with a certificate after it (openssl pkcs12 output) uses the key', async () => {
			const key = made.get('PKCS#8 (ssh-keygen -m PKCS8)')!;
			const cert = lab.run('openssl', [
				'req',
				'-new',
				'-x509',
				'-key',
				key.path,
				'-subj',
				'/CN=test',
				'-days',
				'1',
			]);
			const bundle = `Bag Attributes\n    localKeyID: 01\n${cert}${key.text}`;
			expect((await loadSshPrivateKey(bundle)).fingerprintSha256).toBe(key.fingerprint);
		});
	});
});

describe('loadSshPrivateKey without external tools', () => {
	it.each([
		['empty', ''],
		['spaces', '   \n  '],
		['garbage', 'hello world, this is not a key'],
		['BEGIN without END', '-----BEGIN RSA PRIVATE KEY-----\nMIIE'],
		['bad base64', '-----BEGIN RSA PRIVATE KEY-----\n!!!!\n-----END RSA PRIVATE KEY-----'],
		['valid base64, not DER', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'],
		[
			'OpenSSH magic wrong',
			`-----BEGIN OPENSSH PRIVATE KEY-----\n${Buffer.from('not-openssh-key-v1 at all, sorry').toString('base64')}\n-----END OPENSSH PRIVATE KEY-----`,
		],
		['PPK header only', 'PuTTY-User-Key-File-3: ssh-rsa'],
	])('%s → SSH_KEY_INVALID', async (_name, text) => {
		expect(await codeOf(loadSshPrivateKey(text))).toBe('SSH_KEY_INVALID');
	});

	it('non-string input → SSH_KEY_INVALID', async () => {
		expect(await codeOf(loadSshPrivateKey(undefined as unknown as string))).toBe('SSH_KEY_INVALID');
		expect(await codeOf(loadSshPrivateKey(42 as unknown as string))).toBe('SSH_KEY_INVALID');
	});

	it('more than 64 KiB → SSH_KEY_INVALID without parsing', async () => {
		expect(await codeOf(loadSshPrivateKey('A'.repeat(70_000)))).toBe('SSH_KEY_INVALID');
	});

	it('PPK version 1 and unknown versions → SSH_KEY_UNSUPPORTED_FORMAT', async () => {
		expect(
			await codeOf(loadSshPrivateKey('PuTTY-User-Key-File-1: ssh-rsa\nEncryption: none\n')),
		).toBe('SSH_KEY_UNSUPPORTED_FORMAT');
		expect(
			await codeOf(loadSshPrivateKey('PuTTY-User-Key-File-4: ssh-rsa\nEncryption: none\n')),
		).toBe('SSH_KEY_UNSUPPORTED_FORMAT');
	});

	it('PGP key → SSH_KEY_UNSUPPORTED_FORMAT', async () => {
		expect(
			await codeOf(
				loadSshPrivateKey(
					'-----BEGIN PGP PRIVATE KEY BLOCK-----\nAAAA\n-----END PGP PRIVATE KEY BLOCK-----',
				),
			),
		).toBe('SSH_KEY_UNSUPPORTED_FORMAT');
	});

	it('OpenSSH key with absurd bcrypt rounds is refused at once', async () => {
		const kdf = Buffer.concat([wireString(Buffer.alloc(16, 1)), wireU32(0xffffffff)]);
		const blob = Buffer.concat([
			wireString('ssh-rsa'),
			wireString(Buffer.from([1, 0, 1])),
			wireString(Buffer.concat([Buffer.from([0, 0xc0]), Buffer.alloc(255, 1)])),
		]);
		const body = Buffer.concat([
			Buffer.from('openssh-key-v1\0', 'latin1'),
			wireString('aes256-ctr'),
			wireString('bcrypt'),
			wireString(kdf),
			wireU32(1),
			wireString(blob),
			wireString(Buffer.alloc(64)),
		]);
		const started = Date.now();
		const error = await errorOf(
			loadSshPrivateKey(
				`-----BEGIN OPENSSH PRIVATE KEY-----\n${body.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----`,
				PASS,
			),
		);
		expect(error.code).toBe('SSH_KEY_UNSUPPORTED_FORMAT');
		expect(error.hint).toMatch(/ssh-keygen -p -a 16/);
		expect(Date.now() - started).toBeLessThan(1000);
	});

	it('encrypted PKCS#8 with absurd PBKDF2 iterations is refused at once', async () => {
		// EncryptedPrivateKeyInfo { PBES2 { PBKDF2 { salt, 2^31-1 }, aes-256-cbc { iv } }, data }
		const der = (tag: number, ...parts: Buffer[]): Buffer => {
			const body = Buffer.concat(parts);
			const len =
				body.length < 128
					? Buffer.from([body.length])
					: Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
			return Buffer.concat([Buffer.from([tag]), len, body]);
		};
		const oid = (hex: string): Buffer => der(0x06, Buffer.from(hex, 'hex'));
		const info = der(
			0x30,
			der(
				0x30,
				oid('2a864886f70d01050d'),
				der(
					0x30,
					der(
						0x30,
						oid('2a864886f70d01050c'),
						der(0x30, der(0x04, Buffer.alloc(8, 7)), der(0x02, Buffer.from('7fffffff', 'hex'))),
					),
					der(0x30, oid('60864801650304012a'), der(0x04, Buffer.alloc(16))),
				),
			),
			der(0x04, Buffer.alloc(1232, 3)),
		);
		const pem = `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${info.toString('base64')}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
		const started = Date.now();
		expect(await codeOf(loadSshPrivateKey(pem, PASS))).toBe('SSH_KEY_UNSUPPORTED_FORMAT');
		expect(Date.now() - started).toBeLessThan(1000);
	});
});
