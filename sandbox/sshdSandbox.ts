/**
 * A real OpenSSH sshd on a free loopback port, laid out like a social security batch account:
 * IN, INTEST, INTEST-S, OUT, OUTTEST, OUTTEST-S at the login root, public-key login only,
 * chrooted so the login cannot reach anything outside the sandbox.
 *
 * Used by the integration tests, the simulator, the demo and `npm run sandbox`. Needs root (for the
 * chroot and the sandbox account) and /usr/sbin/sshd; `sandboxUnavailableReason()` says why not.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
	existsSync,
	mkdirSync,
	writeFileSync,
	readFileSync,
	chownSync,
	appendFileSync,
} from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { ALL_FOLDERS } from '../nodes/domain/names/environments';
import { stopSandbox } from './supervisor';

export const SSHD_PATH = process.env.SANDBOX_SSHD ?? '/usr/sbin/sshd';
export const SANDBOX_USER = process.env.SANDBOX_USER ?? 'expsandbox';
/** sshd refuses a chroot whose path has a group/world-writable component, so /tmp cannot hold it. */
export const SANDBOX_PARENT = process.env.SANDBOX_PARENT ?? '/run/n8n-socialsecurity-sandbox';
/** Plain JavaScript, run by `node` alone: see the file for why it exists. */
const SUPERVISOR_SCRIPT = join(__dirname, 'supervisor.js');

export interface SandboxOptions {
	/** Host key types to offer (default rsa + ed25519, as most servers do). */
	hostKeyTypes?: Array<'rsa' | 'ed25519' | 'ecdsa'>;
	/** Public keys (OpenSSH one-line form) allowed to log in. More can be added later. */
	authorizedKeys?: string[];
	/** Accept only the legacy `ssh-rsa` (SHA-1) user-auth signature, as the real server is reported to. */
	onlyLegacySshRsa?: boolean;
	/** Extra sshd_config lines. */
	extraConfig?: string[];
}

export interface HostKeyInfo {
	type: string;
	/** `SHA256:…` as `ssh-keygen -l -E sha256` prints it. */
	fingerprint: string;
	publicKey: string;
}

export interface SshdSandbox {
	host: string;
	port: number;
	username: string;
	/** Directory on this machine that the login sees as `/`. */
	root: string;
	hostKeys: HostKeyInfo[];
	/** The sshd log (LogLevel VERBOSE): logins and every SFTP operation in order. */
	log(): string;
	addAuthorizedKey(publicKeyLine: string): void;
	/** Path on this machine of a file in a sandbox folder, e.g. `pathOf('INTEST', 'GO.…')`. */
	pathOf(folder: string, name?: string): string;
	/** Writes a file as the sandbox user would own it (so an SFTP delete works). */
	writeFile(folder: string, name: string, content: string | Buffer): void;
	/** The pid of the listening sshd. */
	pid: number;
	/** Kills sshd and every session process it started, then removes the sandbox directory. */
	stop(): Promise<void>;
	/** Stops sshd without removing files (to simulate a server crash). */
	kill(signal?: NodeJS.Signals): void;
	/** Freezes (SIGSTOP) or thaws (SIGCONT) the session processes: connections stay open but nothing answers. */
	freezeSessions(): void;
	/** Kills the session processes: every open connection drops, the server keeps listening. */
	killSessions(): void;
	thawSessions(): void;
}

export function sandboxUnavailableReason(): string | undefined {
	if (!existsSync(SSHD_PATH))
		return `${SSHD_PATH} is missing: install the Debian package openssh-server`;
	if (typeof process.getuid === 'function' && process.getuid() !== 0) {
		return 'the sandbox needs root (sshd chroot and a sandbox account)';
	}
	if (!existsSync('/usr/bin/ssh-keygen')) return 'ssh-keygen is missing: install openssh-client';
	return undefined;
}

const running = new Set<SshdSandbox>();
let exitHookInstalled = false;

export async function startSshdSandbox(options: SandboxOptions = {}): Promise<SshdSandbox> {
	const reason = sandboxUnavailableReason();
	if (reason) throw new Error(`The SFTP sandbox cannot start: ${reason}`);
	const { uid, gid } = ensureSandboxUser();
	mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
	// The supervisor makes the sandbox directory and removes it, with every process of the sandbox, when
	// this process ends in any way (stop(), SIGTERM, SIGKILL, a crash); it also sweeps stale sandboxes.
	const supervisor = await startSupervisor(SANDBOX_PARENT);
	try {
		return await startInside(supervisor, options, uid, gid);
	} catch (error) {
		await supervisor.stop();
		throw error;
	}
}

async function startInside(
	supervisor: Supervisor,
	options: SandboxOptions,
	uid: number,
	gid: number,
): Promise<SshdSandbox> {
	const base = supervisor.dir;
	const etc = join(base, 'etc');
	const root = join(base, 'root');
	mkdirSync(etc, { mode: 0o755 });
	mkdirSync(root, { mode: 0o755 });
	for (const folder of ALL_FOLDERS) {
		mkdirSync(join(root, folder), { mode: 0o755 });
		chownSync(join(root, folder), uid, gid);
	}

	const hostKeyTypes = options.hostKeyTypes ?? ['rsa', 'ed25519'];
	const hostKeys: HostKeyInfo[] = [];
	const hostKeyLines: string[] = [];
	for (const type of hostKeyTypes) {
		const file = join(etc, `ssh_host_${type}_key`);
		execFileSync('ssh-keygen', [
			'-q',
			'-t',
			type,
			...(type === 'rsa' ? ['-b', '3072'] : []),
			'-N',
			'',
			'-f',
			file,
		]);
		hostKeyLines.push(`HostKey ${file}`);
		const listed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])
			.toString()
			.trim();
		hostKeys.push({
			type,
			fingerprint: listed.split(/\s+/)[1],
			publicKey: readFileSync(`${file}.pub`, 'utf8').trim(),
		});
	}
	const authorizedKeys = join(etc, 'authorized_keys');
	writeFileSync(
		authorizedKeys,
		(options.authorizedKeys ?? []).map((k) => `${k.trim()}\n`).join(''),
		{ mode: 0o644 },
	);

	const logFile = join(base, 'sshd.log');
	const userAuth = options.onlyLegacySshRsa
		? ['PubkeyAcceptedAlgorithms ssh-rsa']
		: ['PubkeyAcceptedAlgorithms +ssh-rsa'];
	const port = await freeLoopbackPort();
	const config = [
		`Port ${port}`,
		'ListenAddress 127.0.0.1',
		...hostKeyLines,
		`PidFile ${join(base, 'sshd.pid')}`,
		`AuthorizedKeysFile ${authorizedKeys}`,
		'PubkeyAuthentication yes',
		'PasswordAuthentication no',
		'KbdInteractiveAuthentication no',
		'UsePAM no',
		'StrictModes no',
		`AllowUsers ${SANDBOX_USER}`,
		...userAuth,
		`ChrootDirectory ${root}`,
		'ForceCommand internal-sftp -l VERBOSE -d /',
		'Subsystem sftp internal-sftp',
		'AllowTcpForwarding no',
		'AllowAgentForwarding no',
		'X11Forwarding no',
		'PermitTTY no',
		'LogLevel VERBOSE',
		'MaxStartups 100:30:200',
		'MaxSessions 50',
		...(options.extraConfig ?? []),
	];
	const configFile = join(etc, 'sshd_config');
	writeFileSync(configFile, `${config.join('\n')}\n`, { mode: 0o644 });
	execFileSync(SSHD_PATH, ['-t', '-f', configFile]);

	// -D: stay in the foreground so the supervisor owns the process; -e: log to stderr, written straight
	// to a file. A file, not a pipe: a pipe must be drained, and a busy or blocked event loop would then
	// stall sshd itself.
	const pid = await supervisor.startSshd([SSHD_PATH, '-D', '-e', '-f', configFile], logFile);
	let stopped = false;

	const killTree = (signal: NodeJS.Signals) => {
		// Session processes of a chrooted login are children of sshd; kill them too so no test leaks one.
		for (const child of descendants(pid)) safeKill(child, signal);
		try {
			process.kill(-pid, signal);
		} catch {
			safeKill(pid, signal);
		}
	};

	const sandbox: SshdSandbox = {
		host: '127.0.0.1',
		port,
		username: SANDBOX_USER,
		root,
		hostKeys,
		pid,
		log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
		addAuthorizedKey: (line) => appendFileSync(authorizedKeys, `${line.trim()}\n`),
		pathOf: (folder, name) => (name === undefined ? join(root, folder) : join(root, folder, name)),
		writeFile: (folder, name, content) => {
			const file = join(root, folder, name);
			writeFileSync(file, content);
			chownSync(file, uid, gid);
		},
		kill: (signal = 'SIGKILL') => killTree(signal),
		freezeSessions: () => {
			for (const child of descendants(pid)) safeKill(child, 'SIGSTOP');
		},
		killSessions: () => {
			for (const child of descendants(pid)) safeKill(child, 'SIGKILL');
		},
		thawSessions: () => {
			for (const child of descendants(pid)) safeKill(child, 'SIGCONT');
		},
		stop: async () => {
			if (stopped) return;
			stopped = true;
			running.delete(sandbox);
			await supervisor.stop();
			// The supervisor was gone already (killed from outside): do its work here.
			if (existsSync(base)) await stopSandbox(base, pid, SSHD_PATH);
		},
	};
	running.add(sandbox);
	if (!exitHookInstalled) {
		exitHookInstalled = true;
		// Immediate on a normal exit; the supervisor removes the directory right after.
		process.on('exit', () => {
			for (const s of running) s.kill('SIGKILL');
		});
	}

	try {
		await waitForListening(port, supervisor, 10_000, () => sandbox.log());
	} catch (error) {
		await sandbox.stop();
		throw error;
	}
	supervisor.detach();
	return sandbox;
}

interface Supervisor {
	/** The sandbox directory it made (and removes). */
	dir: string;
	/** Spawns sshd under the supervisor; resolves with its pid. */
	startSshd(argv: string[], logFile: string): Promise<number>;
	/** How sshd ended (exit code or signal), once it has. */
	sshdExit(): number | string | undefined;
	/** Lets this process exit while the supervisor runs (its pipe still ends the sandbox then). */
	detach(): void;
	/** Closes the pipe: the supervisor stops sshd and its sessions, removes the directory and exits. */
	stop(): Promise<void>;
}

type SupervisorMessage = {
	ready?: string;
	started?: number;
	error?: string;
	exited?: number | string | null;
};

async function startSupervisor(parent: string): Promise<Supervisor> {
	const env = { ...process.env };
	delete env.NODE_OPTIONS; // a loader or debugger meant for this process has no business there
	const child = spawn(
		process.execPath,
		[SUPERVISOR_SCRIPT, parent, String(process.pid), SSHD_PATH],
		// Its own session: a signal to this terminal or process group must not end it before it cleans up.
		{ detached: true, stdio: ['pipe', 'pipe', 'pipe'], env },
	);
	const received: SupervisorMessage[] = [];
	const waiting = new Set<() => void>();
	let sshdExit: number | string | undefined;
	let stderr = '';
	let buffer = '';
	const wake = () => {
		for (const check of [...waiting]) check();
	};
	child.stdout?.setEncoding('utf8');
	child.stdout?.on('data', (chunk: string) => {
		buffer += chunk;
		for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
			const line = buffer.slice(0, newline);
			buffer = buffer.slice(newline + 1);
			try {
				const message = JSON.parse(line) as SupervisorMessage;
				if ('exited' in message) sshdExit = message.exited ?? 'unknown';
				else received.push(message);
			} catch {
				stderr = `${stderr}${line}\n`.slice(-2000);
			}
		}
		wake();
	});
	child.stderr?.on('data', (chunk: Buffer) => {
		stderr = `${stderr}${chunk.toString('utf8')}`.slice(-2000);
	});
	child.stdin?.on('error', () => undefined); // the supervisor is gone: stop() copes
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	child.once('exit', wake);
	child.once('error', (error) => {
		stderr = `${stderr}${error.message}`;
		wake();
	});
	const gone = () => child.exitCode !== null || child.signalCode !== null;

	const next = (key: keyof SupervisorMessage, timeoutMs: number): Promise<SupervisorMessage> =>
		new Promise((resolve, reject) => {
			const finish = () => {
				clearTimeout(timer);
				waiting.delete(check);
			};
			const check = () => {
				const index = received.findIndex((m) => key in m || 'error' in m);
				if (index >= 0) {
					finish();
					const [message] = received.splice(index, 1);
					if (message.error !== undefined) reject(new Error(message.error));
					else resolve(message);
				} else if (gone()) {
					finish();
					reject(new Error(`the sandbox supervisor ended: ${stderr.trim() || 'no output'}`));
				}
			};
			const timer = setTimeout(() => {
				finish();
				reject(new Error(`the sandbox supervisor did not answer within ${timeoutMs} ms`));
			}, timeoutMs);
			waiting.add(check);
			check();
		});

	const stop = async () => {
		if (gone()) return;
		child.ref();
		child.stdin?.end();
		const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
		await exited;
		clearTimeout(timer);
	};
	let dir: string;
	try {
		// Sweeping stale sandboxes first may take a few seconds.
		dir = (await next('ready', 60_000)).ready as string;
	} catch (error) {
		await stop();
		throw new Error(
			`The SFTP sandbox cannot start: ${error instanceof Error ? error.message : String(error)}`,
		);
	}
	return {
		dir,
		startSshd: async (argv, logFile) => {
			child.stdin?.write(`${JSON.stringify({ start: { argv, log: logFile } })}\n`);
			return (await next('started', 10_000)).started as number;
		},
		sshdExit: () => sshdExit,
		detach: () => {
			child.unref();
			for (const stream of [child.stdin, child.stdout, child.stderr])
				(stream as unknown as Socket | null)?.unref();
		},
		stop,
	};
}

function ensureSandboxUser(): { uid: number; gid: number } {
	const lookup = () => execFileSync('id', ['-u', SANDBOX_USER]).toString().trim();
	let uid: string;
	try {
		uid = lookup();
	} catch {
		execFileSync('useradd', [
			'--system',
			'--no-create-home',
			'--home-dir',
			'/',
			'--shell',
			'/usr/sbin/nologin',
			SANDBOX_USER,
		]);
		uid = lookup();
	}
	// A "!" password marks the account locked, and sshd (without PAM) then refuses even key logins.
	execFileSync('usermod', ['-p', '*', SANDBOX_USER]);
	const gid = execFileSync('id', ['-g', SANDBOX_USER]).toString().trim();
	return { uid: Number(uid), gid: Number(gid) };
}

export async function freeLoopbackPort(): Promise<number> {
	const server = createServer();
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	server.close();
	await once(server, 'close');
	return port;
}

async function waitForListening(
	port: number,
	supervisor: Supervisor,
	timeoutMs: number,
	log: () => string,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const exit = supervisor.sshdExit();
		if (exit !== undefined) throw new Error(`sshd exited with ${exit}: ${log()}`);
		const ok = await new Promise<boolean>((resolve) => {
			const socket = new Socket();
			socket.once('connect', () => {
				socket.destroy();
				resolve(true);
			});
			socket.once('error', () => resolve(false));
			socket.connect(port, '127.0.0.1');
		});
		if (ok) return;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error(`sshd did not listen on port ${port} within ${timeoutMs} ms: ${log()}`);
}

/** Every process below `pid` (children, their children, …), from /proc. */
export function descendants(pid: number): number[] {
	const result: number[] = [];
	const queue = [pid];
	while (queue.length > 0) {
		const parent = queue.shift() as number;
		let children: string[] = [];
		try {
			children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8')
				.trim()
				.split(/\s+/)
				.filter(Boolean);
		} catch {
			// The process is already gone.
		}
		for (const c of children) {
			result.push(Number(c));
			queue.push(Number(c));
		}
	}
	return result;
}

function safeKill(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(pid, signal);
	} catch {
		// Already exited.
	}
}
