/**
 * Reads a PKCS#12 (.p12 / .pfx) signing certificate into a node:crypto key and certificate details:
 * the container and its integrity check, the bags, and the choice of key and certificate. The
 * cryptography is in pkcs12Decrypt.ts, certificates in certificate.ts, the DER reader in asn1/der.ts.
 *
 * Parsed by hand (forge's ASN.1 for the structure, node:crypto for the cryptography) because forge's
 * pkcs12 reader fails on non-ASCII passwords with PBES2 and leaves EC keys undecoded, and Node has no
 * PKCS#12 API at all. See docs/signing-and-keys.md.
 */
import { createPrivateKey, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';

import {
	asn1ToBuffer,
	C,
	DerError,
	isContext,
	kids,
	octets,
	oidOf,
	parseAsn1,
	smallInt,
	T,
	type Asn1,
} from '../asn1/der';
import { OID } from '../asn1/oids';
import { SocialSecurityError } from '../errors';
import {
	certificateParts,
	describeCertificate,
	keyAlgorithmOf,
	type CertificateInfo,
	type SigningIdentity,
} from './certificate';
import {
	decryptToAsn1,
	MacMismatch,
	passwordForms,
	Unsupported,
	verifyMac,
	type PasswordForms,
} from './pkcs12Decrypt';

export {
	assertCertificateValid,
	checkCertificateValidity,
	describeCertificate,
	type CertificateInfo,
	type CertificateValidity,
	type KeyAlgorithm,
	type SignerCertificateInfo,
	type SigningIdentity,
} from './certificate';

/** A .p12 is a few KB; the cap keeps a wrong upload (a whole declaration, a video) from being parsed. */
const MAX_P12_BYTES = 4 * 1024 * 1024;

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

/** The integrity check (MAC) cannot tell a wrong password from a changed file: say both. */
function macFailed(cause: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'PKCS12_PASSWORD_WRONG',
		'The signing certificate (.p12) could not be opened: wrong password or damaged file (its integrity check failed).',
		'Type the password that was chosen when the certificate was exported (it is case-sensitive). If it is right, the file was changed on the way: upload the original .p12/.pfx again, unchanged.',
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
	if (depth > 4) throw new DerError('safe contents nested too deep');
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
	if (smallInt(pfx[0]) !== 3) throw new DerError('not PKCS#12 version 3');
	const [contentType, content] = kids(pfx[1], T.SEQUENCE);
	const type = oidOf(contentType);
	if (type === OID.signedData) throw new Unsupported('public-key integrity mode');
	if (type !== OID.data) throw new DerError('unexpected content type');
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
			if (!isContext(encryptedContent, 0)) throw new DerError('no encrypted content');
			const plain = decryptToAsn1(algorithm, octets(encryptedContent), forms);
			if (!plain)
				throw forms.macVerified
					? invalid('the certificates could not be decrypted')
					: wrongPassword();
			collectBags(plain.node, forms, out, 0);
		} else if (infoOid === OID.envelopedData) {
			throw new Unsupported('public-key privacy mode');
		} else {
			throw new DerError('unexpected content type');
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
	if (error instanceof MacMismatch) return macFailed(error);
	if (error instanceof Unsupported) {
		return new SocialSecurityError(
			'PKCS12_UNSUPPORTED',
			`The signing certificate file uses a protection this node does not support (${error.message}).`,
			'Export the certificate again as .p12/.pfx protected by a password (AES-256 or 3DES).',
			{ cause: error },
		);
	}
	// DerError, forge parse errors, RangeError on hostile nesting, …: all mean "not a PKCS#12".
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
