/**
 * Issue "The channel credential and one SFTP transport": every way the login fails gives its own clear
 * error, fast, on both paths n8n uses — the credential test (`checkChannel`, which never throws) and
 * `channelSettingsFromCredential` + `SftpChannel.open` (which throw a SocialSecurityError with a code).
 * No message, hint, JSON or inspected error (with its cause chain) ever holds the passphrase, the .p12
 * password, or any piece of a private key, the decrypted one included.
 */
import { createHash, createPrivateKey } from 'node:crypto';

import { checkChannel, ChannelCheckResult } from '../../../nodes/domain/channel/channelCheck';
import {
	ChannelCredentialData,
	channelSettingsFromCredential,
} from '../../../nodes/domain/channel/channelCredential';
import { SocialSecurityError } from '../../../nodes/domain/errors';
import { loadSshPrivateKey } from '../../../nodes/domain/sshKeys/privateKey';
import { SftpChannel } from '../../../nodes/domain/transport/sftpChannel';
import { freeLoopbackPort, startSshdSandbox, SshdSandbox } from '../../../sandbox/sshdSandbox';
import { describeWithSshd } from '../../helpers/sandbox';
import { selfSigned, tempDir } from '../../helpers/certificates';
import { KeyLab, MadeKey } from '../../helpers/sshKeyLab';
import {
	errorSurface,
	MadeP12,
	p12Of,
	P12_PASSWORD,
	PASSPHRASE,
	rejectionOf,
	resultSurface,
	sandboxCredential,
	SecretRegistry,
	startSilentServer,
	timed,
	WRONG_PASSPHRASE,
} from '../../helpers/channelCredential';

/**
 * A wrong passphrase for a PEM/PKCS#8 key with a known fate in OpenSSL (asked directly, not through our
 * loader): 'ordinary' fails the decryption as almost all do; 'passes padding' is one of the ~1 in 256 whose
 * garbage passes the CBC padding check and fails later, in the DER decoder.
 */
function wrongPassphrase(key: MadeKey, kind: 'ordinary' | 'passes padding'): string {
	if (!/-----BEGIN (RSA|ENCRYPTED) PRIVATE KEY-----/.test(key.text)) return WRONG_PASSPHRASE;
	for (let i = 0; i < 20_000; i++) {
		const candidate = i === 0 ? WRONG_PASSPHRASE : `${WRONG_PASSPHRASE}-${i}`;
		let code = 'none';
		try {
			createPrivateKey({ key: key.text, format: 'pem', passphrase: Buffer.from(candidate) });
		} catch (error) {
			code = String((error as { code?: unknown }).code);
		}
		if (
			kind === 'passes padding'
				? code === 'ERR_OSSL_UNSUPPORTED'
				: code !== 'ERR_OSSL_UNSUPPORTED' && code !== 'none'
		)
			return candidate;
	}
	throw new Error(`no ${kind} wrong passphrase found`);
}

interface Outcome {
	checked: ChannelCheckResult;
	checkMs: number;
	thrown: SocialSecurityError;
	openMs: number;
}

describeWithSshd(
	'Channel credential: each failure has its own clear error, without secrets',
	() => {
		const lab = new KeyLab();
		const certs = tempDir('ss-channel-p12');
		const secrets = new SecretRegistry();
		const outcomes = new Map<string, Outcome>();
		let sandbox: SshdSandbox;
		let silent: Awaited<ReturnType<typeof startSilentServer>>;
		let p12: MadeP12;
		/** Registered, OpenSSH format, protected by PASSPHRASE. */
		let encrypted: MadeKey;
		/** Registered, PEM PKCS#1 without passphrase: loads in milliseconds, for exact timings. */
		let plain: MadeKey;
		/** Encrypted keys of the other formats, for the wrong-passphrase case. */
		let otherEncrypted: Record<string, MadeKey>;
		let weak: MadeKey;
		let unregistered: MadeKey;

		beforeAll(async () => {
			encrypted = lab.sshKeygen({ bits: 2048, passphrase: PASSPHRASE });
			plain = lab.sshKeygen({ bits: 2048, format: 'PEM' });
			otherEncrypted = {
				'PEM PKCS#1': lab.sshKeygen({ bits: 2048, format: 'PEM', passphrase: PASSPHRASE }),
				'PKCS#8': lab.openssl({ bits: 2048, passphrase: PASSPHRASE }),
				'PPK v2': lab.puttygen({ bits: 2048, version: 2, passphrase: PASSPHRASE }),
				'PPK v3': lab.puttygen({ bits: 2048, passphrase: PASSPHRASE }),
			};
			weak = lab.sshKeygen({ bits: 1024 });
			unregistered = lab.sshKeygen({ bits: 2048, passphrase: PASSPHRASE });
			const signer = selfSigned(
				certs.dir,
				'signer',
				'rsa2048',
				'/C=BE/O=Acme Payroll/CN=Jane Signer',
			);
			p12 = p12Of(certs.dir, 'signer', signer);

			for (const key of [encrypted, plain, weak, unregistered, ...Object.values(otherEncrypted)]) {
				secrets.addKeyText(key.text, [key.publicKey]);
				// What the loader decrypts the key into is as secret as the file.
				const loaded = await loadSshPrivateKey(key.text, key.passphrase, { allowAnyKeyType: true });
				secrets.addKeyText(loaded.privateKey, [key.publicKey]);
			}
			secrets.addBase64(p12.base64);
			secrets.addKeyText(p12.keyPem);
			// The detector is not vacuous: it recognises each secret where it does occur.
			expect(secrets.leaksIn(encrypted.text).length).toBeGreaterThan(10);
			expect(secrets.leaksIn(p12.base64).length).toBeGreaterThan(10);
			expect(secrets.leaksIn(`x ${PASSPHRASE} ${P12_PASSWORD} x`)).toHaveLength(2);

			[sandbox, silent] = await Promise.all([
				startSshdSandbox({ authorizedKeys: [encrypted.publicKey, plain.publicKey] }),
				startSilentServer(),
			]);
		}, 60_000);

		afterAll(async () => {
			await Promise.all([sandbox?.stop(), silent?.close()]);
			lab.cleanup();
			certs.cleanup();
		});

		/** The credential of the normal case: the encrypted key and the signing certificate, both with their secrets. */
		const credential = (over: Partial<ChannelCredentialData> = {}): ChannelCredentialData =>
			sandboxCredential(sandbox, {
				privateKey: encrypted.text,
				passphrase: PASSPHRASE,
				certificateP12: p12.base64,
				certificatePassword: P12_PASSWORD,
				...over,
			});

		/** Runs both paths at once; both must fail, with the same words, and without any secret. */
		async function fail(label: string, data: ChannelCredentialData): Promise<Outcome> {
			const [check, open] = await Promise.all([
				timed(checkChannel(data)),
				timed(
					rejectionOf(
						(async () => {
							const settings = await channelSettingsFromCredential(data);
							const channel = await SftpChannel.open(settings.connection);
							await channel.close();
						})(),
					),
				),
			]);
			const outcome = {
				checked: check.value,
				checkMs: check.ms,
				thrown: open.value,
				openMs: open.ms,
			};
			outcomes.set(label, outcome);
			expect(outcome.checked.ok).toBe(false);
			// checkChannel shows what the node would throw: message and hint.
			expect(outcome.checked.message).toBe(`${outcome.thrown.message} ${outcome.thrown.hint}`);
			expect({ label, leaks: secrets.leaksIn(resultSurface(outcome.checked)) }).toEqual({
				label,
				leaks: [],
			});
			expect({ label, leaks: secrets.leaksIn(errorSurface(outcome.thrown)) }).toEqual({
				label,
				leaks: [],
			});
			return outcome;
		}

		it('wrong passphrase, for every encrypted format: SSH_KEY_PASSPHRASE_WRONG before any connection', async () => {
			const before = silent.accepted();
			const keys = { OpenSSH: encrypted, ...otherEncrypted };
			const results = await Promise.all(
				Object.entries(keys).map(async ([format, key]) => ({
					format,
					outcome: await fail(
						`wrong passphrase (${format})`,
						credential({
							privateKey: key.text,
							passphrase: wrongPassphrase(key, 'ordinary'),
							port: silent.port,
						}),
					),
				})),
			);
			for (const { format, outcome } of results) {
				expect({ format, code: outcome.thrown.code }).toEqual({
					format,
					code: 'SSH_KEY_PASSPHRASE_WRONG',
				});
				expect(outcome.checked.message).toMatch(
					/^The passphrase does not open this (private|PuTTY) key\. Check the passphrase \(it is case-sensitive\)/,
				);
				expect(outcome.checkMs).toBeLessThan(10_000);
			}
			expect(silent.accepted()).toBe(before);
		}, 60_000);

		/*
		 * About 1 wrong passphrase in 256 passes OpenSSL's CBC padding check; the garbage then fails in the DER
		 * decoder with ERR_OSSL_UNSUPPORTED. It must still be reported as a wrong passphrase, not as an
		 * unsupported format. These cases use such a passphrase (found with node:crypto, so deterministic).
		 */
		it.each(['PEM PKCS#1', 'PKCS#8'])(
			'%s: a wrong passphrase that passes the CBC padding check is still reported as a wrong passphrase',
			async (format) => {
				const key = otherEncrypted[format];
				const thrown = await rejectionOf(
					channelSettingsFromCredential(
						credential({
							privateKey: key.text,
							passphrase: wrongPassphrase(key, 'passes padding'),
						}),
					),
				);
				expect(secrets.leaksIn(errorSurface(thrown))).toEqual([]);
				expect(thrown.code).toBe('SSH_KEY_PASSPHRASE_WRONG');
			},
		);

		it('a 1024-bit RSA key: refused before connecting, saying the channel needs RSA 2048 to 4096 bits', async () => {
			const before = silent.accepted();
			const outcome = await fail(
				'1024-bit RSA key',
				credential({ privateKey: weak.text, passphrase: '', port: silent.port }),
			);
			expect(outcome.thrown.code).toBe('SSH_KEY_NOT_ALLOWED');
			expect(outcome.checked.message).toContain(
				'This is an RSA key of 1024 bits; the social security SFTP channel accepts only RSA keys of 2048 to 4096 bits.',
			);
			expect(outcome.checked.message).toContain('ssh-keygen -t rsa -b 4096');
			expect(outcome.openMs).toBeLessThan(1_000);
			expect(silent.accepted()).toBe(before);
		});

		it('a wrong host pin: HOST_KEY_MISMATCH showing every key the server presented and the pinned one', async () => {
			const [rsa, ed25519] = sandbox.hostKeys;
			const wrong = `SHA256:${createHash('sha256').update('another server').digest('base64').replace(/=+$/, '')}`;
			const outcome = await fail('wrong host pin', credential({ hostFingerprint: wrong }));
			expect(outcome.thrown.code).toBe('HOST_KEY_MISMATCH');
			expect(outcome.checked.message).toContain(
				`The server ${sandbox.host}:${sandbox.port} presented host keys ${rsa.fingerprint} (ssh-rsa) and ${ed25519.fingerprint} (ssh-ed25519), one for each type of key it has, none of them the pinned ${wrong}. The connection was refused.`,
			);
			expect(outcome.openMs).toBeLessThan(5_000);
		}, 30_000);

		it("a pin of the server's other key type (ed25519, RSA is asked first) is that server: it logs in", async () => {
			const ed25519 = sandbox.hostKeys.find((k) => k.type === 'ed25519')!;
			const result = await checkChannel(credential({ hostFingerprint: ed25519.fingerprint }));
			expect(result.ok).toBe(true);
		}, 30_000);

		it('no host pin: HOST_FINGERPRINT_MISSING showing the fingerprint to paste (and refused before connecting when required)', async () => {
			const fingerprint = sandbox.hostKeys[0].fingerprint;
			const outcome = await fail('no host pin', credential({ hostFingerprint: '' }));
			expect(outcome.thrown.code).toBe('HOST_FINGERPRINT_MISSING');
			expect(outcome.checked.message).toContain(
				`No server host key fingerprint is set in the credential. The server ${sandbox.host}:${sandbox.port} presented ${fingerprint}.`,
			);
			expect(outcome.checked.message).toContain(
				'paste it into the credential field "Server Host Key Fingerprint"',
			);

			// The nodes require the pin: they refuse before connecting.
			const required = await rejectionOf(
				channelSettingsFromCredential(credential({ hostFingerprint: '', port: silent.port }), {
					requireFingerprint: true,
				}),
			);
			expect(required.code).toBe('HOST_FINGERPRINT_MISSING');
			expect(secrets.leaksIn(errorSurface(required))).toEqual([]);
		}, 30_000);

		it('an unreachable port: CONNECTION_REFUSED', async () => {
			const port = await freeLoopbackPort();
			const outcome = await fail('unreachable port', credential({ port }));
			expect(outcome.thrown.code).toBe('CONNECTION_REFUSED');
			expect(outcome.checked.message).toContain(
				`The server ${sandbox.host}:${port} refused the connection.`,
			);
		}, 30_000);

		it('a server that accepts and never answers: CONNECTION_TIMEOUT right after the connect timeout', async () => {
			const connectTimeoutMs = 2_000;
			const before = silent.accepted();
			const outcome = await fail(
				'silent server',
				credential({
					privateKey: plain.text,
					passphrase: '',
					port: silent.port,
					advanced: { connectTimeout: connectTimeoutMs / 1000, operationTimeout: 15 },
				}),
			);
			expect(outcome.thrown.code).toBe('CONNECTION_TIMEOUT');
			expect(outcome.checked.message).toContain(
				`The server ${sandbox.host}:${silent.port} did not complete the connection and login within 2 s.`,
			);
			expect(silent.accepted()).toBe(before + 2); // it really connected, both paths
			for (const ms of [outcome.openMs, outcome.checkMs]) {
				expect(ms).toBeGreaterThanOrEqual(connectTimeoutMs - 50);
				expect(ms).toBeLessThan(connectTimeoutMs + 1_000);
			}
		}, 30_000);

		it('a key that is not registered: SSH_LOGIN_REFUSED naming the user and the key', async () => {
			const outcome = await fail(
				'key not registered',
				credential({ privateKey: unregistered.text }),
			);
			expect(outcome.thrown.code).toBe('SSH_LOGIN_REFUSED');
			expect(outcome.checked.message).toContain(
				`The server ${sandbox.host}:${sandbox.port} refused the SSH key for user ${sandbox.username} (key ${unregistered.fingerprint}).`,
			);
			expect(outcome.openMs).toBeLessThan(10_000);
		}, 30_000);

		it('every failure above had its own code, and the same credential with the right settings logs in', async () => {
			const codes = new Map(
				[...outcomes].map(([label, o]) => [label.replace(/ \(.*\)$/, ''), o.thrown.code]),
			);
			expect(new Set(codes.values()).size).toBe(codes.size);
			expect(codes.size).toBe(7);
			// The control: nothing above failed because the sandbox or the credential was broken.
			const ok = await checkChannel(credential());
			expect(ok.ok).toBe(true);
			expect(secrets.leaksIn(resultSurface(ok))).toEqual([]);
		}, 30_000);
	},
);
