/**
 * The password-based cryptography of PKCS#12 (RFC 7292) and PKCS#5 v2 (RFC 8018): the password in the
 * forms implementations use, the PKCS#12 key derivation, the ciphers (RC2 and RC4 without OpenSSL's
 * legacy provider) and the integrity check (MAC). docs/signing-and-keys.md "PKCS#12 (.p12, .pfx)".
 */
import {
	createDecipheriv,
	createHmac,
	hash as oneShotHash,
	pbkdf2Sync,
	timingSafeEqual,
} from 'node:crypto';

import * as der from '../asn1/der';
import type { Asn1 } from '../asn1/der';
import { HASHES, OID, PBES2_CIPHERS, PBKDF2_PRFS, PKCS12_PBE, SHA1_OID } from '../asn1/oids';

/** The PKCS#12 KDF runs in JS (~2 µs per round): a corrupt count must not block the process for hours. */
const MAX_PKCS12_KDF_ITERATIONS = 2_000_000;
const MAX_PBKDF2_ITERATIONS = 10_000_000;

/** A protection we do not implement; PKCS12_UNSUPPORTED at the edge. */
export class Unsupported extends Error {}

/** The integrity check failed with every form of the password: wrong password or damaged file. */
export class MacMismatch extends Error {}

/** The password in the forms PKCS#12 implementations use, most likely first. */
export interface PasswordForms {
	/** BMPString (UTF-16BE + 00 00) for the MAC and the PKCS#12 PBE schemes. */
	bmp: Buffer[];
	/** Plain bytes for PBES2/PBKDF2 (UTF-8 per RFC 8018 and OpenSSL 3). */
	plain: Buffer[];
	macVerified: boolean;
}

export function passwordForms(password: string): PasswordForms {
	const utf16 = Buffer.from(password, 'utf16le').swap16();
	const bmp = [Buffer.concat([utf16, Buffer.alloc(2)])];
	const utf8 = Buffer.from(password, 'utf8');
	if (password === '') bmp.push(Buffer.alloc(0)); // "no password" is an empty byte string, not 00 00
	// OpenSSL before 1.1.0 widened each UTF-8 byte to 16 bits; it still accepts such files.
	if (utf8.length !== password.length)
		bmp.push(Buffer.concat([Buffer.from(Array.from(utf8, (b) => [0, b]).flat()), Buffer.alloc(2)]));
	const plain = [utf8];
	if (/^[^\u0100-\uffff]*$/.test(password) && utf8.length !== password.length)
		plain.push(Buffer.from(password, 'latin1'));
	return { bmp, plain, macVerified: false };
}

/** RFC 7292 appendix B.2. */
function pkcs12Kdf(
	hashOid: string,
	password: Buffer,
	salt: Buffer,
	id: number,
	iterations: number,
	n: number,
): Buffer {
	const h = HASHES[hashOid];
	if (!h) throw new der.DerError('unknown hash');
	if (iterations < 1 || iterations > MAX_PKCS12_KDF_ITERATIONS)
		throw new der.DerError('unreasonable iteration count');
	const { u, v } = h;
	const fill = (src: Buffer): Buffer => {
		if (src.length === 0) return Buffer.alloc(0);
		const out = Buffer.alloc(v * Math.ceil(src.length / v));
		for (let i = 0; i < out.length; i++) out[i] = src[i % src.length];
		return out;
	};
	const D = Buffer.alloc(v, id);
	const I = Buffer.concat([fill(salt), fill(password)]);
	const blocks: Buffer[] = [];
	for (let produced = 0; produced < n; produced += u) {
		let A = oneShotHash(h.name, Buffer.concat([D, I]), 'buffer');
		for (let r = 1; r < iterations; r++) A = oneShotHash(h.name, A, 'buffer');
		blocks.push(A);
		if (produced + u < n) {
			const B = fill(A);
			for (let j = 0; j < I.length; j += v) {
				let carry = 1;
				for (let k = v - 1; k >= 0; k--) {
					const sum = I[j + k] + B[k] + carry;
					I[j + k] = sum & 0xff;
					carry = sum >>> 8;
				}
			}
		}
	}
	return Buffer.concat(blocks).subarray(0, n);
}

function rc4(key: Buffer, data: Buffer): Buffer {
	const s = new Uint8Array(256).map((_, i) => i);
	for (let i = 0, j = 0; i < 256; i++) {
		j = (j + s[i] + key[i % key.length]) & 0xff;
		[s[i], s[j]] = [s[j], s[i]];
	}
	const out = Buffer.alloc(data.length);
	for (let n = 0, i = 0, j = 0; n < data.length; n++) {
		i = (i + 1) & 0xff;
		j = (j + s[i]) & 0xff;
		[s[i], s[j]] = [s[j], s[i]];
		out[n] = data[n] ^ s[(s[i] + s[j]) & 0xff];
	}
	return out;
}

function unpad(data: Buffer, blockSize: number): Buffer | undefined {
	if (data.length === 0 || data.length % blockSize !== 0) return undefined;
	const pad = data[data.length - 1];
	if (pad < 1 || pad > blockSize) return undefined;
	for (let i = data.length - pad; i < data.length; i++) if (data[i] !== pad) return undefined;
	return data.subarray(0, data.length - pad);
}

function rc2Decrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer | undefined {
	if (data.length === 0 || data.length % 8 !== 0) return undefined;
	const cipher = der.forge.rc2.createDecryptionCipher(key.toString('binary'), key.length * 8);
	cipher.start(iv.toString('binary'));
	cipher.update(der.forge.util.createBuffer(data.toString('binary')));
	cipher.finish(() => true); // padding is checked below, in one place for every cipher
	return unpad(Buffer.from(cipher.output.getBytes(), 'binary'), 8);
}

function nodeDecrypt(cipher: string, key: Buffer, iv: Buffer, data: Buffer): Buffer | undefined {
	try {
		const decipher = createDecipheriv(cipher, key, iv);
		return Buffer.concat([decipher.update(data), decipher.final()]);
	} catch {
		return undefined; // bad padding: wrong key
	}
}

/**
 * Decrypts `data` with the algorithm of `algorithm` and returns the parsed plaintext. Tries each
 * password form; a form that gives bad padding or non-ASN.1 bytes counts as the wrong password.
 */
export function decryptToAsn1(
	algorithm: Asn1,
	data: Buffer,
	forms: PasswordForms,
): { der: Buffer; node: Asn1 } | undefined {
	const [algOid, params] = der.kids(algorithm, der.T.SEQUENCE);
	const oid = der.oidOf(algOid);
	const attempts: Array<() => Buffer | undefined> = [];
	if (oid === OID.pbes2) {
		const [kdf, scheme] = der.kids(params, der.T.SEQUENCE);
		const [kdfOid, kdfParams] = der.kids(kdf, der.T.SEQUENCE);
		if (der.oidOf(kdfOid) !== OID.pbkdf2) throw new Unsupported('key derivation function');
		const kp = der.kids(kdfParams, der.T.SEQUENCE);
		const salt = der.octets(kp[0]);
		if (kp[0].type !== der.T.OCTETSTRING) throw new Unsupported('PBKDF2 salt source');
		const iterations = der.smallInt(kp[1]);
		if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS)
			throw new der.DerError('unreasonable iteration count');
		let keyLength: number | undefined;
		let prf = 'sha1';
		for (const extra of kp.slice(2)) {
			if (extra.type === der.T.INTEGER) keyLength = der.smallInt(extra);
			else {
				const prfOid = der.oidOf(der.kids(extra, der.T.SEQUENCE)[0]);
				const name = PBKDF2_PRFS[prfOid];
				if (!name) throw new Unsupported('PBKDF2 hash');
				prf = name;
			}
		}
		const [cipherOid, ivNode] = der.kids(scheme, der.T.SEQUENCE);
		const cipher = PBES2_CIPHERS[der.oidOf(cipherOid)];
		if (!cipher) throw new Unsupported('cipher');
		if (keyLength !== undefined && keyLength !== cipher.keyLength)
			throw new der.DerError('key length mismatch');
		const iv = der.octets(ivNode);
		for (const pw of forms.plain) {
			attempts.push(() =>
				nodeDecrypt(cipher.name, pbkdf2Sync(pw, salt, iterations, cipher.keyLength, prf), iv, data),
			);
		}
	} else if (PKCS12_PBE[oid]) {
		const scheme = PKCS12_PBE[oid];
		const [saltNode, iterNode] = der.kids(params, der.T.SEQUENCE);
		const salt = der.octets(saltNode);
		const iterations = der.smallInt(iterNode);
		for (const pw of forms.bmp) {
			attempts.push(() => {
				const key = pkcs12Kdf(SHA1_OID, pw, salt, 1, iterations, scheme.keyLength);
				if (scheme.cipher === 'rc4') return rc4(key, data);
				const iv = pkcs12Kdf(SHA1_OID, pw, salt, 2, iterations, 8);
				return scheme.cipher === 'rc2'
					? rc2Decrypt(key, iv, data)
					: nodeDecrypt(scheme.cipher, key, iv, data);
			});
		}
	} else {
		throw new Unsupported(`encryption ${oid}`);
	}
	for (const attempt of attempts) {
		const plain = attempt();
		if (!plain) continue;
		try {
			return { der: plain, node: der.parseAsn1(plain) };
		} catch {
			// Valid padding by chance with a wrong key: try the next form.
		}
	}
	return undefined;
}

export function verifyMac(authSafe: Buffer, macData: Asn1, forms: PasswordForms): void {
	const [digestInfo, saltNode, iterNode] = der.kids(macData, der.T.SEQUENCE);
	const [algId, digestNode] = der.kids(digestInfo, der.T.SEQUENCE);
	const hashOid = der.oidOf(der.kids(algId, der.T.SEQUENCE)[0]);
	const h = HASHES[hashOid];
	if (!h) throw new Unsupported('MAC hash');
	const expected = der.octets(digestNode);
	const salt = der.octets(saltNode);
	const iterations = iterNode ? der.smallInt(iterNode) : 1;
	for (const pw of forms.bmp) {
		const key = pkcs12Kdf(hashOid, pw, salt, 3, iterations, h.u);
		const actual = createHmac(h.name, key).update(authSafe).digest();
		if (actual.length === expected.length && timingSafeEqual(actual, expected)) {
			// Put the form that matched first: the PKCS#12 PBE schemes use the same one.
			forms.bmp = [pw, ...forms.bmp.filter((b) => b !== pw)];
			forms.macVerified = true;
			return;
		}
	}
	throw new MacMismatch('integrity check failed');
}
