/**
 * Detached CMS/PKCS#7 SignedData over the exact bytes of a file, as `openssl smime -sign -binary`
 * (OpenSSL 3) writes it. The content is streamed through node:crypto; only the digest is kept. The
 * verifier is cmsVerify.ts. See docs/signing-and-keys.md "Making the FS".
 */
import { createHash, sign as cryptoSign } from 'node:crypto';

import { asn1ToBuffer, C, forge, T, type Asn1 } from '../asn1/der';
import { ecdsaOidByHash, hashOidByName, OID, SMIME_CAPABILITIES } from '../asn1/oids';
import { SocialSecurityError } from '../errors';
import { certificateParts, type SigningIdentity } from './certificate';
import { consume, dispose, type Input } from './cmsInput';

export { verifyDetached, type VerifyOptions, type VerifyResult } from './cmsVerify';

const asn1 = forge.asn1;

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

// ---------------------------------------------------------------------------------------------------
// DER building: forge's asn1 for new elements, plain concatenation where original bytes must be kept
// (certificates, issuer Name), since forge re-encodes what it parses.

export function der(node: Asn1): Buffer {
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

/** The list OpenSSL 3 writes (asn1/oids.ts). */
const SMIME_CAPABILITIES_NODE: Asn1 = seq(
	...SMIME_CAPABILITIES.map(([oid, bits]) =>
		bits === undefined ? seq(oidNode(oid)) : seq(oidNode(oid), intNode(bits)),
	),
);

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
			? seq(oidNode(hashOidByName(digest)))
			: seq(oidNode(hashOidByName(digest)), nullNode()),
	);
	const signatureAlgorithm = der(
		keyType === 'rsa'
			? seq(oidNode(OID.rsaEncryption), nullNode())
			: seq(oidNode(ecdsaOidByHash(digest))),
	);
	const attributes = [
		attribute(OID.contentType, oidNode(OID.data)),
		attribute(OID.signingTime, timeNode(signingTime)),
		attribute(
			OID.messageDigest,
			asn1.create(C.UNIVERSAL, T.OCTETSTRING, false, messageDigest.toString('binary')),
		),
		attribute(OID.smimeCapabilities, SMIME_CAPABILITIES_NODE),
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
