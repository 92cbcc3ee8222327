import { generateKeyPairSync } from 'node:crypto';

import { utils as ssh2Utils } from 'ssh2';

import { isSocialSecurityError } from '../../../nodes/domain/errors';
import { normalizeFingerprint } from '../../../nodes/domain/sshKeys/hostKey';
import { repairPastedKey } from '../../../nodes/domain/sshKeys/pastedKey';
import { loadSshPrivateKey } from '../../../nodes/domain/sshKeys/privateKey';
import { wireString, wireU32 } from '../../../nodes/domain/sshKeys/sshWire';
import { prng } from '../../helpers/random';
import { hasTool, KeyLab } from '../../helpers/sshKeyLab';

jest.setTimeout(300_000);

const PASS = 'fuzz passphrase';
// SSH_FUZZ_SEED / SSH_FUZZ_ITERATIONS widen a local run; CI uses the fixed defaults.
const SEED = Number(process.env.SSH_FUZZ_SEED) || 20250101;
const ITERATIONS = Number(process.env.SSH_FUZZ_ITERATIONS) || 2000;
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
}

function seeds(): Seed[] {
	const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const out: Seed[] = [
		{ text: ssh2Utils.generateKeyPairSync('rsa', { bits: 2048, comment: 'fuzz' }).private },
		{
			text: ssh2Utils.generateKeyPairSync('rsa', {
				bits: 2048,
				passphrase: PASS,
				cipher: 'aes256-ctr',
			}).private,
			passphrase: PASS,
		},
		{ text: ssh2Utils.generateKeyPairSync('ed25519').private },
		{ text: String(rsa.privateKey.export({ type: 'pkcs1', format: 'pem' })) },
		{
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
		{ text: String(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' })) },
		{
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
		{ text: String(ec.privateKey.export({ type: 'sec1', format: 'pem' })) },
	];
	if (hasTool('puttygen') && hasTool('ssh-keygen')) {
		const lab = new KeyLab();
		try {
			for (const k of [
				lab.puttygen({ bits: 2048 }),
				lab.puttygen({ bits: 2048, passphrase: PASS }),
				lab.puttygen({ bits: 2048, version: 2, passphrase: PASS }),
				lab.puttygen({ type: 'ed25519' }),
			]) {
				out.push({ text: k.text, passphrase: k.passphrase });
			}
		} finally {
			lab.cleanup();
		}
	}
	return out;
}

const LABELS = [
	'OPENSSH PRIVATE KEY',
	'RSA PRIVATE KEY',
	'EC PRIVATE KEY',
	'PRIVATE KEY',
	'ENCRYPTED PRIVATE KEY',
	'DSA PRIVATE KEY',
];
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function makeInput(rand: () => number, pool: Seed[]): Seed {
	const int = (n: number): number => Math.floor(rand() * n);
	const pick = <T>(items: T[]): T => items[int(items.length)];
	const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
	const seed = pick(pool);
	const usePass = (s: Seed): string | undefined =>
		s.passphrase && rand() < 0.03 ? s.passphrase : rand() < 0.05 ? 'wrong' : undefined;
	let text: string;
	switch (int(9)) {
		case 0: // random printable or binary junk
			text =
				rand() < 0.5
					? randomBytes(int(3000)).toString('latin1')
					: randomBytes(int(3000)).toString('base64');
			break;
		case 1: // truncated
			text = seed.text.slice(0, int(seed.text.length));
			break;
		case 2: {
			// a few characters replaced
			const chars = seed.text.split('');
			for (let i = 0, n = 1 + int(5); i < n; i++)
				chars[int(chars.length)] = rand() < 0.7 ? B64[int(64)] : String.fromCharCode(int(128));
			text = chars.join('');
			break;
		}
		case 3: {
			// lines deleted, duplicated or swapped
			const lines = seed.text.split('\n');
			const i = int(lines.length);
			const j = int(lines.length);
			if (rand() < 0.4) lines.splice(i, 1);
			else if (rand() < 0.5) lines.splice(i, 0, lines[j]);
			else [lines[i], lines[j]] = [lines[j], lines[i]];
			text = lines.join('\n');
			break;
		}
		case 4: {
			// random body in a PEM frame: exercises the DER and SSH wire readers
			const label = pick(LABELS);
			const endLabel = rand() < 0.8 ? label : pick(LABELS);
			text = `-----BEGIN ${label}-----\n${randomBytes(int(2000)).toString('base64')}\n-----END ${endLabel}-----`;
			break;
		}
		case 5: {
			// a structurally plausible OpenSSH envelope with random fields
			const field = (): Buffer =>
				rand() < 0.5
					? wireString(pick(['none', 'aes256-ctr', 'bcrypt', 'ssh-rsa', 'ssh-ed25519', '']))
					: wireString(randomBytes(int(300)));
			const kdf = Buffer.concat([
				wireString(randomBytes(16)),
				wireU32(rand() < 0.5 ? int(40) : int(2 ** 32)),
			]);
			const body = Buffer.concat([
				Buffer.from('openssh-key-v1\0', 'latin1'),
				field(),
				field(),
				rand() < 0.5 ? wireString(kdf) : field(),
				wireU32(rand() < 0.8 ? 1 : int(2 ** 32)),
				rand() < 0.5
					? wireString(
							Buffer.concat([
								wireString('ssh-rsa'),
								wireString(randomBytes(3)),
								wireString(randomBytes(257)),
							]),
						)
					: field(),
				field(),
				randomBytes(int(20)),
			]);
			text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----`;
			break;
		}
		case 6: {
			// PPK header values replaced by random numbers or words
			text = seed.text.replace(
				/^(Argon2-[A-Za-z]+|Public-Lines|Private-Lines|Encryption|Key-Derivation): .*$/gm,
				(line, name: string) =>
					rand() < 0.3
						? `${name}: ${pick([String(int(2 ** 31)), String(int(100)), '0', '-1', 'x', '', '99999999999'])}`
						: line,
			);
			break;
		}
		case 7: // pasted damage on top of a truncation
			text = seed.text
				.slice(0, seed.text.length - int(200))
				.replace(/\n/g, pick([' ', '', '\\n', '\r\n']));
			break;
		default: // pasted damage on top of substitutions of whitespace
			text = seed.text.replace(/\n/g, () => pick([' ', '', '\n', '\\n', '  ', '\t']));
	}
	return { text, passphrase: usePass(seed) };
}

describe('fuzzing loadSshPrivateKey', () => {
	it(`${ITERATIONS} random, truncated and mutated inputs only ever give a SocialSecurityError, in bounded time`, async () => {
		const pool = seeds();
		const rand = prng(SEED);
		let slowest = 0;
		const started = Date.now();
		const outcomes = new Map<string, number>();
		for (let i = 0; i < ITERATIONS; i++) {
			const input = makeInput(rand, pool);
			const t0 = Date.now();
			try {
				const key = await loadSshPrivateKey(input.text, input.passphrase, {
					allowAnyKeyType: rand() < 0.5,
				});
				expect(key.fingerprintSha256).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
				outcomes.set('ok', (outcomes.get('ok') ?? 0) + 1);
			} catch (error) {
				if (!isSocialSecurityError(error) || !CODES.has(error.code)) {
					throw new Error(`input #${i} (seed ${SEED}) gave a non-domain error: ${String(error)}`);
				}
				expect(error.message).not.toContain(PASS);
				expect(error.hint ?? '').not.toContain(PASS);
				outcomes.set(error.code, (outcomes.get(error.code) ?? 0) + 1);
			}
			slowest = Math.max(slowest, Date.now() - t0);
		}
		// Visible in the test output: what the fuzzer reached.
		console.log(
			'fuzz outcomes',
			Object.fromEntries(outcomes),
			`slowest ${slowest} ms, total ${Date.now() - started} ms`,
		);
		// The caps allow ~4 s of Argon2 or ~5 s of bcrypt for a legitimate file; leave room for slow CI.
		expect(slowest).toBeLessThan(10_000);
		expect(outcomes.size).toBeGreaterThanOrEqual(4);
	});

	it('repairPastedKey and normalizeFingerprint never throw anything unexpected', () => {
		const rand = prng(7);
		for (let i = 0; i < 2000; i++) {
			const text = Buffer.from(
				Array.from({ length: Math.floor(rand() * 500) }, () => Math.floor(rand() * 256)),
			).toString(rand() < 0.5 ? 'latin1' : 'base64');
			expect(typeof repairPastedKey(text)).toBe('string');
			try {
				normalizeFingerprint(text);
			} catch (error) {
				expect(isSocialSecurityError(error) && error.code === 'HOST_FINGERPRINT_INVALID').toBe(
					true,
				);
			}
		}
	});
});
