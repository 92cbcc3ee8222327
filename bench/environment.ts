/**
 * What the poll and sets benchmarks share: a sandbox sshd with a fresh key, the targets to measure
 * (loopback, and the delaying proxy for a real round trip), a work folder, and a clean-up that also runs
 * on Ctrl+C or SIGTERM.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { sandboxUnavailableReason, SshdSandbox, startSshdSandbox } from '../sandbox/sshdSandbox';
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
