/**
 * Random, truncated and mutated inputs: loadPkcs12 and verifyDetached must end with a
 * SocialSecurityError (or, for verify, a result) every time, quickly, and never crash or hang.
 */
import { SocialSecurityError } from '../../../nodes/domain/errors';
import { signDetached, verifyDetached } from '../../../nodes/domain/signing/cmsSignature';
import { loadPkcs12 } from '../../../nodes/domain/signing/pkcs12';
import { exportP12, read, selfSigned, tempDir } from '../../helpers/certificates';
import { prng, randomBytesFrom } from '../../helpers/random';

const PER_CALL_MS = 5000;
const CONTENT = Buffer.from('fuzz content\n');

let cleanup: () => void;
let p12s: Buffer[];
let fsDer: Buffer;
let caPem: string;

beforeAll(async () => {
	let dir: string;
	({ dir, cleanup } = tempDir('fuzz'));
	const rsa = selfSigned(dir, 'rsa', 'rsa2048', '/CN=Fuzz RSA');
	const ec = selfSigned(dir, 'ec', 'ec384', '/CN=Fuzz EC');
	p12s = [
		exportP12(dir, 'default', 'pw', ['-in', rsa.cert, '-inkey', rsa.key]),
		exportP12(dir, 'legacy', 'pw', ['-legacy', '-in', ec.cert, '-inkey', ec.key]),
		exportP12(dir, 'nomac', 'pw', ['-nomac', '-in', rsa.cert, '-inkey', rsa.key]),
	];
	const identity = loadPkcs12(p12s[0], 'pw');
	fsDer = (await signDetached(CONTENT, identity)).der;
	caPem = read(dir, rsa.cert).toString();
}, 60_000);

afterAll(() => cleanup());

type Kind = 'random' | 'der-like' | 'truncated' | 'mutated' | 'base64' | 'hostile';

/** The i-th fuzz input made from a valid sample. Deterministic for a given seed. */
function makeInput(
	random: () => number,
	sample: Buffer,
	i: number,
): { kind: Kind; data: Buffer | string } {
	const kinds: Kind[] = [
		'random',
		'der-like',
		'truncated',
		'mutated',
		'mutated',
		'base64',
		'hostile',
	];
	const kind = kinds[i % kinds.length];
	switch (kind) {
		case 'random':
			return { kind, data: randomBytesFrom(random, Math.floor(random() * 2048)) };
		case 'der-like': {
			const body = randomBytesFrom(random, Math.floor(random() * 600));
			return {
				kind,
				data: Buffer.concat([
					Buffer.from([0x30, 0x82, body.length >> 8, body.length & 0xff]),
					body,
				]),
			};
		}
		case 'truncated':
			return { kind, data: sample.subarray(0, Math.floor(random() * sample.length)) };
		case 'mutated': {
			const copy = Buffer.from(sample);
			const flips = 1 + Math.floor(random() * 8);
			for (let f = 0; f < flips; f++) {
				const at = Math.floor(random() * copy.length);
				copy[at] =
					random() < 0.5 ? copy[at] ^ (1 << Math.floor(random() * 8)) : Math.floor(random() * 256);
			}
			return { kind, data: copy };
		}
		case 'base64': {
			const text = sample.toString('base64');
			const cut = text.slice(0, Math.floor(random() * text.length));
			return {
				kind,
				data:
					random() < 0.5
						? cut
						: `${cut}${String.fromCharCode(33 + Math.floor(random() * 90))}${text.slice(cut.length + 1)}`,
			};
		}
		case 'hostile': {
			const depth = 100 + Math.floor(random() * 5000);
			const variants = [
				Buffer.concat([Buffer.alloc(depth * 2, Buffer.from([0x30, 0x80]))]), // deep indefinite nesting
				Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x03]), // absurd length
				Buffer.from([0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0]), // 9-byte length
				Buffer.concat([
					Buffer.alloc(depth * 2, Buffer.from([0x24, 0x80])),
					Buffer.alloc(depth * 2),
				]), // nested BER strings
			];
			return { kind, data: variants[Math.floor(random() * variants.length)] };
		}
	}
}

describe('fuzz', () => {
	test('loadPkcs12: 2000 inputs, each a SocialSecurityError (or a valid identity for a harmless change)', () => {
		const random = prng(0xc0ffee);
		const codes = new Map<string, number>();
		let slowest = 0;
		for (let i = 0; i < 2000; i++) {
			const { kind, data } = makeInput(random, p12s[i % p12s.length], i);
			const start = Date.now();
			try {
				loadPkcs12(data, 'pw');
				// Only a changed byte the container does not protect (or a base64 char swapped for an equivalent) can pass.
				expect(['mutated', 'base64']).toContain(kind);
			} catch (error) {
				if (!(error instanceof SocialSecurityError))
					throw new Error(`input ${i} (${kind}) threw ${String(error)}`);
				codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
			}
			slowest = Math.max(slowest, Date.now() - start);
		}
		expect(slowest).toBeLessThan(PER_CALL_MS);
		expect(codes.get('PKCS12_INVALID')).toBeGreaterThan(600);
	}, 120_000);

	test('verifyDetached: 2000 inputs, each a SocialSecurityError or a result', async () => {
		const random = prng(0xbadf00d);
		let slowest = 0;
		let validMutations = 0;
		for (let i = 0; i < 2000; i++) {
			const { kind, data } = makeInput(random, fsDer, i);
			const start = Date.now();
			try {
				const result = await verifyDetached(
					Buffer.from(data),
					CONTENT,
					i % 2 ? { trustedCertificatesPem: caPem } : {},
				);
				expect(typeof result.valid).toBe('boolean');
				if (result.valid) {
					// A change outside what is signed (e.g. the unused digestAlgorithms set) may still verify.
					expect(['mutated', 'base64']).toContain(kind);
					validMutations++;
				} else {
					expect(typeof result.reason).toBe('string');
				}
			} catch (error) {
				if (!(error instanceof SocialSecurityError))
					throw new Error(`input ${i} (${kind}) threw ${String(error)}`);
			}
			slowest = Math.max(slowest, Date.now() - start);
		}
		expect(slowest).toBeLessThan(PER_CALL_MS);
		expect(validMutations).toBeLessThan(200);
	}, 120_000);
});
