/**
 * What the poll and sets benchmarks share: a sandbox sshd with a fresh key, the targets to measure
 * (loopback, and the delaying proxy for a real round trip), a work folder, and a clean-up that also runs
 * on Ctrl+C or SIGTERM.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import {
	descendants,
	sandboxUnavailableReason,
	SshdSandbox,
	startSshdSandbox,
} from '../sandbox/sshdSandbox';
import { makeRsaKeyPair } from '../test/helpers/keys';
import { DelayProxy, startDelayProxy } from './netem';
import { Target } from './upload';

export interface BenchEnvironment {
	/** A work folder of this run, removed by `close`. */
	dir: string;
	key: ReturnType<typeof makeRsaKeyPair>;
	sandbox: SshdSandbox;
	targets: Target[];
	close: () => Promise<void>;
}

export const loadAverage = () =>
	readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;
const SAMPLE_EVERY_MS = 20;

/**
 * Measures the CPU time (user + system) the sandbox's sessions spend during a run: sshd's session
 * processes (the privileged monitor, the network child and the SFTP server it forks) are sampled every
 * 20 ms and the last reading of each is kept. sshd's own `cutime` cannot be used: the network child is
 * not reaped by a process whose times add up to the listener's. A process's last 20 ms can be missed.
 * On a machine whose cores the client shares with the server, what the server spends is a floor under
 * any client's wall time (bench/poll.ts, bench/sets.ts).
 */
export function startServerCpuMeter(sandbox: SshdSandbox): { stop: () => number } {
	const ticks = new Map<number, number>();
	const sample = () => {
		for (const pid of descendants(sandbox.pid)) {
			try {
				const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
				// After "(comm) " the state is field 3 of proc(5): utime (14) and stime (15) are at 11 and 12.
				const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
				ticks.set(pid, Number(fields[11]) + Number(fields[12]));
			} catch {
				// Ended between the listing and the read: its last sample stands.
			}
		}
	};
	sample();
	const before = new Map(ticks);
	// Unref'd: a run that throws before stop() does not keep the bench process alive.
	const timer = setInterval(sample, SAMPLE_EVERY_MS).unref();
	let total: number | undefined;
	return {
		/** The CPU time so far; the first call ends the sampling, later calls give the same figure. */
		stop: () => {
			if (total !== undefined) return total;
			clearInterval(timer);
			sample();
			let sum = 0;
			for (const [pid, t] of ticks) sum += t - (before.get(pid) ?? 0);
			total = (sum * 1000) / TICKS_PER_SECOND;
			return total;
		},
	};
}

export async function startBenchEnvironment(options: {
	name: string;
	latency?: 'proxy' | 'off';
	oneWayDelayMs: number;
	log: (line: string) => void;
}): Promise<BenchEnvironment> {
	const reason = sandboxUnavailableReason();
	if (reason) throw new Error(`The ${options.name} benchmark needs the sandbox sshd: ${reason}`);
	if (!existsSync('/usr/bin/sftp'))
		throw new Error(`The ${options.name} benchmark needs the OpenSSH sftp client (/usr/bin/sftp)`);
	const dir = mkdtempSync(join(tmpdir(), `${options.name}-bench-`));
	const key = makeRsaKeyPair(2048);
	let sandbox: SshdSandbox | undefined;
	let proxy: DelayProxy | undefined;
	const cleanup = async () => {
		await proxy?.stop();
		await sandbox?.stop();
		rmSync(dir, { recursive: true, force: true });
		rmSync(dirname(key.path), { recursive: true, force: true });
	};
	const onSignal = (signal: NodeJS.Signals) => {
		options.log(`${signal}: cleaning up`);
		void cleanup().finally(() => process.exit(130));
	};
	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);
	const close = async () => {
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
		await cleanup();
	};
	try {
		sandbox = await startSshdSandbox({ authorizedKeys: [key.publicKey] });
		const targets: Target[] = [
			{ label: 'loopback', host: sandbox.host, port: sandbox.port, exec: [] },
		];
		if ((options.latency ?? 'proxy') === 'proxy') {
			proxy = await startDelayProxy(sandbox.host, sandbox.port, options.oneWayDelayMs);
			targets.push({
				label: `${2 * options.oneWayDelayMs} ms RTT (delaying proxy)`,
				host: proxy.host,
				port: proxy.port,
				exec: [],
			});
		}
		return { dir, key, sandbox, targets, close };
	} catch (error) {
		await close();
		throw error;
	}
}
