/**
 * Detached CMS/PKCS#7 SignedData over the exact bytes of a file, as `openssl smime -sign -binary`
 * (OpenSSL 3) writes it, and a pure-Node verifier for it. The content is streamed through
 * node:crypto; only the digest is kept. See docs/signing-and-keys.md "Making the FS".
 */
import {
	constants as cryptoConstants,
	createHash,
	createVerify,
	sign as cryptoSign,
	verify as cryptoVerify,
	X509Certificate,
	type Hash,
	type KeyObject,
	type Verify,
	type VerifyKeyObjectInput,
} from 'node:crypto';
import type * as Forge from 'node-forge';

import { SocialSecurityError } from '../errors';
import {
	asn1ToBuffer,
	certificateParts,
	checkCertificateValidity,
	describeCertificate,
	forge,
	kids,
	octets,
	oidOf,
	parseAsn1,
	readTlv,
	timeOf,
	tlvBytes,
	tlvChildren,
	type CertificateInfo,
	type SigningIdentity,
} from './pkcs12';
import { decodeSignatureFile } from './signatureLayout';

export type SignDigest = 'sha256' | 'sha1';

export interface SignOptions {
	/** sha256 (default) or sha1 (still accepted by the channel). */
	digest?: SignDigest;
	/** Defaults to now; written with whole seconds, as UTCTime until 2049. */
	signingTime?: Date;
	/** Also embed the other certificates of the .p12 (default: only the signer's, as OpenSSL). */
	includeChain?: boolean;
	/**
	 * 'openssl-smime' (default) writes digest AlgorithmIdentifiers with NULL parameters as
	 * `openssl smime -sign` does; 'openssl-cms' omits them as `openssl cms -sign` does.
	 */
	compatibleWith?: 'openssl-smime' | 'openssl-cms';
}

export interface SignResult {
	/** DER of the ContentInfo/SignedData. */
	der: Buffer;
	/** Digest of the signed bytes (hex). */
	digestHex: string;
	/** Number of bytes signed. */
	size: number;
}

export interface VerifyOptions {
	/** PEM certificates to trust; when given, the signer must chain to one of them. */
	trustedCertificatesPem?: string;
	/** The signer must be exactly this certificate (DER); also used when the FS carries none. */
	expectedCertificateDer?: Buffer;
	/** When certificates are checked for validity (with trustedCertificatesPem). Default now. */
	at?: Date;
}

export interface VerifyResult {
	valid: boolean;
	/** Why not valid, in plain words. */
	reason?: string;
	signer?: CertificateInfo;
	/** 'sha256', 'sha1', … or the OID when unknown. */
	digestAlgorithm: string;
	signingTime?: Date;
}

type Asn1 = Forge.asn1.Asn1;
type Input = NodeJS.ReadableStream | Buffer;

const asn1 = forge.asn1;
const T = asn1.Type;
const C = asn1.Class;

const OID = {
	data: '1.2.840.113549.1.7.1',
	signedData: '1.2.840.113549.1.7.2',
	contentType: '1.2.840.113549.1.9.3',
	messageDigest: '1.2.840.113549.1.9.4',
	signingTime: '1.2.840.113549.1.9.5',
	smimeCapabilities: '1.2.840.113549.1.9.15',
	rsaEncryption: '1.2.840.113549.1.1.1',
	rsassaPss: '1.2.840.113549.1.1.10',
	mgf1: '1.2.840.113549.1.1.8',
	ecPublicKey: '1.2.840.10045.2.1',
} as const;

const DIGEST_OIDS: Record<string, string> = {
	'1.3.14.3.2.26': 'sha1',
	'2.16.840.1.101.3.4.2.4': 'sha224',
	'2.16.840.1.101.3.4.2.1': 'sha256',
	'2.16.840.1.101.3.4.2.2': 'sha384',
	'2.16.840.1.101.3.4.2.3': 'sha512',
};
const DIGEST_OID_BY_NAME: Record<SignDigest, string> = {
	sha1: '1.3.14.3.2.26',
	sha256: '2.16.840.1.101.3.4.2.1',
};

/** Signature algorithm OIDs → the key type they need and their hash (undefined: the digestAlgorithm). */
const SIGNATURE_OIDS: Record<string, { key: 'rsa' | 'ec'; hash?: string }> = {
	[OID.rsaEncryption]: { key: 'rsa' },
	'1.2.840.113549.1.1.5': { key: 'rsa', hash: 'sha1' },
	'1.2.840.113549.1.1.14': { key: 'rsa', hash: 'sha224' },
	'1.2.840.113549.1.1.11': { key: 'rsa', hash: 'sha256' },
	'1.2.840.113549.1.1.12': { key: 'rsa', hash: 'sha384' },
	'1.2.840.113549.1.1.13': { key: 'rsa', hash: 'sha512' },
	[OID.ecPublicKey]: { key: 'ec' },
	'1.2.840.10045.4.1': { key: 'ec', hash: 'sha1' },
	'1.2.840.10045.4.3.1': { key: 'ec', hash: 'sha224' },
	'1.2.840.10045.4.3.2': { key: 'ec', hash: 'sha256' },
	'1.2.840.10045.4.3.3': { key: 'ec', hash: 'sha384' },
	'1.2.840.10045.4.3.4': { key: 'ec', hash: 'sha512' },
};
const ECDSA_OID_BY_DIGEST: Record<SignDigest, string> = {
	sha1: '1.2.840.10045.4.1',
	sha256: '1.2.840.10045.4.3.2',
};

// ---------------------------------------------------------------------------------------------------
// DER building: forge's asn1 for new elements, plain concatenation where original bytes must be kept
// (certificates, issuer Name), since forge re-encodes what it parses.

function der(node: Asn1): Buffer {
	return asn1ToBuffer(node);
}

function oidNode(oid: string): Asn1 {
	return asn1.create(C.UNIVERSAL, T.OID, false, asn1.oidToDer(oid).getBytes());
}

function seq(...items: Asn1[]): Asn1 {
	return asn1.create(C.UNIVERSAL, T.SEQUENCE, true, items);
}

function nullNode(): Asn1 {
	return asn1.create(C.UNIVERSAL, T.NULL, false, '');
}

function intNode(value: number): Asn1 {
	return asn1.create(C.UNIVERSAL, T.INTEGER, false, asn1.integerToDer(value).getBytes());
}

function tlv(tag: number, ...contents: Buffer[]): Buffer {
	const length = contents.reduce((n, c) => n + c.length, 0);
	let header: number[];
	if (length < 0x80) header = [tag, length];
	else {
		const bytes: number[] = [];
		for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
		header = [tag, 0x80 | bytes.length, ...bytes];
	}
	return Buffer.concat([Buffer.from(header), ...contents]);
}

/** DER SET OF: elements sorted by their encoding. */
function setOf(tag: number, elements: Buffer[]): Buffer {
	return tlv(tag, ...[...elements].sort(Buffer.compare));
}

function attribute(oid: string, value: Asn1): Buffer {
	return der(seq(oidNode(oid), asn1.create(C.UNIVERSAL, T.SET, true, [value])));
}

/** The list OpenSSL 3 writes (PKCS7_simple_smimecap): AES-256/192/128, 3DES, RC2-128, RC2-64, DES, RC2-40. */
const SMIME_CAPABILITIES: Asn1 = (() => {
	const cap = (oid: string, bits?: number) =>
		bits === undefined ? seq(oidNode(oid)) : seq(oidNode(oid), intNode(bits));
	return seq(
		cap('2.16.840.1.101.3.4.1.42'),
		cap('2.16.840.1.101.3.4.1.22'),
		cap('2.16.840.1.101.3.4.1.2'),
		cap('1.2.840.113549.3.7'),
		cap('1.2.840.113549.3.2', 128),
		cap('1.2.840.113549.3.2', 64),
		cap('1.3.14.3.2.7'),
		cap('1.2.840.113549.3.2', 40),
	);
})();

function timeNode(date: Date): Asn1 {
	// OpenSSL writes whole seconds, UTCTime for 1950–2049 and GeneralizedTime outside (RFC 5652 §11.3).
	const seconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
	const year = seconds.getUTCFullYear();
	return year >= 1950 && year < 2050
		? asn1.create(C.UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(seconds))
		: asn1.create(C.UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(seconds));
}

function signFailed(cause: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'SIGN_FAILED',
		'The signing key could not sign the file.',
		undefined,
		{ cause },
	);
}

function optionsError(message: string): SocialSecurityError {
	return new SocialSecurityError('SIGN_OPTIONS_INVALID', message);
}

/**
 * Builds the detached SignedData for a digest computed elsewhere (e.g. while the file is uploaded).
 * `messageDigest` must be the `digest` hash of the exact file bytes.
 */
export function signDigest(
	messageDigest: Buffer,
	identity: SigningIdentity,
	options: SignOptions = {},
): Buffer {
	const digest = options.digest ?? 'sha256';
	if (digest !== 'sha256' && digest !== 'sha1')
		throw optionsError(`Unsupported digest "${String(digest)}": use sha256 or sha1.`);
	if (!Buffer.isBuffer(messageDigest) || messageDigest.length !== (digest === 'sha256' ? 32 : 20)) {
		throw optionsError(`The message digest is not a ${digest} digest.`);
	}
	const signingTime = options.signingTime ?? new Date();
	if (!(signingTime instanceof Date) || Number.isNaN(signingTime.getTime()))
		throw optionsError('The signing time is not a valid date.');
	const { certificate, privateKey } = identity;
	const keyType = privateKey.asymmetricKeyType;
	if (keyType !== 'rsa' && keyType !== 'ec') {
		throw optionsError(`A ${String(keyType)} key cannot sign the FS: only RSA and EC keys can.`);
	}

	const digestAlgorithm = der(
		options.compatibleWith === 'openssl-cms'
			? seq(oidNode(DIGEST_OID_BY_NAME[digest]))
			: seq(oidNode(DIGEST_OID_BY_NAME[digest]), nullNode()),
	);
	const signatureAlgorithm = der(
		keyType === 'rsa'
			? seq(oidNode(OID.rsaEncryption), nullNode())
			: seq(oidNode(ECDSA_OID_BY_DIGEST[digest])),
	);
	const attributes = [
		attribute(OID.contentType, oidNode(OID.data)),
		attribute(OID.signingTime, timeNode(signingTime)),
		attribute(
			OID.messageDigest,
			asn1.create(C.UNIVERSAL, T.OCTETSTRING, false, messageDigest.toString('binary')),
		),
		attribute(OID.smimeCapabilities, SMIME_CAPABILITIES),
	];
	// The signature covers the attributes as a SET (tag 0x31); in SignerInfo they are [0] IMPLICIT.
	const signedAttributes = setOf(0x31, attributes);
	let signature: Buffer;
	try {
		signature = cryptoSign(digest, signedAttributes, privateKey);
	} catch (error) {
		throw signFailed(error);
	}

	const parts = certificateParts(certificate.der);
	const signerInfo = tlv(
		0x30,
		der(intNode(1)),
		tlv(0x30, parts.issuerDer, parts.serialDer),
		digestAlgorithm,
		Buffer.concat([Buffer.from([0xa0]), signedAttributes.subarray(1)]),
		signatureAlgorithm,
		der(asn1.create(C.UNIVERSAL, T.OCTETSTRING, false, signature.toString('binary'))),
	);
	const certificates = [certificate.der];
	if (options.includeChain) {
		for (const cert of identity.chain)
			if (!certificates.some((c) => c.equals(cert.der))) certificates.push(cert.der);
	}
	const signedData = tlv(
		0x30,
		der(intNode(1)),
		tlv(0x31, digestAlgorithm),
		der(seq(oidNode(OID.data))),
		setOf(0xa0, certificates),
		tlv(0x31, signerInfo),
	);
	return tlv(0x30, der(oidNode(OID.signedData)), tlv(0xa0, signedData));
}

// ---------------------------------------------------------------------------------------------------
// Streaming the content

interface Sink {
	update(data: Buffer): unknown;
}

/** Feeds the input to every sink chunk by chunk; returns the byte count. Never buffers the input. */
async function consume(input: Input, sinks: Sink[]): Promise<number> {
	if (Buffer.isBuffer(input)) {
		for (const sink of sinks) sink.update(input);
		return input.length;
	}
	if (!input || typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') {
		throw new SocialSecurityError(
			'SIGN_INPUT_INVALID',
			'The file to sign must be binary data (a Buffer or a readable stream).',
		);
	}
	let size = 0;
	try {
		for await (const chunk of input as AsyncIterable<unknown>) {
			if (!Buffer.isBuffer(chunk) && !(chunk instanceof Uint8Array)) {
				throw new SocialSecurityError(
					'SIGN_INPUT_INVALID',
					'The file to sign was read as text; it must be read as bytes (no stream encoding).',
				);
			}
			const buf = Buffer.isBuffer(chunk)
				? chunk
				: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
			for (const sink of sinks) sink.update(buf);
			size += buf.length;
		}
	} catch (error) {
		throw readError(error);
	}
	return size;
}

function readError(error: unknown): SocialSecurityError {
	if (error instanceof SocialSecurityError) return error;
	return new SocialSecurityError(
		'SIGN_INPUT_UNREADABLE',
		`The file could not be read: ${error instanceof Error ? error.message : String(error)}`,
		undefined,
		{ cause: error },
	);
}

/** Releases a stream we will not read; a late error (e.g. a failed open) must not go unhandled. */
function dispose(input: Input): void {
	const stream = input as {
		destroy?: () => void;
		on?: (event: string, listener: () => void) => void;
	};
	if (Buffer.isBuffer(input) || typeof stream.destroy !== 'function') return;
	stream.on?.('error', () => undefined);
	stream.destroy();
}

/** Signs the exact bytes of `input` (detached CMS SignedData, as `openssl smime -sign -binary`). */
export async function signDetached(
	input: Input,
	identity: SigningIdentity,
	options: SignOptions = {},
): Promise<SignResult> {
	const digest = options.digest ?? 'sha256';
	if (digest !== 'sha256' && digest !== 'sha1') {
		dispose(input);
		throw optionsError(`Unsupported digest "${String(digest)}": use sha256 or sha1.`);
	}
	const hash = createHash(digest);
	const size = await consume(input, [hash]);
	const messageDigest = hash.digest();
	return {
		der: signDigest(messageDigest, identity, options),
		digestHex: messageDigest.toString('hex'),
		size,
	};
}

// ---------------------------------------------------------------------------------------------------
// Verification

interface ParsedSigner {
	sid: { issuerDer: Buffer; serialDer: Buffer } | { subjectKeyIdentifier: Buffer };
	digestOid: string;
	/** The signed attributes as a SET (what the signature covers), or undefined when absent. */
	signedAttributesSet?: Buffer;
	attributes: Map<string, Asn1[]>;
	signatureOid: string;
	signatureParams?: Asn1;
	signature: Buffer;
}

interface ParsedSignedData {
	certificates: Buffer[];
	signers: ParsedSigner[];
	detached: boolean;
}

class FsStructureError extends Error {}

function fsInvalid(detail: string, cause?: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'FS_INVALID',
		`The signature file (FS) is not a valid PKCS#7/CMS signature (${detail}).`,
		'Sign the file again; an FS holds the base64 of a detached CMS SignedData.',
		{ cause },
	);
}

/** Exact bytes of the certificates and signed attributes; forge's re-encoding when the FS is BER. */
function rawParts(
	bytes: Buffer,
): { certificates: Buffer[]; signedAttributes: Array<Buffer | undefined> } | undefined {
	try {
		const [, wrapper] = tlvChildren(bytes, readTlv(bytes, 0));
		const signedData = tlvChildren(bytes, readTlv(bytes, wrapper.contentStart, wrapper.end));
		const certs = signedData.find((t) => t.tag === 0xa0);
		const signerInfos = signedData[signedData.length - 1];
		return {
			certificates: certs ? tlvChildren(bytes, certs).map((t) => tlvBytes(bytes, t)) : [],
			signedAttributes: tlvChildren(bytes, signerInfos).map((si) => {
				const attrs = tlvChildren(bytes, si).find((t) => t.tag === 0xa0);
				return attrs
					? Buffer.concat([Buffer.from([0x31]), bytes.subarray(attrs.start + 1, attrs.end)])
					: undefined;
			}),
		};
	} catch {
		return undefined;
	}
}

function parseSignedData(bytes: Buffer): ParsedSignedData {
	const [typeNode, wrapper] = kids(parseAsn1(bytes), T.SEQUENCE);
	if (oidOf(typeNode) !== OID.signedData) throw new FsStructureError('it is not a SignedData');
	const fields = kids(kids(wrapper, 0, C.CONTEXT_SPECIFIC)[0], T.SEQUENCE);
	const [, , encap] = fields;
	const encapFields = kids(encap, T.SEQUENCE);
	if (oidOf(encapFields[0]) !== OID.data)
		throw new FsStructureError('the signed content is not of type data');
	const certificatesNode = fields.find((f) => f.tagClass === C.CONTEXT_SPECIFIC && f.type === 0);
	const signerInfos = kids(fields[fields.length - 1], T.SET);
	if (signerInfos.length === 0) throw new FsStructureError('it has no signer');
	const raw = rawParts(bytes);

	const certificates =
		raw?.certificates ?? (certificatesNode ? kids(certificatesNode).map(der) : []);
	const signers = signerInfos.map((si, index): ParsedSigner => {
		const siFields = kids(si, T.SEQUENCE);
		let i = 1;
		const sidNode = siFields[i++];
		let sid: ParsedSigner['sid'];
		if (sidNode.tagClass === C.CONTEXT_SPECIFIC && sidNode.type === 0) {
			sid = { subjectKeyIdentifier: octets(sidNode) };
		} else {
			const [issuer, serial] = kids(sidNode, T.SEQUENCE);
			sid = { issuerDer: der(issuer), serialDer: der(serial) };
		}
		const digestOid = oidOf(kids(siFields[i++], T.SEQUENCE)[0]);
		let signedAttributesSet: Buffer | undefined;
		const attributes = new Map<string, Asn1[]>();
		const maybeAttrs = siFields[i];
		if (maybeAttrs && maybeAttrs.tagClass === C.CONTEXT_SPECIFIC && maybeAttrs.type === 0) {
			i++;
			for (const attr of kids(maybeAttrs)) {
				const [attrOid, values] = kids(attr, T.SEQUENCE);
				const oid = oidOf(attrOid);
				if (attributes.has(oid)) throw new FsStructureError('a signed attribute occurs twice');
				attributes.set(oid, kids(values, T.SET));
			}
			signedAttributesSet =
				raw?.signedAttributes[index] ??
				der(asn1.create(C.UNIVERSAL, T.SET, true, kids(maybeAttrs)));
		}
		const [sigOidNode, sigParams] = kids(siFields[i++], T.SEQUENCE);
		const signatureNode = siFields[i];
		if (!signatureNode || signatureNode.type !== T.OCTETSTRING)
			throw new FsStructureError('the signature value is missing');
		return {
			sid,
			digestOid,
			signedAttributesSet,
			attributes,
			signatureOid: oidOf(sigOidNode),
			signatureParams: sigParams,
			signature: octets(signatureNode),
		};
	});
	return { certificates, signers, detached: encapFields.length === 1 };
}

function parsePem(pem: string): X509Certificate[] {
	const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
	try {
		const certs = blocks.map((block) => new X509Certificate(block));
		if (certs.length === 0) throw new Error('no certificate');
		return certs;
	} catch (error) {
		throw trustInvalid(error);
	}
}

function trustInvalid(cause: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'TRUSTED_CERTIFICATES_INVALID',
		'The trusted certificates are not valid PEM certificates.',
		'Paste one or more certificates, each between -----BEGIN CERTIFICATE----- and -----END CERTIFICATE-----.',
		{ cause },
	);
}

function findSignerCertificate(signer: ParsedSigner, candidates: Buffer[]): Buffer | undefined {
	return candidates.find((candidate) => {
		try {
			const parts = certificateParts(candidate);
			if ('subjectKeyIdentifier' in signer.sid)
				return !!parts.subjectKeyIdentifier?.equals(signer.sid.subjectKeyIdentifier);
			return (
				parts.issuerDer.equals(signer.sid.issuerDer) && parts.serialDer.equals(signer.sid.serialDer)
			);
		} catch {
			return false;
		}
	});
}

function label(x509: X509Certificate): string {
	const cn = /CN=([^\n]+)/.exec(x509.subject);
	return cn ? cn[1] : x509.subject.replace(/\n/g, ', ');
}

/** Why the signer does not chain to a trusted certificate, or undefined when it does. */
function chainProblem(
	signer: X509Certificate,
	embedded: X509Certificate[],
	anchors: X509Certificate[],
	at: Date,
): string | undefined {
	const isAnchor = (c: X509Certificate) => anchors.some((a) => a.raw.equals(c.raw));
	const timeProblem = (c: X509Certificate) => {
		const parts = certificateParts(c.raw);
		const validity = checkCertificateValidity(
			{ subject: `CN=${label(c)}`, notBefore: parts.notBefore, notAfter: parts.notAfter },
			at,
			0,
		);
		return validity.valid
			? undefined
			: validity.message.replace('The signing certificate', 'The certificate');
	};
	let current = signer;
	for (let depth = 0; depth < 16; depth++) {
		const problem = timeProblem(current);
		if (problem) return problem;
		if (isAnchor(current)) return undefined;
		const issuer = [...anchors, ...embedded].find((c) => {
			try {
				return !c.raw.equals(current.raw) && current.checkIssued(c) && current.verify(c.publicKey);
			} catch {
				return false;
			}
		});
		if (!issuer)
			return `The certificate "${label(current)}" is not issued by a trusted certificate.`;
		if (!isAnchor(issuer) && !issuer.ca)
			return `The certificate "${label(issuer)}" is not a certification authority.`;
		current = issuer;
	}
	return 'The certificate chain is too long.';
}

interface SignerCheck {
	signer: ParsedSigner;
	hashName?: string;
	certificate?: Buffer;
	/** Verifier fed with the content when there are no signed attributes. */
	streamVerify?: Verify;
	problem?: string;
}

function verifyKeyOptions(
	key: KeyObject,
	check: SignerCheck,
): { options?: VerifyKeyObjectInput; hash?: string; problem?: string } {
	const { signer } = check;
	const algorithm = SIGNATURE_OIDS[signer.signatureOid];
	if (signer.signatureOid === OID.rsassaPss) {
		if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss')
			return { problem: 'The signature algorithm does not fit the key.' };
		// RSASSA-PSS-params: [0] hash (default sha1), [1] MGF1 with a hash, [2] salt length (default 20).
		let hash = 'sha1';
		let mgfHash = 'sha1';
		let saltLength = 20;
		for (const field of signer.signatureParams && Array.isArray(signer.signatureParams.value)
			? signer.signatureParams.value
			: []) {
			const inner = kids(field)[0];
			if (field.type === 0) hash = DIGEST_OIDS[oidOf(kids(inner, T.SEQUENCE)[0])] ?? '?';
			if (field.type === 1) {
				const [mgfOid, mgfParams] = kids(inner, T.SEQUENCE);
				mgfHash =
					oidOf(mgfOid) === OID.mgf1
						? (DIGEST_OIDS[oidOf(kids(mgfParams, T.SEQUENCE)[0])] ?? '?')
						: '?';
			}
			if (field.type === 2) saltLength = Number.parseInt(octets(inner).toString('hex') || '0', 16);
		}
		if (hash === '?' || mgfHash !== hash)
			return { problem: 'The RSA-PSS parameters are not supported.' };
		return { hash, options: { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength } };
	}
	if (!algorithm)
		return { problem: `The signature algorithm ${signer.signatureOid} is not supported.` };
	if (key.asymmetricKeyType !== algorithm.key)
		return { problem: "The signature algorithm does not fit the signer's key." };
	const hash = algorithm.hash ?? check.hashName;
	return {
		hash,
		options:
			algorithm.key === 'rsa'
				? { key, padding: cryptoConstants.RSA_PKCS1_PADDING }
				: { key, dsaEncoding: 'der' },
	};
}

function attributeValue(signer: ParsedSigner, oid: string): Asn1 | undefined {
	const values = signer.attributes.get(oid);
	if (!values) return undefined;
	if (values.length !== 1) throw new FsStructureError('a signed attribute has several values');
	return values[0];
}

/**
 * Verifies a detached signature (DER, or any FS text layout) over `content`, hashing the raw bytes.
 * Returns valid:false with a reason for a wrong signature; throws FS_INVALID when the FS is not a
 * SignedData at all. Consumes (or destroys) the content stream.
 */
export async function verifyDetached(
	fs: Buffer,
	content: Input,
	options: VerifyOptions = {},
): Promise<VerifyResult> {
	let parsed: ParsedSignedData;
	try {
		parsed = parseSignedData(decodeSignatureFile(fs));
	} catch (error) {
		dispose(content);
		throw verifyError(error);
	}
	try {
		return await verifyParsed(parsed, content, options);
	} catch (error) {
		dispose(content);
		throw verifyError(error);
	}
}

function verifyError(error: unknown): SocialSecurityError {
	if (error instanceof SocialSecurityError) return error;
	return fsInvalid(
		error instanceof FsStructureError ? error.message : 'its structure is damaged',
		error,
	);
}

async function verifyParsed(
	parsed: ParsedSignedData,
	content: Input,
	options: VerifyOptions,
): Promise<VerifyResult> {
	const anchors =
		options.trustedCertificatesPem !== undefined
			? parsePem(options.trustedCertificatesPem)
			: undefined;
	const candidates = [...parsed.certificates];
	if (options.expectedCertificateDer) candidates.push(options.expectedCertificateDer);

	const checks: SignerCheck[] = parsed.signers.map((signer) => {
		const check: SignerCheck = { signer, hashName: DIGEST_OIDS[signer.digestOid] };
		if (!check.hashName)
			check.problem = `The digest algorithm ${signer.digestOid} is not supported.`;
		check.certificate = findSignerCertificate(signer, candidates);
		if (!check.problem && !check.certificate)
			check.problem = "The signer's certificate is not in the signature file.";
		if (!check.problem && !signer.signedAttributesSet && check.certificate && check.hashName) {
			// Without signed attributes the signature covers the content itself: verify while streaming.
			check.streamVerify = createVerify(check.hashName);
		}
		return check;
	});
	const first = checks[0];
	const result: VerifyResult = {
		valid: false,
		digestAlgorithm: first.hashName ?? first.signer.digestOid,
	};
	if (first.certificate) {
		try {
			result.signer = describeCertificate(first.certificate);
		} catch {
			// Reported below as an unreadable certificate.
		}
	}
	const signingTimeNode = first.signer.signedAttributesSet
		? attributeValue(first.signer, OID.signingTime)
		: undefined;
	if (signingTimeNode) result.signingTime = timeOf(signingTimeNode);

	if (!parsed.detached) {
		dispose(content);
		return {
			...result,
			reason:
				'The signature file contains its own copy of the content; a detached signature is expected.',
		};
	}
	const unusable = checks.find((c) => c.problem);
	if (unusable) {
		dispose(content);
		return { ...result, reason: unusable.problem };
	}

	const hashes = new Map<string, Hash>();
	for (const check of checks)
		if (check.hashName && !hashes.has(check.hashName))
			hashes.set(check.hashName, createHash(check.hashName));
	const sinks: Sink[] = [
		...hashes.values(),
		...checks.flatMap((c) => (c.streamVerify ? [c.streamVerify] : [])),
	];
	await consume(content, sinks);
	const digests = new Map([...hashes].map(([name, h]) => [name, h.digest()]));

	for (const check of checks) {
		const problem = checkSigner(check, digests, parsed, anchors, options);
		if (problem) return { ...result, reason: problem };
	}
	return { ...result, valid: true };
}

function checkSigner(
	check: SignerCheck,
	digests: Map<string, Buffer>,
	parsed: ParsedSignedData,
	anchors: X509Certificate[] | undefined,
	options: VerifyOptions,
): string | undefined {
	const { signer } = check;
	const certificateDer = check.certificate as Buffer;
	let x509: X509Certificate;
	try {
		x509 = certificateParts(certificateDer).x509;
	} catch {
		return "The signer's certificate cannot be read.";
	}
	if (options.expectedCertificateDer && !certificateDer.equals(options.expectedCertificateDer)) {
		return `The file is signed by another certificate ("${label(x509)}") than the expected one.`;
	}
	const { options: keyOptions, hash, problem } = verifyKeyOptions(x509.publicKey, check);
	if (problem || !keyOptions || !hash)
		return problem ?? 'The signature algorithm is not supported.';

	let ok: boolean;
	if (signer.signedAttributesSet) {
		const contentType = attributeValue(signer, OID.contentType);
		if (!contentType || oidOf(contentType) !== OID.data)
			return 'The signed attributes lack the content type "data".';
		const messageDigest = attributeValue(signer, OID.messageDigest);
		if (!messageDigest || messageDigest.type !== T.OCTETSTRING)
			return 'The signed attributes lack the message digest.';
		if (!octets(messageDigest).equals(digests.get(check.hashName as string) as Buffer)) {
			return 'The file does not match the signature: its content differs from what was signed.';
		}
		try {
			ok = cryptoVerify(hash, signer.signedAttributesSet, keyOptions, signer.signature);
		} catch {
			ok = false;
		}
	} else {
		try {
			ok = (check.streamVerify as Verify).verify(keyOptions, signer.signature);
		} catch {
			ok = false;
		}
	}
	if (!ok)
		return 'The signature value is wrong: the file or the signature was altered, or another key signed it.';

	if (anchors) {
		const parts = certificateParts(certificateDer);
		// As OpenSSL's S/MIME signing purpose: a key usage, when present, must allow signatures.
		if (parts.keyUsage !== undefined && (parts.keyUsage & 0b11) === 0) {
			return `The certificate "${label(x509)}" may not be used for signatures (key usage).`;
		}
		const embedded = parsed.certificates.flatMap((c) => {
			try {
				return [certificateParts(c).x509];
			} catch {
				return [];
			}
		});
		const chain = chainProblem(x509, embedded, anchors, options.at ?? new Date());
		if (chain) return chain;
	}
	return undefined;
}
