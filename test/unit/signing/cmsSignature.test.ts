import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import forge from 'node-forge';

import { SocialSecurityError } from '../../../nodes/domain/errors';
import {
	signDetached,
	signDigest,
	verifyDetached,
	type SignOptions,
} from '../../../nodes/domain/signing/cmsSignature';
import { loadPkcs12, type SigningIdentity } from '../../../nodes/domain/signing/pkcs12';
import {
	certDer,
	datedCertificate,
	exportP12,
	issued,
	openssl,
	opensslOk,
	read,
	selfSigned,
	tempDir,
	type KeyPair,
} from '../../helpers/certificates';

let dir: string;
let cleanup: () => void;
let ca: KeyPair;
let leaf: KeyPair;
let ec: KeyPair;
let rsaId: SigningIdentity;
let ecId: SigningIdentity;

/** The FI test files: every line-ending style, binary bytes, empty, several MB. */
const FILES: Record<string, Buffer> = {
	lf: Buffer.from('DMFA;2025;1\nline two\nline three\n'.repeat(50)),
	crlf: Buffer.from('DMFA;2025;1\r\nline two\r\nline three\r\n'.repeat(50)),
	mixed: Buffer.from('first\r\nsecond\nthird\rfourth\r\n\n\r\rlast'),
	binary: Buffer.concat([
		Buffer.from([0, 0, 13, 10, 13, 0, 10, 255, 0]),
		randomBytes(65_536),
		Buffer.from([13]),
	]),
	empty: Buffer.alloc(0),
	large: randomBytes(6 * 1024 * 1024 + 123),
};

beforeAll(() => {
	({ dir, cleanup } = tempDir('cms'));
	ca = selfSigned(dir, 'ca', 'rsa2048', '/C=BE/CN=Test Root CA', { ca: true });
	leaf = issued(dir, 'leaf', 'rsa2048', '/C=BE/O=Acme/CN=Jane Doe (Signature)', ca);
	ec = selfSigned(dir, 'ec', 'ec384', '/CN=EC Signer');
	rsaId = loadPkcs12(
		exportP12(dir, 'leaf', 'pw', ['-in', leaf.cert, '-inkey', leaf.key, '-certfile', ca.cert]),
		'pw',
	);
	ecId = loadPkcs12(exportP12(dir, 'ec', 'pw', ['-in', ec.cert, '-inkey', ec.key]), 'pw');
	for (const [name, content] of Object.entries(FILES))
		writeFileSync(join(dir, `${name}.fi`), content);
}, 120_000);

afterAll(() => cleanup());

/** Signs the FI file as a stream (small chunks, to cross many chunk boundaries) and writes the FS. */
async function signFile(
	name: string,
	identity: SigningIdentity,
	options: SignOptions = {},
	fsName = `${name}.fs.der`,
): Promise<Buffer> {
	const result = await signDetached(
		createReadStream(join(dir, `${name}.fi`), { highWaterMark: 4093 }),
		identity,
		options,
	);
	writeFileSync(join(dir, fsName), result.der);
	return result.der;
}

function opensslVerify(
	tool: 'cms' | 'smime',
	fs: string,
	fi: string,
	caFile?: string,
): { ok: boolean; stderr: string } {
	const trust = caFile ? ['-CAfile', caFile] : ['-noverify'];
	return opensslOk(dir, [
		tool,
		'-verify',
		'-binary',
		'-inform',
		'DER',
		'-in',
		fs,
		'-content',
		fi,
		...trust,
		'-out',
		'/dev/null',
	]);
}

/** signingTime of an FS written by openssl, read with `openssl asn1parse` (independent of our parser). */
function opensslSigningTime(fsFile: string): Date {
	const dump = openssl(dir, ['asn1parse', '-inform', 'DER', '-in', fsFile]).toString();
	const match =
		/:signingTime\s*\n.*\n.*UTCTIME\s*:(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z/.exec(dump);
	if (!match) throw new Error('no signingTime in openssl output');
	const [, yy, mo, dd, hh, mi, ss] = match;
	return new Date(
		Date.UTC(2000 + Number(yy), Number(mo) - 1, Number(dd), Number(hh), Number(mi), Number(ss)),
	);
}

function tamper(content: Buffer): Buffer {
	if (content.length === 0) return Buffer.from([0x20]);
	const copy = Buffer.from(content);
	copy[Math.floor(copy.length / 2)] ^= 0x01;
	return copy;
}

describe('signDetached: openssl verifies every FS against the exact FI bytes', () => {
	const identities = () => ({
		rsa: { id: rsaId, caFile: ca.cert },
		ec: { id: ecId, caFile: ec.cert },
	});

	describe.each(Object.keys(FILES))('%s FI', (name) => {
		test.each(['rsa', 'ec'] as const)(
			'%s key',
			async (kind) => {
				const { id, caFile } = identities()[kind];
				const fi = `${name}.fi`;
				const fsFile = `${name}.${kind}.fs.der`;
				const der = await signFile(name, id, {}, fsFile);

				expect(opensslVerify('cms', fsFile, fi, caFile)).toMatchObject({ ok: true });
				expect(opensslVerify('smime', fsFile, fi, caFile)).toMatchObject({ ok: true });
				const ours = await verifyDetached(der, createReadStream(join(dir, fi)), {
					trustedCertificatesPem: read(dir, caFile).toString(),
				});
				expect(ours).toMatchObject({ valid: true, digestAlgorithm: 'sha256' });
				expect(ours.signer?.der.equals(id.certificate.der)).toBe(true);

				// One changed byte: both openssl and our verifier refuse.
				writeFileSync(join(dir, `${name}.${kind}.tampered`), tamper(FILES[name]));
				expect(opensslVerify('cms', fsFile, `${name}.${kind}.tampered`, caFile).ok).toBe(false);
				expect(opensslVerify('smime', fsFile, `${name}.${kind}.tampered`, caFile).ok).toBe(false);
				const bad = await verifyDetached(der, tamper(FILES[name]));
				expect(bad.valid).toBe(false);
				expect(bad.reason).toBe(
					'The file does not match the signature: its content differs from what was signed.',
				);
			},
			30_000,
		);
	});

	test('size and digest are those of the exact bytes', async () => {
		const result = await signDetached(FILES.mixed, rsaId);
		expect(result.size).toBe(FILES.mixed.length);
		expect(result.digestHex).toBe(createHash('sha256').update(FILES.mixed).digest('hex'));
		const sha1 = await signDetached(FILES.mixed, rsaId, { digest: 'sha1' });
		expect(sha1.digestHex).toBe(createHash('sha1').update(FILES.mixed).digest('hex'));
	});
});

describe('signDetached: byte-for-byte what openssl writes (same signingTime)', () => {
	test.each([
		['smime sha256', 'lf', ['smime', '-md', 'sha256'], {}],
		['smime sha256, binary FI', 'binary', ['smime', '-md', 'sha256'], {}],
		['smime sha256, empty FI', 'empty', ['smime', '-md', 'sha256'], {}],
		['smime sha1', 'crlf', ['smime', '-md', 'sha1'], { digest: 'sha1' }],
		[
			'smime with the chain',
			'mixed',
			['smime', '-md', 'sha256', '-certfile', 'ca.pem'],
			{ includeChain: true },
		],
		['cms', 'lf', ['cms', '-md', 'sha256'], { compatibleWith: 'openssl-cms' }],
		[
			'cms sha1 with the chain',
			'binary',
			['cms', '-md', 'sha1', '-certfile', 'ca.pem'],
			{ compatibleWith: 'openssl-cms', digest: 'sha1', includeChain: true },
		],
	] as Array<[string, string, string[], SignOptions]>)(
		'%s',
		async (label, name, [tool, ...args], options) => {
			const refFile = `${label.replace(/\W+/g, '-')}.ref.der`;
			openssl(dir, [
				tool,
				'-sign',
				'-binary',
				'-in',
				`${name}.fi`,
				'-signer',
				leaf.cert,
				'-inkey',
				leaf.key,
				'-outform',
				'DER',
				...args,
				'-out',
				refFile,
			]);
			const reference = read(dir, refFile);
			const ours = await signDetached(FILES[name], rsaId, {
				...options,
				signingTime: opensslSigningTime(refFile),
			});
			expect(ours.der.toString('hex')).toBe(reference.toString('hex'));
		},
	);

	test('EC: identical apart from the (randomised) ECDSA signature value', async () => {
		openssl(dir, [
			'smime',
			'-sign',
			'-binary',
			'-in',
			'lf.fi',
			'-signer',
			ec.cert,
			'-inkey',
			ec.key,
			'-outform',
			'DER',
			'-out',
			'ec.ref.der',
		]);
		const reference = read(dir, 'ec.ref.der');
		const ours = await signDetached(FILES.lf, ecId, {
			signingTime: opensslSigningTime('ec.ref.der'),
		});
		const withoutSignature = (der: Buffer) => {
			const root = forge.asn1.fromDer(der.toString('binary'));
			const signedData = ((root.value[1] as forge.asn1.Asn1).value[0] as forge.asn1.Asn1)
				.value as forge.asn1.Asn1[];
			const signerInfo = (signedData[signedData.length - 1].value as forge.asn1.Asn1[])[0];
			(signerInfo.value as forge.asn1.Asn1[]).pop();
			return forge.asn1.toDer(root).toHex();
		};
		expect(withoutSignature(ours.der)).toBe(withoutSignature(reference));
	});

	test('signingTime after 2049 is a GeneralizedTime, and openssl accepts it', async () => {
		const der = await signFile(
			'lf',
			rsaId,
			{ signingTime: new Date('2051-03-04T05:06:07.890Z') },
			'future-time.der',
		);
		expect(der.includes(Buffer.from('20510304050607Z'))).toBe(true);
		expect(opensslVerify('cms', 'future-time.der', 'lf.fi', ca.cert).ok).toBe(true);
		expect((await verifyDetached(der, FILES.lf)).signingTime?.toISOString()).toBe(
			'2051-03-04T05:06:07.000Z',
		);
	});

	test('SHA-1 and EC SHA-1 verify with openssl', async () => {
		await signFile('crlf', rsaId, { digest: 'sha1' }, 'sha1.rsa.der');
		await signFile('crlf', ecId, { digest: 'sha1' }, 'sha1.ec.der');
		expect(opensslVerify('cms', 'sha1.rsa.der', 'crlf.fi', ca.cert).ok).toBe(true);
		expect(opensslVerify('cms', 'sha1.ec.der', 'crlf.fi', ec.cert).ok).toBe(true);
		expect(await verifyDetached(read(dir, 'sha1.ec.der'), FILES.crlf)).toMatchObject({
			valid: true,
			digestAlgorithm: 'sha1',
		});
	});

	test('with the chain, openssl verifies with only the CA and no -certfile', async () => {
		const der = await signFile('lf', rsaId, { includeChain: true }, 'chain.der');
		expect(opensslVerify('cms', 'chain.der', 'lf.fi', ca.cert).ok).toBe(true);
		const printed = openssl(dir, [
			'pkcs7',
			'-inform',
			'DER',
			'-in',
			'chain.der',
			'-print_certs',
			'-noout',
		]).toString();
		expect(printed).toContain('Test Root CA');
		expect(
			(
				await verifyDetached(der, FILES.lf, {
					trustedCertificatesPem: read(dir, ca.cert).toString(),
				})
			).valid,
		).toBe(true);
	});
});

describe('signDetached: input problems', () => {
	test('a stream that fails', async () => {
		const failing = new Readable({
			read() {
				this.destroy(new Error('disk unplugged'));
			},
		});
		await expect(signDetached(failing, rsaId)).rejects.toMatchObject({
			code: 'SIGN_INPUT_UNREADABLE',
		});
	});

	test('a stream that yields text instead of bytes', async () => {
		const text = createReadStream(join(dir, 'lf.fi'), { encoding: 'utf8' });
		const failure = signDetached(text, rsaId);
		await expect(failure).rejects.toBeInstanceOf(SocialSecurityError);
		await expect(failure).rejects.toMatchObject({ code: 'SIGN_INPUT_INVALID' });
	});

	test('signDigest refuses a digest of the wrong size', () => {
		expect(() => signDigest(Buffer.alloc(20), rsaId)).toThrow(
			expect.objectContaining({ code: 'SIGN_OPTIONS_INVALID' }),
		);
		expect(
			signDigest(createHash('sha1').update(FILES.lf).digest(), rsaId, { digest: 'sha1' }).length,
		).toBeGreaterThan(1000);
	});

	test('an unknown digest', async () => {
		await expect(signDetached(FILES.lf, rsaId, { digest: 'md5' as never })).rejects.toMatchObject({
			code: 'SIGN_OPTIONS_INVALID',
		});
	});
});

describe('verifyDetached', () => {
	const trust = () => read(dir, ca.cert).toString();

	test('FS written by openssl: smime, cms, CAdES attributes, no attributes, RSA-PSS, EC', async () => {
		const variants: Array<[string, string[], KeyPair]> = [
			['smime', ['smime', '-sign'], leaf],
			['cms', ['cms', '-sign'], leaf],
			['cades', ['cms', '-sign', '-cades'], leaf],
			['noattr', ['cms', '-sign', '-noattr'], leaf],
			['sha512', ['cms', '-sign', '-md', 'sha512'], leaf],
			['ec', ['smime', '-sign'], ec],
			['keyid', ['cms', '-sign', '-keyid'], ec], // SignerInfo v3, found by subjectKeyIdentifier
		];
		for (const [label, command, pair] of variants) {
			openssl(dir, [
				...command,
				'-binary',
				'-in',
				'binary.fi',
				'-signer',
				pair.cert,
				'-inkey',
				pair.key,
				'-outform',
				'DER',
				'-out',
				`${label}.ossl.der`,
			]);
			const fs = read(dir, `${label}.ossl.der`);
			const result = await verifyDetached(fs, createReadStream(join(dir, 'binary.fi')));
			expect({ label, ...result }).toMatchObject({ label, valid: true });
			expect((await verifyDetached(fs, tamper(FILES.binary))).valid).toBe(false);
		}
		openssl(dir, [
			'cms',
			'-sign',
			'-binary',
			'-in',
			'binary.fi',
			'-signer',
			leaf.cert,
			'-inkey',
			leaf.key,
			'-keyopt',
			'rsa_padding_mode:pss',
			'-outform',
			'DER',
			'-out',
			'pss.ossl.der',
		]);
		expect(
			(
				await verifyDetached(read(dir, 'pss.ossl.der'), FILES.binary, {
					trustedCertificatesPem: trust(),
				})
			).valid,
		).toBe(true);
		expect((await verifyDetached(read(dir, 'pss.ossl.der'), tamper(FILES.binary))).valid).toBe(
			false,
		);
	});

	test('accepts the FS as text (PEM from openssl, base64 body)', async () => {
		openssl(dir, [
			'cms',
			'-sign',
			'-binary',
			'-in',
			'lf.fi',
			'-signer',
			leaf.cert,
			'-inkey',
			leaf.key,
			'-outform',
			'PEM',
			'-out',
			'lf.pem.fs',
		]);
		expect((await verifyDetached(read(dir, 'lf.pem.fs'), FILES.lf)).valid).toBe(true);
	});

	test("the guide's text-mode recipe signs CRLF, not the LF bytes that are uploaded", async () => {
		openssl(dir, [
			'smime',
			'-sign',
			'-in',
			'lf.fi',
			'-signer',
			leaf.cert,
			'-inkey',
			leaf.key,
			'-outform',
			'DER',
			'-out',
			'textmode.der',
		]);
		const result = await verifyDetached(read(dir, 'textmode.der'), FILES.lf);
		expect(result.valid).toBe(false);
		expect(
			(
				await verifyDetached(
					read(dir, 'textmode.der'),
					Buffer.from(FILES.lf.toString().replace(/\n/g, '\r\n')),
				)
			).valid,
		).toBe(true);
	});

	test('expected certificate', async () => {
		const der = await signFile('lf', rsaId, {}, 'expected.der');
		expect(
			(await verifyDetached(der, FILES.lf, { expectedCertificateDer: certDer(dir, leaf.cert) }))
				.valid,
		).toBe(true);
		const other = await verifyDetached(der, FILES.lf, {
			expectedCertificateDer: certDer(dir, ec.cert),
		});
		expect(other.valid).toBe(false);
		expect(other.reason).toContain('another certificate');
	});

	test('an FS without certificates verifies with the expected certificate', async () => {
		openssl(dir, [
			'cms',
			'-sign',
			'-binary',
			'-nocerts',
			'-in',
			'lf.fi',
			'-signer',
			leaf.cert,
			'-inkey',
			leaf.key,
			'-outform',
			'DER',
			'-out',
			'nocerts.der',
		]);
		const fs = read(dir, 'nocerts.der');
		expect((await verifyDetached(fs, FILES.lf)).reason).toBe(
			"The signer's certificate is not in the signature file.",
		);
		expect(
			(await verifyDetached(fs, FILES.lf, { expectedCertificateDer: certDer(dir, leaf.cert) }))
				.valid,
		).toBe(true);
	});

	test('untrusted signer', async () => {
		const der = await signFile('lf', ecId, {}, 'untrusted.der');
		const result = await verifyDetached(der, FILES.lf, { trustedCertificatesPem: trust() });
		expect(result).toMatchObject({
			valid: false,
			reason: 'The certificate "EC Signer" is not issued by a trusted certificate.',
		});
		expect(opensslVerify('cms', 'untrusted.der', 'lf.fi', ca.cert).ok).toBe(false);
		const failure = verifyDetached(der, FILES.lf, { trustedCertificatesPem: 'nonsense' });
		await expect(failure).rejects.toBeInstanceOf(SocialSecurityError);
		await expect(failure).rejects.toMatchObject({ code: 'TRUSTED_CERTIFICATES_INVALID' });
	});

	test('expired signer: openssl and our verifier refuse it, except at a time when it was valid', async () => {
		const expired = datedCertificate(dir, 'expired', '20200101000000Z', '20200102000000Z');
		const identity = loadPkcs12(
			exportP12(dir, 'expired', 'pw', ['-in', expired.cert, '-inkey', expired.key]),
			'pw',
		);
		const der = await signFile('lf', identity, {}, 'expired.der');
		expect(opensslVerify('cms', 'expired.der', 'lf.fi', expired.cert).ok).toBe(false);
		const pem = read(dir, expired.cert).toString();
		const result = await verifyDetached(der, FILES.lf, { trustedCertificatesPem: pem });
		expect(result).toMatchObject({
			valid: false,
			reason: 'The certificate "expired" expired on 2020-01-02 (UTC).',
		});
		expect(
			(
				await verifyDetached(der, FILES.lf, {
					trustedCertificatesPem: pem,
					at: new Date('2020-01-01T12:00:00Z'),
				})
			).valid,
		).toBe(true);
		expect((await verifyDetached(der, FILES.lf)).valid).toBe(true); // like -noverify
	});

	test('a certificate whose key usage forbids signing is refused when trust is checked', async () => {
		const certOnly = issued(dir, 'nosign', 'rsa2048', '/CN=Encryption Only', ca, {
			keyUsage: 'keyEncipherment',
		});
		const identity = loadPkcs12(
			exportP12(dir, 'nosign', 'pw', ['-in', certOnly.cert, '-inkey', certOnly.key]),
			'pw',
		);
		const der = await signFile('lf', identity, {}, 'nosign.der');
		expect(opensslVerify('cms', 'nosign.der', 'lf.fi', ca.cert).ok).toBe(false);
		const result = await verifyDetached(der, FILES.lf, { trustedCertificatesPem: trust() });
		expect(result.reason).toContain('may not be used for signatures');
	});

	test('a changed signature value or signed attribute fails', async () => {
		const der = await signDetached(FILES.lf, rsaId);
		const badSignature = Buffer.from(der.der);
		badSignature[badSignature.length - 5] ^= 0x10;
		expect((await verifyDetached(badSignature, FILES.lf)).reason).toMatch(
			/^The signature value is wrong/,
		);
		const time = der.der.indexOf(Buffer.from('06092a864886f70d010905', 'hex'));
		const badTime = Buffer.from(der.der);
		badTime[time + 15] ^= 0x01; // a digit of signingTime
		expect((await verifyDetached(badTime, FILES.lf)).valid).toBe(false);
	});

	test('garbage is FS_INVALID and the content stream is released', async () => {
		const stream = createReadStream(join(dir, 'lf.fi'));
		await expect(verifyDetached(Buffer.from('hello'), stream)).rejects.toMatchObject({
			code: 'FS_INVALID',
		});
		expect(stream.destroyed).toBe(true);
		await expect(
			verifyDetached(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]), FILES.lf),
		).rejects.toBeInstanceOf(SocialSecurityError);
		const notSignedData = certDer(dir, leaf.cert);
		await expect(verifyDetached(notSignedData, FILES.lf)).rejects.toMatchObject({
			code: 'FS_INVALID',
		});
	});
});
