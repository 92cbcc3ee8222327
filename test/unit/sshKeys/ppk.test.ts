import { utils as ssh2Utils } from 'ssh2';

import { decodePpk, parsePpk, PPK_LIMITS } from '../../../nodes/domain/sshKeys/ppk';
import { hasTool, KeyLab, type MadeKey, codeOf } from '../../helpers/sshKeyLab';

jest.setTimeout(120_000);

/** Counts the Argon2 runs (the real ones still run): a refusal must come before the costly hashing. */
const argon2Runs = { count: 0 };
jest.mock('hash-wasm', () => {
	const actual = jest.requireActual<typeof import('hash-wasm')>('hash-wasm');
	const counted =
		<A extends unknown[], R>(fn: (...args: A) => R) =>
		(...args: A): R => {
			argon2Runs.count += 1;
			return fn(...args);
		};
	return {
		...actual,
		argon2d: counted(actual.argon2d),
		argon2i: counted(actual.argon2i),
		argon2id: counted(actual.argon2id),
	};
});

const PASS = 'pässphrase with ünïcode';
const describeTools = hasTool('puttygen') && hasTool('ssh-keygen') ? describe : describe.skip;

describeTools('PuTTY PPK decoding', () => {
	const lab = new KeyLab();
	afterAll(() => lab.cleanup());

	const kinds: [string, { type: string; bits?: number; version?: 2 | 3; passphrase?: string }][] = [
		['RSA v3, non-ASCII passphrase', { type: 'rsa', bits: 2048, passphrase: PASS }],
		['RSA v2, non-ASCII passphrase', { type: 'rsa', bits: 2048, version: 2, passphrase: PASS }],
		['ed25519 v3', { type: 'ed25519', passphrase: PASS }],
		['ed25519 v2', { type: 'ed25519', version: 2 }],
		['ECDSA P-256 v3', { type: 'ecdsa', bits: 256, passphrase: PASS }],
		['ECDSA P-384 v2', { type: 'ecdsa', bits: 384, version: 2, passphrase: PASS }],
		['ECDSA P-521 v3', { type: 'ecdsa', bits: 521 }],
	];
	const keys = new Map<string, MadeKey>();
	beforeAll(() => {
		for (const [name, opts] of kinds) keys.set(name, lab.puttygen(opts));
	});

	it.each(kinds.map(([name]) => name))(
		'%s: decodes to a key ssh2 and ssh-keygen accept',
		async (name) => {
			const made = keys.get(name)!;
			const ppk = await decodePpk(made.text, made.passphrase);
			expect(ppk.encrypted).toBe(!!made.passphrase);
			expect(`${ppk.algorithm} ${ppk.publicBlob.toString('base64')}`).toBe(made.publicKey);
			const parsed = ssh2Utils.parseKey(ppk.privateKey);
			if (parsed instanceof Error) throw parsed;
			expect(`${parsed.type} ${parsed.getPublicSSH().toString('base64')}`).toBe(made.publicKey);
			expect(lab.publicOfOpenSshFile(lab.write(ppk.privateKey, 'out'))).toBe(made.publicKey);
			if (ppk.algorithm === 'ssh-rsa')
				expect(ppk.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
			else expect(ppk.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
		},
	);

	describe('hostile or damaged files', () => {
		let v3: MadeKey;
		beforeAll(() => {
			v3 = lab.puttygen({ type: 'rsa', bits: 2048, passphrase: PASS });
		});
		const edit = (pattern: RegExp, replacement: string): string => {
			expect(v3.text).toMatch(pattern);
			// 'FLIP' changes the matched hex digit to another one, so the edit always changes the file.
			if (replacement === 'FLIP')
				return v3.text.replace(pattern, (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`);
			return v3.text.replace(pattern, replacement);
		};

		it.each([
			[
				'huge Argon2 memory',
				'SSH_KEY_UNSUPPORTED_FORMAT',
				/^Argon2-Memory: .*$/m,
				'Argon2-Memory: 4194304',
			],
			[
				'huge Argon2 passes',
				'SSH_KEY_UNSUPPORTED_FORMAT',
				/^Argon2-Passes: .*$/m,
				'Argon2-Passes: 4000000000',
			],
			[
				'memory × passes over the budget',
				'SSH_KEY_UNSUPPORTED_FORMAT',
				/^Argon2-Memory: .*\nArgon2-Passes: .*$/m,
				`Argon2-Memory: ${PPK_LIMITS.argon2MaxMemoryKiB}\nArgon2-Passes: 100`,
			],
			[
				'huge parallelism',
				'SSH_KEY_UNSUPPORTED_FORMAT',
				/^Argon2-Parallelism: .*$/m,
				'Argon2-Parallelism: 255',
			],
			['zero parallelism', 'SSH_KEY_INVALID', /^Argon2-Parallelism: .*$/m, 'Argon2-Parallelism: 0'],
			['zero passes', 'SSH_KEY_INVALID', /^Argon2-Passes: .*$/m, 'Argon2-Passes: 0'],
			['non-numeric memory', 'SSH_KEY_INVALID', /^Argon2-Memory: .*$/m, 'Argon2-Memory: lots'],
			['short salt', 'SSH_KEY_INVALID', /^Argon2-Salt: .*$/m, 'Argon2-Salt: 00'],
			[
				'unknown KDF',
				'SSH_KEY_UNSUPPORTED_FORMAT',
				/^Key-Derivation: .*$/m,
				'Key-Derivation: scrypt',
			],
			[
				'unknown cipher',
				'SSH_KEY_UNSUPPORTED_FORMAT',
				/^Encryption: .*$/m,
				'Encryption: aes128-ctr',
			],
			['too many private lines', 'SSH_KEY_INVALID', /^Private-Lines: .*$/m, 'Private-Lines: 99'],
			['bad MAC length', 'SSH_KEY_INVALID', /^Private-MAC: .*$/m, 'Private-MAC: abcd'],
			['MAC changed', 'SSH_KEY_PASSPHRASE_WRONG', /^Private-MAC: ./m, 'FLIP'],
			['text after the MAC', 'SSH_KEY_INVALID', /(Private-MAC: .*)$/m, '$1\nextra'],
			['not base64', 'SSH_KEY_INVALID', /^(Private-Lines: \d+\n)./m, '$1!'],
		])('%s → %s', async (_name, code, pattern, replacement) => {
			const text = edit(pattern as RegExp, replacement as string);
			const runsBefore = argon2Runs.count;
			expect(await codeOf(decodePpk(text, PASS))).toBe(code);
			// Everything but a MAC check is refused before Argon2 runs; the MAC check needs its key.
			expect(argon2Runs.count - runsBefore).toBe(code === 'SSH_KEY_PASSPHRASE_WRONG' ? 1 : 0);
		});

		it('parsePpk reads the structure without any secret', () => {
			const file = parsePpk(v3.text);
			expect(file).toMatchObject({
				version: 3,
				algorithm: 'ssh-rsa',
				encryption: 'aes256-cbc',
				comment: 'putty key',
			});
			expect(file.argon2).toMatchObject({ kdf: 'Argon2id', memoryKiB: 8192, parallelism: 1 });
		});

		it('an unencrypted file whose private part was altered fails the MAC → SSH_KEY_INVALID', async () => {
			const plain = lab.puttygen({ type: 'rsa', bits: 2048 });
			const lines = plain.text.split('\n');
			const at = lines.findIndex((l) => l.startsWith('Private-Lines:')) + 2;
			lines[at] = (lines[at][0] === 'A' ? 'B' : 'A') + lines[at].slice(1);
			expect(await codeOf(decodePpk(lines.join('\n')))).toBe('SSH_KEY_INVALID');
		});

		it('a public part from another key (with a recomputed MAC being impossible) is refused', async () => {
			const other = lab.puttygen({ type: 'rsa', bits: 2048, passphrase: PASS });
			const pub = (t: string): string =>
				/Public-Lines: \d+\n[\s\S]*?(?=Key-Derivation)/.exec(t)![0];
			const mixed = v3.text.replace(pub(v3.text), pub(other.text));
			expect(await codeOf(decodePpk(mixed, PASS))).toBe('SSH_KEY_PASSPHRASE_WRONG');
		});
	});
});
