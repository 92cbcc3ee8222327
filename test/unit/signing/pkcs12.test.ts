import { createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { SocialSecurityError } from '../../../nodes/domain/errors';
import {
	assertCertificateValid,
	checkCertificateValidity,
	loadPkcs12,
	type SigningIdentity,
} from '../../../nodes/domain/signing/pkcs12';
import {
	certDer,
	datedCertificate,
	exportP12,
	issued,
	openssl,
	read,
	selfSigned,
	tempDir,
	type KeyPair,
} from '../../helpers/certificates';

const PASSWORD = 'correct horse';
const NON_ASCII = 'Pässwörd€';

let dir: string;
let cleanup: () => void;
let rsa: KeyPair;
let rsa4096: KeyPair;
let ec: KeyPair;
let ca: KeyPair;
let leaf: KeyPair;

beforeAll(() => {
	({ dir, cleanup } = tempDir('p12'));
	rsa = selfSigned(dir, 'rsa', 'rsa2048', '/C=BE/O=Acme/CN=Jane Doe (Signature)');
	rsa4096 = selfSigned(dir, 'rsa4096', 'rsa4096', '/CN=Big Key');
	ec = selfSigned(dir, 'ec', 'ec384', '/CN=EC Signer');
	ca = selfSigned(dir, 'ca', 'rsa2048', '/CN=Test Root CA', { ca: true });
	leaf = issued(dir, 'leaf', 'rsa2048', '/CN=Leaf Signer', ca);
}, 120_000);

afterAll(() => cleanup());

/** The key really is the certificate's: sign with one, verify with the other. */
function expectUsable(identity: SigningIdentity): void {
	const data = Buffer.from('probe');
	const signature = sign('sha256', data, identity.privateKey);
	expect(
		verify('sha256', data, new X509Certificate(identity.certificate.der).publicKey, signature),
	).toBe(true);
}

function expectError(fn: () => unknown, code: string): SocialSecurityError {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(SocialSecurityError);
		expect((error as SocialSecurityError).code).toBe(code);
		return error as SocialSecurityError;
	}
	throw new Error(`expected ${code}`);
}

describe('loadPkcs12: formats', () => {
	test('OpenSSL 3 default (PBES2, AES-256, SHA-256 MAC)', () => {
		const p12 = exportP12(dir, 'default', PASSWORD, ['-in', rsa.cert, '-inkey', rsa.key]);
		const identity = loadPkcs12(p12, PASSWORD);
		expect(identity.certificate.der.equals(certDer(dir, rsa.cert))).toBe(true);
		expect(identity.certificate.subject).toBe('C=BE, O=Acme, CN=Jane Doe (Signature)');
		expect(identity.certificate.issuer).toBe(identity.certificate.subject);
		expect(identity.certificate.keyAlgorithm).toBe('RSA');
		expect(identity.certificate.serialNumber).toMatch(/^[0-9A-F]+$/);
		expect(identity.certificate.serialNumber).toBe(
			new X509Certificate(identity.certificate.der).serialNumber.toUpperCase(),
		);
		expect(identity.certificate.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
		expect(identity.certificate.notAfter.getTime() - identity.certificate.notBefore.getTime()).toBe(
			365 * 86_400_000,
		);
		expect(identity.privateKey.type).toBe('private');
		expect(identity.chain).toEqual([]);
		expectUsable(identity);
	});

	test('openssl -legacy (RC2-40 certificates, 3DES key, SHA-1 MAC)', () => {
		const p12 = exportP12(dir, 'legacy', PASSWORD, ['-legacy', '-in', rsa.cert, '-inkey', rsa.key]);
		expectUsable(loadPkcs12(p12, PASSWORD));
	});

	test('3DES / SHA-1 (Windows style)', () => {
		const p12 = exportP12(dir, 'tdes', PASSWORD, [
			'-certpbe',
			'PBE-SHA1-3DES',
			'-keypbe',
			'PBE-SHA1-3DES',
			'-macalg',
			'sha1',
			'-in',
			rsa.cert,
			'-inkey',
			rsa.key,
		]);
		expectUsable(loadPkcs12(p12, PASSWORD));
	});

	test.each([
		['default', []],
		['legacy', ['-legacy']],
		['3des', ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']],
	])('non-ASCII password "%s" (MAC with BMPString, PBES2 with UTF-8)', (name, args) => {
		const p12 = exportP12(dir, `nonascii-${name}`, NON_ASCII, [
			...args,
			'-in',
			rsa.cert,
			'-inkey',
			rsa.key,
		]);
		expectUsable(loadPkcs12(p12, NON_ASCII));
		expectError(() => loadPkcs12(p12, 'Passwörd€'), 'PKCS12_PASSWORD_WRONG');
		expectError(() => loadPkcs12(p12, 'Pässwörd'), 'PKCS12_PASSWORD_WRONG');
	});

	test('RSA-4096', () => {
		const identity = loadPkcs12(
			exportP12(dir, 'rsa4096', PASSWORD, ['-in', rsa4096.cert, '-inkey', rsa4096.key]),
			PASSWORD,
		);
		expect(identity.privateKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
		expectUsable(identity);
	});

	test('EC P-384 (forge leaves it undecoded)', () => {
		const identity = loadPkcs12(
			exportP12(dir, 'ec', PASSWORD, ['-in', ec.cert, '-inkey', ec.key]),
			PASSWORD,
		);
		expect(identity.certificate.keyAlgorithm).toBe('EC');
		expect(identity.privateKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
		expectUsable(identity);
	});

	test('EC P-384 in legacy mode', () => {
		expectUsable(
			loadPkcs12(
				exportP12(dir, 'ec-legacy', PASSWORD, ['-legacy', '-in', ec.cert, '-inkey', ec.key]),
				PASSWORD,
			),
		);
	});

	test('a chain: the certificate that matches the key signs, the CA is the chain', () => {
		const p12 = exportP12(dir, 'chain', PASSWORD, [
			'-in',
			leaf.cert,
			'-inkey',
			leaf.key,
			'-certfile',
			ca.cert,
		]);
		const identity = loadPkcs12(p12, PASSWORD);
		expect(identity.certificate.subject).toBe('CN=Leaf Signer');
		expect(identity.certificate.issuer).toBe('CN=Test Root CA');
		expect(identity.chain.map((c) => c.subject)).toEqual(['CN=Test Root CA']);
		expect(identity.chain[0].der.equals(certDer(dir, ca.cert))).toBe(true);
		expectUsable(identity);
	});

	test('a chain listed CA first still picks the signer by its key', () => {
		// -nocerts + -certfile puts the certificates in the file's order, without openssl's matching.
		const bundle = Buffer.concat([read(dir, ca.cert), read(dir, leaf.cert)]);
		writeFileSync(join(dir, 'bundle.pem'), bundle);
		const p12 = exportP12(dir, 'chain-reversed', PASSWORD, [
			'-nocerts',
			'-inkey',
			leaf.key,
			'-certfile',
			'bundle.pem',
		]);
		const identity = loadPkcs12(p12, PASSWORD);
		expect(identity.certificate.subject).toBe('CN=Leaf Signer');
		expect(identity.chain.map((c) => c.subject)).toEqual(['CN=Test Root CA']);
	});

	test('a renewed certificate with the same key: the one that lasts longest signs', () => {
		openssl(dir, [
			'req',
			'-x509',
			'-key',
			rsa.key,
			'-out',
			'short.pem',
			'-subj',
			'/CN=Short',
			'-days',
			'30',
		]);
		openssl(dir, [
			'req',
			'-x509',
			'-key',
			rsa.key,
			'-out',
			'long.pem',
			'-subj',
			'/CN=Long',
			'-days',
			'900',
		]);
		writeFileSync(
			join(dir, 'renewed.pem'),
			Buffer.concat([read(dir, 'short.pem'), read(dir, 'long.pem')]),
		);
		const identity = loadPkcs12(
			exportP12(dir, 'renewed', PASSWORD, [
				'-nocerts',
				'-inkey',
				rsa.key,
				'-certfile',
				'renewed.pem',
			]),
			PASSWORD,
		);
		expect(identity.certificate.subject).toBe('CN=Long');
		expect(identity.chain.map((c) => c.subject)).toEqual(['CN=Short']);
	});

	test('base64 text, with line breaks and spaces, as a string and as a Buffer', () => {
		const p12 = exportP12(dir, 'b64', PASSWORD, ['-in', rsa.cert, '-inkey', rsa.key]);
		const text = p12.toString('base64').replace(/(.{64})/g, '$1\r\n  ');
		expectUsable(loadPkcs12(text, PASSWORD));
		expectUsable(loadPkcs12(Buffer.from(`${text}\n`), PASSWORD));
	});

	test('without MAC (-nomac): the password is checked by decryption', () => {
		const p12 = exportP12(dir, 'nomac', PASSWORD, ['-nomac', '-in', rsa.cert, '-inkey', rsa.key]);
		expectUsable(loadPkcs12(p12, PASSWORD));
		expectError(() => loadPkcs12(p12, 'wrong'), 'PKCS12_PASSWORD_WRONG');
	});

	test('empty password', () => {
		const p12 = exportP12(dir, 'empty-pass', '', ['-in', rsa.cert, '-inkey', rsa.key]);
		expectUsable(loadPkcs12(p12, ''));
		expectError(() => loadPkcs12(p12, 'x'), 'PKCS12_PASSWORD_WRONG');
	});

	test('600 000 PBKDF2 iterations load in a few seconds', () => {
		const p12 = exportP12(dir, 'iter', PASSWORD, [
			'-iter',
			'600000',
			'-in',
			rsa.cert,
			'-inkey',
			rsa.key,
		]);
		const start = Date.now();
		expectUsable(loadPkcs12(p12, PASSWORD));
		expect(Date.now() - start).toBeLessThan(8000);
	}, 30_000);
});

describe('loadPkcs12: errors', () => {
	let p12: Buffer;
	beforeAll(() => {
		p12 = exportP12(dir, 'errors', PASSWORD, ['-in', rsa.cert, '-inkey', rsa.key]);
	});

	test('wrong password, in plain words and without the password', () => {
		for (const file of [
			p12,
			exportP12(dir, 'errors-legacy', PASSWORD, ['-legacy', '-in', rsa.cert, '-inkey', rsa.key]),
		]) {
			const error = expectError(() => loadPkcs12(file, 'S3cret-guess!'), 'PKCS12_PASSWORD_WRONG');
			expect(error.message).toBe(
				'The signing certificate (.p12) could not be opened: wrong password or damaged file (its integrity check failed).',
			);
			expect(`${error.message} ${error.hint}`).not.toContain('S3cret-guess!');
			expect(`${error.message} ${error.hint}`).not.toContain(PASSWORD);
		}
	});

	test('a damaged file with the right password: "wrong password or damaged file", not only "wrong password"', () => {
		// One byte of the authenticated content changed (inside the certificate bag's data): the MAC fails.
		const damaged = Buffer.from(p12);
		damaged[Math.floor(damaged.length / 2)] ^= 0x01;
		const error = expectError(() => loadPkcs12(damaged, PASSWORD), 'PKCS12_PASSWORD_WRONG');
		expect(error.message).toContain('wrong password or damaged file');
		expect(error.hint).toContain('upload the original .p12/.pfx again');
	});

	test('without MAC, a wrong password found by decryption is still called a wrong password', () => {
		const noMac = exportP12(dir, 'errors-nomac', PASSWORD, [
			'-nomac',
			'-in',
			rsa.cert,
			'-inkey',
			rsa.key,
		]);
		const error = expectError(() => loadPkcs12(noMac, 'S3cret-guess!'), 'PKCS12_PASSWORD_WRONG');
		expect(error.message).toBe('The password of the signing certificate (.p12) is wrong.');
	});

	test('no private key', () => {
		const noKey = exportP12(dir, 'nokey', PASSWORD, ['-nokeys', '-in', rsa.cert]);
		expectError(() => loadPkcs12(noKey, PASSWORD), 'PKCS12_NO_KEY');
	});

	test('no certificate', () => {
		const noCert = exportP12(dir, 'nocert', PASSWORD, ['-nocerts', '-inkey', rsa.key]);
		expectError(() => loadPkcs12(noCert, PASSWORD), 'PKCS12_NO_CERTIFICATE');
	});

	test('the key belongs to none of the certificates', () => {
		const mismatch = exportP12(dir, 'mismatch', PASSWORD, [
			'-nocerts',
			'-inkey',
			rsa.key,
			'-certfile',
			ec.cert,
		]);
		expectError(() => loadPkcs12(mismatch, PASSWORD), 'PKCS12_KEY_CERT_MISMATCH');
		const rsaMismatch = exportP12(dir, 'mismatch2', PASSWORD, [
			'-nocerts',
			'-inkey',
			rsa.key,
			'-certfile',
			leaf.cert,
		]);
		expectError(() => loadPkcs12(rsaMismatch, PASSWORD), 'PKCS12_KEY_CERT_MISMATCH');
	});

	test('corrupt or foreign data', () => {
		expectError(() => loadPkcs12(Buffer.alloc(0), PASSWORD), 'PKCS12_INVALID');
		expectError(() => loadPkcs12('', PASSWORD), 'PKCS12_INVALID');
		expectError(() => loadPkcs12(p12.subarray(0, p12.length - 10), PASSWORD), 'PKCS12_INVALID');
		expectError(() => loadPkcs12(p12.subarray(0, 100), PASSWORD), 'PKCS12_INVALID');
		expectError(() => loadPkcs12(read(dir, rsa.cert), PASSWORD), 'PKCS12_INVALID'); // a PEM certificate
		expectError(() => loadPkcs12(certDer(dir, rsa.cert), PASSWORD), 'PKCS12_INVALID'); // a DER certificate
		expectError(() => loadPkcs12('not base64 at all!', PASSWORD), 'PKCS12_INVALID');
		expectError(() => loadPkcs12(Buffer.from('%PDF-1.7 ...'), PASSWORD), 'PKCS12_INVALID');
		expectError(() => loadPkcs12(undefined as never, PASSWORD), 'PKCS12_INVALID');
		expectError(() => loadPkcs12(Buffer.alloc(20 * 1024 * 1024, 0x30), PASSWORD), 'PKCS12_INVALID');
		// A byte of the protected content changed: the MAC no longer matches (indistinguishable from a wrong password).
		const flipped = Buffer.from(p12);
		flipped[200] ^= 0x01;
		expect(() => loadPkcs12(flipped, PASSWORD)).toThrow(SocialSecurityError);
	});
});

describe('certificate validity', () => {
	test('an expired certificate (openssl ca -enddate in the past)', () => {
		const expired = datedCertificate(dir, 'expired', '20200101000000Z', '20200102000000Z');
		const identity = loadPkcs12(
			exportP12(dir, 'expired', PASSWORD, ['-in', expired.cert, '-inkey', expired.key]),
			PASSWORD,
		);
		expect(identity.certificate.notAfter.toISOString()).toBe('2020-01-02T00:00:00.000Z');
		const result = checkCertificateValidity(identity.certificate);
		expect(result).toMatchObject({ valid: false, expiresSoon: false });
		expect(result.message).toBe('The signing certificate "expired" expired on 2020-01-02 (UTC).');
		expect(() => assertCertificateValid(identity.certificate)).toThrow(
			expect.objectContaining({ code: 'CERTIFICATE_EXPIRED' }),
		);
		// At a time inside its validity, the same certificate is fine.
		expect(
			checkCertificateValidity(identity.certificate, new Date('2020-01-01T12:00:00Z'), 0).valid,
		).toBe(true);
	});

	test('a certificate not valid yet', () => {
		const future = datedCertificate(dir, 'future', '20991201000000Z', '21000102000000Z');
		const identity = loadPkcs12(
			exportP12(dir, 'future', PASSWORD, ['-in', future.cert, '-inkey', future.key]),
			PASSWORD,
		);
		expect(identity.certificate.notAfter.toISOString()).toBe('2100-01-02T00:00:00.000Z'); // GeneralizedTime
		expect(checkCertificateValidity(identity.certificate).valid).toBe(false);
		expect(() => assertCertificateValid(identity.certificate)).toThrow(
			expect.objectContaining({ code: 'CERTIFICATE_NOT_YET_VALID' }),
		);
	});

	test('expires soon, and plainly valid', () => {
		const soon = selfSigned(dir, 'soon', 'ec384', '/CN=Soon', { days: 10 });
		const identity = loadPkcs12(
			exportP12(dir, 'soon', PASSWORD, ['-in', soon.cert, '-inkey', soon.key]),
			PASSWORD,
		);
		const result = checkCertificateValidity(identity.certificate);
		expect(result).toMatchObject({ valid: true, expiresSoon: true });
		expect(result.daysLeft).toBeGreaterThanOrEqual(9);
		expect(result.message).toMatch(
			/^The signing certificate "Soon" expires in (9|10) days, on \d{4}-\d\d-\d\d \(UTC\)\. Order its renewal now\.$/,
		);
		expect(checkCertificateValidity(identity.certificate, new Date(), 5).expiresSoon).toBe(false);
		expect(() => assertCertificateValid(identity.certificate)).not.toThrow();
		const lastDay = new Date(identity.certificate.notAfter.getTime() - 3_600_000);
		expect(checkCertificateValidity(identity.certificate, lastDay).message).toMatch(
			/"Soon" expires today, on/,
		);
	});

	test('the key of a loaded identity is a node:crypto KeyObject made from PKCS#8', () => {
		const identity = loadPkcs12(
			exportP12(dir, 'keyobject', PASSWORD, ['-in', ec.cert, '-inkey', ec.key]),
			PASSWORD,
		);
		const pkcs8 = identity.privateKey.export({ format: 'der', type: 'pkcs8' });
		expect(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe(
			'ec',
		);
	});
});
