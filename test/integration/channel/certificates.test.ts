/**
 * Issue "The channel credential and one SFTP transport": the credential test also checks the signing
 * certificate (.p12) of the credential, against a real sshd login. Certificates are made by openssl at
 * test time; subjects and dates are read back with openssl, not with our code.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

import { checkChannel, ChannelCheckResult } from '../../../nodes/domain/channel/channelCheck';
import type { ChannelCredentialData } from '../../../nodes/domain/channel/channelCredential';
import { startSshdSandbox, SshdSandbox } from '../../../sandbox/sshdSandbox';
import { describeWithSshd } from '../../helpers/sandbox';
import { datedCertificate, openssl, read, selfSigned, tempDir } from '../../helpers/certificates';
import { KeyLab, MadeKey } from '../../helpers/sshKeyLab';
import {
	asn1Time,
	loggedInWith,
	MadeP12,
	p12Of,
	P12_PASSWORD,
	PASSPHRASE,
	resultSurface,
	sandboxCredential,
	SecretRegistry,
	WRONG_P12_PASSWORD,
} from '../../helpers/channelCredential';

const DAY_MS = 24 * 60 * 60 * 1000;

describeWithSshd('Channel credential: the credential test checks the signing certificate', () => {
	const lab = new KeyLab();
	const certs = tempDir('ss-channel-certs');
	const secrets = new SecretRegistry();
	let sandbox: SshdSandbox;
	let key: MadeKey;
	let okMessage: string;
	let valid: MadeP12;
	let expired: MadeP12;
	let expiringSoon: MadeP12;
	let mismatched: string;

	beforeAll(async () => {
		key = lab.sshKeygen({ bits: 2048, passphrase: PASSPHRASE });
		secrets.addKeyText(key.text, [key.publicKey]);
		const now = Date.now();
		valid = p12Of(
			certs.dir,
			'valid',
			selfSigned(certs.dir, 'valid', 'rsa2048', '/C=BE/O=Acme Payroll/CN=Jane Signer', {
				days: 400,
			}),
		);
		expired = p12Of(
			certs.dir,
			'expired',
			datedCertificate(certs.dir, 'expired-signer', '20200101000000Z', '20210101000000Z'),
		);
		expiringSoon = p12Of(
			certs.dir,
			'soon',
			datedCertificate(
				certs.dir,
				'soon-signer',
				asn1Time(new Date(now - 300 * DAY_MS)),
				asn1Time(new Date(now + 10 * DAY_MS + 2 * 60 * 60 * 1000)),
			),
		);
		mismatched = mismatchedP12();
		for (const p of [valid, expired, expiringSoon]) {
			secrets.addBase64(p.base64);
			secrets.addKeyText(p.keyPem);
		}
		secrets.addBase64(mismatched);
		sandbox = await startSshdSandbox({ authorizedKeys: [key.publicKey] });
		okMessage = `Connected as ${sandbox.username} to ${sandbox.host}:${sandbox.port} (host key ${sandbox.hostKeys[0].fingerprint}); all six folders are there.`;
	}, 60_000);

	afterAll(async () => {
		await sandbox?.stop();
		lab.cleanup();
		certs.cleanup();
	});

	/**
	 * The key of one certificate with another's certificate. `openssl pkcs12 -export` refuses that
	 * ("No certificate matches private key"), node-forge writes it (3DES, SHA-1 MAC).
	 */
	function mismatchedP12(): string {
		const a = selfSigned(certs.dir, 'mismatch-a', 'rsa2048', '/CN=Certificate A');
		const b = selfSigned(certs.dir, 'mismatch-b', 'rsa2048', '/CN=Certificate B');
		secrets.addKeyText(read(certs.dir, b.key).toString());
		const asn1 = forge.pkcs12.toPkcs12Asn1(
			forge.pki.privateKeyFromPem(read(certs.dir, b.key).toString()),
			[forge.pki.certificateFromPem(read(certs.dir, a.cert).toString())],
			P12_PASSWORD,
			{ algorithm: '3des' },
		);
		const der = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
		// openssl confirms the file holds B's key and A's certificate.
		const file = join(certs.dir, 'mismatch.p12');
		writeFileSync(file, der);
		const pem = openssl(certs.dir, [
			'pkcs12',
			'-in',
			file,
			'-nodes',
			'-passin',
			`pass:${P12_PASSWORD}`,
		]).toString();
		writeFileSync(join(certs.dir, 'mismatch-content.pem'), pem);
		const keyModulus = openssl(certs.dir, [
			'rsa',
			'-in',
			'mismatch-content.pem',
			'-noout',
			'-modulus',
		]).toString();
		const certModulus = openssl(certs.dir, [
			'x509',
			'-in',
			'mismatch-content.pem',
			'-noout',
			'-modulus',
		]).toString();
		expect(keyModulus).toBe(
			openssl(certs.dir, ['rsa', '-in', b.key, '-noout', '-modulus']).toString(),
		);
		expect(certModulus).toBe(
			openssl(certs.dir, ['x509', '-in', a.cert, '-noout', '-modulus']).toString(),
		);
		expect(keyModulus).not.toBe(certModulus);
		return der.toString('base64');
	}

	const credential = (
		certificateP12: string,
		certificatePassword = P12_PASSWORD,
	): ChannelCredentialData =>
		sandboxCredential(sandbox, {
			privateKey: key.text,
			passphrase: PASSPHRASE,
			certificateP12,
			certificatePassword,
		});

	const noSecrets = (result: ChannelCheckResult) =>
		expect(secrets.leaksIn(resultSurface(result))).toEqual([]);

	it('valid .p12: ok, naming the certificate subject and its end date', async () => {
		const result = await checkChannel(credential(valid.base64));
		expect(valid.subject).toBe('C=BE, O=Acme Payroll, CN=Jane Signer');
		expect(result).toEqual({
			ok: true,
			message: `${okMessage} Signing certificate: ${valid.subject}, valid until ${valid.notAfterDay}.`,
			serverFingerprint: sandbox.hostKeys[0].fingerprint,
			warnings: [],
		});
		expect(loggedInWith(sandbox, key.fingerprint)).toBe(true);
		noSecrets(result);
	}, 30_000);

	it('expired → not ok; expiring in 10 days → ok with a warning; wrong .p12 password → a plain message; key not matching its certificate → not ok', async () => {
		const [expiredResult, soonResult, wrongPassword, mismatch] = await Promise.all([
			checkChannel(credential(expired.base64)),
			checkChannel(credential(expiringSoon.base64)),
			checkChannel(credential(valid.base64, WRONG_P12_PASSWORD)),
			checkChannel(credential(mismatched)),
		]);

		// Expired: not ok, with the day it expired.
		expect(expired.notAfterDay).toBe('2021-01-01');
		expect(expiredResult).toMatchObject({
			ok: false,
			message: 'The signing certificate "expired-signer" expired on 2021-01-01 (UTC).',
		});

		// Expiring in 10 days: ok (the login was tested), with a warning that says when.
		const warning = `The signing certificate "soon-signer" expires in 10 days, on ${expiringSoon.notAfterDay} (UTC). Order its renewal now.`;
		expect(soonResult).toEqual({
			ok: true,
			message: `${okMessage} Signing certificate: ${expiringSoon.subject}, valid until ${expiringSoon.notAfterDay}. Warning: ${warning}`,
			serverFingerprint: sandbox.hostKeys[0].fingerprint,
			warnings: [warning],
		});

		// Wrong password: a plain sentence, not the parser's jargon.
		expect(wrongPassword).toMatchObject({
			ok: false,
			message:
				'The signing certificate (.p12) could not be opened: wrong password or damaged file (its integrity check failed). Type the password that was chosen when the certificate was exported (it is case-sensitive). If it is right, the file was changed on the way: upload the original .p12/.pfx again, unchanged.',
		});
		expect(wrongPassword.message).not.toMatch(/MAC|PKCS|forge|invalid password\?|error:/i);

		// Key and certificate that do not belong together.
		expect(mismatch).toMatchObject({
			ok: false,
			message:
				'The private key in the signing certificate file does not belong to any certificate in it. Export the certificate again from the store where it was installed together with its own private key.',
		});

		for (const r of [expiredResult, soonResult, wrongPassword, mismatch]) noSecrets(r);
	}, 30_000);
});
