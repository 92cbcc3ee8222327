/**
 * Two ways to put a round trip between an SFTP client and the sandbox sshd, for the upload benchmark:
 *
 * - `startNetnsLink`: a network namespace joined to this one by a veth pair with `tc netem delay` on
 *   both ends. The client runs inside the namespace (`ip netns exec`), sshd stays where the sandbox put
 *   it and also listens on the host end of the veth (an extra `ListenAddress`, so sshdSandbox.ts needs
 *   no change). This is a real kernel path with real TCP windows. Needs root, iproute2 and a kernel with
 *   sch_netem; `netemUnavailableReason()` says why not.
 * - `startDelayProxy`: a TCP proxy on loopback that holds every chunk for `oneWayDelayMs` in each
 *   direction. Works everywhere, but the proxy buffers for the sender (its TCP windows are those of two
 *   loopback legs) and costs CPU of its own.
 *
 * Only loopback and namespaces created here are touched; everything is removed again by `stop()`.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface DelayProxy {
	host: string;
	port: number;
	/** Bytes that went client → server and server → client. */
	bytes(): { up: number; down: number };
	stop(): Promise<void>;
}

/** Stop reading from a side while this much is held for the other (the link has no infinite buffer). */
const PROXY_HIGH_WATER = 16 * 1024 * 1024;
const PROXY_LOW_WATER = 4 * 1024 * 1024;

/**
 * A loopback TCP proxy to `targetHost:targetPort` that delays each chunk by `oneWayDelayMs` in each
 * direction (a round trip of twice that), keeping order. Nagle is off on all four sockets.
 */
export async function startDelayProxy(
	targetHost: string,
	targetPort: number,
	oneWayDelayMs: number,
): Promise<DelayProxy> {
	const sockets = new Set<Socket>();
	const counters = { up: 0, down: 0 };
	const server: Server = createServer((client) => {
		const upstream = new Socket();
		for (const s of [client, upstream]) {
			sockets.add(s);
			s.setNoDelay(true);
			s.on('close', () => sockets.delete(s));
			s.on('error', () => {
				client.destroy();
				upstream.destroy();
			});
		}
		// Hold client bytes until the upstream connection is there; the delay applies from arrival.
		pipeDelayed(client, upstream, oneWayDelayMs, (n) => (counters.up += n));
		pipeDelayed(upstream, client, oneWayDelayMs, (n) => (counters.down += n));
		upstream.connect(targetPort, targetHost);
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	return {
		host: '127.0.0.1',
		port,
		bytes: () => ({ ...counters }),
		stop: async () => {
			for (const s of sockets) s.destroy();
			server.close();
			await once(server, 'close').catch(() => undefined);
		},
	};
}

function pipeDelayed(from: Socket, to: Socket, delayMs: number, count: (n: number) => void): void {
	const queue: Array<{ at: number; data: Buffer }> = [];
	let held = 0;
	let timer: NodeJS.Timeout | undefined;
	let ended = false;
	let connected = to.readyState === 'open';
	const maybeResume = () => {
		if (from.isPaused() && held + to.writableLength < PROXY_LOW_WATER) from.resume();
	};
	const flush = () => {
		timer = undefined;
		if (!connected) return;
		const now = performance.now();
		while (queue.length > 0 && queue[0].at <= now) {
			const { data } = queue.shift() as { at: number; data: Buffer };
			held -= data.length;
			count(data.length);
			to.write(data);
		}
		if (queue.length === 0 && ended) to.end();
		maybeResume();
		schedule();
	};
	const schedule = () => {
		if (timer === undefined && queue.length > 0)
			timer = setTimeout(flush, Math.max(0, queue[0].at - performance.now()));
	};
	to.on('connect', () => {
		connected = true;
		flush();
	});
	to.on('drain', maybeResume);
	from.on('data', (data: Buffer) => {
		queue.push({ at: performance.now() + delayMs, data });
		held += data.length;
		if (held + to.writableLength > PROXY_HIGH_WATER) from.pause();
		schedule();
	});
	from.on('end', () => {
		ended = true;
		if (queue.length === 0 && connected) to.end();
	});
	from.on('close', () => {
		// An orderly end is passed on by flush() once the held bytes are out; an abrupt close is passed
		// on after the delay, as a link would.
		if (!ended) setTimeout(() => to.destroy(), delayMs);
	});
}

export interface NetnsLink {
	/** Namespace the client runs in. */
	namespace: string;
	/** Address of the host end (where sshd must listen). */
	hostAddress: string;
	/** Address of the namespace end. */
	namespaceAddress: string;
	/** Prefix a command with this to run it inside the namespace. */
	exec: string[];
	stop(): void;
}

const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : 'ip';
const TC = existsSync('/usr/sbin/tc') ? '/usr/sbin/tc' : 'tc';

function sh(file: string, args: string[]): void {
	execFileSync(file, args, { stdio: 'pipe' });
}

/**
 * Creates namespace `name` with a veth pair (/30 in 10.231.x.0) and, when `oneWayDelayMs` > 0, netem
 * delay on both ends. The names are derived from the process id so parallel runs do not collide.
 */
export function startNetnsLink(
	oneWayDelayMs: number,
	subnet = 10 + (process.pid % 200),
): NetnsLink {
	const namespace = `ssbench${process.pid}`;
	const hostIf = `ssbh${process.pid}`.slice(0, 15);
	const nsIf = `ssbn${process.pid}`.slice(0, 15);
	const hostAddress = `10.231.${subnet}.1`;
	const namespaceAddress = `10.231.${subnet}.2`;
	const stop = () => {
		for (const args of [
			['link', 'del', hostIf],
			['netns', 'del', namespace],
		]) {
			try {
				sh(IP, args);
			} catch {
				// Already gone (deleting one end of a veth deletes the other).
			}
		}
	};
	try {
		sh(IP, ['netns', 'add', namespace]);
		sh(IP, ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
		sh(IP, ['link', 'set', nsIf, 'netns', namespace]);
		sh(IP, ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
		sh(IP, ['link', 'set', hostIf, 'up']);
		sh(IP, ['netns', 'exec', namespace, IP, 'addr', 'add', `${namespaceAddress}/30`, 'dev', nsIf]);
		sh(IP, ['netns', 'exec', namespace, IP, 'link', 'set', nsIf, 'up']);
		sh(IP, ['netns', 'exec', namespace, IP, 'link', 'set', 'lo', 'up']);
		if (oneWayDelayMs > 0) {
			// A generous limit: netem's default queue of 1000 packets drops at ~64 KiB × 1000 / 10 ms.
			const netem = [
				'qdisc',
				'add',
				'dev',
				'',
				'root',
				'netem',
				'delay',
				`${oneWayDelayMs}ms`,
				'limit',
				'100000',
			];
			sh(
				TC,
				netem.map((a, i) => (i === 3 ? hostIf : a)),
			);
			sh(IP, ['netns', 'exec', namespace, TC, ...netem.map((a, i) => (i === 3 ? nsIf : a))]);
		}
	} catch (error) {
		stop();
		const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
		throw new Error(`Could not set up the namespace link: ${stderr || String(error)}`);
	}
	return { namespace, hostAddress, namespaceAddress, exec: [IP, 'netns', 'exec', namespace], stop };
}

let netemReason: string | undefined | null = null;

/** Why a netns + netem link cannot be made here (undefined: it can). Probed once, leaves nothing behind. */
export function netemUnavailableReason(): string | undefined {
	if (netemReason !== null) return netemReason;
	if (typeof process.getuid === 'function' && process.getuid() !== 0)
		netemReason = 'network namespaces need root';
	else if (!existsSync(IP) || !existsSync(TC))
		netemReason = 'ip/tc missing: apt-get install -y iproute2';
	else {
		try {
			startNetnsLink(1, 250).stop();
			netemReason = undefined;
		} catch (error) {
			netemReason = (error as Error).message.replace(/^Could not set up the namespace link: /, '');
			if (/qdisc kind is unknown/i.test(netemReason))
				netemReason = `the kernel has no sch_netem (tc: "${netemReason}")`;
		}
	}
	return netemReason;
}
