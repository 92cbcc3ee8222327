/**
 * A pure-Node verifier for detached CMS/PKCS#7 SignedData (the FS of a declaration, and the answers'
 * FS): structure, signer certificate, chain to trusted certificates, signed attributes and signature.
 * See docs/signing-and-keys.md "Making the FS".
 */
import {
	constants as cryptoConstants,
	createHash,
	createVerify,
	verify as cryptoVerify,
	X509Certificate,
	type Hash,
	type KeyObject,
	type Verify,
	type VerifyKeyObjectInput,
} from 'node:crypto';

import { kids, octets, oidOf, T, timeOf, type Asn1 } from '../asn1/der';
import { HASHES, OID, SIGNATURE_ALGORITHMS } from '../asn1/oids';
import { SocialSecurityError } from '../errors';
import {
	certificateParts,
	checkCertificateValidity,
	describeCertificate,
	type CertificateInfo,
} from './certificate';
import { consume, dispose, type Input, type Sink } from './cmsInput';
import {
	FsStructureError,
	fsInvalid,
	parseSignedData,
	type ParsedSignedData,
	type ParsedSigner,
} from './cmsParse';
import { decodeSignatureFile } from './signatureLayout';

/** 'sha256', … for a hash OID. */
function hashName(oid: string): string | undefined {
	return HASHES[oid]?.name;
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

// ---------------------------------------------------------------------------------------------------
// Verification

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
	const algorithm = SIGNATURE_ALGORITHMS[signer.signatureOid];
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
			if (field.type === 0) hash = hashName(oidOf(kids(inner, T.SEQUENCE)[0])) ?? '?';
			if (field.type === 1) {
				const [mgfOid, mgfParams] = kids(inner, T.SEQUENCE);
				mgfHash =
					oidOf(mgfOid) === OID.mgf1
						? (hashName(oidOf(kids(mgfParams, T.SEQUENCE)[0])) ?? '?')
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
		const check: SignerCheck = { signer, hashName: hashName(signer.digestOid) };
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
