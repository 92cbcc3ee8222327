/**
 * Guards the private fields of ssh2 that nodes/domain/transport/ssh2Internals.ts relies on. Each use
 * there falls back to ssh2's own behaviour when a field is gone (slower, or without the legacy ssh-rsa
 * login); this test is what notices, on a real connection to the sandbox sshd.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, type SFTPWrapper } from 'ssh2';
import { startSshdSandbox, SshdSandbox } from '../../../sandbox/sshdSandbox';
import {
	coalesceWrites,
	hideServerSignatureAlgorithms,
	maxReadLength,
	maxWriteLength,
	missingSsh2Internals,
	paddingIsPooled,
	poolPaddingBytes,
} from '../../../nodes/domain/transport/ssh2Internals';
import { describeWithSshd } from '../../helpers/sandbox';
import { makeRsaKeyPair } from '../../helpers/keys';

describeWithSshd('ssh2 private fields used by the transport', () => {
	let sandbox: SshdSandbox;
	const key = makeRsaKeyPair();
	beforeAll(async () => {
		sandbox = await startSshdSandbox({
			authorizedKeys: [key.publicKey],
			hostKeyTypes: ['rsa'],
			// Key exchanges during a transfer: every new outbound cipher must take its padding from the pool.
			extraConfig: ['RekeyLimit 128K'],
		});
	});
	afterAll(async () => sandbox?.stop());

	const version = (
		JSON.parse(readFileSync(require.resolve('ssh2/package.json'), 'utf8')) as { version: string }
	).version;
	/**
	 * Starts a connection to the sandbox and returns at once, as the transport's connect() does: the
	 * private fields are used between connect() and 'ready'. `algorithms` forces a cipher (and MAC).
	 */
	function startConnection(algorithms?: { cipher: string[]; hmac?: string[] }) {
		const ssh = new Client();
		const ready = new Promise<SFTPWrapper>((resolve, reject) => {
			ssh.once('error', reject);
			ssh.once('ready', () => ssh.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
		});
		ssh.connect({
			host: sandbox.host,
			port: sandbox.port,
			username: sandbox.username,
			privateKey: key.privateKey,
			readyTimeout: 5000,
			hostVerifier: () => true,
			...(algorithms ? { algorithms: algorithms as never } : {}),
		});
		return { ssh, ready };
	}

	it(`are all there in ssh2 ${version}`, async () => {
		const { ssh, ready } = startConnection();
		try {
			// Right after connect(), as the transport uses them.
			expect(missingSsh2Internals(ssh)).toEqual([]);
			expect(hideServerSignatureAlgorithms(ssh)).toBe(true);
			expect(coalesceWrites(ssh)).toBe(true);
			expect(poolPaddingBytes(ssh)).toBe(true);
			const sftp = await ready;
			expect(paddingIsPooled(ssh)).toBe(true);
			expect(missingSsh2Internals(ssh, sftp)).toEqual([]);
			// OpenSSH announces limits@openssh.com: ssh2 reads 256 KiB from it, not its 32 KiB default.
			expect(maxWriteLength(sftp, 1)).toBeGreaterThanOrEqual(32 * 1024);
			expect(maxReadLength(sftp, 1)).toBeGreaterThanOrEqual(32 * 1024);
			// Writes through the corked socket still arrive.
			const names = await new Promise<string[]>((resolve, reject) =>
				sftp.readdir('/', (err, list) =>
					err ? reject(err) : resolve(list.map((e) => e.filename).sort()),
				),
			);
			expect(names).toEqual(expect.arrayContaining(['IN', 'OUT']));
		} finally {
			ssh.end();
		}
	});
	/** Connects with one cipher (and MAC) forced, the padding pool in place from connect() on. */
	async function connectWith(algorithms: { cipher: string[]; hmac?: string[] }) {
		const { ssh, ready } = startConnection(algorithms);
		expect(poolPaddingBytes(ssh)).toBe(true);
		return { ssh, sftp: await ready };
	}

	/** Writes `bytes` to a new remote file and reads them back: sshd drops a packet whose padding is wrong. */
	async function roundTrip(sftp: SFTPWrapper, name: string, bytes: Buffer): Promise<Buffer> {
		const path = `/IN/${name}`;
		const handle = await new Promise<Buffer>((resolve, reject) =>
			sftp.open(path, 'wx', (err, h) => (err ? reject(err) : resolve(h))),
		);
		await new Promise<void>((resolve, reject) =>
			sftp.write(handle, bytes, 0, bytes.length, 0, (err) => (err ? reject(err) : resolve())),
		);
		await new Promise<void>((resolve, reject) =>
			sftp.close(handle, (err) => (err ? reject(err) : resolve())),
		);
		return new Promise<Buffer>((resolve, reject) =>
			sftp.readFile(path, (err, data) => (err ? reject(err) : resolve(data))),
		);
	}

	// The pooled padding reproduces ssh2's packet layout for each of its JavaScript cipher classes.
	it.each([
		{ cipher: ['aes128-gcm@openssh.com'] },
		{ cipher: ['aes256-gcm@openssh.com'] },
		{ cipher: ['chacha20-poly1305@openssh.com'] },
		{ cipher: ['aes128-ctr'], hmac: ['hmac-sha2-256'] },
		{ cipher: ['aes256-ctr'], hmac: ['hmac-sha2-512-etm@openssh.com'] },
	])('packets padded from the pool are what ssh2 makes and sshd takes: %j', async (algorithms) => {
		const { ssh, sftp } = await connectWith(algorithms);
		try {
			expect(paddingIsPooled(ssh)).toBe(true);
			const cipher = (
				ssh as unknown as {
					_protocol: { _cipher: { allocPacket(n: number): Buffer } };
				}
			)._protocol._cipher;
			const own = Object.getPrototypeOf(cipher) as { allocPacket(n: number): Buffer };
			// Lengths, length field and padding length as ssh2's own allocPacket makes them.
			for (const n of [0, 1, 2, 3, 4, 7, 8, 11, 15, 16, 17, 31, 100, 255, 1000, 32768]) {
				const ours = cipher.allocPacket(n);
				const theirs = own.allocPacket.call(cipher, n);
				expect([n, ours.length, ours.readUInt32BE(0), ours[4]]).toEqual([
					n,
					theirs.length,
					theirs.readUInt32BE(0),
					theirs[4],
				]);
			}
			// The padding differs from packet to packet (drawn, not a constant).
			const tails = new Set(
				Array.from({ length: 8 }, () => cipher.allocPacket(3).subarray(8).toString('hex')),
			);
			expect(tails.size).toBe(8);
			// And sshd takes them: a large write (many packets) comes back intact through the key exchanges
			// sshd starts every 128 KiB (RekeyLimit), each of which puts a new cipher in place.
			const big = randomBytes(300 * 1024);
			const name = algorithms.cipher[0].replace(/[^a-z0-9]/g, '');
			expect((await roundTrip(sftp, `${name}-1`, big)).equals(big)).toBe(true);
			const after = (ssh as unknown as { _protocol: { _cipher: object } })._protocol._cipher;
			expect(after).not.toBe(cipher);
			expect(paddingIsPooled(ssh)).toBe(true);
			expect((await roundTrip(sftp, `${name}-2`, Buffer.from('GO'))).toString()).toBe('GO');
		} finally {
			ssh.end();
		}
	});
});
