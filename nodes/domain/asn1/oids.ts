/**
 * The object identifiers and algorithm tables of PKCS#12 (RFC 7292), PKCS#5 (RFC 8018), CMS (RFC 5652)
 * and PKCS#8 that the domain reads or writes, written once. Sources: docs/signing-and-keys.md.
 */

export const OID = {
	// PKCS#7 / CMS content types
	data: '1.2.840.113549.1.7.1',
	signedData: '1.2.840.113549.1.7.2',
	envelopedData: '1.2.840.113549.1.7.3',
	encryptedData: '1.2.840.113549.1.7.6',
	// PKCS#12 bags
	keyBag: '1.2.840.113549.1.12.10.1.1',
	shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
	certBag: '1.2.840.113549.1.12.10.1.3',
	safeContentsBag: '1.2.840.113549.1.12.10.1.6',
	x509Certificate: '1.2.840.113549.1.9.22.1',
	// PKCS#5 / password-based encryption
	pbes2: '1.2.840.113549.1.5.13',
	pbkdf2: '1.2.840.113549.1.5.12',
	scrypt: '1.3.6.1.4.1.11591.4.11',
	// CMS signed attributes
	contentType: '1.2.840.113549.1.9.3',
	messageDigest: '1.2.840.113549.1.9.4',
	signingTime: '1.2.840.113549.1.9.5',
	smimeCapabilities: '1.2.840.113549.1.9.15',
	// Keys and signatures
	rsaEncryption: '1.2.840.113549.1.1.1',
	rsassaPss: '1.2.840.113549.1.1.10',
	mgf1: '1.2.840.113549.1.1.8',
	ecPublicKey: '1.2.840.10045.2.1',
	// Certificate extensions
	subjectKeyIdentifier: '2.5.29.14',
	keyUsage: '2.5.29.15',
} as const;

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** Hash OIDs → node:crypto name, output size u and block size v (the PKCS#12 KDF needs v). */
export const HASHES: Record<string, { name: HashName; u: number; v: number }> = {
	'1.3.14.3.2.26': { name: 'sha1', u: 20, v: 64 },
	'2.16.840.1.101.3.4.2.4': { name: 'sha224', u: 28, v: 64 },
	'2.16.840.1.101.3.4.2.1': { name: 'sha256', u: 32, v: 64 },
	'2.16.840.1.101.3.4.2.2': { name: 'sha384', u: 48, v: 128 },
	'2.16.840.1.101.3.4.2.3': { name: 'sha512', u: 64, v: 128 },
};

export const SHA1_OID = '1.3.14.3.2.26';

/** The hash OID of a node:crypto hash name. */
export function hashOidByName(name: HashName): string {
	const found = Object.entries(HASHES).find(([, h]) => h.name === name);
	if (!found) throw new Error(`no OID for ${name}`);
	return found[0];
}

/** PBKDF2 PRFs (HMAC with …) → hash name. */
export const PBKDF2_PRFS: Record<string, HashName> = {
	'1.2.840.113549.2.7': 'sha1',
	'1.2.840.113549.2.8': 'sha224',
	'1.2.840.113549.2.9': 'sha256',
	'1.2.840.113549.2.10': 'sha384',
	'1.2.840.113549.2.11': 'sha512',
};

/** PBES2 encryption schemes → node:crypto cipher and key length. */
export const PBES2_CIPHERS: Record<string, { name: string; keyLength: number }> = {
	'2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
	'2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
	'2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
	'1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

/** PKCS#12 PBE schemes (RFC 7292 appendix C); RC2 and RC4 are done without OpenSSL's legacy provider. */
export const PKCS12_PBE: Record<
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

/** Per hash: the RSA (PKCS#1 v1.5) and the ECDSA signature algorithm OIDs. */
const SIGNATURES_BY_HASH: Array<[HashName, string, string]> = [
	['sha1', '1.2.840.113549.1.1.5', '1.2.840.10045.4.1'],
	['sha224', '1.2.840.113549.1.1.14', '1.2.840.10045.4.3.1'],
	['sha256', '1.2.840.113549.1.1.11', '1.2.840.10045.4.3.2'],
	['sha384', '1.2.840.113549.1.1.12', '1.2.840.10045.4.3.3'],
	['sha512', '1.2.840.113549.1.1.13', '1.2.840.10045.4.3.4'],
];

/** Signature algorithm OIDs → the key type they need and their hash (undefined: the digestAlgorithm). */
export const SIGNATURE_ALGORITHMS: Record<string, { key: 'rsa' | 'ec'; hash?: HashName }> = {
	[OID.rsaEncryption]: { key: 'rsa' },
	[OID.ecPublicKey]: { key: 'ec' },
	...Object.fromEntries(
		SIGNATURES_BY_HASH.flatMap(([hash, rsa, ec]) => [
			[rsa, { key: 'rsa' as const, hash }],
			[ec, { key: 'ec' as const, hash }],
		]),
	),
};

/** The ECDSA signature OID for a hash. */
export function ecdsaOidByHash(hash: HashName): string {
	const found = SIGNATURES_BY_HASH.find(([h]) => h === hash);
	if (!found) throw new Error(`no ECDSA OID for ${hash}`);
	return found[2];
}

/**
 * The S/MIME capabilities OpenSSL 3 writes (PKCS7_simple_smimecap): AES-256/192/128, 3DES,
 * RC2-128, RC2-64, DES, RC2-40, as [OID, key bits].
 */
export const SMIME_CAPABILITIES: Array<[string, number?]> = [
	['2.16.840.1.101.3.4.1.42'],
	['2.16.840.1.101.3.4.1.22'],
	['2.16.840.1.101.3.4.1.2'],
	['1.2.840.113549.3.7'],
	['1.2.840.113549.3.2', 128],
	['1.2.840.113549.3.2', 64],
	['1.3.14.3.2.7'],
	['1.2.840.113549.3.2', 40],
];
