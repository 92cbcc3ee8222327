import { createServer, Server, Socket } from 'node:net';
import { once } from 'node:events';
import { randomBytes, createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { SftpChannel, SftpChannelOptions } from '../../../nodes/domain/transport/sftpChannel';
import { SocialSecurityError } from '../../../nodes/domain/errors';
import { freeLoopbackPort, startSshdSandbox, SshdSandbox } from '../../../sandbox/sshdSandbox';
import { describeWithSshd } from '../../helpers/sandbox';
import { makeRsaKeyPair } from '../../helpers/keys';

describeWithSshd('SftpChannel against a real sshd', () => {
	let sandbox: SshdSandbox;
	let options: SftpChannelOptions;
	const key = makeRsaKeyPair();

	beforeAll(async () => {
		sandbox = await startSshdSandbox({ authorizedKeys: [key.publicKey] });
		options = {
			host: sandbox.host,
			port: sandbox.port,
			username: sandbox.username,
			privateKey: key.privateKey,
			hostFingerprints: [sandbox.hostKeys[0].fingerprint], // the RSA key: we prefer RSA host keys
			connectTimeoutMs: 5000,
			operationTimeoutMs: 5000,
		};
	});
	afterAll(async () => sandbox?.stop());

	const codeOf = async (promise: Promise<unknown>) => {
		try {
			await promise;
		} catch (error) {
			expect(error).toBeInstanceOf(SocialSecurityError);
			return error as SocialSecurityError;
		}
		throw new Error('expected a failure');
	};

	it('uploads, lists, downloads and deletes with the host key pinned, and never overwrites', async () => {
		const channel = await SftpChannel.open(options);
		try {
			expect(channel.presentedFingerprint).toBe(sandbox.hostKeys[0].fingerprint);
			const content = randomBytes(3 * 1024 * 1024 + 17);
			const up = await channel.uploadExclusive(
				Readable.from([content.subarray(0, 100), content.subarray(100)]),
				'/INTEST/FI.TEST',
			);
			expect(up).toEqual({
				size: content.length,
				sha256: createHash('sha256').update(content).digest('hex'),
			});
			expect(readFileSync(sandbox.pathOf('INTEST', 'FI.TEST')).equals(content)).toBe(true);

			const listed = await channel.list('/INTEST');
			expect(listed).toEqual([
				expect.objectContaining({ name: 'FI.TEST', type: 'file', size: content.length }),
			]);

			const again = await codeOf(
				channel.uploadExclusive(Readable.from([Buffer.from('other')]), '/INTEST/FI.TEST'),
			);
			expect(again.code).toBe('REMOTE_EXISTS');
			expect(readFileSync(sandbox.pathOf('INTEST', 'FI.TEST')).equals(content)).toBe(true);

			const sink = new PassThrough();
			const parts: Buffer[] = [];
			sink.on('data', (d: Buffer) => parts.push(d));
			const down = await channel.download('/INTEST/FI.TEST', sink);
			expect(down.sha256).toBe(up.sha256);
			expect(Buffer.concat(parts).equals(content)).toBe(true);

			await channel.createEmptyExclusive('/INTEST/GO.TEST');
			expect((await channel.stat('/INTEST/GO.TEST'))?.size).toBe(0);
			await channel.delete('/INTEST/FI.TEST');
			await channel.delete('/INTEST/GO.TEST');
			expect(await channel.stat('/INTEST/FI.TEST')).toBeUndefined();
			expect((await codeOf(channel.list('/NOPE'))).code).toBe('REMOTE_NOT_FOUND');
		} finally {
			await channel.close();
		}
	});

	it('downloads empty and odd-sized files exactly', async () => {
		const channel = await SftpChannel.open({ ...options, pipelineDepth: 4 });
		try {
			for (const size of [0, 1, 255 * 1024, 256 * 1024, 1024 * 1024 + 1]) {
				const content = randomBytes(size);
				sandbox.writeFile('OUT', `F${size}`, content);
				const parts: Buffer[] = [];
				const sink = new PassThrough();
				sink.on('data', (d: Buffer) => parts.push(d));
				const r = await channel.download(`/OUT/F${size}`, sink);
				expect(r.size).toBe(size);
				expect(Buffer.concat(parts).equals(content)).toBe(true);
			}
		} finally {
			await channel.close();
		}
	});

	it('refuses another host key and shows every key the server presented', async () => {
		const wrong = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
		const error = await codeOf(SftpChannel.open({ ...options, hostFingerprints: [wrong] }));
		expect(error.code).toBe('HOST_KEY_MISMATCH');
		expect(sandbox.hostKeys.map((k) => k.type).sort()).toEqual(['ed25519', 'rsa']);
		for (const key of sandbox.hostKeys) expect(error.message).toContain(key.fingerprint);
		expect(error.message).toContain('(ssh-rsa)');
		expect(error.message).toContain('(ssh-ed25519)');
		expect(error.message).toContain(wrong);
		expect(error.details).toEqual({ presentedFingerprint: sandbox.hostKeys[0].fingerprint });
	});

	it("accepts a pin of the server's ed25519 key although RSA is offered first", async () => {
		const ed = sandbox.hostKeys.find((k) => k.type === 'ed25519')!;
		const channel = await SftpChannel.open({ ...options, hostFingerprints: [ed.fingerprint] });
		try {
			expect(channel.presentedFingerprint).toBe(ed.fingerprint);
			expect(await channel.list('/INTEST')).toEqual([]);
		} finally {
			await channel.close();
		}
		// The next connection to that server offers the type that matched first, and RSA still works.
		const again = await SftpChannel.open({ ...options, hostFingerprints: [ed.fingerprint] });
		expect(again.presentedFingerprint).toBe(ed.fingerprint);
		await again.close();
		const rsa = await SftpChannel.open(options);
		expect(rsa.presentedFingerprint).toBe(sandbox.hostKeys[0].fingerprint);
		await rsa.close();
	});

	it('without a pin, refuses and shows the fingerprint to paste', async () => {
		const error = await codeOf(SftpChannel.open({ ...options, hostFingerprints: [] }));
		expect(error.code).toBe('HOST_FINGERPRINT_MISSING');
		expect(error.message).toContain(sandbox.hostKeys[0].fingerprint);
	});

	it('pins an ed25519 key when only that algorithm is negotiated', async () => {
		const ed = sandbox.hostKeys.find((k) => k.type === 'ed25519')!;
		const channel = await SftpChannel.open({
			...options,
			hostFingerprints: [ed.fingerprint],
			hostKeyAlgorithms: ['ssh-ed25519'],
		});
		await channel.close();
	});

	it('says when the key is not accepted for the user', async () => {
		const stranger = makeRsaKeyPair();
		const error = await codeOf(SftpChannel.open({ ...options, privateKey: stranger.privateKey }));
		expect(error.code).toBe('SSH_LOGIN_REFUSED');
		expect(error.message).toContain(sandbox.username);
		expect(error.message).not.toContain('PRIVATE KEY');
	});

	it('says when the port is closed', async () => {
		const port = await freeLoopbackPort();
		const error = await codeOf(SftpChannel.open({ ...options, port }));
		expect(error.code).toBe('CONNECTION_REFUSED');
	});

	it('does not hang on a server that accepts TCP and never answers', async () => {
		const accepted: Socket[] = [];
		const silent: Server = createServer((socket) => accepted.push(socket));
		silent.listen(0, '127.0.0.1');
		await once(silent, 'listening');
		const port = (silent.address() as { port: number }).port;
		const started = Date.now();
		const error = await codeOf(SftpChannel.open({ ...options, port, connectTimeoutMs: 1500 }));
		expect(error.code).toBe('CONNECTION_TIMEOUT');
		expect(Date.now() - started).toBeLessThan(6000);
		accepted.forEach((socket) => socket.destroy());
		silent.close();
	});

	it('ends an upload with a timeout when the server stops answering mid-transfer', async () => {
		const channel = await SftpChannel.open({ ...options, operationTimeoutMs: 1500 });
		const big = Readable.from(
			(function* () {
				for (let i = 0; i < 400; i += 1) yield randomBytes(256 * 1024);
			})(),
		);
		const started = Date.now();
		const upload = channel.uploadExclusive(big, '/INTEST/FI.STALL');
		await new Promise((r) => setTimeout(r, 50));
		sandbox.freezeSessions();
		try {
			const error = await codeOf(upload);
			expect(['OPERATION_TIMEOUT', 'CONNECTION_LOST']).toContain(error.code);
			expect(Date.now() - started).toBeLessThan(8000);
		} finally {
			sandbox.thawSessions();
			await channel.close();
		}
	});
});

describeWithSshd('Login signature with a server that accepts only ssh-rsa', () => {
	let sandbox: SshdSandbox;
	const key = makeRsaKeyPair();
	beforeAll(async () => {
		sandbox = await startSshdSandbox({
			authorizedKeys: [key.publicKey],
			hostKeyTypes: ['rsa'],
			onlyLegacySshRsa: true,
		});
	});
	afterAll(async () => sandbox?.stop());
	const open = (legacySshRsaLogin: boolean) =>
		SftpChannel.open({
			host: sandbox.host,
			port: sandbox.port,
			username: sandbox.username,
			privateKey: key.privateKey,
			hostFingerprints: [sandbox.hostKeys[0].fingerprint],
			connectTimeoutMs: 5000,
			legacySshRsaLogin,
		});

	it('is refused with rsa-sha2-256, which ssh2 picks from the advertised list', async () => {
		const failure = open(false);
		await expect(failure).rejects.toBeInstanceOf(SocialSecurityError);
		await expect(failure).rejects.toMatchObject({ code: 'SSH_LOGIN_REFUSED' });
	});

	it('logs in with the legacy ssh-rsa signature when asked', async () => {
		const channel = await open(true);
		expect((await channel.list('/')).length).toBe(6);
		await channel.close();
		expect(sandbox.log()).toMatch(/Accepted publickey for expsandbox .*RSA SHA256/);
	});
});
