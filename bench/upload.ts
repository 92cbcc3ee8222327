/**
 * Upload benchmark: our SftpChannel.uploadExclusive against OpenSSH's `sftp -b … put` into the same
 * sandbox sshd, in the same run, on the same files. Each measurement is a process of its own so peak RSS
 * is that of the uploader alone.
 *
 *   npx ts-node --transpile-only bench/upload.ts [sizes…] [--runs N] [--depths 1,16,64] [--latency auto|netns|proxy|off] [--delay ms]
 *   (--delay: one way, default 10; `--latency netns --delay 0` checks the namespace path without netem)
 *
 * Needs root (the sandbox sshd chroots its login) and the OpenSSH sftp client.
 *
 * Measuring pitfalls this file works around:
 * - Our child is plain JS transpiled from our sources, not ts-node: ts-node loads the TypeScript compiler,
 *   +54 MiB RSS before the first byte (109 MiB against 55 MiB for loading sftpChannel alone).
 * - Peak RSS comes from /usr/bin/time (else the child's VmHWM), never from a direct child's
 *   `process.resourceUsage().maxRSS`: Linux carries the parent's RSS at fork over exec into the child's
 *   maxRSS, so a child of this process would report this process's (ts-node's) RSS.
 * - Children are spawned asynchronously: the sandbox sshd logs into a pipe this process drains, and a
 *   blocked event loop (spawnSync) fills it until sshd stops answering new logins.
 * "MB/s" is 10^6 bytes per second; sizes are MiB/GiB.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	statSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';

import ts from 'typescript';

import { sandboxUnavailableReason, SshdSandbox, startSshdSandbox } from '../sandbox/sshdSandbox';
import { makeRsaKeyPair } from '../test/helpers/keys';
import {
	DelayProxy,
	netemUnavailableReason,
	NetnsLink,
	startDelayProxy,
	startNetnsLink,
} from './netem';
import { startServerCpuMeter } from './environment';
import { makeFile } from './sign';
import {
	benchArgs,
	choice,
	count,
	counts,
	formatSize,
	median,
	parseSize,
	runAsScript,
} from './cli';

const ROOT = join(__dirname, '..');
const ENTRY = 'nodes/domain/transport/sftpChannel.ts';
const TIME = '/usr/bin/time';
const MIB = 1024 * 1024;
const MB = 1e6;
/** SftpChannel's default pipelineDepth. */
// Keep in step with DEFAULTS.pipelineDepth in nodes/domain/transport/sftpChannel.ts.
export const DEFAULT_DEPTH = 64;

export const LATENCY_MODES = ['auto', 'netns', 'proxy', 'off'] as const;
export type LatencyMode = (typeof LATENCY_MODES)[number];

export interface UploadBenchOptions {
	/** File sizes in bytes. Default 100 MiB and 1 GiB. */
	sizes?: number[];
	/** Runs per tool and case; the median is reported. Default 3. */
	runs?: number;
	/** pipelineDepth values tried at `depthSweepSize` (default 1, 16, 64 at the smallest size); [] skips the sweep. */
	depths?: number[];
	depthSweepSize?: number;
	/** Read stream highWaterMark of our child. Default 1 MiB. */
	highWaterMark?: number;
	/**
	 * The round-trip case: 'netns' (veth + tc netem, needs sch_netem), 'proxy' (delaying TCP proxy on
	 * loopback), 'auto' (netns when it works, else proxy; the default), 'off'.
	 */
	latency?: LatencyMode;
	/** Delay in each direction; the round trip is twice this. Default 10 ms. */
	oneWayDelayMs?: number;
	/** Sizes for the round-trip case. Default: the smallest of `sizes`. */
	latencySizes?: number[];
	/** pipelineDepth values for the round-trip case. Default 16 and 64. */
	latencyDepths?: number[];
	/** Also run OpenSSH sftp with ssh2's cipher (aes128-gcm) at the first size, to separate cipher from protocol cost. Default true. */
	sameCipherSftp?: boolean;
	log?: (line: string) => void;
}

export interface OursMeasurement {
	/** Spawn to exit: node start, module load, connect, upload, close. */
	wallMs: number;
	connectMs: number;
	/** uploadExclusive alone (open O_EXCL, pipelined writes, close of the handle). */
	uploadMs: number;
	peakRssMiB: number;
	/** User + system CPU time of the process. */
	cpuMs: number;
	/** The sandbox sshd's session processes (decrypting, writing) during the run. */
	serverCpuMs: number;
	maxWriteLen: number;
	cipher: string;
}

export interface SftpMeasurement {
	wallMs: number;
	/** sftp and the ssh it starts, as /usr/bin/time sees them. */
	peakRssMiB: number;
	cpuMs: number;
	serverCpuMs: number;
}

export interface UploadCase {
	network: string;
	sizeBytes: number;
	depth: number;
	ours: OursMeasurement;
	/** OpenSSH sftp, run alternately with ours. */
	sftp: SftpMeasurement;
	/** Per run pair (ours, then sftp): sftp wall / ours wall, i.e. throughput ours/sftp. */
	pairedRatios: number[];
	/** The same for transfer only: (sftp wall − sftp setup) / ours uploadExclusive time. */
	pairedTransferRatios: number[];
}

export interface UploadBenchResult {
	cases: UploadCase[];
	/** Median wall time of `sftp -b` putting an empty file: its connect + login + exit cost, per network. */
	sftpSetupMs: Record<string, number>;
	sameCipher?: { sizeBytes: number; cipher: string; sftp: SftpMeasurement };
	/** How the round trip was made, or why it was not measured. */
	latencyNote?: string;
	table: string;
	/** Targets from the issue, for run.ts to print and gate on. */
	targets: { throughputMet: boolean; rssMet: boolean; rssFlat: boolean };
}

export interface Target {
	label: string;
	host: string;
	port: number;
	/** Command prefix to run a client in (e.g. `ip netns exec ns`). */
	exec: string[];
}

export interface Child {
	file: string;
	env: NodeJS.ProcessEnv;
}

export interface Ran {
	wallMs: number;
	/** From /usr/bin/time -v (NaN without it). */
	peakRssKiB: number;
	cpuMs: number;
	stdout: string;
}

/**
 * Runs a command under /usr/bin/time -v (when present) and returns its wall time, peak RSS, CPU time
 * (user + system, children included) and stdout. /usr/bin/time matters for RSS: Linux carries a process's
 * peak RSS over fork and exec into its child, so a child spawned straight from this (large) process would
 * report our RSS; one forked by the small `time` process reports its own.
 */
export function run(argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Ran> {
	const useTime = existsSync(TIME);
	const [file, ...args] = useTime ? [TIME, '-v', ...argv] : argv;
	return new Promise((resolve, reject) => {
		const start = process.hrtime.bigint();
		// Own process group, so a hung sftp (and its ssh) can be killed as a whole.
		const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
		let stdout = '';
		let stderr = '';
		let timedOut = false;
		const timer = setTimeout(() => {
			timedOut = true;
			try {
				process.kill(-(child.pid as number), 'SIGKILL');
			} catch {
				child.kill('SIGKILL');
			}
		}, timeoutMs);
		child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
		child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
		child.on('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		child.on('close', (code) => {
			clearTimeout(timer);
			const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
			if (timedOut)
				return reject(
					new TimeoutError(
						`${argv.join(' ')} did not finish within ${Math.round(timeoutMs / 1000)} s`,
					),
				);
			if (code !== 0)
				return reject(new Error(`${argv.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`));
			const num = (re: RegExp) => {
				const m = re.exec(stderr);
				return m ? Number(m[1]) : Number.NaN;
			};
			resolve({
				wallMs,
				peakRssKiB: num(/Maximum resident set size \(kbytes\): (\d+)/),
				cpuMs:
					(num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/)) *
					1000,
				stdout,
			});
		});
	});
}

export class TimeoutError extends Error {}

/** Runs `attempt` and once more if it timed out (an sftp once hung for minutes on a loaded machine). */
export async function withOneRetry<T>(
	what: string,
	attempt: () => Promise<T>,
	log: (line: string) => void,
): Promise<T> {
	try {
		return await attempt();
	} catch (error) {
		if (!(error instanceof TimeoutError)) throw error;
		log(`${what}: ${error.message}; retrying once`);
		return attempt();
	}
}

/** Transpiles `entry` and every relative import it reaches into `outDir`, keeping the layout. */
export function transpileClosure(entry: string, outDir: string): void {
	const seen = new Set<string>();
	const queue = [entry];
	while (queue.length > 0) {
		const file = queue.shift() as string;
		if (seen.has(file)) continue;
		seen.add(file);
		const source = readFileSync(join(ROOT, file), 'utf8');
		for (const match of source.matchAll(/(?:from|import|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
			const target = posix.normalize(posix.join(posix.dirname(file), match[1]));
			queue.push(
				existsSync(join(ROOT, `${target}.ts`)) ? `${target}.ts` : posix.join(target, 'index.ts'),
			);
		}
		const { outputText } = ts.transpileModule(source, {
			compilerOptions: {
				module: ts.ModuleKind.CommonJS,
				target: ts.ScriptTarget.ES2022,
				esModuleInterop: true,
			},
			fileName: file,
		});
		const out = join(outDir, file.replace(/\.ts$/, '.js'));
		mkdirSync(dirname(out), { recursive: true });
		writeFileSync(out, outputText);
	}
}

/** Writes the child (our transport, transpiled, plus a small driver) into `outDir`. */
export function buildUploadChild(outDir: string): Child {
	transpileClosure(ENTRY, outDir);
	const file = join(outDir, 'upload-child.js');
	writeFileSync(
		file,
		`'use strict';
const fs = require('node:fs');
// Record the negotiated cipher: ssh2-sftp-client and we load the same ssh2 module (NODE_PATH).
let cipher = '?';
const ssh2 = require('ssh2');
const emit = ssh2.Client.prototype.emit;
ssh2.Client.prototype.emit = function (name, ...args) {
	if (name === 'handshake' && args[0] && args[0].cs) cipher = args[0].cs.cipher;
	return emit.call(this, name, ...args);
};
const { SftpChannel } = require('./nodes/domain/transport/sftpChannel.js');
const cfg = JSON.parse(process.argv[2]);
const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;
(async () => {
	let t = process.hrtime.bigint();
	const channel = await SftpChannel.open({
		host: cfg.host, port: cfg.port, username: cfg.username, privateKey: fs.readFileSync(cfg.keyPath),
		hostFingerprints: cfg.fingerprints, pipelineDepth: cfg.depth,
	});
	const connectMs = ms(t);
	t = process.hrtime.bigint();
	const result = await channel.uploadExclusive(fs.createReadStream(cfg.file, { highWaterMark: cfg.highWaterMark }), cfg.remotePath);
	const uploadMs = ms(t);
	const maxWriteLen = channel.sftp._maxWriteLen;
	await channel.close();
	// VmHWM is the peak of this process's own memory. resourceUsage().maxRSS is not: Linux carries the
	// parent's RSS at fork over exec into it, so a big parent (ts-node) would be measured instead.
	const hwm = /VmHWM:\\s*(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
	const vmHwmKiB = hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS;
	const cpu = process.cpuUsage();
	process.stdout.write(JSON.stringify({ connectMs, uploadMs, size: result.size, vmHwmKiB, maxWriteLen, cipher, cpuMs: (cpu.user + cpu.system) / 1000 }), () => process.exit(0));
})().catch((error) => { console.error(error && error.stack || error); process.exit(1); });
`,
	);
	return { file, env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') } };
}

/** Longest a single upload may take before it is killed: generous, it only catches hangs. */
const timeoutFor = (size: number) => 60_000 + size / 1000; // ≥ 1 MB/s

class Bench {
	private counter = 0;

	constructor(
		private readonly sandbox: SshdSandbox,
		private readonly child: Child,
		private readonly keyPath: string,
		private readonly highWaterMark: number,
		private readonly dir: string,
		private readonly log: (line: string) => void,
	) {}

	private remoteName(): string {
		this.counter += 1;
		return `bench-${process.pid}-${this.counter}.bin`;
	}

	/** Checks the uploaded size on the server's disk, then deletes the file for the next run. */
	private checkAndDelete(name: string, size: number, who: string): void {
		const path = this.sandbox.pathOf('INTEST', name);
		const actual = existsSync(path) ? statSync(path).size : -1;
		rmSync(path, { force: true });
		if (actual !== size)
			throw new Error(
				`${who}: the server has ${actual < 0 ? 'no file' : `${actual} bytes`} after the upload, ${size} expected`,
			);
	}

	ours(target: Target, file: string, size: number, depth: number): Promise<OursMeasurement> {
		return withOneRetry(
			`ours ${formatSize(size)}`,
			() => this.oursOnce(target, file, size, depth),
			this.log,
		);
	}

	sftp(target: Target, file: string, size: number, extra: string[] = []): Promise<SftpMeasurement> {
		return withOneRetry(
			`sftp ${formatSize(size)}`,
			() => this.sftpOnce(target, file, size, extra),
			this.log,
		);
	}

	private async oursOnce(
		target: Target,
		file: string,
		size: number,
		depth: number,
	): Promise<OursMeasurement> {
		const name = this.remoteName();
		const config = {
			host: target.host,
			port: target.port,
			username: this.sandbox.username,
			keyPath: this.keyPath,
			fingerprints: this.sandbox.hostKeys.map((k) => k.fingerprint),
			depth,
			highWaterMark: this.highWaterMark,
			file,
			remotePath: `/INTEST/${name}`,
		};
		let m: Ran;
		const server = startServerCpuMeter(this.sandbox);
		try {
			m = await run(
				[
					...target.exec,
					process.execPath,
					// E.g. BENCH_NODE_ARGS=--cpu-prof to see where our time goes.
					...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
					this.child.file,
					JSON.stringify(config),
				],
				this.child.env,
				timeoutFor(size),
			);
		} catch (error) {
			rmSync(this.sandbox.pathOf('INTEST', name), { force: true });
			throw error;
		}
		const serverCpuMs = server.stop();
		const r = JSON.parse(m.stdout) as {
			connectMs: number;
			uploadMs: number;
			size: number;
			vmHwmKiB: number;
			maxWriteLen: number;
			cipher: string;
			cpuMs: number;
		};
		if (r.size !== size) throw new Error(`ours: uploaded ${r.size} bytes instead of ${size}`);
		this.checkAndDelete(name, size, 'ours');
		return {
			wallMs: m.wallMs,
			connectMs: r.connectMs,
			uploadMs: r.uploadMs,
			peakRssMiB: (Number.isNaN(m.peakRssKiB) ? r.vmHwmKiB : m.peakRssKiB) / 1024,
			cpuMs: Number.isNaN(m.cpuMs) ? r.cpuMs : m.cpuMs,
			serverCpuMs,
			maxWriteLen: r.maxWriteLen,
			cipher: r.cipher,
		};
	}

	private async sftpOnce(
		target: Target,
		file: string,
		size: number,
		extra: string[],
	): Promise<SftpMeasurement> {
		const name = this.remoteName();
		const batch = join(this.dir, `batch-${name}`);
		writeFileSync(batch, `put ${file} /INTEST/${name}\n`);
		const argv = [
			...target.exec,
			'/usr/bin/sftp',
			'-q',
			'-b',
			batch,
			'-i',
			this.keyPath,
			// No ~/.ssh/config or /etc/ssh/ssh_config: OpenSSH's built-in defaults only.
			'-F',
			'/dev/null',
			'-o',
			'StrictHostKeyChecking=no',
			'-o',
			'UserKnownHostsFile=/dev/null',
			'-o',
			'BatchMode=yes',
			'-o',
			'LogLevel=ERROR',
			...extra,
			'-P',
			String(target.port),
			`${this.sandbox.username}@${target.host}`,
		];
		const server = startServerCpuMeter(this.sandbox);
		try {
			const m = await run(argv, process.env, timeoutFor(size));
			const serverCpuMs = server.stop();
			this.checkAndDelete(name, size, 'sftp');
			return { wallMs: m.wallMs, peakRssMiB: m.peakRssKiB / 1024, cpuMs: m.cpuMs, serverCpuMs };
		} finally {
			rmSync(batch, { force: true });
			rmSync(this.sandbox.pathOf('INTEST', name), { force: true });
		}
	}
}

const medianOurs = (ms: OursMeasurement[]): OursMeasurement => ({
	wallMs: median(ms.map((m) => m.wallMs)),
	connectMs: median(ms.map((m) => m.connectMs)),
	uploadMs: median(ms.map((m) => m.uploadMs)),
	// Peak RSS: the highest over the runs, not the median.
	peakRssMiB: Math.max(...ms.map((m) => m.peakRssMiB)),
	cpuMs: median(ms.map((m) => m.cpuMs)),
	serverCpuMs: median(ms.map((m) => m.serverCpuMs)),
	maxWriteLen: ms[0].maxWriteLen,
	cipher: ms[0].cipher,
});

const medianSftp = (ms: SftpMeasurement[]): SftpMeasurement => ({
	wallMs: median(ms.map((m) => m.wallMs)),
	peakRssMiB: Math.max(...ms.map((m) => m.peakRssMiB)),
	cpuMs: median(ms.map((m) => m.cpuMs)),
	serverCpuMs: median(ms.map((m) => m.serverCpuMs)),
});

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Runs the benchmark and returns the cases and a printable table. Throws when the sandbox cannot start. */
export async function runUploadBench(options: UploadBenchOptions = {}): Promise<UploadBenchResult> {
	const reason = sandboxUnavailableReason();
	if (reason) throw new Error(`The upload benchmark needs the sandbox sshd: ${reason}`);
	if (!existsSync('/usr/bin/sftp'))
		throw new Error(
			'The upload benchmark needs the OpenSSH sftp client (/usr/bin/sftp): apt-get install -y openssh-client',
		);
	const sizes = options.sizes ?? [100 * MIB, 1024 * MIB];
	const runs = options.runs ?? 3;
	const depths = options.depths ?? [1, 16, 64];
	const smallest = Math.min(...sizes);
	const depthSweepSize = options.depthSweepSize ?? smallest;
	const oneWayDelayMs = options.oneWayDelayMs ?? 10;
	const latencySizes = options.latencySizes ?? [smallest];
	const latencyDepths = options.latencyDepths ?? [16, 64];
	const log = options.log ?? (() => undefined);
	const loadBefore = loadAverage();

	// The round-trip link must exist before sshd starts (sshd listens on its host end).
	let latency = options.latency ?? 'auto';
	let latencyNote: string | undefined;
	if (latency === 'auto' || (latency === 'netns' && oneWayDelayMs > 0)) {
		const why = netemUnavailableReason();
		if (why && latency === 'netns') throw new Error(`--latency netns: ${why}`);
		if (why)
			latencyNote = `netns + tc netem unavailable (${why}), so a delaying TCP proxy on loopback was used`;
		latency = why ? 'proxy' : 'netns';
	}
	if (latency === 'off') latencyNote = 'round trip not measured (--latency off)';

	let link: NetnsLink | undefined;
	let proxy: DelayProxy | undefined;
	let sandbox: SshdSandbox | undefined;
	const dir = mkdtempSync(join(tmpdir(), 'upload-bench-'));
	const key = makeRsaKeyPair(2048);
	const cleanup = async () => {
		await proxy?.stop();
		await sandbox?.stop();
		link?.stop();
		rmSync(dir, { recursive: true, force: true });
		rmSync(dirname(key.path), { recursive: true, force: true });
	};
	// Ctrl-C must not leave an sshd, a namespace or GiB of test files behind.
	const onSignal = (signal: NodeJS.Signals) => {
		log(`${signal}: cleaning up`);
		void cleanup().finally(() => process.exit(130));
	};
	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);
	try {
		if (latency === 'netns') link = startNetnsLink(oneWayDelayMs);
		sandbox = await startSshdSandbox({
			authorizedKeys: [key.publicKey],
			extraConfig: link ? [`ListenAddress ${link.hostAddress}`] : [],
		});
		const bench = new Bench(
			sandbox,
			buildUploadChild(join(dir, 'build')),
			key.path,
			options.highWaterMark ?? MIB,
			dir,
			log,
		);
		const loopback: Target = {
			label: 'loopback',
			host: sandbox.host,
			port: sandbox.port,
			exec: [],
		};
		let delayed: Target | undefined;
		if (latency === 'netns' && link) {
			const how = oneWayDelayMs > 0 ? 'netns + tc netem' : 'netns, veth without netem';
			delayed = {
				label: `${2 * oneWayDelayMs} ms RTT (${how})`,
				host: link.hostAddress,
				port: sandbox.port,
				exec: link.exec,
			};
		} else if (latency === 'proxy') {
			proxy = await startDelayProxy(sandbox.host, sandbox.port, oneWayDelayMs);
			delayed = {
				label: `${2 * oneWayDelayMs} ms RTT (delaying proxy)`,
				host: proxy.host,
				port: proxy.port,
				exec: [],
			};
		}

		const files = new Map<number, string>();
		const fileOf = (size: number) => {
			let file = files.get(size);
			if (!file) {
				file = join(dir, `fi-${size}.bin`);
				makeFile(file, size);
				// Read once so every tool reads it from the page cache.
				execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] });
				files.set(size, file);
			}
			return file;
		};
		const empty = join(dir, 'empty.bin');
		writeFileSync(empty, '');

		const sftpSetupMs: Record<string, number> = {};
		const setupCost = async (target: Target) => {
			const ms: number[] = [];
			for (let i = 0; i < Math.max(3, runs); i++)
				ms.push((await bench.sftp(target, empty, 0)).wallMs);
			sftpSetupMs[target.label] = median(ms);
		};

		const cases: UploadCase[] = [];
		/** Ours and sftp interleaved, so that a busy machine slows both alike. */
		/**
		 * Ours and sftp alternately, run by run, so that a busy machine slows both alike; the ratios are taken
		 * per pair, which cancels slow drifts of the machine's load.
		 */
		const measure = async (target: Target, size: number, depth: number) => {
			const file = fileOf(size);
			const ours: OursMeasurement[] = [];
			const sftp: SftpMeasurement[] = [];
			for (let i = 0; i < runs; i++) {
				ours.push(await bench.ours(target, file, size, depth));
				sftp.push(await bench.sftp(target, file, size));
			}
			const setupMs = sftpSetupMs[target.label] ?? 0;
			const row: UploadCase = {
				network: target.label,
				sizeBytes: size,
				depth,
				ours: medianOurs(ours),
				sftp: medianSftp(sftp),
				pairedRatios: ours.map((o, i) => sftp[i].wallMs / o.wallMs),
				pairedTransferRatios: ours.map(
					(o, i) => Math.max(1, sftp[i].wallMs - setupMs) / o.uploadMs,
				),
			};
			cases.push(row);
			log(
				`${target.label} ${formatSize(size)} depth ${depth}: ours ${row.ours.wallMs.toFixed(0)} ms (upload ${row.ours.uploadMs.toFixed(0)} ms, ${row.ours.peakRssMiB.toFixed(0)} MiB), ` +
					`sftp ${row.sftp.wallMs.toFixed(0)} ms; per run ours/sftp ${row.pairedRatios.map((r) => r.toFixed(2)).join(' ')}`,
			);
			return row;
		};

		await setupCost(loopback);
		for (const size of sizes) await measure(loopback, size, DEFAULT_DEPTH);
		let sameCipher: UploadBenchResult['sameCipher'];
		const ssh2Cipher = cases[0]?.ours.cipher;
		if ((options.sameCipherSftp ?? true) && ssh2Cipher && ssh2Cipher !== '?') {
			const size = sizes[0];
			const ms: SftpMeasurement[] = [];
			for (let i = 0; i < runs; i++)
				ms.push(await bench.sftp(loopback, fileOf(size), size, ['-c', ssh2Cipher]));
			sameCipher = { sizeBytes: size, cipher: ssh2Cipher, sftp: medianSftp(ms) };
			log(
				`loopback ${formatSize(size)} sftp -c ${ssh2Cipher}: ${sameCipher.sftp.wallMs.toFixed(0)} ms`,
			);
		}
		for (const depth of depths) {
			if (
				cases.some(
					(c) =>
						c.network === loopback.label && c.sizeBytes === depthSweepSize && c.depth === depth,
				)
			)
				continue;
			await measure(loopback, depthSweepSize, depth);
		}
		if (delayed) {
			await setupCost(delayed);
			for (const size of latencySizes) {
				for (const depth of latencyDepths) await measure(delayed, size, depth);
			}
		}
		for (const file of files.values()) rmSync(file, { force: true });

		const targets = checkTargets(cases, loopback.label);
		const context = {
			runs,
			loadBefore,
			loadAfter: loadAverage(),
			hwm: options.highWaterMark ?? MIB,
		};
		return {
			cases,
			sftpSetupMs,
			sameCipher,
			latencyNote,
			targets,
			table: formatTables(cases, sftpSetupMs, sameCipher, latencyNote, targets, context),
		};
	} finally {
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
		await cleanup();
	}
}

function checkTargets(cases: UploadCase[], loopback: string): UploadBenchResult['targets'] {
	const main = cases.filter((c) => c.network === loopback && c.depth === DEFAULT_DEPTH);
	// Median of the per-run ratios of each size.
	const throughputMet = main.length > 0 && main.every((c) => median(c.pairedRatios) >= 1);
	const defaults = cases.filter((c) => c.depth === DEFAULT_DEPTH).map((c) => c.ours.peakRssMiB);
	const rssMet = defaults.length > 0 && Math.max(...defaults) <= 128;
	const bySize = main.map((c) => c.ours.peakRssMiB);
	// "Flat": the largest file's peak within 16 MiB of the smallest one's (the files differ 10×).
	const rssFlat = bySize.length < 2 || Math.max(...bySize) - Math.min(...bySize) <= 16;
	return { throughputMet, rssMet, rssFlat };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratioCell = (ratios: number[]) =>
	ratios.length > 1
		? `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`
		: `${ratios[0].toFixed(2)}×`;
const rate = (bytes: number, ms: number) => (bytes / MB / (ms / 1000)).toFixed(0);

function formatTables(
	cases: UploadCase[],
	setup: Record<string, number>,
	sameCipher: UploadBenchResult['sameCipher'],
	latencyNote: string | undefined,
	targets: UploadBenchResult['targets'],
	context: { runs: number; loadBefore: string; loadAfter: string; hwm: number },
): string {
	const lines: string[] = [];
	const networks = [...new Set(cases.map((c) => c.network))];
	const first = cases[0];
	lines.push(
		`Upload benchmark: SftpChannel.uploadExclusive vs OpenSSH \`sftp -b\` put into the same sandbox sshd; median of ${context.runs} run(s) (peak RSS: highest); node ${process.version}`,
		`ours: ssh2 negotiated ${first?.ours.cipher ?? '?'}, writes of ${first ? first.ours.maxWriteLen : '?'} B, read stream highWaterMark ${formatSize(context.hwm)}; sftp: OpenSSH defaults (-F /dev/null). ` +
			`MB/s = 10^6 B/s. CPU = user + system of the client process(es). Load average before/after: ${context.loadBefore} / ${context.loadAfter}`,
	);
	for (const network of networks) {
		const rows = cases.filter((c) => c.network === network);
		const setupMs = setup[network] ?? 0;
		lines.push(
			'',
			`### ${network} — sftp connect + login + exit alone: ${seconds(setupMs)}`,
			'',
			'| size | depth | ours wall | ours MB/s | ours upload only | MB/s | ours CPU | server CPU | ours peak RSS | sftp wall | sftp MB/s | sftp CPU | server CPU | sftp peak RSS | throughput ours/sftp, wall (min–max) | transfer only* (min–max) |',
			'|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
		);
		for (const c of rows) {
			const cells = [
				formatSize(c.sizeBytes),
				String(c.depth),
				seconds(c.ours.wallMs),
				rate(c.sizeBytes, c.ours.wallMs),
				seconds(c.ours.uploadMs),
				rate(c.sizeBytes, c.ours.uploadMs),
				seconds(c.ours.cpuMs),
				seconds(c.ours.serverCpuMs),
				`${c.ours.peakRssMiB.toFixed(1)} MiB`,
				seconds(c.sftp.wallMs),
				rate(c.sizeBytes, c.sftp.wallMs),
				seconds(c.sftp.cpuMs),
				seconds(c.sftp.serverCpuMs),
				`${c.sftp.peakRssMiB.toFixed(1)} MiB`,
				ratioCell(c.pairedRatios),
				ratioCell(c.pairedTransferRatios),
			];
			lines.push(`| ${cells.join(' | ')} |`);
		}
	}
	lines.push(
		'',
		'Ratios are medians of per-run pairs (ours, then sftp, alternately). *transfer only: ours = uploadExclusive alone; sftp = its wall time minus its connect + login + exit time above.',
	);
	if (sameCipher) {
		const main = cases.find((c) => c.sizeBytes === sameCipher.sizeBytes);
		lines.push(
			`sftp -c ${sameCipher.cipher} (ssh2's cipher) at ${formatSize(sameCipher.sizeBytes)}: ${seconds(sameCipher.sftp.wallMs)}, ${rate(sameCipher.sizeBytes, sameCipher.sftp.wallMs)} MB/s, CPU ${seconds(sameCipher.sftp.cpuMs)}` +
				(main
					? ` → throughput ours/sftp ${(sameCipher.sftp.wallMs / main.ours.wallMs).toFixed(2)}× (wall)`
					: ''),
		);
	}
	if (latencyNote) lines.push(`Round trip: ${latencyNote}.`);
	const worst = Math.max(
		...cases.filter((c) => c.depth === DEFAULT_DEPTH).map((c) => c.ours.peakRssMiB),
	);
	lines.push(
		'',
		`Targets (loopback, default pipelineDepth ${DEFAULT_DEPTH}): throughput ≥ OpenSSH sftp (process wall) → ${targets.throughputMet ? 'met' : 'NOT met'}; ` +
			`peak RSS ≤ 128 MiB → ${targets.rssMet ? 'met' : 'NOT met'} (worst ${worst.toFixed(1)} MiB); flat across sizes → ${targets.rssFlat ? 'met' : 'NOT met'}`,
	);
	return lines.join('\n');
}

if (require.main === module) {
	runAsScript(() => {
		const { values, positionals } = benchArgs(['runs', 'depths', 'latency', 'delay']);
		return runUploadBench({
			sizes: positionals.length ? positionals.map(parseSize) : undefined,
			runs: count(values.runs, 'runs'),
			depths: counts(values.depths, 'depths'),
			latency: choice(values.latency, 'latency', LATENCY_MODES),
			oneWayDelayMs: count(values.delay, 'delay'),
			log: (line) => console.error(line),
		});
	});
}
