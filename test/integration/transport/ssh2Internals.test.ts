/**
 * Guards the private fields of ssh2 that nodes/domain/transport/ssh2Internals.ts relies on. Each use
 * there falls back to ssh2's own behaviour when a field is gone (slower, or without the legacy ssh-rsa
 * login); this test is what notices, on a real connection to the sandbox sshd.
 */
import { readFileSync } from 'node:fs';
import { Client, type SFTPWrapper } from 'ssh2';
import { startSshdSandbox, SshdSandbox } from '../../../sandbox/sshdSandbox';
import {
	coalesceWrites,
	hideServerSignatureAlgorithms,
	maxReadLength,
	maxWriteLength,
	missingSsh2Internals,
} from '../../../nodes/domain/transport/ssh2Internals';
import { describeWithSshd } from '../../helpers/sandbox';
import { makeRsaKeyPair } from '../../helpers/keys';

describeWithSshd('ssh2 private fields used by the transport', () => {
	let sandbox: SshdSandbox;
	const key = makeRsaKeyPair();
	beforeAll(async () => {
		sandbox = await startSshdSandbox({ authorizedKeys: [key.publicKey], hostKeyTypes: ['rsa'] });
	});
	afterAll(async () => sandbox?.stop());

	const version = (
		JSON.parse(readFileSync(require.resolve('ssh2/package.json'), 'utf8')) as { version: string }
	).version;
	it(`are all there in ssh2 ${version}`, async () => {
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
		});
		try {
			// Right after connect(), as the transport uses them.
			expect(missingSsh2Internals(ssh)).toEqual([]);
			expect(hideServerSignatureAlgorithms(ssh)).toBe(true);
			expect(coalesceWrites(ssh)).toBe(true);
			const sftp = await ready;
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
});
