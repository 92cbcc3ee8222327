/**
 * Sets benchmark (issue 15): what Submit does for the items of one execution — N one-part sets
 * (FI of 5 KB, FS, GO), several in flight over one connection, each FI, FS, then GO, created
 * exclusively and size-checked — against OpenSSH's `sftp -b` putting the same files in the same order,
 * into the same sandbox sshd, in the same run, on loopback and over a delaying proxy.
 *
 *   npx ts-node --transpile-only bench/sets.ts [--sets 500] [--runs 3] [--parallel 8] [--delay 10] [--latency proxy|off]
 *
 * Each measurement is a process of its own (peak RSS from /usr/bin/time, see bench/upload.ts); INTEST
 * is emptied before every run. Needs root (the sandbox sshd chroots its login).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { SshdSandbox } from '../sandbox/sshdSandbox';
import { brusselsToday } from '../nodes/domain/names/brusselsTime';
import { DEFAULT_PARALLEL_SETS } from '../nodes/domain/submission/uploadSet';
import { loadAverage, startBenchEnvironment, startServerCpuMeter } from './environment';
import { Child, run, Target, transpileClosure, withOneRetry } from './upload';
import {
	benchArgs,
	count,
	median,
	ROUND_TRIP_FLAGS,
	roundTripOptions,
	runAsScript,
	spread,
	verdict,
} from './cli';

const ROOT = join(__dirname, '..');
const FOLDER = 'INTEST';

export interface SetsBenchOptions {
	/** Sets per run. Default 500. */
	sets?: number;
	/** Runs per tool and network; medians are reported. Default 3. */
	runs?: number;
	/** Sets in flight of ours. Default [DEFAULT_PARALLEL_SETS]. */
	parallel?: number[];
	latency?: 'proxy' | 'off';
	/** Delay in each direction; the round trip is twice this. Default 10 ms. */
	oneWayDelayMs?: number;
	log?: (line: string) => void;
}

export interface SetsMeasurement {
	wallMs: number;
	/** Ours only: the sends alone (after connecting). */
	sendMs?: number;
	peakRssMiB: number;
	/** The client's CPU time (user + system). */
	cpuMs: number;
	/** The server's CPU time for this run (sshd and its SFTP server, bench/environment.ts). */
	serverCpuMs: number;
}

export interface SetsCase {
	network: string;
	parallel: number;
	count: number;
	ours: SetsMeasurement[];
	sftp: SetsMeasurement[];
	/** Per run pair: sftp wall / ours wall. */
	ratios: number[];
}

export interface SetsBenchResult {
	cases: SetsCase[];
	table: string;
	/** undefined: that network was not measured in this run. */
	targets: { loopbackMet?: boolean; delayedMet?: boolean; rssMet: boolean };
}

/** The base name of set i: a Dimona of today, sequences 00001…. */
const baseOf = (date: string, i: number) =>
	`DIMN.999999.${date}.${String(i + 1).padStart(5, '0')}.T.1`;

function clear(sandbox: SshdSandbox): void {
	for (const name of readdirSync(sandbox.pathOf(FOLDER)))
		rmSync(sandbox.pathOf(FOLDER, name), { force: true, recursive: true });
}

function buildSetsChild(outDir: string): Child {
	transpileClosure('nodes/domain/submission/uploadSet.ts', outDir);
	transpileClosure('nodes/domain/submission/declarationSet.ts', outDir);
	transpileClosure('nodes/shared/boundedItems.ts', outDir);
	const file = join(outDir, 'sets-child.js');
	writeFileSync(
		file,
		`'use strict';
const fs = require('node:fs');
const { join } = require('node:path');
const { SftpChannel } = require('./nodes/domain/transport/sftpChannel.js');
const { planSubmission } = require('./nodes/domain/submission/declarationSet.js');
const { submitPlannedSet, sharedFolderListing, PARALLEL_SETS_BUDGET } = require('./nodes/domain/submission/uploadSet.js');
const { runBounded } = require('./nodes/shared/boundedItems.js');
const cfg = JSON.parse(process.argv[2]);
const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;
(async () => {
	const channel = await SftpChannel.open({
		host: cfg.host, port: cfg.port, username: cfg.username, privateKey: fs.readFileSync(cfg.keyPath),
		hostFingerprints: cfg.fingerprints,
	});
	const t = process.hrtime.bigint();
	const listing = sharedFolderListing(channel);
	const maxInFlightBytes = Math.floor(PARALLEL_SETS_BUDGET / cfg.parallel);
	const file = (name) => {
		const path = join(cfg.dir, name);
		return { name, size: fs.statSync(path).size, open: () => fs.createReadStream(path) };
	};
	// As Submit does per item: check the set, then send it; the items of the execution several at a time.
	const outcomes = await runBounded(cfg.bases.length, cfg.parallel, async (i) => {
		const base = cfg.bases[i];
		const plan = planSubmission([file('FI.' + base + '.1')], [file('FS.' + base + '.1')], {});
		return submitPlannedSet(channel, plan, { listing, maxInFlightBytes });
	}, () => true);
	const failed = outcomes.filter((o) => !o || !o.ok);
	if (failed.length > 0) throw new Error(failed.length + ' sets failed: ' + (failed[0] && failed[0].error && failed[0].error.message));
	const sendMs = ms(t);
	await channel.close();
	const hwm = /VmHWM:\\s*(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
	process.stdout.write(JSON.stringify({ sendMs, count: outcomes.length, vmHwmKiB: hwm ? Number(hwm[1]) : NaN }), () => process.exit(0));
})().catch((error) => { console.error(error && error.stack || error); process.exit(1); });
`,
	);
	return { file, env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') } };
}

export async function runSetsBench(options: SetsBenchOptions = {}): Promise<SetsBenchResult> {
	const count = options.sets ?? 500;
	const runs = options.runs ?? 3;
	const parallels = options.parallel ?? [DEFAULT_PARALLEL_SETS];
	const oneWayDelayMs = options.oneWayDelayMs ?? 10;
	const log = options.log ?? (() => undefined);
	const loadBefore = loadAverage();

	const env = await startBenchEnvironment({
		name: 'sets',
		latency: options.latency,
		oneWayDelayMs,
		log,
	});
	const { dir, key, targets } = env;
	try {
		const box = env.sandbox;
		const child = buildSetsChild(join(dir, 'build'));
		// The files of every set, made once: FI of 5 KB, an FS of 2 KB (not checked by sshd), an empty GO.
		const files = join(dir, 'files');
		mkdirSync(files);
		const date = brusselsToday();
		const bases = Array.from({ length: count }, (_, i) => baseOf(date, i));
		for (const base of bases) {
			writeFileSync(join(files, `FI.${base}.1`), randomBytes(5 * 1024));
			writeFileSync(join(files, `FS.${base}.1`), randomBytes(2 * 1024));
		}
		const empty = join(files, 'empty');
		writeFileSync(empty, '');
		const timeoutMs = 60_000 + count * 2_000;
		const check = (who: string) => {
			const names = new Set(readdirSync(box.pathOf(FOLDER)));
			const missing = bases.filter(
				(b) => !names.has(`FI.${b}.1`) || !names.has(`FS.${b}.1`) || !names.has(`GO.${b}`),
			);
			if (missing.length > 0 || names.size !== count * 3)
				throw new Error(`${who}: ${missing.length} sets incomplete on the server`);
		};

		const ours = async (target: Target, parallel: number): Promise<SetsMeasurement> => {
			clear(box);
			const config = {
				host: target.host,
				port: target.port,
				username: box.username,
				keyPath: key.path,
				fingerprints: box.hostKeys.map((k) => k.fingerprint),
				parallel,
				dir: files,
				bases,
			};
			const server = startServerCpuMeter(box);
			const m = await run(
				[...target.exec, process.execPath, child.file, JSON.stringify(config)],
				child.env,
				timeoutMs,
			);
			const r = JSON.parse(m.stdout) as { sendMs: number; count: number; vmHwmKiB: number };
			check('ours');
			return {
				wallMs: m.wallMs,
				sendMs: r.sendMs,
				peakRssMiB: (Number.isNaN(m.peakRssKiB) ? r.vmHwmKiB : m.peakRssKiB) / 1024,
				cpuMs: m.cpuMs,
				serverCpuMs: server.stop(),
			};
		};

		const batch = join(dir, 'batch.txt');
		writeFileSync(
			batch,
			bases
				.map(
					(b) =>
						`put ${files}/FI.${b}.1 /${FOLDER}/FI.${b}.1\nput ${files}/FS.${b}.1 /${FOLDER}/FS.${b}.1\nput ${empty} /${FOLDER}/GO.${b}\n`,
				)
				.join(''),
		);
		const sftp = async (target: Target): Promise<SetsMeasurement> => {
			clear(box);
			const server = startServerCpuMeter(box);
			const m = await run(
				[
					...target.exec,
					'/usr/bin/sftp',
					'-q',
					'-b',
					batch,
					'-i',
					key.path,
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
					'-P',
					String(target.port),
					`${box.username}@${target.host}`,
				],
				process.env,
				timeoutMs,
			);
			check('sftp');
			return {
				wallMs: m.wallMs,
				peakRssMiB: m.peakRssKiB / 1024,
				cpuMs: m.cpuMs,
				serverCpuMs: server.stop(),
			};
		};

		const cases: SetsCase[] = [];
		for (const target of targets) {
			for (const parallel of parallels) {
				const row: SetsCase = {
					network: target.label,
					parallel,
					count,
					ours: [],
					sftp: [],
					ratios: [],
				};
				// Ours and sftp alternately, so that a busy machine slows both alike; ratios per pair.
				for (let i = 0; i < runs; i++) {
					row.ours.push(await withOneRetry('ours sets', () => ours(target, parallel), log));
					row.sftp.push(await withOneRetry('sftp sets', () => sftp(target), log));
					row.ratios.push(row.sftp[i].wallMs / row.ours[i].wallMs);
					log(
						`${target.label} sets ${count}, parallel ${parallel}, run ${i + 1}: ours ${row.ours[i].wallMs.toFixed(0)} ms (send ${row.ours[i].sendMs?.toFixed(0)} ms, CPU ${row.ours[i].cpuMs.toFixed(0)} ms, server CPU ${row.ours[i].serverCpuMs.toFixed(0)} ms, ${row.ours[i].peakRssMiB.toFixed(0)} MiB), sftp ${row.sftp[i].wallMs.toFixed(0)} ms (CPU ${row.sftp[i].cpuMs.toFixed(0)} ms, server CPU ${row.sftp[i].serverCpuMs.toFixed(0)} ms) → ${row.ratios[i].toFixed(2)}×`,
					);
				}
				cases.push(row);
			}
		}
		clear(box);
		const main = cases.filter((c) => c.parallel === parallels[0]);
		const loop = main.find((c) => c.network === 'loopback');
		const delayed = targets[1] ? main.find((c) => c.network === targets[1].label) : undefined;
		const targetsMet = {
			loopbackMet: loop && median(loop.ratios) >= 2,
			delayedMet: delayed && median(delayed.ratios) >= 5,
			rssMet: Math.max(...main.flatMap((c) => c.ours.map((m) => m.peakRssMiB))) <= 128,
		};
		return {
			cases,
			targets: targetsMet,
			table: formatTable(cases, runs, loadBefore, loadAverage(), targetsMet),
		};
	} finally {
		await env.close();
	}
}

function formatTable(
	cases: SetsCase[],
	runs: number,
	loadBefore: string,
	loadAfter: string,
	targets: SetsBenchResult['targets'],
): string {
	const lines = [
		`Sets benchmark: submitPlannedSet per set (FI, FS, then GO; exclusive creates, size checks), sets in flight over one connection, vs OpenSSH \`sftp -b\` put of the same files in the same order, same sandbox sshd; median (min–max) of ${runs} run(s); node ${process.version}; load average before/after: ${loadBefore} / ${loadAfter}`,
		'',
		'| network | sets | parallel | ours wall s | ours send s | ours CPU s | server CPU s, ours | ours peak RSS MiB | sftp wall s | sftp CPU s | server CPU s, sftp | sftp peak RSS MiB | sftp/ours, per pair |',
		'|---|---|---|---|---|---|---|---|---|---|---|---|---|',
	];
	for (const c of cases) {
		lines.push(
			`| ${c.network} | ${c.count} | ${c.parallel} | ${spread(c.ours.map((m) => m.wallMs / 1000))} | ${spread(c.ours.map((m) => (m.sendMs ?? 0) / 1000))} | ${spread(c.ours.map((m) => m.cpuMs / 1000))} | ${spread(c.ours.map((m) => m.serverCpuMs / 1000))} | ${Math.max(...c.ours.map((m) => m.peakRssMiB)).toFixed(0)} | ${spread(c.sftp.map((m) => m.wallMs / 1000))} | ${spread(c.sftp.map((m) => m.cpuMs / 1000))} | ${spread(c.sftp.map((m) => m.serverCpuMs / 1000))} | ${Math.max(...c.sftp.map((m) => m.peakRssMiB)).toFixed(0)} | ${spread(c.ratios)}× |`,
		);
	}
	lines.push(
		'',
		'Walls are whole processes (start, connect, work, exit).',
		"CPU: the client's user + system time; the server's is sshd and its SFTP server for that run (bench/environment.ts).",
		`Targets (issue 15): sets loopback ≥ 2× sftp → ${verdict(targets.loopbackMet)}; over the round trip ≥ 5× → ${verdict(targets.delayedMet)}; peak RSS ≤ 128 MiB → ${verdict(targets.rssMet)}`,
	);
	return lines.join('\n');
}

if (require.main === module) {
	runAsScript(() => {
		const { values } = benchArgs(['sets', ...ROUND_TRIP_FLAGS]);
		return runSetsBench({
			...roundTripOptions(values),
			sets: count(values.sets, 'sets'),
			log: (line) => console.error(line),
		});
	});
}
