/**
 * A real OpenSSH sshd on a free loopback port, laid out like a social security batch account:
 * IN, INTEST, INTEST-S, OUT, OUTTEST, OUTTEST-S at the login root, public-key login only,
 * chrooted so the login cannot reach anything outside the sandbox.
 *
 * Used by the integration tests, the simulator, the demo and `npm run sandbox`. Needs root (for the
 * chroot and the sandbox account) and /usr/sbin/sshd; `sandboxUnavailableReason()` says why not.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	rmSync,
	writeFileSync,
	readFileSync,
	chmodSync,
	chownSync,
	appendFileSync,
	openSync,
	closeSync,
} from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { ALL_FOLDERS } from '../nodes/domain/names/environments';

export const SSHD_PATH = process.env.SANDBOX_SSHD ?? '/usr/sbin/sshd';
export const SANDBOX_USER = process.env.SANDBOX_USER ?? 'expsandbox';
/** sshd refuses a chroot whose path has a group/world-writable component, so /tmp cannot hold it. */
const SANDBOX_PARENT = process.env.SANDBOX_PARENT ?? '/run/n8n-socialsecurity-sandbox';

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
	mkdirSync(SANDBOX_PARENT, { recursive: true, mode: 0o755 });
	mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
	const base = mkdtempSync(join(SANDBOX_PARENT, 's-'));
	chmodSync(base, 0o755);
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

	// -D: stay in the foreground so we own the process; -e: log to stderr, written straight to a file.
	// A file, not a pipe: a pipe must be drained by this process, and a busy or blocked event loop would
	// then stall sshd itself.
	const logFd = openSync(logFile, 'a', 0o644);
	const child: ChildProcess = spawn(SSHD_PATH, ['-D', '-e', '-f', configFile], {
		detached: true,
		stdio: ['ignore', 'ignore', logFd],
	});
	closeSync(logFd);
	let stopped = false;
	child.unref();

	const killTree = (signal: NodeJS.Signals) => {
		if (child.pid === undefined) return;
		// Session processes of a chrooted login are children of sshd; kill them too so no test leaks one.
		for (const pid of descendants(child.pid)) safeKill(pid, signal);
		try {
			process.kill(-child.pid, signal);
		} catch {
			safeKill(child.pid, signal);
		}
	};

	const sandbox: SshdSandbox = {
		host: '127.0.0.1',
		port,
		username: SANDBOX_USER,
		root,
		hostKeys,
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
			if (child.pid !== undefined)
				for (const pid of descendants(child.pid)) safeKill(pid, 'SIGSTOP');
		},
		killSessions: () => {
			if (child.pid !== undefined)
				for (const pid of descendants(child.pid)) safeKill(pid, 'SIGKILL');
		},
		thawSessions: () => {
			if (child.pid !== undefined)
				for (const pid of descendants(child.pid)) safeKill(pid, 'SIGCONT');
		},
		stop: async () => {
			if (stopped) return;
			stopped = true;
			running.delete(sandbox);
			killTree('SIGTERM');
			if (child.exitCode === null && child.signalCode === null) {
				const timer = setTimeout(() => killTree('SIGKILL'), 2000);
				await once(child, 'exit').catch(() => undefined);
				clearTimeout(timer);
			}
			rmSync(base, { recursive: true, force: true });
		},
	};
	running.add(sandbox);
	if (!exitHookInstalled) {
		exitHookInstalled = true;
		process.on('exit', () => {
			for (const s of running) s.kill('SIGKILL');
		});
	}

	try {
		await waitForListening(port, child, 10_000, () => sandbox.log());
	} catch (error) {
		await sandbox.stop();
		throw error;
	}
	return sandbox;
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
	child: ChildProcess,
	timeoutMs: number,
	log: () => string,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null)
			throw new Error(`sshd exited with code ${child.exitCode}: ${log()}`);
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
