/**
 * A sandbox never outlives the process that started it (issue 17): whatever ends the starter —
 * SIGTERM, SIGINT, SIGHUP, SIGKILL, a crash — its sshd and session processes end and its directory
 * goes; `npm run sandbox` under `timeout` leaves nothing; a sandbox whose supervisor was killed too is
 * swept by the next start. Each test uses its own parent folder (SANDBOX_PARENT), so sandboxes of
 * other test files running at the same time are never counted nor touched.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	rmSync,
	utimesSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import { SANDBOX_PARENT, SSHD_PATH } from '../../sandbox/sshdSandbox';
import { MARKER, isRunning, sandboxProcesses } from '../../sandbox/supervisor';
import { describeWithSshd } from '../helpers/sandbox';
import { makeRsaKeyPair } from '../helpers/keys';

const REPO = resolve(__dirname, '..', '..');
const STARTER = join(REPO, 'test', 'helpers', 'sandboxStarter.ts');

interface Started {
	child: ChildProcess;
	port: number;
	dir: string;
	pid: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) return false;
		await sleep(50);
	}
	return true;
}

/** Every running process (but this one) whose command line names `text`: supervisors, listeners. */
function processesNaming(text: string): string[] {
	const found: string[] = [];
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry) || Number(entry) === process.pid || !isRunning(Number(entry)))
			continue;
		try {
			const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
			if (cmdline.includes(text)) found.push(`${entry} ${cmdline.trim()}`);
		} catch {
			// Gone meanwhile.
		}
	}
	return found;
}

function portOpen(port: number): Promise<boolean> {
	return new Promise((resolvePort) => {
		const socket = new Socket();
		socket.once('connect', () => {
			socket.destroy();
			resolvePort(true);
		});
		socket.once('error', () => resolvePort(false));
		socket.connect(port, '127.0.0.1');
	});
}

/** Reads the first JSON line a child prints on stdout. */
function firstJsonLine(child: ChildProcess, timeoutMs: number): Promise<Record<string, unknown>> {
	return new Promise((resolveLine, reject) => {
		let out = '';
		let err = '';
		const timer = setTimeout(
			() => reject(new Error(`no JSON line within ${timeoutMs} ms: ${out} ${err}`)),
			timeoutMs,
		);
		child.stderr?.on('data', (d: Buffer) => (err = `${err}${d.toString()}`.slice(-3000)));
		child.stdout?.on('data', (d: Buffer) => {
			out += d.toString();
			const line = out.split('\n').find((l) => l.startsWith('{'));
			if (line && out.includes('\n', out.indexOf(line))) {
				clearTimeout(timer);
				resolveLine(JSON.parse(line) as Record<string, unknown>);
			}
		});
		child.once('exit', (code, signal) => {
			clearTimeout(timer);
			reject(new Error(`exited (${code ?? signal}) before its JSON line: ${out} ${err}`));
		});
	});
}

describeWithSshd('the sandbox never outlives its starter', () => {
	const parents: string[] = [];
	const children: ChildProcess[] = [];
	let key: { privateKey: string; publicKey: string };

	beforeAll(() => {
		key = makeRsaKeyPair(2048);
	});
	afterAll(() => {
		for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
		for (const parent of parents) rmSync(parent, { recursive: true, force: true });
	});

	/** A parent folder of our own, inside the default one (sweeps look only at its `s-*` entries). */
	const newParent = () => {
		const parent = join(
			SANDBOX_PARENT,
			`lifetime-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
		);
		parents.push(parent);
		return parent;
	};

	const startStarter = async (parent: string, mode = 'idle'): Promise<Started> => {
		const child = spawn(
			process.execPath,
			['-r', 'ts-node/register/transpile-only', STARTER, mode],
			{
				cwd: REPO,
				env: { ...process.env, SANDBOX_PARENT: parent, STARTER_PUBLIC_KEY: key.publicKey },
				stdio: ['ignore', 'pipe', 'pipe'],
			},
		);
		children.push(child);
		const info = await firstJsonLine(child, 60_000);
		return { child, port: info.port as number, dir: info.dir as string, pid: info.pid as number };
	};

	/** An SFTP login held open by this process, so that session processes exist. */
	const openSession = async (port: number) => {
		const client = new SftpClient('lifetime', {
			error: () => undefined,
			end: () => undefined,
			close: () => undefined,
		});
		await client.connect({
			host: '127.0.0.1',
			port,
			username: 'expsandbox',
			privateKey: key.privateKey,
			readyTimeout: 10_000,
		});
		expect((await client.list('/')).map((e) => e.name)).toContain('OUTTEST');
		return client;
	};

	const expectNothingLeft = async (parent: string, started?: { dir: string; pid: number }) => {
		const clean = () =>
			processesNaming(parent).length === 0 &&
			(started === undefined ||
				(sandboxProcesses(started.dir, SSHD_PATH).length === 0 &&
					!isRunning(started.pid) &&
					!existsSync(started.dir))) &&
			(!existsSync(parent) || readdirSync(parent).filter((n) => n.startsWith('s-')).length === 0);
		await waitUntil(clean, 10_000);
		expect(processesNaming(parent)).toEqual([]);
		if (started) {
			expect(sandboxProcesses(started.dir, SSHD_PATH)).toEqual([]);
			expect(isRunning(started.pid)).toBe(false);
			expect(existsSync(started.dir)).toBe(false);
		}
		if (existsSync(parent))
			expect(readdirSync(parent).filter((n) => n.startsWith('s-'))).toEqual([]);
	};

	it.each(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGKILL', 'crash'])(
		'a starter ended by %s leaves no sshd, no session process and no chroot',
		async (how) => {
			const parent = newParent();
			const started = await startStarter(parent, how === 'crash' ? 'crash' : 'idle');
			const client = await openSession(started.port);
			try {
				// The listener and at least one session (monitor, chrooted sftp) are there before.
				expect(sandboxProcesses(started.dir, SSHD_PATH).length).toBeGreaterThanOrEqual(3);
				started.child.kill(how === 'crash' ? 'SIGUSR2' : (how as NodeJS.Signals));
				await new Promise((r) =>
					started.child.exitCode !== null || started.child.signalCode !== null
						? r(undefined)
						: started.child.once('exit', r),
				);
				if (how === 'crash') expect(started.child.exitCode).toBe(1);
				await expectNothingLeft(parent, started);
				expect(await portOpen(started.port)).toBe(false);
			} finally {
				await client.end().catch(() => undefined);
			}
		},
	);

	describe('npm run sandbox', () => {
		const work = mkdtempSync(join(tmpdir(), 'ss-lifetime-'));
		afterAll(() => rmSync(work, { recursive: true, force: true }));

		const npmSandbox = (parent: string, args: string[] = []) =>
			spawn('npm', ['run', '--silent', 'sandbox', '--', '--dir', join(work, 'files'), ...args], {
				cwd: REPO,
				env: { ...process.env, SANDBOX_PARENT: parent },
				stdio: ['ignore', 'pipe', 'pipe'],
				// Its own process group, as a terminal or `timeout` runs it: the signal goes to the group.
				detached: true,
			});

		it('`timeout -s TERM 5 npm run sandbox` leaves no sshd', async () => {
			const parent = newParent();
			const code = await new Promise<number | null>((resolveRun) =>
				execFile(
					'timeout',
					['-s', 'TERM', '5', 'npm', 'run', '--silent', 'sandbox', '--', '--dir', join(work, 't')],
					{ cwd: REPO, env: { ...process.env, SANDBOX_PARENT: parent } },
					(error) => resolveRun(error ? ((error as { code?: number }).code ?? 1) : 0),
				),
			);
			// 124: timeout sent SIGTERM (the sandbox was still starting or running, depending on the machine).
			expect([0, 124]).toContain(code);
			await expectNothingLeft(parent);
		});

		it('SIGTERM to its process group while it is still starting (sshd up, simulator not yet) leaves no sshd', async () => {
			const parent = newParent();
			const child = npmSandbox(parent, ['--once']);
			children.push(child);
			const exited = new Promise((r) => child.once('exit', r));
			const sshdUp = await waitUntil(
				() =>
					existsSync(parent) &&
					readdirSync(parent).some((n) => existsSync(join(parent, n, 'sshd.pid'))),
				60_000,
			);
			expect(sshdUp).toBe(true);
			process.kill(-(child.pid as number), 'SIGTERM');
			await exited;
			await expectNothingLeft(parent);
		});

		it('SIGKILL to its process group once it runs leaves no sshd', async () => {
			const parent = newParent();
			const child = npmSandbox(parent, ['--once']);
			children.push(child);
			const exited = new Promise((r) => child.once('exit', r));
			const info = await firstJsonLine(child, 90_000);
			expect(await portOpen(info.port as number)).toBe(true);
			process.kill(-(child.pid as number), 'SIGKILL');
			await exited;
			await expectNothingLeft(parent);
			expect(await portOpen(info.port as number)).toBe(false);
		});
	});

	it('the next start sweeps a sandbox whose supervisor was killed with its starter, and old unmarked ones', async () => {
		const parent = newParent();
		const first = await startStarter(parent);
		const marker = JSON.parse(readFileSync(join(first.dir, MARKER), 'utf8')) as { pid: number };
		// Both killed at once, as a cgroup kill would: nothing is left to clean up, sshd is orphaned.
		process.kill(marker.pid, 'SIGKILL');
		first.child.kill('SIGKILL');
		await waitUntil(() => !isRunning(marker.pid), 5000);
		await sleep(300);
		expect(isRunning(first.pid)).toBe(true);
		expect(existsSync(first.dir)).toBe(true);

		// A sandbox of an older version (no marker) whose sshd is gone, a minute old; and a fresh one.
		const old = join(parent, 's-oldver');
		const fresh = join(parent, 's-fresh');
		for (const dir of [old, fresh]) mkdirSync(join(dir, 'root'), { recursive: true });
		const past = new Date(Date.now() - 5 * 60_000);
		utimesSync(old, past, past);

		const second = await startStarter(parent);
		try {
			expect(isRunning(first.pid)).toBe(false);
			expect(sandboxProcesses(first.dir, SSHD_PATH)).toEqual([]);
			expect(existsSync(first.dir)).toBe(false);
			expect(existsSync(old)).toBe(false);
			// Someone may be making it right now: left alone for a minute.
			expect(existsSync(fresh)).toBe(true);
			expect(await portOpen(second.port)).toBe(true);
		} finally {
			rmSync(fresh, { recursive: true, force: true });
			second.child.kill('SIGTERM');
		}
		await expectNothingLeft(parent, second);
	});
});
