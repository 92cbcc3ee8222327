/**
 * No secret ever leaves in an error. Recognisable secrets — the SSH passphrase, the .p12 password, every
 * base64 line of the private keys (as given and as decrypted), of the .p12 and of its key — are used on
 * representative failing paths: wrong or missing passphrase, damaged keys and .p12 files, secrets pasted
 * in the wrong field, and the credential test (checkChannel) against a real sshd that refuses the key,
 * presents another host key, is closed, frozen or a fake. None of them may appear in any error message,
 * hint, stack, `cause` chain (messages, stacks and inspected properties), checkChannel JSON output, or in
 * anything written to the console, stdout or stderr while the tests run.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { checkChannel } from '../../nodes/domain/channel/channelCheck';
import {
	ChannelCredentialData,
	channelSettingsFromCredential,
} from '../../nodes/domain/channel/channelCredential';
import { loadSigningIdentity, signDeclaration } from '../../nodes/domain/signing/declarationSigner';
import { loadPkcs12 } from '../../nodes/domain/signing/pkcs12';
import { loadSshPrivateKey } from '../../nodes/domain/sshKeys/privateKey';
import { SftpChannel } from '../../nodes/domain/transport/sftpChannel';
import { freeLoopbackPort } from '../../sandbox/sshdSandbox';
import { describeWithSshd } from '../helpers/sandbox';
import { Ledger } from './helpers/ledger';
import { settle, useSandbox } from './helpers/world';

jest.setTimeout(60_000);

const ledger = new Ledger('secrets');
const PASSPHRASE = 'Ssh-Secret-Passphrase-Q7x9w2';
const P12_PASSWORD = 'P12-Secret-Password-Z3k8m4';

interface Material {
	/** OpenSSH format, passphrase-protected (2 bcrypt rounds: cheap to open in tests). */
	openssh: string;
	/** PEM PKCS#1, passphrase-protected. */
	pemEncrypted: string;
	/** PuTTY PPK v3, passphrase-protected, when puttygen is there. */
	ppk?: string;
	publicKey: string;
	/** The key as loadSshPrivateKey hands it to ssh2: decrypted. */
	decrypted: string;
	p12: Buffer;
	p12KeyPem: string;
	/** Another key with the same passphrase, not authorised on the server. */
	stranger: string;
}

function makeMaterial(dir: string): Promise<Material> {
	const keyPath = join(dir, 'id_rsa');
	execFileSync('ssh-keygen', [
		'-q',
		'-t',
		'rsa',
		'-b',
		'2048',
		'-a',
		'2',
		'-N',
		PASSPHRASE,
		'-C',
		'secrets-test',
		'-f',
		keyPath,
	]);
	execFileSync('ssh-keygen', [
		'-q',
		'-t',
		'rsa',
		'-b',
		'2048',
		'-a',
		'2',
		'-N',
		PASSPHRASE,
		'-C',
		'stranger',
		'-f',
		join(dir, 'stranger'),
	]);
	execFileSync(
		'openssl',
		[
			'genrsa',
			'-aes256',
			'-passout',
			`pass:${PASSPHRASE}`,
			'-traditional',
			'-out',
			join(dir, 'pem.key'),
			'2048',
		],
		{ stdio: 'ignore' },
	);
	let ppk: string | undefined;
	try {
		writeFileSync(join(dir, 'pass'), PASSPHRASE);
		execFileSync(
			'puttygen',
			[
				'-q',
				'-t',
				'rsa',
				'-b',
				'2048',
				'-o',
				join(dir, 'k.ppk'),
				'--new-passphrase',
				join(dir, 'pass'),
				'--ppk-param',
				'memory=64,passes=1',
			],
			{
				stdio: 'ignore',
			},
		);
		ppk = readFileSync(join(dir, 'k.ppk'), 'utf8');
	} catch {
		// puttygen is optional here.
	}
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-keyout',
			join(dir, 'sign.key'),
			'-out',
			join(dir, 'sign.pem'),
			'-subj',
			'/CN=Secret Signer',
			'-days',
			'30',
		],
		{
			stdio: 'ignore',
		},
	);
	execFileSync('openssl', [
		'pkcs12',
		'-export',
		'-in',
		join(dir, 'sign.pem'),
		'-inkey',
		join(dir, 'sign.key'),
		'-out',
		join(dir, 'sign.p12'),
		'-passout',
		`pass:${P12_PASSWORD}`,
	]);
	const openssh = readFileSync(keyPath, 'utf8');
	return loadSshPrivateKey(openssh, PASSPHRASE).then((loaded) => ({
		openssh,
		pemEncrypted: readFileSync(join(dir, 'pem.key'), 'utf8'),
		ppk,
		publicKey: readFileSync(`${keyPath}.pub`, 'utf8').trim(),
		decrypted: loaded.privateKey,
		p12: readFileSync(join(dir, 'sign.p12')),
		p12KeyPem: readFileSync(join(dir, 'sign.key'), 'utf8'),
		stranger: readFileSync(join(dir, 'stranger'), 'utf8'),
	}));
}

/** The secret strings to look for: passwords, every long base64 line of the keys, and a slice of each line. */
function secretsOf(m: Material): string[] {
	const lines = (text: string) =>
		text
			.split(/\r?\n/)
			.map((l) => l.trim())
			.filter((l) => l.length >= 40 && /^[A-Za-z0-9+/=]+$/.test(l));
	const keyLines = [
		...lines(m.openssh),
		...lines(m.pemEncrypted),
		...lines(m.ppk ?? ''),
		...lines(m.decrypted),
		...lines(m.p12KeyPem),
		...lines(m.stranger),
	];
	const p12Lines = m.p12.toString('base64').match(/.{1,64}/g) ?? [];
	// The public half of a key file is no secret: its lines may show in a fingerprint or a public key line.
	const publicBlob = m.publicKey.split(' ')[1];
	const secret = [...keyLines, ...p12Lines].filter((l) => !publicBlob.includes(l));
	return [PASSPHRASE, P12_PASSWORD, ...secret, ...secret.map((l) => l.slice(8, 32))];
}

/** Everything an error shows, down its cause chain. */
function textsOfError(error: unknown, depth = 0): string[] {
	if (error === undefined || error === null || depth > 6) return [];
	if (typeof error !== 'object') return [String(error)];
	const e = error as {
		message?: unknown;
		hint?: unknown;
		stack?: unknown;
		cause?: unknown;
		errors?: unknown[];
	};
	const texts = [
		String(e.message ?? ''),
		String(e.hint ?? ''),
		String(e.stack ?? ''),
		inspect(error, { depth: 4 }),
	];
	try {
		texts.push(JSON.stringify(error));
	} catch {
		// circular: inspect covered it
	}
	texts.push(...textsOfError(e.cause, depth + 1));
	for (const inner of Array.isArray(e.errors) ? e.errors : [])
		texts.push(...textsOfError(inner, depth + 1));
	return texts;
}

describeWithSshd('Secrets never leave in errors, results or logs', () => {
	const world = useSandbox();
	let dir: string;
	let material: Material;
	let secrets: string[];
	const captured: string[] = [];
	const probes: Array<{ label: string; texts: string[] }> = [];
	const restore: Array<() => void> = [];

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'ss-secrets-'));
		material = await makeMaterial(dir);
		secrets = secretsOf(material);
		world.sandbox.addAuthorizedKey(material.publicKey);
		// Everything written from here on is kept and searched.
		for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
			const original = console[method];
			console[method] = (...args: unknown[]) => {
				captured.push(
					args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 4 }))).join(' '),
				);
				original.apply(console, args);
			};
			restore.push(() => (console[method] = original));
		}
		for (const stream of [process.stdout, process.stderr]) {
			const original = stream.write.bind(stream);
			stream.write = ((chunk: unknown, ...rest: unknown[]) => {
				captured.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
				return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
			}) as typeof stream.write;
			restore.push(() => (stream.write = original as typeof stream.write));
		}
	}, 60_000);

	afterAll(() => {
		restore.forEach((r) => r());
		rmSync(dir, { recursive: true, force: true });
		ledger.report();
	});

	const credential = (extra: Partial<ChannelCredentialData> = {}): ChannelCredentialData => ({
		host: world.sandbox.host,
		port: world.sandbox.port,
		username: world.sandbox.username,
		privateKey: material.openssh,
		passphrase: PASSPHRASE,
		hostFingerprint: world.sandbox.hostKeys[0].fingerprint,
		certificateP12: material.p12.toString('base64'),
		certificatePassword: P12_PASSWORD,
		advanced: { connectTimeout: 2, operationTimeout: 2 },
		...extra,
	});

	/**
	 * Runs a path that must fail (or, for checkChannel, report a failure) and keeps all it shows. A value is
	 * searched only when it is an output (`resultIsOutput`): a loaded key legitimately holds the key.
	 */
	async function probe(
		label: string,
		run: () => Promise<unknown> | unknown,
		resultIsOutput = false,
	): Promise<unknown> {
		const outcome = await settle(Promise.resolve().then(run), 20_000, ledger, `secrets: ${label}`);
		expect(outcome.hung).toBe(false);
		const texts = [...textsOfError(outcome.error)];
		if (resultIsOutput && outcome.value !== undefined)
			texts.push(JSON.stringify(outcome.value), inspect(outcome.value, { depth: 6 }));
		probes.push({ label, texts });
		ledger.add('secretProbes');
		return outcome.error ?? outcome.value;
	}

	it('loading keys: wrong, missing, damaged, misplaced', async () => {
		const middle = (text: string) => {
			const at = Math.floor(text.length / 2);
			return text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
		};
		const failures = [
			await probe('OpenSSH, wrong passphrase', () =>
				loadSshPrivateKey(material.openssh, 'not-the-passphrase'),
			),
			await probe('OpenSSH, no passphrase', () => loadSshPrivateKey(material.openssh)),
			await probe('OpenSSH, one character changed', () =>
				loadSshPrivateKey(middle(material.openssh), PASSPHRASE),
			),
			await probe('OpenSSH, truncated', () =>
				loadSshPrivateKey(material.openssh.slice(0, material.openssh.length / 2), PASSPHRASE),
			),
			await probe('OpenSSH, newlines lost, cut short, passphrase appended', () =>
				loadSshPrivateKey(
					`${material.openssh.slice(0, -80).replace(/\n/g, ' ')} ${PASSPHRASE}`,
					PASSPHRASE,
				),
			),
			await probe('PEM, wrong passphrase', () => loadSshPrivateKey(material.pemEncrypted, 'nope')),
			await probe('PEM, body cut short', () =>
				loadSshPrivateKey(
					material.pemEncrypted.replace(/[A-Za-z0-9+/=]{64}\n-----END/, '\n-----END'),
					PASSPHRASE,
				),
			),
			await probe('passphrase pasted as the key, key as the passphrase', () =>
				loadSshPrivateKey(PASSPHRASE, material.openssh),
			),
			await probe('decrypted key pasted as the passphrase', () =>
				loadSshPrivateKey(material.pemEncrypted, material.decrypted),
			),
			...(material.ppk
				? [
						await probe('PPK, wrong passphrase', () =>
							loadSshPrivateKey(material.ppk as string, 'nope'),
						),
						await probe('PPK, MAC damaged', () =>
							loadSshPrivateKey(
								(material.ppk as string).replace(
									/Private-MAC: (\w)/,
									(_m, c: string) => `Private-MAC: ${c === '0' ? '1' : '0'}`,
								),
								PASSPHRASE,
							),
						),
					]
				: []),
		];
		expect(failures.map((f, i) => [probes[i].label, f instanceof Error])).toEqual(
			failures.map((_f, i) => [probes[i].label, true]),
		);
	});

	it('loading the .p12 and signing: wrong password, damaged file, password pasted as the file', async () => {
		const flipped = Buffer.from(material.p12);
		flipped[Math.floor(flipped.length / 2)] ^= 0x40;
		const failures = [
			await probe('p12, wrong password', () => loadPkcs12(material.p12, 'wrong')),
			await probe('p12, base64 truncated', () =>
				loadPkcs12(material.p12.toString('base64').slice(0, 900), P12_PASSWORD),
			),
			await probe('p12, one byte changed', () => loadPkcs12(flipped, P12_PASSWORD)),
			await probe('p12, password pasted as the file', () => loadPkcs12(P12_PASSWORD, P12_PASSWORD)),
			await probe('p12, key PEM pasted as the file', () =>
				loadPkcs12(material.p12KeyPem, P12_PASSWORD),
			),
			await probe('signing identity, wrong password', () =>
				loadSigningIdentity(material.p12.toString('base64'), `${P12_PASSWORD}x`),
			),
			await probe('signing a declaration whose file cannot be read', async () => {
				const identity = loadSigningIdentity(material.p12.toString('base64'), P12_PASSWORD);
				const { Readable } = await import('node:stream');
				const broken = new Readable({
					read() {
						this.destroy(
							Object.assign(new Error(`EIO reading ${PASSPHRASE.length} bytes`), { code: 'EIO' }),
						);
					},
				});
				return signDeclaration(broken, 'FI.DMFA.000123.20260110.00001.T.1.1', identity);
			}),
		];
		for (const failure of failures) expect(failure).toBeInstanceOf(Error);
	});

	it('the credential and the credential test against sshd: every failure, and the success', async () => {
		const frozenPort = await freeLoopbackPort();
		const fake = createServer((socket) => socket.destroy());
		fake.listen(0, '127.0.0.1');
		await once(fake, 'listening');
		const fakePort = (fake.address() as { port: number }).port;
		const results: Array<{ ok: boolean; message: string }> = [];
		const check = async (label: string, data: ChannelCredentialData) => {
			const result = (await probe(`checkChannel: ${label}`, () => checkChannel(data), true)) as {
				ok: boolean;
				message: string;
			};
			results.push(result);
			return result;
		};
		try {
			expect((await check('all fine', credential())).ok).toBe(true);
			expect((await check('wrong passphrase', credential({ passphrase: 'wrong' }))).ok).toBe(false);
			expect((await check('no passphrase', credential({ passphrase: '' }))).ok).toBe(false);
			expect(
				(await check('wrong .p12 password', credential({ certificatePassword: 'wrong' }))).ok,
			).toBe(false);
			expect(
				(
					await check(
						'damaged .p12',
						credential({ certificateP12: material.p12.toString('base64').slice(0, 1200) }),
					)
				).ok,
			).toBe(false);
			expect(
				(await check('key not authorised', credential({ privateKey: material.stranger }))).ok,
			).toBe(false);
			expect((await check('wrong user', credential({ username: 'EXP000000' }))).ok).toBe(false);
			expect(
				(await check('other host key', credential({ hostFingerprint: 'SHA256:' + 'A'.repeat(43) })))
					.ok,
			).toBe(false);
			expect((await check('no host key pinned', credential({ hostFingerprint: '' }))).ok).toBe(
				false,
			);
			expect((await check('port closed', credential({ port: frozenPort }))).ok).toBe(false);
			expect((await check('server closes at once', credential({ port: fakePort }))).ok).toBe(false);
			expect(
				(
					await check(
						'private key pasted as the passphrase',
						credential({ passphrase: material.decrypted }),
					)
				).ok,
			).toBe(false);
			expect(
				(await check('passphrase in the key field', credential({ privateKey: PASSPHRASE }))).ok,
			).toBe(false);
			world.sandbox.kill('SIGSTOP');
			try {
				expect(
					(await check('server frozen', credential({ advanced: { connectTimeout: 1 } }))).ok,
				).toBe(false);
			} finally {
				world.sandbox.kill('SIGCONT');
			}
			await probe('credential with a bad port', () =>
				channelSettingsFromCredential(credential({ port: 'abc' })),
			);
			await probe('SSH login refused (channel)', async () => {
				const settings = await channelSettingsFromCredential(credential({ username: 'nobody' }));
				return SftpChannel.open({ ...settings.connection, connectTimeoutMs: 3000 });
			});
			// The messages of failed checks still explain (a leak check on empty strings would prove nothing).
			for (const r of results.filter((x) => !x.ok)) expect(r.message.length).toBeGreaterThan(20);
		} finally {
			fake.close();
		}
	});

	const leaksIn = (places: Array<{ label: string; texts: string[] }>): string[] => {
		const leaks: string[] = [];
		for (const { label, texts } of places) {
			const all = texts.join('\n');
			for (const secret of secrets) {
				if (all.includes(secret))
					leaks.push(
						`${label}: ${secret === PASSPHRASE ? 'the SSH passphrase' : secret === P12_PASSWORD ? 'the .p12 password' : `key material "${secret.slice(0, 12)}…"`}`,
					);
			}
		}
		return leaks;
	};

	it('none of the secrets appears anywhere', () => {
		// The detector itself finds a passphrase, a key line and a slice of a .p12 line.
		const keyLine = material.decrypted.split('\n')[5];
		const p12Slice = material.p12.toString('base64').slice(200, 230);
		expect(
			leaksIn([
				{ label: 'control', texts: [`oops ${PASSPHRASE}`, `x${keyLine}y`, `…${p12Slice}…`] },
			]).length,
		).toBeGreaterThanOrEqual(3);

		const leaks = leaksIn([...probes, { label: 'console, stdout and stderr', texts: captured }]);
		ledger.add('leakedSecrets', leaks.length);
		for (const leak of leaks.slice(0, 20)) ledger.note(`leak: ${leak}`);
		expect(probes.length).toBeGreaterThanOrEqual(25);
		expect(secrets.length).toBeGreaterThan(50);
		expect(leaks).toEqual([]);
	});
});
