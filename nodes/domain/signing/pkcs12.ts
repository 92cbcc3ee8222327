/**
 * Reads a PKCS#12 (.p12 / .pfx) signing certificate into a node:crypto key and certificate details.
 *
 * The container is parsed by hand (node-forge's `asn1` module for the structure, node:crypto for the
 * cryptography) because forge's pkcs12 reader fails on non-ASCII passwords with PBES2 and leaves EC keys
 * undecoded, and Node has no PKCS#12 API at all. See docs/signing-and-keys.md.
 */
import {
	createDecipheriv,
	createHmac,
	createPrivateKey,
	createPublicKey,
	hash as oneShotHash,
	KeyObject,
	pbkdf2Sync,
	timingSafeEqual,
	X509Certificate,
} from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Forge from 'node-forge';

import { SocialSecurityError } from '../errors';

export type KeyAlgorithm = 'RSA' | 'EC';

export interface CertificateInfo {
	/** The certificate exactly as stored (DER). */
	der: Buffer;
	/** e.g. `C=BE, O=Acme, CN=Jane Doe` (order as in the certificate). */
	subject: string;
	issuer: string;
	/** Upper-case hex, as OpenSSL and Windows show it. */
	serialNumber: string;
	notBefore: Date;
	notAfter: Date;
	/** 'OTHER' only occurs for chain certificates; a signer is always RSA or EC. */
	keyAlgorithm: KeyAlgorithm | 'OTHER';
	/** SHA-256 of the DER, upper-case hex pairs separated by colons. */
	fingerprintSha256: string;
}

export interface SignerCertificateInfo extends CertificateInfo {
	keyAlgorithm: KeyAlgorithm;
}

export interface SigningIdentity {
	privateKey: KeyObject;
	certificate: SignerCertificateInfo;
	/** The other certificates of the file, issuer of the signer first when it is there. */
	chain: CertificateInfo[];
}

export interface CertificateValidity {
	valid: boolean;
	expiresSoon: boolean;
	/** Whole days until notAfter (negative once expired). */
	daysLeft: number;
	message: string;
}

/**
 * @internal Only forge's ASN.1 (with its util and OIDs) and RC2: loading the whole of node-forge costs
 * ~50 ms and ~8 MiB, a noticeable part of signing a file in a fresh process.
 */
export const forge: typeof Forge = (() => {
	const load = createRequire(__filename);
	load('node-forge/lib/asn1');
	load('node-forge/lib/rc2');
	return load('node-forge/lib/forge') as typeof Forge;
})();

type Asn1 = Forge.asn1.Asn1;

const T = forge.asn1.Type;
const C = forge.asn1.Class;

/** A .p12 is a few KB; the cap keeps a wrong upload (a whole declaration, a video) from being parsed. */
const MAX_P12_BYTES = 4 * 1024 * 1024;
/** The PKCS#12 KDF runs in JS (~2 µs per round): a corrupt count must not block the process for hours. */
const MAX_PKCS12_KDF_ITERATIONS = 2_000_000;
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const MAX_DEPTH = 64;

const OID = {
	data: '1.2.840.113549.1.7.1',
	signedData: '1.2.840.113549.1.7.2',
	envelopedData: '1.2.840.113549.1.7.3',
	encryptedData: '1.2.840.113549.1.7.6',
	keyBag: '1.2.840.113549.1.12.10.1.1',
	shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
	certBag: '1.2.840.113549.1.12.10.1.3',
	safeContentsBag: '1.2.840.113549.1.12.10.1.6',
	x509Certificate: '1.2.840.113549.1.9.22.1',
	pbes2: '1.2.840.113549.1.5.13',
	pbkdf2: '1.2.840.113549.1.5.12',
} as const;

/** Hash OIDs → node name, output and block size (the PKCS#12 KDF needs the block size). */
const HASHES: Record<string, { name: string; u: number; v: number }> = {
	'1.3.14.3.2.26': { name: 'sha1', u: 20, v: 64 },
	'2.16.840.1.101.3.4.2.4': { name: 'sha224', u: 28, v: 64 },
	'2.16.840.1.101.3.4.2.1': { name: 'sha256', u: 32, v: 64 },
	'2.16.840.1.101.3.4.2.2': { name: 'sha384', u: 48, v: 128 },
	'2.16.840.1.101.3.4.2.3': { name: 'sha512', u: 64, v: 128 },
};

const PBKDF2_PRFS: Record<string, string> = {
	'1.2.840.113549.2.7': 'sha1',
	'1.2.840.113549.2.8': 'sha224',
	'1.2.840.113549.2.9': 'sha256',
	'1.2.840.113549.2.10': 'sha384',
	'1.2.840.113549.2.11': 'sha512',
};

const PBES2_CIPHERS: Record<string, { name: string; keyLength: number }> = {
	'2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
	'2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
	'2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
	'1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

/** PKCS#12 PBE schemes (RFC 7292 appendix C); RC2 and RC4 are done without OpenSSL's legacy provider. */
const PKCS12_PBE: Record<
	string,
	{ cipher: 'rc4' | 'rc2' | 'des-ede3-cbc' | 'des-ede-cbc'; keyLength: number }
> = {
	'1.2.840.113549.1.12.1.1': { cipher: 'rc4', keyLength: 16 },
	'1.2.840.113549.1.12.1.2': { cipher: 'rc4', keyLength: 5 },
	'1.2.840.113549.1.12.1.3': { cipher: 'des-ede3-cbc', keyLength: 24 },
	'1.2.840.113549.1.12.1.4': { cipher: 'des-ede-cbc', keyLength: 16 },
	'1.2.840.113549.1.12.1.5': { cipher: 'rc2', keyLength: 16 },
	'1.2.840.113549.1.12.1.6': { cipher: 'rc2', keyLength: 5 },
};

/** Thrown inside the parser for malformed structure; turned into PKCS12_INVALID at the edge. */
class Malformed extends Error {}

// ---------------------------------------------------------------------------------------------------
// Small ASN.1 helpers on top of node-forge (values are forge "binary strings").

/** @internal Strict DER/BER parse into forge's tree; never decodes BIT STRING contents. */
export function parseAsn1(bytes: Buffer): Asn1 {
	const options = {
		strict: true,
		parseAllBytes: true,
		decodeBitStrings: false,
		maxDepth: MAX_DEPTH,
	};
	return (forge.asn1.fromDer as unknown as (b: Forge.util.ByteBuffer, o: typeof options) => Asn1)(
		forge.util.createBuffer(bytes.toString('binary')),
		options,
	);
}

/** @internal */
export function asn1ToBuffer(node: Asn1): Buffer {
	return Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary');
}

/** @internal Children of a constructed node, checking its tag. */
export function kids(
	node: Asn1 | undefined,
	type?: number,
	tagClass: number = C.UNIVERSAL,
): Asn1[] {
	if (!node || !Array.isArray(node.value)) throw new Malformed('expected a constructed value');
	if (type !== undefined && (node.type !== type || node.tagClass !== tagClass)) {
		throw new Malformed(`unexpected tag ${node.tagClass}/${node.type}`);
	}
	return node.value;
}

/** @internal Content octets of a primitive node, or of a BER constructed string (segments joined). */
export function octets(node: Asn1 | undefined, depth = 0): Buffer {
	if (!node) throw new Malformed('missing value');
	if (typeof node.value === 'string') return Buffer.from(node.value, 'binary');
	if (depth > 8) throw new Malformed('string nested too deep');
	return Buffer.concat(node.value.map((child) => octets(child, depth + 1)));
}

/** @internal */
export function oidOf(node: Asn1 | undefined): string {
	if (
		!node ||
		node.type !== T.OID ||
		node.tagClass !== C.UNIVERSAL ||
		typeof node.value !== 'string'
	) {
		throw new Malformed('expected an object identifier');
	}
	return forge.asn1.derToOid(node.value);
}

/** @internal A DER element's position in a buffer (definite lengths only). */
export interface Tlv {
	tag: number;
	start: number;
	contentStart: number;
	end: number;
}

/** @internal Reads one DER element without copying; throws on BER indefinite lengths and truncation. */
export function readTlv(buf: Buffer, pos: number, limit: number = buf.length): Tlv {
	if (pos + 2 > limit) throw new Malformed('truncated');
	const tag = buf[pos];
	if ((tag & 0x1f) === 0x1f) throw new Malformed('multi-byte tag');
	let length = buf[pos + 1];
	let p = pos + 2;
	if (length & 0x80) {
		const n = length & 0x7f;
		if (n === 0 || n > 4 || p + n > limit) throw new Malformed('unsupported length');
		length = 0;
		for (let i = 0; i < n; i++) length = length * 256 + buf[p++];
	}
	if (p + length > limit) throw new Malformed('truncated');
	return { tag, start: pos, contentStart: p, end: p + length };
}

/** @internal */
export function tlvChildren(buf: Buffer, parent: Tlv): Tlv[] {
	const out: Tlv[] = [];
	for (let p = parent.contentStart; p < parent.end; ) {
		const child = readTlv(buf, p, parent.end);
		out.push(child);
		p = child.end;
	}
	return out;
}

/** @internal */
export function tlvBytes(buf: Buffer, tlv: Tlv): Buffer {
	return buf.subarray(tlv.start, tlv.end);
}

function isContext(node: Asn1 | undefined, tag: number): node is Asn1 {
	return !!node && node.tagClass === C.CONTEXT_SPECIFIC && node.type === tag;
}

/** Non-negative INTEGER up to 2^53. */
function smallInt(node: Asn1 | undefined): number {
	if (!node || node.type !== T.INTEGER || typeof node.value !== 'string')
		throw new Malformed('expected an integer');
	const bytes = Buffer.from(node.value, 'binary');
	if (bytes.length === 0 || bytes[0] & 0x80) throw new Malformed('negative or empty integer');
	let value = 0;
	for (const b of bytes) {
		value = value * 256 + b;
		if (value > Number.MAX_SAFE_INTEGER) throw new Malformed('integer too large');
	}
	return value;
}

/** @internal UTCTime or GeneralizedTime to a Date. */
export function timeOf(node: Asn1 | undefined): Date {
	if (!node || typeof node.value !== 'string') throw new Malformed('expected a time');
	let date: Date;
	if (node.type === T.UTCTIME) date = forge.asn1.utcTimeToDate(node.value);
	else if (node.type === T.GENERALIZEDTIME) date = forge.asn1.generalizedTimeToDate(node.value);
	else throw new Malformed('expected a time');
	if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new Malformed('invalid time');
	return date;
}

// ---------------------------------------------------------------------------------------------------
// Certificates

/** @internal The parts of an X.509 certificate that CMS needs, from the DER. */
export interface CertificateParts {
	x509: X509Certificate;
	/** DER of the issuer Name and of the serialNumber INTEGER (for IssuerAndSerialNumber). */
	issuerDer: Buffer;
	serialDer: Buffer;
	notBefore: Date;
	notAfter: Date;
	subjectKeyIdentifier?: Buffer;
	/** keyUsage bits as a number (bit 0 = digitalSignature = 0x80 of the first byte → value 1). */
	keyUsage?: number;
}

const certificateCache = new WeakMap<Buffer, CertificateParts>();

function certificateInvalid(cause: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'CERTIFICATE_INVALID',
		'A certificate could not be read: it is not a valid X.509 certificate.',
		undefined,
		{ cause },
	);
}

/** @internal Throws CERTIFICATE_INVALID on anything that is not an X.509 certificate. */
export function certificateParts(der: Buffer): CertificateParts {
	const cached = certificateCache.get(der);
	if (cached) return cached;
	try {
		const x509 = new X509Certificate(der);
		const tbs = kids(kids(parseAsn1(der), T.SEQUENCE)[0], T.SEQUENCE);
		const fields = isContext(tbs[0], 0) ? tbs.slice(1) : tbs;
		const [serial, , issuer, validity] = fields;
		const [notBefore, notAfter] = kids(validity, T.SEQUENCE);
		const parts: CertificateParts = {
			x509,
			...rawIssuerAndSerial(der, issuer, serial),
			notBefore: timeOf(notBefore),
			notAfter: timeOf(notAfter),
		};
		const extensions = fields.find((f) => isContext(f, 3));
		if (extensions) {
			for (const ext of kids(kids(extensions)[0], T.SEQUENCE)) {
				const [idNode, ...rest] = kids(ext, T.SEQUENCE);
				const id = oidOf(idNode);
				const value = rest[rest.length - 1];
				if (id === '2.5.29.14') {
					parts.subjectKeyIdentifier = octets(parseAsn1(octets(value)));
				} else if (id === '2.5.29.15') {
					const bits = octets(parseAsn1(octets(value)));
					// BIT STRING: first byte = unused bits; named bit 0 is the MSB of the first data byte.
					let mask = 0;
					for (let i = 1; i < bits.length && i < 3; i++) {
						for (let b = 0; b < 8; b++) if (bits[i] & (0x80 >> b)) mask |= 1 << ((i - 1) * 8 + b);
					}
					parts.keyUsage = mask;
				}
			}
		}
		certificateCache.set(der, parts);
		return parts;
	} catch (error) {
		throw certificateInvalid(error);
	}
}

/** The original bytes where the certificate is plain DER (CMS must copy them exactly), else forge's. */
function rawIssuerAndSerial(
	der: Buffer,
	issuer: Asn1,
	serial: Asn1,
): { issuerDer: Buffer; serialDer: Buffer } {
	try {
		const tbs = tlvChildren(der, tlvChildren(der, readTlv(der, 0))[0]);
		const fields = tbs[0].tag === 0xa0 ? tbs.slice(1) : tbs;
		return { serialDer: tlvBytes(der, fields[0]), issuerDer: tlvBytes(der, fields[2]) };
	} catch {
		return { issuerDer: asn1ToBuffer(issuer), serialDer: asn1ToBuffer(serial) };
	}
}

function formatName(name: string): string {
	return name.split('\n').join(', ');
}

function keyAlgorithmOf(key: KeyObject): KeyAlgorithm | 'OTHER' {
	if (key.asymmetricKeyType === 'rsa') return 'RSA';
	if (key.asymmetricKeyType === 'ec') return 'EC';
	return 'OTHER';
}

/** Details of a DER certificate; throws CERTIFICATE_INVALID when it cannot be read. */
export function describeCertificate(der: Buffer): CertificateInfo {
	const parts = certificateParts(der);
	return {
		der,
		subject: formatName(parts.x509.subject),
		issuer: formatName(parts.x509.issuer),
		serialNumber: parts.x509.serialNumber.toUpperCase(),
		notBefore: parts.notBefore,
		notAfter: parts.notAfter,
		keyAlgorithm: keyAlgorithmOf(parts.x509.publicKey),
		fingerprintSha256: parts.x509.fingerprint256,
	};
}

function certificateLabel(cert: Pick<CertificateInfo, 'subject'>): string {
	const cn = /(?:^|, )CN=([^,]+)/.exec(cert.subject);
	return cn ? cn[1] : cert.subject;
}

function day(date: Date): string {
	return date.toISOString().slice(0, 10);
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whether a certificate can sign now, and whether it will expire within `warnDays`. */
export function checkCertificateValidity(
	cert: Pick<CertificateInfo, 'subject' | 'notBefore' | 'notAfter'>,
	now: Date = new Date(),
	warnDays = 30,
): CertificateValidity {
	const label = certificateLabel(cert);
	const daysLeft = Math.floor((cert.notAfter.getTime() - now.getTime()) / DAY_MS);
	if (now.getTime() < cert.notBefore.getTime()) {
		return {
			valid: false,
			expiresSoon: false,
			daysLeft,
			message: `The signing certificate "${label}" is not valid yet: it becomes valid on ${day(cert.notBefore)} (UTC).`,
		};
	}
	if (now.getTime() > cert.notAfter.getTime()) {
		return {
			valid: false,
			expiresSoon: false,
			daysLeft,
			message: `The signing certificate "${label}" expired on ${day(cert.notAfter)} (UTC).`,
		};
	}
	if (daysLeft < warnDays) {
		return {
			valid: true,
			expiresSoon: true,
			daysLeft,
			message: `The signing certificate "${label}" expires ${daysLeft === 0 ? 'today' : `in ${daysLeft} day${daysLeft === 1 ? '' : 's'}`}, on ${day(cert.notAfter)} (UTC). Order its renewal now.`,
		};
	}
	return {
		valid: true,
		expiresSoon: false,
		daysLeft,
		message: `The signing certificate "${label}" is valid until ${day(cert.notAfter)} (UTC).`,
	};
}

/** Throws CERTIFICATE_EXPIRED / CERTIFICATE_NOT_YET_VALID; a certificate that expires soon passes. */
export function assertCertificateValid(
	cert: Pick<CertificateInfo, 'subject' | 'notBefore' | 'notAfter'>,
	now: Date = new Date(),
): void {
	const result = checkCertificateValidity(cert, now, 0);
	if (result.valid) return;
	if (now.getTime() < cert.notBefore.getTime()) {
		throw new SocialSecurityError(
			'CERTIFICATE_NOT_YET_VALID',
			result.message,
			"Check the computer's clock, or wait until the certificate's start date.",
		);
	}
	throw new SocialSecurityError(
		'CERTIFICATE_EXPIRED',
		result.message,
		'Files signed with an expired certificate are refused. Renew the certificate and upload the new .p12 file.',
	);
}

// ---------------------------------------------------------------------------------------------------
// Password-based cryptography

/** The password in the forms PKCS#12 implementations use, most likely first. */
interface PasswordForms {
	/** BMPString (UTF-16BE + 00 00) for the MAC and the PKCS#12 PBE schemes. */
	bmp: Buffer[];
	/** Plain bytes for PBES2/PBKDF2 (UTF-8 per RFC 8018 and OpenSSL 3). */
	plain: Buffer[];
	macVerified: boolean;
}

function passwordForms(password: string): PasswordForms {
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
	if (!h) throw new Malformed('unknown hash');
	if (iterations < 1 || iterations > MAX_PKCS12_KDF_ITERATIONS)
		throw new Malformed('unreasonable iteration count');
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
	const rc2 = (
		forge as unknown as { rc2: { createDecryptionCipher(key: string, bits: number): ForgeCipher } }
	).rc2;
	const cipher = rc2.createDecryptionCipher(key.toString('binary'), key.length * 8);
	cipher.start(iv.toString('binary'));
	cipher.update(forge.util.createBuffer(data.toString('binary')));
	cipher.finish(() => true); // padding is checked below, in one place for every cipher
	return unpad(Buffer.from(cipher.output.getBytes(), 'binary'), 8);
}

interface ForgeCipher {
	start(iv: string): void;
	update(data: Forge.util.ByteBuffer): void;
	finish(pad: () => boolean): boolean;
	output: Forge.util.ByteBuffer;
}

function nodeDecrypt(cipher: string, key: Buffer, iv: Buffer, data: Buffer): Buffer | undefined {
	try {
		const decipher = createDecipheriv(cipher, key, iv);
		return Buffer.concat([decipher.update(data), decipher.final()]);
	} catch {
		return undefined; // bad padding: wrong key
	}
}

class Unsupported extends Error {}

/**
 * Decrypts `data` with the algorithm of `algorithm` and returns the parsed plaintext. Tries each
 * password form; a form that gives bad padding or non-ASN.1 bytes counts as the wrong password.
 */
function decryptToAsn1(
	algorithm: Asn1,
	data: Buffer,
	forms: PasswordForms,
): { der: Buffer; node: Asn1 } | undefined {
	const [algOid, params] = kids(algorithm, T.SEQUENCE);
	const oid = oidOf(algOid);
	const attempts: Array<() => Buffer | undefined> = [];
	if (oid === OID.pbes2) {
		const [kdf, scheme] = kids(params, T.SEQUENCE);
		const [kdfOid, kdfParams] = kids(kdf, T.SEQUENCE);
		if (oidOf(kdfOid) !== OID.pbkdf2) throw new Unsupported('key derivation function');
		const kp = kids(kdfParams, T.SEQUENCE);
		const salt = octets(kp[0]);
		if (kp[0].type !== T.OCTETSTRING) throw new Unsupported('PBKDF2 salt source');
		const iterations = smallInt(kp[1]);
		if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS)
			throw new Malformed('unreasonable iteration count');
		let keyLength: number | undefined;
		let prf = 'sha1';
		for (const extra of kp.slice(2)) {
			if (extra.type === T.INTEGER) keyLength = smallInt(extra);
			else {
				const prfOid = oidOf(kids(extra, T.SEQUENCE)[0]);
				const name = PBKDF2_PRFS[prfOid];
				if (!name) throw new Unsupported('PBKDF2 hash');
				prf = name;
			}
		}
		const [cipherOid, ivNode] = kids(scheme, T.SEQUENCE);
		const cipher = PBES2_CIPHERS[oidOf(cipherOid)];
		if (!cipher) throw new Unsupported('cipher');
		if (keyLength !== undefined && keyLength !== cipher.keyLength)
			throw new Malformed('key length mismatch');
		const iv = octets(ivNode);
		for (const pw of forms.plain) {
			attempts.push(() =>
				nodeDecrypt(cipher.name, pbkdf2Sync(pw, salt, iterations, cipher.keyLength, prf), iv, data),
			);
		}
	} else if (PKCS12_PBE[oid]) {
		const scheme = PKCS12_PBE[oid];
		const [saltNode, iterNode] = kids(params, T.SEQUENCE);
		const salt = octets(saltNode);
		const iterations = smallInt(iterNode);
		const sha1 = '1.3.14.3.2.26';
		for (const pw of forms.bmp) {
			attempts.push(() => {
				const key = pkcs12Kdf(sha1, pw, salt, 1, iterations, scheme.keyLength);
				if (scheme.cipher === 'rc4') return rc4(key, data);
				const iv = pkcs12Kdf(sha1, pw, salt, 2, iterations, 8);
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
			return { der: plain, node: parseAsn1(plain) };
		} catch {
			// Valid padding by chance with a wrong key: try the next form.
		}
	}
	return undefined;
}

function verifyMac(authSafe: Buffer, macData: Asn1, forms: PasswordForms): void {
	const [digestInfo, saltNode, iterNode] = kids(macData, T.SEQUENCE);
	const [algId, digestNode] = kids(digestInfo, T.SEQUENCE);
	const hashOid = oidOf(kids(algId, T.SEQUENCE)[0]);
	const h = HASHES[hashOid];
	if (!h) throw new Unsupported('MAC hash');
	const expected = octets(digestNode);
	const salt = octets(saltNode);
	const iterations = iterNode ? smallInt(iterNode) : 1;
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
	throw wrongPassword();
}

// ---------------------------------------------------------------------------------------------------
// Errors

function wrongPassword(cause?: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'PKCS12_PASSWORD_WRONG',
		'The password of the signing certificate (.p12) is wrong.',
		'Type the password that was chosen when the certificate was exported (it is case-sensitive).',
		{ cause },
	);
}

function invalid(detail: string, cause?: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'PKCS12_INVALID',
		`The signing certificate file is not a valid .p12/.pfx file (${detail}).`,
		'Upload the .p12 or .pfx file exported from the certificate store, unchanged (binary, or base64 of it).',
		{ cause },
	);
}

// ---------------------------------------------------------------------------------------------------
// The container

interface Contents {
	keys: Buffer[];
	certs: Buffer[];
}

function toBytes(p12: Buffer | string): Buffer {
	if (!Buffer.isBuffer(p12) && typeof p12 !== 'string') throw invalid('no file content was given');
	if (p12.length > MAX_P12_BYTES * 2) throw invalid('the file is far too large for a certificate');
	let text: string | undefined;
	if (typeof p12 === 'string') text = p12;
	else if (
		p12.length > 0 &&
		p12[0] !== 0x30 &&
		/^[\sA-Za-z0-9+/=_-]+$/.test(p12.subarray(0, 4096).toString('latin1'))
	) {
		text = p12.toString('latin1'); // a Buffer holding the base64 text of the file
	}
	if (text === undefined) return p12 as Buffer;
	const compact = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
	if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
		throw invalid('the text is neither base64 nor binary data');
	}
	return Buffer.from(compact, 'base64');
}

function collectBags(safeContents: Asn1, forms: PasswordForms, out: Contents, depth: number): void {
	if (depth > 4) throw new Malformed('safe contents nested too deep');
	for (const bag of kids(safeContents, T.SEQUENCE)) {
		const [bagIdNode, bagValueWrapper] = kids(bag, T.SEQUENCE);
		const bagId = oidOf(bagIdNode);
		const value = kids(bagValueWrapper, 0, C.CONTEXT_SPECIFIC)[0];
		if (bagId === OID.keyBag) {
			kids(value, T.SEQUENCE);
			out.keys.push(asn1ToBuffer(value));
		} else if (bagId === OID.shroudedKeyBag) {
			const [algorithm, encrypted] = kids(value, T.SEQUENCE);
			const plain = decryptToAsn1(algorithm, octets(encrypted), forms);
			if (!plain)
				throw forms.macVerified
					? invalid('the private key could not be decrypted')
					: wrongPassword();
			out.keys.push(plain.der);
		} else if (bagId === OID.certBag) {
			const [certType, certValue] = kids(value, T.SEQUENCE);
			if (oidOf(certType) !== OID.x509Certificate) continue;
			out.certs.push(octets(kids(certValue, 0, C.CONTEXT_SPECIFIC)[0]));
		} else if (bagId === OID.safeContentsBag) {
			collectBags(value, forms, out, depth + 1);
		}
		// CRL and secret bags carry nothing a signer needs.
	}
}

function readContainer(bytes: Buffer, forms: PasswordForms): Contents {
	const pfx = kids(parseAsn1(bytes), T.SEQUENCE);
	if (smallInt(pfx[0]) !== 3) throw new Malformed('not PKCS#12 version 3');
	const [contentType, content] = kids(pfx[1], T.SEQUENCE);
	const type = oidOf(contentType);
	if (type === OID.signedData) throw new Unsupported('public-key integrity mode');
	if (type !== OID.data) throw new Malformed('unexpected content type');
	const authSafeBytes = octets(kids(content, 0, C.CONTEXT_SPECIFIC)[0]);
	if (pfx[2]) verifyMac(authSafeBytes, pfx[2], forms);

	const out: Contents = { keys: [], certs: [] };
	for (const info of kids(parseAsn1(authSafeBytes), T.SEQUENCE)) {
		const [infoType, infoContent] = kids(info, T.SEQUENCE);
		const infoOid = oidOf(infoType);
		if (infoOid === OID.data) {
			const safe = octets(kids(infoContent, 0, C.CONTEXT_SPECIFIC)[0]);
			collectBags(parseAsn1(safe), forms, out, 0);
		} else if (infoOid === OID.encryptedData) {
			const [, encryptedContentInfo] = kids(
				kids(infoContent, 0, C.CONTEXT_SPECIFIC)[0],
				T.SEQUENCE,
			);
			const [, algorithm, encryptedContent] = kids(encryptedContentInfo, T.SEQUENCE);
			if (!isContext(encryptedContent, 0)) throw new Malformed('no encrypted content');
			const plain = decryptToAsn1(algorithm, octets(encryptedContent), forms);
			if (!plain)
				throw forms.macVerified
					? invalid('the certificates could not be decrypted')
					: wrongPassword();
			collectBags(plain.node, forms, out, 0);
		} else if (infoOid === OID.envelopedData) {
			throw new Unsupported('public-key privacy mode');
		} else {
			throw new Malformed('unexpected content type');
		}
	}
	return out;
}

function publicKeysEqual(a: KeyObject, b: KeyObject): boolean {
	if (a.asymmetricKeyType !== b.asymmetricKeyType) return false;
	if (a.asymmetricKeyType === 'rsa' || a.asymmetricKeyType === 'ec') {
		// JWK compares the numbers, whatever the parameter encoding (named vs explicit curve).
		const ja = a.export({ format: 'jwk' });
		const jb = b.export({ format: 'jwk' });
		return a.asymmetricKeyType === 'rsa'
			? ja.n === jb.n && ja.e === jb.e
			: ja.crv === jb.crv && ja.x === jb.x && ja.y === jb.y;
	}
	return a
		.export({ format: 'der', type: 'spki' })
		.equals(b.export({ format: 'der', type: 'spki' }));
}

/** The other certificates, issuer of the signer first, then its issuer, …; the rest after. */
function orderChain(
	signer: X509Certificate,
	others: Array<{ info: CertificateInfo; x509: X509Certificate }>,
): CertificateInfo[] {
	const rest = [...others];
	const ordered: CertificateInfo[] = [];
	let current = signer;
	for (;;) {
		const index = rest.findIndex(
			(c) => current.checkIssued(c.x509) && !c.x509.publicKey.equals(current.publicKey),
		);
		if (index < 0) break;
		const [next] = rest.splice(index, 1);
		ordered.push(next.info);
		current = next.x509;
	}
	return [...ordered, ...rest.map((c) => c.info)];
}

/** The SocialSecurityError for whatever the parser threw (errors are built here, outside `catch`). */
function loadError(error: unknown): SocialSecurityError {
	if (error instanceof SocialSecurityError) return error;
	if (error instanceof Unsupported) {
		return new SocialSecurityError(
			'PKCS12_UNSUPPORTED',
			`The signing certificate file uses a protection this node does not support (${error.message}).`,
			'Export the certificate again as .p12/.pfx protected by a password (AES-256 or 3DES).',
			{ cause: error },
		);
	}
	// Malformed, forge parse errors, RangeError on hostile nesting, …: all mean "not a PKCS#12".
	return invalid('its content is damaged or it is another kind of file', error);
}

/**
 * Opens a .p12/.pfx file (binary, or its base64 text) with its password.
 * Throws SocialSecurityError: PKCS12_PASSWORD_WRONG, PKCS12_INVALID, PKCS12_UNSUPPORTED, PKCS12_NO_KEY,
 * PKCS12_NO_CERTIFICATE, PKCS12_KEY_CERT_MISMATCH, PKCS12_UNSUPPORTED_KEY.
 */
export function loadPkcs12(p12: Buffer | string, password: string): SigningIdentity {
	const bytes = toBytes(p12);
	if (bytes.length === 0) throw invalid('the file is empty');
	if (bytes.length > MAX_P12_BYTES) throw invalid('the file is far too large for a certificate');

	let contents: Contents;
	try {
		contents = readContainer(bytes, passwordForms(typeof password === 'string' ? password : ''));
	} catch (error) {
		throw loadError(error);
	}

	if (contents.keys.length === 0) {
		throw new SocialSecurityError(
			'PKCS12_NO_KEY',
			'The signing certificate file contains no private key, so it cannot sign.',
			'Export the certificate again and choose to include the private key.',
		);
	}
	if (contents.certs.length === 0) {
		throw new SocialSecurityError(
			'PKCS12_NO_CERTIFICATE',
			'The signing certificate file contains a private key but no certificate.',
			'Export the certificate again with its certificate (and preferably its chain) included.',
		);
	}

	const keys: KeyObject[] = [];
	for (const der of contents.keys) {
		try {
			const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
			// Node.js 20 aborts the process when it reads the numbers (JWK) of some malformed EC keys that
			// OpenSSL parses; exporting fails cleanly on exactly those, so it gates every later use.
			key.export({ format: 'der', type: 'pkcs8' });
			keys.push(key);
		} catch (error) {
			throw invalid('the private key cannot be read', error);
		}
	}
	const certs: Array<{ info: CertificateInfo; x509: X509Certificate }> = [];
	for (const der of contents.certs) {
		if (certs.some((c) => c.info.der.equals(der))) continue;
		try {
			certs.push({ info: describeCertificate(der), x509: certificateParts(der).x509 });
		} catch (error) {
			throw invalid('a certificate in it cannot be read', error);
		}
	}

	const now = Date.now();
	const usable = (c: { info: CertificateInfo }) =>
		c.info.notBefore.getTime() <= now && now <= c.info.notAfter.getTime();
	for (const privateKey of keys) {
		const publicKey = createPublicKey(privateKey);
		// A renewed certificate can share the key: prefer one valid now, then the one that lasts longest.
		const [signer] = certs
			.filter((c) => publicKeysEqual(publicKey, c.x509.publicKey))
			.sort(
				(a, b) =>
					Number(usable(b)) - Number(usable(a)) ||
					b.info.notAfter.getTime() - a.info.notAfter.getTime(),
			);
		if (!signer) continue;
		const keyAlgorithm = keyAlgorithmOf(privateKey);
		if (keyAlgorithm === 'OTHER') {
			throw new SocialSecurityError(
				'PKCS12_UNSUPPORTED_KEY',
				`The signing certificate has a ${privateKey.asymmetricKeyType} key; only RSA and EC (ECDSA) keys can sign.`,
				'Use an RSA or EC signing certificate.',
			);
		}
		return {
			privateKey,
			certificate: { ...signer.info, keyAlgorithm },
			chain: orderChain(
				signer.x509,
				certs.filter((c) => c !== signer),
			),
		};
	}
	throw new SocialSecurityError(
		'PKCS12_KEY_CERT_MISMATCH',
		'The private key in the signing certificate file does not belong to any certificate in it.',
		'Export the certificate again from the store where it was installed together with its own private key.',
	);
}
