import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import { startSshdSandbox, SshdSandbox } from '../../sandbox/sshdSandbox';
import { describeWithSshd, fingerprintHex } from '../helpers/sandbox';

describeWithSshd('SFTP sandbox (real OpenSSH sshd)', () => {
	let sandbox: SshdSandbox;
	let privateKey: Buffer;

	beforeAll(async () => {
		const dir = mkdtempSync(join(tmpdir(), 'sandbox-test-'));
		execFileSync('ssh-keygen', [
			'-q',
			'-t',
			'rsa',
			'-b',
			'2048',
			'-N',
			'',
			'-f',
			join(dir, 'id_rsa'),
		]);
		privateKey = readFileSync(join(dir, 'id_rsa'));
		sandbox = await startSshdSandbox({
			authorizedKeys: [readFileSync(join(dir, 'id_rsa.pub'), 'utf8')],
			hostKeyTypes: ['rsa'],
		});
	});
	afterAll(async () => sandbox?.stop());

	const connect = (pin: string) => {
		const client = new SftpClient('sandbox-test', {
			error: () => undefined,
			end: () => undefined,
			close: () => undefined,
		});
		return client
			.connect({
				host: sandbox.host,
				port: sandbox.port,
				username: sandbox.username,
				privateKey,
				hostHash: 'sha256',
				hostVerifier: (hash: string) => hash === fingerprintHex(pin),
				readyTimeout: 5000,
			} as SftpClient.ConnectOptions)
			.then(() => client);
	};

	it('lays out the six folders at the login root and reports the host key fingerprint', async () => {
		expect(sandbox.hostKeys[0].fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
		const client = await connect(sandbox.hostKeys[0].fingerprint);
		try {
			const names = (await client.list('/')).map((e) => e.name).sort();
			expect(names).toEqual(['IN', 'INTEST', 'INTEST-S', 'OUT', 'OUTTEST', 'OUTTEST-S']);
		} finally {
			await client.end();
		}
	});

	it('accepts an upload and lists it with the host key pinned', async () => {
		const client = await connect(sandbox.hostKeys[0].fingerprint);
		try {
			await client.put(Buffer.from('hello'), '/INTEST/FI.DMFA.000123.20260101.00001.T.1.1');
			const listed = await client.list('/INTEST');
			expect(listed.map((e) => [e.name, e.size])).toEqual([
				['FI.DMFA.000123.20260101.00001.T.1.1', 5],
			]);
		} finally {
			await client.end();
		}
		expect(
			readFileSync(sandbox.pathOf('INTEST', 'FI.DMFA.000123.20260101.00001.T.1.1'), 'utf8'),
		).toBe('hello');
	});

	it('keeps the login inside the sandbox', async () => {
		const client = await connect(sandbox.hostKeys[0].fingerprint);
		try {
			// In the chroot, /etc does not exist: the machine's own files are out of reach.
			expect(await client.exists('/etc/passwd')).toBe(false);
			expect(await client.exists('/../../etc/passwd')).toBe(false);
		} finally {
			await client.end();
		}
	});

	it('refuses a connection when the pinned host key does not match', async () => {
		const wrongPin = `SHA256:${Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')}`;
		await expect(connect(wrongPin)).rejects.toThrow(/verification failed|Host denied/i);
	});

	it('stops every process it started', async () => {
		const other = await startSshdSandbox({ hostKeyTypes: ['ed25519'] });
		const root = other.root;
		await other.stop();
		expect(existsSync(root)).toBe(false);
		const stillRunning = execFileSync('ps', ['-eo', 'args'])
			.toString()
			.split('\n')
			.filter((l) => l.includes(root));
		expect(stillRunning).toEqual([]);
	});
});
