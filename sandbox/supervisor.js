// @ts-check
/**
 * The supervisor of one sshd sandbox: the sandbox lives exactly as long as the process that started it.
 *
 * Plain JavaScript on purpose: it is started with `node` alone, from ts-node, ts-jest or anything else,
 * and must not need a TypeScript loader to clean up.
 *
 * Why: sshd runs in a session of its own (so a Ctrl+C meant for the starter does not cut it in the
 * middle of an orderly stop), so nothing ends it when its starter dies without running its clean-up
 * (SIGTERM or SIGHUP without a handler, SIGKILL, a crash): it used to linger for hours. The supervisor
 * holds the read end of a pipe whose only write end is the starter's; the kernel closes that end
 * whatever ends the starter, and the supervisor then stops sshd and its session processes and removes
 * the sandbox directory. It runs in its own session, so signals to the starter's terminal or process
 * group (Ctrl+C, `timeout`, a CI runner) do not reach it before it has done that.
 *
 * Usage: node supervisor.js <parent folder> <starter pid> <sshd path>
 * Protocol (one JSON object per line):
 *   stdout {"ready": "<sandbox dir>"}       after stale sandboxes were swept and the directory made
 *   stdin  {"start": {"argv": [...], "log": "<file>"}}   spawn sshd (argv[0]), its stderr to the log
 *   stdout {"started": <pid>} | {"error": "<message>"}
 *   stdout {"exited": <code or signal>}     sshd ended (e.g. a test simulating a crash)
 *   stdin  end of file                      stop(), or the starter is gone: stop everything, remove
 *                                           the directory, exit
 * SIGTERM, SIGINT and SIGHUP sent to the supervisor itself do the same as end of file.
 *
 * Stale sandboxes (a supervisor killed by SIGKILL, sandboxes of older versions without a supervisor)
 * are swept by the next supervisor that starts: see `sweepStale`.
 */
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** Written into each sandbox directory: who keeps it alive. */
const MARKER = 'supervisor.json';
/** A directory without a marker is left alone this long (its starter may be writing it right now). */
const UNMARKED_GRACE_MS = 60_000;

/** @param {string} file */
function readLink(file) {
	try {
		return fs.readlinkSync(file);
	} catch {
		return undefined;
	}
}

/**
 * State and start time (clock ticks since boot) of a process, from /proc/<pid>/stat.
 * @param {number} pid
 * @returns {{ state: string, ppid: number, start: string } | undefined}
 */
function processStat(pid) {
	let text;
	try {
		text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return undefined;
	}
	// The command name may hold spaces and parentheses: the fields start after the last ')'.
	const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
	return { state: fields[0], ppid: Number(fields[1]), start: fields[19] };
}

/**
 * Running (not gone, not a zombie waiting to be reaped) and, when `start` is given, the same process
 * (not another one that got the pid later).
 * @param {number} pid
 * @param {string} [start]
 */
function isRunning(pid, start) {
	const stat = processStat(pid);
	if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
	return start === undefined || stat.start === start;
}

/** @param {string} exe @param {string} sshdPath */
function isOpenSsh(exe, sshdPath) {
	const clean = exe.replace(/ \(deleted\)$/, '');
	return (
		clean === sshdPath ||
		path.basename(clean).startsWith('sshd') ||
		path.dirname(clean) === '/usr/lib/openssh'
	);
}

/**
 * Every process that belongs to the sandbox in `dir`: chrooted into it (the SFTP sessions), or an
 * OpenSSH program with a file of it open or its config on the command line (the listener, the
 * privileged session monitors: they all log to `<dir>/sshd.log`). Other programs that merely have a
 * file of it open (an editor, `tail -f`) are not ours to kill.
 * @param {string} dir
 * @param {string} sshdPath
 * @returns {number[]}
 */
function sandboxProcesses(dir, sshdPath) {
	const prefix = dir.endsWith('/') ? dir : `${dir}/`;
	/** @type {number[]} */
	const found = [];
	let entries;
	try {
		entries = fs.readdirSync('/proc');
	} catch {
		return found;
	}
	for (const entry of entries) {
		if (!/^\d+$/.test(entry)) continue;
		const pid = Number(entry);
		if (pid === process.pid || !isRunning(pid)) continue;
		const root = readLink(`/proc/${pid}/root`);
		if (root !== undefined && `${root}/`.startsWith(prefix)) {
			found.push(pid);
			continue;
		}
		const exe = readLink(`/proc/${pid}/exe`);
		if (exe === undefined || !isOpenSsh(exe, sshdPath)) continue;
		let cmdline = '';
		try {
			cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
		} catch {
			continue;
		}
		if (cmdline.includes(prefix)) {
			found.push(pid);
			continue;
		}
		let fds = [];
		try {
			fds = fs.readdirSync(`/proc/${pid}/fd`);
		} catch {
			continue;
		}
		if (fds.some((fd) => (readLink(`/proc/${pid}/fd/${fd}`) ?? '').startsWith(prefix)))
			found.push(pid);
	}
	return found;
}

/**
 * Every process below `pid`, from /proc.
 * @param {number} pid
 * @returns {number[]}
 */
function descendants(pid) {
	/** @type {number[]} */
	const result = [];
	const queue = [pid];
	while (queue.length > 0) {
		const parent = /** @type {number} */ (queue.shift());
		/** @type {number[]} */
		let children = [];
		try {
			children = fs
				.readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8')
				.trim()
				.split(/\s+/)
				.filter(Boolean)
				.map(Number);
		} catch {
			// Already gone.
		}
		result.push(...children);
		queue.push(...children);
	}
	return result;
}

/** @param {number} pid @param {NodeJS.Signals} signal */
function signalProcess(pid, signal) {
	try {
		process.kill(pid, signal);
	} catch {
		// Already gone.
	}
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {number[]} pids @param {number} timeoutMs */
async function waitGone(pids, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	while (pids.some((pid) => isRunning(pid)) && Date.now() < deadline) await sleep(20);
}

/**
 * Ends every process of the sandbox — sessions first, so their parents reap them, then the listener —
 * with SIGTERM, then SIGKILL for whatever is left; then removes the directory.
 * @param {string} dir
 * @param {number | undefined} listener
 * @param {string} sshdPath
 */
async function stopSandbox(dir, listener, sshdPath) {
	for (const signal of /** @type {NodeJS.Signals[]} */ (['SIGTERM', 'SIGKILL', 'SIGKILL'])) {
		const listening = listener !== undefined && isRunning(listener);
		const sessions = [
			...new Set([
				...(listening ? descendants(/** @type {number} */ (listener)) : []),
				...sandboxProcesses(dir, sshdPath),
			]),
		].filter((pid) => pid !== listener);
		if (!listening && sessions.length === 0) break;
		for (const pid of sessions) signalProcess(pid, signal);
		await waitGone(sessions, 1000);
		if (listening) {
			signalProcess(/** @type {number} */ (listener), signal);
			await waitGone([/** @type {number} */ (listener)], 1000);
		}
	}
	fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Removes the sandboxes under `parent` that nobody keeps alive any more, with their processes:
 * - a marked one whose supervisor and starter are both gone (the supervisor was killed by SIGKILL
 *   along with its starter);
 * - an unmarked one (an older version of this package, or a start cut before its marker was
 *   written) older than a minute whose sshd is gone or orphaned (its parent is gone or is pid 1).
 * @param {string} parent
 * @param {string} sshdPath
 * @returns {Promise<string[]>} the directories removed
 */
async function sweepStale(parent, sshdPath) {
	/** @type {string[]} */
	const removed = [];
	let names = [];
	try {
		names = fs.readdirSync(parent);
	} catch {
		return removed;
	}
	for (const name of names) {
		if (!name.startsWith('s-')) continue;
		const dir = path.join(parent, name);
		let stale = false;
		try {
			if (!fs.lstatSync(dir).isDirectory()) continue;
			const marker = readMarker(dir);
			if (marker)
				stale =
					!isRunning(marker.pid, marker.start) &&
					!(marker.starter?.start && isRunning(marker.starter.pid, marker.starter.start));
			else if (Date.now() - fs.statSync(dir).mtimeMs > UNMARKED_GRACE_MS) {
				const sshd = readPid(path.join(dir, 'sshd.pid'));
				const stat = sshd === undefined ? undefined : processStat(sshd);
				stale =
					sshd === undefined ||
					!isRunning(sshd) ||
					!sandboxProcesses(dir, sshdPath).includes(sshd) ||
					stat === undefined ||
					stat.ppid === 1 ||
					!isRunning(stat.ppid);
			}
		} catch {
			continue;
		}
		if (!stale) continue;
		await stopSandbox(dir, undefined, sshdPath);
		removed.push(dir);
	}
	return removed;
}

/**
 * @param {string} dir
 * @returns {{ pid: number, start: string, starter?: { pid: number, start: string } } | undefined}
 */
function readMarker(dir) {
	try {
		const value = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
		return typeof value.pid === 'number' && typeof value.start === 'string' ? value : undefined;
	} catch {
		return undefined;
	}
}

/** @param {string} file */
function readPid(file) {
	try {
		const pid = Number(fs.readFileSync(file, 'utf8').trim());
		return Number.isInteger(pid) && pid > 1 ? pid : undefined;
	} catch {
		return undefined;
	}
}

/** @param {string[]} argv */
async function main(argv) {
	const [parent, starterText, sshdPath] = argv;
	// The starter may be gone by the time we answer: a write to a closed pipe must not kill us.
	process.stdout.on('error', () => undefined);
	process.stderr.on('error', () => undefined);
	/** @param {object} message */
	const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

	/** @type {string | undefined} */
	let dir;
	/** @type {import('node:child_process').ChildProcess | undefined} */
	let sshd;
	/** @type {Promise<void> | undefined} */
	let stopping;
	const stop = () => {
		stopping ??= (async () => {
			try {
				if (dir) await stopSandbox(dir, sshd?.pid, sshdPath);
			} finally {
				process.exit(0);
			}
		})();
		return stopping;
	};
	for (const signal of /** @type {NodeJS.Signals[]} */ (['SIGTERM', 'SIGINT', 'SIGHUP']))
		process.on(signal, () => void stop());
	process.on('uncaughtException', (error) => {
		send({ error: `supervisor: ${error.message}` });
		void stop();
	});

	let input = '';
	process.stdin.setEncoding('utf8');
	process.stdin.on('data', (chunk) => {
		input += chunk;
		let newline;
		while ((newline = input.indexOf('\n')) >= 0) {
			const line = input.slice(0, newline);
			input = input.slice(newline + 1);
			try {
				const message = JSON.parse(line);
				if (message.start && !sshd && dir && !stopping) {
					const log = fs.openSync(message.start.log, 'a', 0o644);
					sshd = spawn(message.start.argv[0], message.start.argv.slice(1), {
						detached: true,
						stdio: ['ignore', 'ignore', log],
					});
					fs.closeSync(log);
					sshd.once('spawn', () => send({ started: sshd?.pid }));
					sshd.once('error', (error) => send({ error: `sshd could not start: ${error.message}` }));
					sshd.once('exit', (code, signal) => send({ exited: code ?? signal }));
				}
			} catch (error) {
				send({ error: `supervisor: ${error instanceof Error ? error.message : String(error)}` });
			}
		}
	});
	// End of file: the starter called stop(), or it is gone, however it ended.
	process.stdin.on('end', () => void stop());
	process.stdin.on('error', () => void stop());

	fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
	await sweepStale(parent, sshdPath);
	if (stopping) return;
	dir = fs.mkdtempSync(path.join(parent, 's-'));
	fs.chmodSync(dir, 0o755);
	const starter = Number(starterText);
	fs.writeFileSync(
		path.join(dir, MARKER),
		JSON.stringify({
			pid: process.pid,
			start: processStat(process.pid)?.start,
			starter: { pid: starter, start: processStat(starter)?.start },
		}),
		{ mode: 0o644 },
	);
	send({ ready: dir });
}

module.exports = { sandboxProcesses, sweepStale, stopSandbox, descendants, isRunning, MARKER };

if (require.main === module) {
	main(process.argv.slice(2)).catch((error) => {
		process.stdout.write(`${JSON.stringify({ error: `supervisor: ${error.message}` })}\n`);
		process.exit(1);
	});
}
