/**
 * X.509 certificates as the signing side needs them: the details shown to users, the validity checks,
 * and the exact issuer and serial bytes CMS copies into the FS (docs/signing-and-keys.md).
 */
import { KeyObject, X509Certificate } from 'node:crypto';

import {
	asn1ToBuffer,
	isContext,
	kids,
	octets,
	oidOf,
	parseAsn1,
	readTlv,
	T,
	timeOf,
	tlvBytes,
	tlvChildren,
	type Asn1,
} from '../asn1/der';
import { OID } from '../asn1/oids';
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
				if (id === OID.subjectKeyIdentifier) {
					parts.subjectKeyIdentifier = octets(parseAsn1(octets(value)));
				} else if (id === OID.keyUsage) {
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

export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm | 'OTHER' {
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
