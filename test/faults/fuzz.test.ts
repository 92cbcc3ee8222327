/**
 * Fuzzing of what parses outside input: file names, SSH private keys, PKCS#12 files and FS signatures.
 * Broader than the unit fuzz tests (test/unit/sshKeys/fuzz.test.ts, test/unit/signing/fuzz.test.ts):
 * the inputs are valid ones damaged where the parsers look — ASN.1 nodes (also inside OCTET STRINGs),
 * SSH wire length fields, PPK headers and bodies, name fields, unusual passphrases and contents — so most
 * cases reach deep into the code, past the framing checks.
 *
 * Every case returns a result or throws a SocialSecurityError (never another error, never a crash),
 * within a time bound; results must be coherent (a name that parses formats back to itself, a key that
 * loads has a fingerprint, …). The seed is printed; FAULTS_SEED=<seed> replays or explores.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { utils as ssh2Utils } from 'ssh2';
import { SocialSecurityError } from '../../nodes/domain/errors';
import { brusselsToday } from '../../nodes/domain/names/brusselsTime';
import {
	formatSubmissionFileName,
	parseFileName,
	parseResponseFileName,
	parseSubmissionFileName,
} from '../../nodes/domain/names/fileNames';
import { signDetached, verifyDetached } from '../../nodes/domain/signing/cmsSignature';
import { loadPkcs12 } from '../../nodes/domain/signing/pkcs12';
import { loadSshPrivateKey } from '../../nodes/domain/sshKeys/privateKey';
import { exportP12, issued, read, selfSigned, tempDir } from '../helpers/certificates';
import { Ledger } from './helpers/ledger';
import {
	Mutator,
	opensshLengthFields,
	pem,
	pemBody,
	replaceOctetString,
	wrapLines,
} from './helpers/mutate';
import { prng } from '../helpers/random';
import { fuzzSeed } from './helpers/world';

jest.setTimeout(180_000);

const ledger = new Ledger('fuzz');
afterAll(() => ledger.report());

interface FuzzReport {
	outcomes: Map<string, number>;
	slowestMs: number;
}

/**
 * Runs `count` cases. A case that throws anything but a SocialSecurityError whose code `accepts`, or
 * that breaks an invariant (run throws a plain Error starting with "invariant"), or that takes longer
 * than `boundMs`, is a failure, reported with its index and the seed.
 */
async function fuzz<I>(
	name: string,
	seed: number,
	count: number,
	boundMs: number,
	make: (m: Mutator, i: number) => I,
	run: (input: I) => unknown,
	accepts: (code: string) => boolean,
): Promise<FuzzReport> {
	const m = new Mutator(prng(seed));
	const outcomes = new Map<string, number>();
	const failures: string[] = [];
	let slowestMs = 0;
	const started = Date.now();
	for (let i = 0; i < count; i++) {
		const input = make(m, i);
		// A native abort cannot be caught: FAULTS_DUMP=<file> keeps the input being tried, to replay it.
		if (process.env.FAULTS_DUMP)
			writeFileSync(
				process.env.FAULTS_DUMP,
				JSON.stringify({ name, i, input }, (_k, v) =>
					v?.type === 'Buffer' ? Buffer.from(v.data).toString('base64') : v,
				),
			);
		const t0 = Date.now();
		let outcome = 'ok';
		try {
			await run(input);
		} catch (error) {
			if (error instanceof SocialSecurityError && accepts(error.code) && error.message.length > 10)
				outcome = error.code;
			else {
				outcome = 'FAILURE';
				ledger.add('unclearErrors');
				failures.push(
					`#${i}: ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)}`.slice(
						0,
						300,
					),
				);
			}
		}
		const ms = Date.now() - t0;
		slowestMs = Math.max(slowestMs, ms);
		if (ms > boundMs) {
			if (process.env.FAULTS_DUMP)
				writeFileSync(
					`${process.env.FAULTS_DUMP}.slow-${name.replace(/\W/g, '')}-${i}`,
					readFileSync(process.env.FAULTS_DUMP),
				);
			ledger.add('hangs');
			failures.push(`#${i}: took ${ms} ms (bound ${boundMs} ms)`);
		}
		outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
	}
	ledger.add('fuzzCases', count);
	console.log(
		`fuzz ${name}: ${count} cases in ${Date.now() - started} ms, seed ${seed} (replay: FAULTS_SEED=${seed}), slowest ${slowestMs} ms\n  ${JSON.stringify(Object.fromEntries(outcomes))}`,
	);
	for (const f of failures.slice(0, 10)) ledger.note(`fuzz ${name} (seed ${seed}) ${f}`);
	expect(failures.slice(0, 10)).toEqual([]);
	return { outcomes, slowestMs };
}

function invariant(condition: unknown, what: string): void {
	if (!condition) throw new Error(`invariant broken: ${what}`);
}

// ---- File names --------------------------------------------------------------------------------------

describe('fuzzing the name parsers', () => {
	const today = brusselsToday();
	const SEQ = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
	const ALPHABET =
		'FISGOTDRC.0123456789AZaz/\\\u0000\n\r\t ~-_:*?<>|\u00a0\u200b\u202e\uff10\u0410\u0131\u017f\ud800\udc00é€';
	const STRICT_SUBMISSION =
		/^(FI|FS)\.[A-Z]{4}\.\d{6}\.\d{8}\.[0-9A-Z]{5}\.[RTS]\.[1-9]\.[1-9]$|^(GO|TD)\.[A-Z]{4}\.\d{6}\.\d{8}\.[0-9A-Z]{5}\.[RTS]\.[1-9]$/;
	const STRICT_RESPONSE =
		/^(FO|CO|FS|GO)\.[A-Z0-9]{4}\.\d{6}\.\d{8}\.[0-9A-Z]{5}\.[RTS](\.\d\.\d)?$/;

	function valid(m: Mutator): string {
		const seq = () => {
			let s = '';
			while (s === '' || s === '00000')
				s = Array.from({ length: 5 }, () => m.pick([...SEQ])).join('');
			return s;
		};
		if (m.chance(0.5)) {
			const parts = 1 + m.int(9);
			const kind = m.pick(['FI', 'FS', 'GO', 'TD']);
			const base = `${kind}.${m.pick(['DMFA', 'DIMN', 'WECH', 'ABCD'])}.${m.pick(['000123', '101380', '999999'])}.${today}.${seq()}.${m.pick(['R', 'T', 'S'])}.${parts}`;
			return kind === 'FI' || kind === 'FS' ? `${base}.${1 + m.int(parts)}` : base;
		}
		const tail = m.chance(0.5) ? `.${m.int(10)}.${m.int(10)}` : '';
		return `${m.pick(['FO', 'CO', 'FS', 'GO'])}.${m.pick(['ACRF', 'NOTI', 'DMNO', 'IDF1'])}.${m.pick(['999999', '000123'])}.${m.pick(['20260110', '20240229', today])}.${seq()}.${m.pick(['R', 'T', 'S'])}${tail}`;
	}

	function mutate(m: Mutator, name: string): unknown {
		const op = m.int(10);
		if (op < 4) return m.text(name, ALPHABET);
		if (op < 7) {
			const fields = name.split('.');
			const i = m.int(fields.length);
			const choice = m.int(6);
			if (choice === 0)
				fields[i] = m.pick([
					'',
					'0',
					'00000',
					'ZZZZZ',
					'9'.repeat(m.int(40)),
					fields[i].toLowerCase(),
					fields[i] + fields[i],
					'-1',
					'1e3',
					' 1',
					'٣',
				]);
			else if (choice === 1) fields.splice(i, 1);
			else if (choice === 2) fields.splice(i, 0, fields[i]);
			else if (choice === 3) [fields[i], fields[0]] = [fields[0], fields[i]];
			else if (choice === 4)
				fields[i] = [...fields[i]]
					.map((c) =>
						/[0-9]/.test(c) && m.chance(0.5) ? String.fromCharCode(0xff10 + Number(c)) : c,
					)
					.join('');
			else fields[i] = `${fields[i]}${m.pick(['/..', '\u0000', '\n', '\\', '%2e%2e'])}`;
			return fields.join('.');
		}
		if (op === 7) return name.repeat(1 + m.int(3000));
		if (op === 8)
			return `${name}${m.pick(['', ' ', '\r\n', '\u0000'])}`.padStart(
				name.length + m.int(3),
				m.pick([' ', '.', '0']),
			);
		return m.pick<unknown>([
			undefined,
			null,
			42,
			{},
			[],
			Symbol.iterator,
			() => name,
			new String(name),
		]);
	}

	it('parseSubmissionFileName, parseResponseFileName, parseFileName: a result (or a SocialSecurityError), coherent, fast', async () => {
		const seed = fuzzSeed(0x5eed0001);
		await fuzz(
			'names',
			seed,
			6000,
			200,
			(m) => mutate(m, valid(m)),
			(input) => {
				const name = input as string;
				const submission = parseSubmissionFileName(name);
				const response = parseResponseFileName(name);
				const any = parseFileName(name);
				for (const result of [submission, response, any]) {
					for (const v of result.valid ? [] : result.violations) {
						invariant(
							!/\p{Cc}/u.test(v.message),
							`a violation message with control characters: ${JSON.stringify(v.message)}`,
						);
						invariant(v.message.length < 600, 'a violation message of unbounded length');
					}
				}
				if (submission.valid) {
					const { kind, part, ...set } = submission.value;
					invariant(
						STRICT_SUBMISSION.test(name),
						`an accepted submission name outside the strict pattern: ${JSON.stringify(name)}`,
					);
					invariant(
						formatSubmissionFileName(kind, set, part) === name,
						`does not format back: ${name}`,
					);
				}
				if (response.valid) {
					invariant(
						STRICT_RESPONSE.test(name),
						`an accepted answer name outside the strict pattern: ${JSON.stringify(name)}`,
					);
					invariant(
						response.value.answerId === name.slice(3),
						'answerId is not the name without its prefix',
					);
				}
				if (any.valid)
					invariant(
						any.value.direction === 'response' ? response.valid : submission.valid,
						`parseFileName disagrees on ${name}`,
					);
			},
			() => true,
		);
	});
});

// ---- SSH private keys -----------------------------------------------------------------------------------

describe('fuzzing loadSshPrivateKey with structure-aware mutations', () => {
	const PASS = 'Fuzz-Passphrase-8c1e';
	const CODES = new Set([
		'SSH_KEY_PASSPHRASE_REQUIRED',
		'SSH_KEY_PASSPHRASE_WRONG',
		'SSH_KEY_UNSUPPORTED_FORMAT',
		'SSH_KEY_NOT_ALLOWED',
		'SSH_KEY_INVALID',
	]);
	interface Seed {
		text: string;
		passphrase?: string;
		kind: 'openssh' | 'pem' | 'ppk';
	}
	let seeds: Seed[] = [];

	beforeAll(() => {
		const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
		const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
		seeds = [
			{
				kind: 'openssh',
				text: ssh2Utils.generateKeyPairSync('rsa', { bits: 2048, comment: 'fuzz' }).private,
			},
			// Two bcrypt rounds: the passphrase path is reached in every case without costing seconds.
			{
				kind: 'openssh',
				text: ssh2Utils.generateKeyPairSync('rsa', {
					bits: 2048,
					passphrase: PASS,
					cipher: 'aes256-ctr',
					rounds: 2,
				}).private,
				passphrase: PASS,
			},
			{ kind: 'openssh', text: ssh2Utils.generateKeyPairSync('ed25519').private },
			{ kind: 'pem', text: String(rsa.privateKey.export({ type: 'pkcs1', format: 'pem' })) },
			{
				kind: 'pem',
				text: String(
					rsa.privateKey.export({
						type: 'pkcs1',
						format: 'pem',
						cipher: 'aes-128-cbc',
						passphrase: PASS,
					}),
				),
				passphrase: PASS,
			},
			{ kind: 'pem', text: String(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' })) },
			{
				kind: 'pem',
				text: String(
					rsa.privateKey.export({
						type: 'pkcs8',
						format: 'pem',
						cipher: 'aes-256-cbc',
						passphrase: PASS,
					}),
				),
				passphrase: PASS,
			},
			{ kind: 'pem', text: String(ec.privateKey.export({ type: 'sec1', format: 'pem' })) },
		];
		if (spawnSync('puttygen', ['--version']).status === 0) {
			const { dir, cleanup } = tempDir('fuzz-ppk');
			try {
				const passFile = join(dir, 'pass');
				const emptyFile = join(dir, 'empty');
				writeFileSync(passFile, PASS);
				writeFileSync(emptyFile, '');
				for (const [name, params, pass] of [
					['v3', 'version=3,kdf=argon2id,memory=64,passes=1,parallelism=1', true],
					['v3plain', 'version=3', false],
					['v2', 'version=2', true],
				] as const) {
					const out = join(dir, `${name}.ppk`);
					execFileSync(
						'puttygen',
						[
							'-q',
							'-t',
							'rsa',
							'-b',
							'2048',
							'-o',
							out,
							'--ppk-param',
							params,
							'--new-passphrase',
							pass ? passFile : emptyFile,
						],
						{
							stdio: 'ignore',
						},
					);
					seeds.push({
						kind: 'ppk',
						text: readFileSync(out, 'utf8'),
						passphrase: pass ? PASS : undefined,
					});
				}
			} finally {
				cleanup();
			}
		}
	}, 60_000);

	function mutateKey(m: Mutator, seed: Seed): string {
		const op = m.int(8);
		if (seed.kind === 'ppk') {
			if (op < 3) {
				// Header values: counts, KDF parameters, encryption, key type.
				return seed.text.replace(/^([A-Za-z0-9-]+): (.*)$/gm, (line, name: string) =>
					m.chance(0.25)
						? `${name}: ${m.pick(['0', '1', '-1', '99999999', '4294967296', 'x', '', 'aes256-cbc', 'none', 'ssh-rsa', 'ssh-dss', 'Argon2id', String(m.int(100))])}`
						: line,
				);
			}
			if (op < 6) {
				// Body lines replaced by other valid base64 of the same length: only the structure and MAC notice.
				const lines = seed.text.split('\n');
				const i = m.int(lines.length);
				if (/^[A-Za-z0-9+/=]{16,}$/.test(lines[i]))
					lines[i] = m.bytesOf(Buffer.from(lines[i], 'base64')).toString('base64');
				return lines.join('\n');
			}
			return m.text(seed.text, 'AZaz09+/=:\n -');
		}
		const block = pemBody(seed.text);
		if (!block || op >= 6) return m.text(seed.text, 'AZaz09+/=\n-: \r\\n');
		let der = block.der;
		if (block.label === 'OPENSSH PRIVATE KEY' && op < 3) {
			const fields = opensshLengthFields(der);
			der = Buffer.from(der);
			const at = m.pick(fields);
			const len = der.readUInt32BE(at);
			der.writeUInt32BE(
				m.pick([0, 1, Math.max(0, len - 1), len + 1, len * 2, 0x7fffffff, 0xffffffff]) >>> 0,
				at,
			);
		} else if (
			block.label !== 'OPENSSH PRIVATE KEY' &&
			op < 4 &&
			!/ENCRYPTED/.test(block.headers)
		) {
			der = m.der(der);
		} else {
			der = m.bytesOf(der);
		}
		return pem(block.label, der, block.headers, block.label === 'OPENSSH PRIVATE KEY' ? 70 : 64);
	}

	it('each damaged key gives a usable key or a SocialSecurityError, never echoing the passphrase, within the bound', async () => {
		const seed = fuzzSeed(0x5eed0002);
		await fuzz(
			'SSH private keys',
			seed,
			1500,
			6000,
			(m) => {
				const s = m.pick(seeds);
				const text = m.chance(0.9) ? mutateKey(m, s) : s.text;
				const passphrase = m.pick<string | undefined>([
					s.passphrase,
					s.passphrase,
					s.passphrase,
					undefined,
					'wrong',
					'',
					'ünïcødé-🔑',
					'\u0000',
					PASS.repeat(2000),
				]);
				return { text, passphrase, allowAny: m.chance(0.5) };
			},
			async ({ text, passphrase, allowAny }) => {
				try {
					const key = await loadSshPrivateKey(text, passphrase, { allowAnyKeyType: allowAny });
					invariant(
						/^SHA256:[A-Za-z0-9+/]{43}$/.test(key.fingerprintSha256),
						'a loaded key without a fingerprint',
					);
					invariant(!key.encrypted || passphrase, 'an encrypted key loaded without a passphrase');
				} catch (error) {
					if (error instanceof SocialSecurityError) {
						invariant(
							!`${error.message} ${error.hint ?? ''}`.includes(PASS),
							'the passphrase is in the message',
						);
					}
					throw error;
				}
			},
			(code) => CODES.has(code),
		);
	});
});

// ---- PKCS#12 ------------------------------------------------------------------------------------------

describe('fuzzing loadPkcs12 with ASN.1-aware mutations', () => {
	const PASSWORD = 'P12-Fuzz-Pässword';
	let samples: Buffer[] = [];
	let cleanup: () => void = () => undefined;

	beforeAll(() => {
		const made = tempDir('fuzz-p12');
		cleanup = made.cleanup;
		const dir = made.dir;
		const ca = selfSigned(dir, 'ca', 'rsa2048', '/CN=Fuzz CA', { ca: true });
		const leaf = issued(dir, 'leaf', 'rsa2048', '/CN=Fuzz Signer', ca);
		const ec = selfSigned(dir, 'ec', 'ec384', '/CN=Fuzz EC');
		samples = [
			exportP12(dir, 'default', PASSWORD, [
				'-in',
				leaf.cert,
				'-inkey',
				leaf.key,
				'-certfile',
				ca.cert,
			]),
			exportP12(dir, 'legacy', PASSWORD, ['-legacy', '-in', ec.cert, '-inkey', ec.key]),
			// No MAC and no encryption: mutations reach the bags, the key and the certificates directly.
			exportP12(dir, 'open', PASSWORD, [
				'-nomac',
				'-keypbe',
				'NONE',
				'-certpbe',
				'NONE',
				'-in',
				leaf.cert,
				'-inkey',
				leaf.key,
				'-certfile',
				ca.cert,
			]),
			exportP12(dir, 'nomac', PASSWORD, ['-nomac', '-in', ec.cert, '-inkey', ec.key]),
		];
	}, 60_000);
	afterAll(() => cleanup());

	it('each damaged file gives an identity or a PKCS12_* SocialSecurityError without the password, within the bound', async () => {
		const seed = fuzzSeed(0x5eed0003);
		await fuzz(
			'PKCS#12',
			seed,
			1500,
			// The PKCS#12 key derivation runs in JavaScript and accepts up to 2 000 000 iterations (~4 s); a
			// damaged count can need a few derivations (MAC, bags, password forms): 15 s is that design bound.
			15_000,
			(m) => {
				const sample = m.pick(samples);
				let data: Buffer | string = m.chance(0.75) ? m.der(sample) : m.bytesOf(sample);
				if (m.chance(0.15))
					data = wrapLines(data.toString('base64'), m.pick([64, 76, 1000])).replace(
						/\n/g,
						m.pick(['\n', '\r\n', ' ']),
					);
				const password = m.pick([
					PASSWORD,
					PASSWORD,
					PASSWORD,
					'wrong',
					'',
					'x'.repeat(1000),
					'\u0000',
				]);
				return { data, password };
			},
			({ data, password }) => {
				try {
					const identity = loadPkcs12(data, password);
					invariant(
						identity.privateKey && identity.certificate.der.length > 0,
						'an identity without key or certificate',
					);
				} catch (error) {
					if (error instanceof SocialSecurityError)
						invariant(
							!`${error.message} ${error.hint ?? ''}`.includes(PASSWORD),
							'the password is in the message',
						);
					throw error;
				}
			},
			(code) => code.startsWith('PKCS12_'),
		);
	});
});

// ---- FS verifier ----------------------------------------------------------------------------------------

describe('fuzzing verifyDetached with ASN.1-aware mutations, odd layouts, contents and options', () => {
	const CONTENT = Buffer.from('<DmfAOriginal>fuzz content</DmfAOriginal>\n');
	let signatures: Buffer[] = [];
	let caPem = '';
	let cleanup: () => void = () => undefined;

	beforeAll(async () => {
		const made = tempDir('fuzz-fs');
		cleanup = made.cleanup;
		const dir = made.dir;
		const ca = selfSigned(dir, 'ca', 'rsa2048', '/CN=Fuzz CA', { ca: true });
		const leaf = issued(dir, 'leaf', 'rsa2048', '/CN=Fuzz Signer', ca);
		const ec = selfSigned(dir, 'ec', 'ec384', '/CN=Fuzz EC');
		const rsaIdentity = loadPkcs12(
			exportP12(dir, 'rsa', 'pw', ['-in', leaf.cert, '-inkey', leaf.key, '-certfile', ca.cert]),
			'pw',
		);
		const ecIdentity = loadPkcs12(
			exportP12(dir, 'ec', 'pw', ['-in', ec.cert, '-inkey', ec.key]),
			'pw',
		);
		signatures = [
			(await signDetached(CONTENT, rsaIdentity, { includeChain: true })).der,
			(await signDetached(CONTENT, ecIdentity, { digest: 'sha1' })).der,
		];
		caPem = read(dir, ca.cert).toString();
	}, 60_000);
	afterAll(() => cleanup());

	it('each damaged signature gives a result or an FS_*/SIGN_* SocialSecurityError, within the bound', async () => {
		const seed = fuzzSeed(0x5eed0004);
		let validWithOtherContent = 0;
		await fuzz(
			'FS verifier',
			seed,
			1500,
			5000,
			(m) => {
				const der = m.pick(signatures);
				const damaged = m.chance(0.85) ? (m.chance(0.8) ? m.der(der) : m.bytesOf(der)) : der;
				const layout = m.int(5);
				const fs =
					layout === 0
						? damaged
						: layout === 1
							? Buffer.from(damaged.toString('base64'))
							: layout === 2
								? Buffer.from(wrapLines(damaged.toString('base64'), 76).replace(/\n/g, '\r'))
								: layout === 3
									? Buffer.from(pem('PKCS7', damaged))
									: Buffer.from(m.text(pem('PKCS7', damaged), 'AZ09+/=-\r\n '));
				const contentKind = m.int(6);
				const options = m.pick([
					{},
					{ trustedCertificatesPem: caPem },
					{ trustedCertificatesPem: m.text(caPem, 'AZaz09+/=-\n') },
					{ expectedCertificateDer: m.bytes(m.int(300)) },
				]);
				return { fs, contentKind, options, extra: m.bytes(1 + m.int(64)) };
			},
			async ({ fs, contentKind, options, extra }) => {
				const content =
					contentKind === 0
						? CONTENT
						: contentKind === 1
							? Buffer.concat([CONTENT, extra])
							: contentKind === 2
								? Readable.from([CONTENT.subarray(0, 10), CONTENT.subarray(10)])
								: contentKind === 3
									? Readable.from(
											(async function* () {
												yield CONTENT.subarray(0, 5);
												throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
											})(),
										)
									: contentKind === 4
										? Readable.from([CONTENT.toString('utf8')], { objectMode: true })
										: Buffer.alloc(0);
				const result = await verifyDetached(fs, content, options);
				invariant(typeof result.valid === 'boolean', 'a result without valid');
				invariant(
					result.valid || (typeof result.reason === 'string' && result.reason.length > 5),
					'an invalid result without a reason',
				);
				if (result.valid && contentKind !== 0 && contentKind !== 2) validWithOtherContent++;
			},
			(code) => /^(FS_|SIGN_|TRUSTED_CERTIFICATES_|CERTIFICATE_)/.test(code),
		);
		// Another content must never verify.
		expect(validWithOtherContent).toBe(0);
	});
});

// ---- Found by this fuzzer ------------------------------------------------------------------------------

describe('an EC key whose private number is longer than its curve allows (found by the fuzzer)', () => {
	// OpenSSL parses such a key; Node.js 20 then aborts the whole process (a native assertion, not an
	// exception) when the key's numbers are read. A credential or .p12 holding one would take n8n down.
	const lengthen = (d: Buffer) =>
		Buffer.concat([d.subarray(0, 10), d.subarray(0, 9), d.subarray(10)]);

	it('as an SSH key: refused as damaged, the process lives', async () => {
		const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
		const sec1 = privateKey.export({ format: 'der', type: 'sec1' });
		const d = Buffer.from(String(privateKey.export({ format: 'jwk' }).d), 'base64url');
		const damaged = replaceOctetString(sec1, d, lengthen(d));
		expect(damaged).toBeDefined();
		ledger.add('hostileInputs');
		for (const allowAnyKeyType of [true, false]) {
			await expect(
				loadSshPrivateKey(pem('EC PRIVATE KEY', damaged as Buffer), undefined, { allowAnyKeyType }),
			).rejects.toMatchObject({
				code: 'SSH_KEY_INVALID',
			});
		}
	});

	it('inside a .p12: refused as damaged, the process lives', () => {
		const { dir, cleanup } = tempDir('fuzz-longec');
		try {
			const ec = selfSigned(dir, 'ec', 'ec384', '/CN=Long EC');
			const p12 = exportP12(dir, 'open', 'pw', [
				'-nomac',
				'-keypbe',
				'NONE',
				'-certpbe',
				'NONE',
				'-in',
				ec.cert,
				'-inkey',
				ec.key,
			]);
			const d = Buffer.from(
				String(createPrivateKey(read(dir, ec.key)).export({ format: 'jwk' }).d),
				'base64url',
			);
			const damaged = replaceOctetString(p12, d, lengthen(d));
			expect(damaged).toBeDefined();
			ledger.add('hostileInputs');
			expect(() => loadPkcs12(damaged as Buffer, 'pw')).toThrow(
				expect.objectContaining({ code: 'PKCS12_INVALID' }),
			);
		} finally {
			cleanup();
		}
	});
});
