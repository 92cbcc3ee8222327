/**
 * Answer collection benchmark (issue 15): `collectAnswers` (what Poll Responses and the trigger run)
 * taking N answer triplets (FO of 2 KB, FS, GO) from OUTTEST and deleting them, against OpenSSH's
 * `sftp -b` doing `get` of each FO and `rm` of its GO, FO and FS, into the same sandbox sshd, in the same
 * run, on loopback and over a delaying proxy. Also: listing a folder of 10 000 entries, ours against
 * `sftp -b` `ls -l`.
 *
 *   npx ts-node --transpile-only bench/poll.ts [--answers 1000] [--runs 3] [--parallel 16] [--delay 10] [--latency proxy|off]
 *
 * Each measurement is a process of its own (peak RSS from /usr/bin/time, see bench/upload.ts for why);
 * the folder is filled again before every run. Needs root (the sandbox sshd chroots its login).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { SshdSandbox } from '../sandbox/sshdSandbox';
import { DEFAULT_PARALLEL } from '../nodes/domain/responses/collectAnswers';
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
const FOLDER = 'OUTTEST';

export interface PollBenchOptions {
	/** Answer triplets per run. Default 1000. */
	answers?: number;
	/** Runs per tool and network; medians are reported. Default 3. */
	runs?: number;
	/** `parallel` values of ours. Default [DEFAULT_PARALLEL]. */
	parallel?: number[];
	/** 'proxy' (delaying TCP proxy, bench/netem.ts) or 'off'. Default proxy. */
	latency?: 'proxy' | 'off';
	/** Delay in each direction; the round trip is twice this. Default 10 ms. */
	oneWayDelayMs?: number;
	/** Entries of the listing case; 0 skips it. Default 10 000. */
	listEntries?: number;
	log?: (line: string) => void;
}

export interface PollMeasurement {
	wallMs: number;
	/** Ours only: collectAnswers alone (listing, downloads, stores, deletes). */
	collectMs?: number;
	peakRssMiB: number;
	/** The client's CPU time (user + system). */
	cpuMs: number;
	/** The server's CPU time for this run (sshd and its SFTP server, bench/environment.ts). */
	serverCpuMs: number;
}

export interface PollCase {
	network: string;
	what: 'poll' | 'list';
	parallel: number;
	count: number;
	ours: PollMeasurement[];
	sftp: PollMeasurement[];
	/** Per run pair: sftp wall / ours wall. */
	ratios: number[];
}

export interface PollBenchResult {
	cases: PollCase[];
	table: string;
	/** undefined: that network was not measured in this run. */
	targets: { loopbackMet?: boolean; delayedMet?: boolean; rssMet: boolean };
}

/** The FO: an ACRF padded with white space to 2 KB, as the issue's measurement used. */
function answerContent(): Buffer {
	const xml = readFileSync(join(ROOT, 'test/fixtures/answers/acrf-rejected-3-errors.xml'));
	return Buffer.concat([xml, Buffer.alloc(Math.max(0, 2048 - xml.length), 0x20)]);
}

/** Sequences 00001… (00000 is not a valid name). */
const idOf = (i: number) => `ACRF.999999.20260110.${String(i + 1).padStart(5, '0')}.T`;

function plant(sandbox: SshdSandbox, count: number, content: Buffer, signature: Buffer): string[] {
	clear(sandbox);
	const ids: string[] = [];
	for (let i = 0; i < count; i++) {
		const id = idOf(i);
		sandbox.writeFile(FOLDER, `FO.${id}`, content);
		sandbox.writeFile(FOLDER, `FS.${id}`, signature);
		sandbox.writeFile(FOLDER, `GO.${id}`, '');
		ids.push(id);
	}
	return ids;
}

function clear(sandbox: SshdSandbox): void {
	for (const name of readdirSync(sandbox.pathOf(FOLDER)))
		rmSync(sandbox.pathOf(FOLDER, name), { force: true, recursive: true });
}

function buildPollChild(outDir: string): Child {
	transpileClosure('nodes/domain/responses/collectAnswers.ts', outDir);
	const file = join(outDir, 'poll-child.js');
	writeFileSync(
		file,
		`'use strict';
const fs = require('node:fs');
const { join } = require('node:path');
const { pipeline } = require('node:stream/promises');
const { SftpChannel } = require('./nodes/domain/transport/sftpChannel.js');
const { collectAnswers } = require('./nodes/domain/responses/collectAnswers.js');
const { pairAnswerFiles } = require('./nodes/domain/responses/answerTriplets.js');
const cfg = JSON.parse(process.argv[2]);
const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;
(async () => {
	const channel = await SftpChannel.open({
		host: cfg.host, port: cfg.port, username: cfg.username, privateKey: fs.readFileSync(cfg.keyPath),
		hostFingerprints: cfg.fingerprints,
	});
	const t = process.hrtime.bigint();
	let count;
	if (cfg.mode === 'list') {
		count = pairAnswerFiles(await channel.list('/OUTTEST'), '/OUTTEST').complete.length;
	} else {
		// The store writes each answer to a local file, as sftp's get does; it resolves once the file is closed.
		const result = await collectAnswers(channel, {
			environments: ['T'], deleteAfterStore: true, parallel: cfg.parallel, max: Infinity,
			store: async (file) => {
				await pipeline(file.open(), fs.createWriteStream(join(cfg.outDir, file.name)));
				return file.name;
			},
		});
		if (result.failures.length > 0) throw new Error(JSON.stringify(result.failures.slice(0, 3)));
		count = result.answers.filter((a) => a.deleted).length;
	}
	const collectMs = ms(t);
	await channel.close();
	const hwm = /VmHWM:\\s*(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
	process.stdout.write(JSON.stringify({ collectMs, count, vmHwmKiB: hwm ? Number(hwm[1]) : NaN }), () => process.exit(0));
})().catch((error) => { console.error(error && error.stack || error); process.exit(1); });
`,
	);
	return { file, env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') } };
}

export async function runPollBench(options: PollBenchOptions = {}): Promise<PollBenchResult> {
	const count = options.answers ?? 1000;
	const runs = options.runs ?? 3;
	const parallels = options.parallel ?? [DEFAULT_PARALLEL];
	const oneWayDelayMs = options.oneWayDelayMs ?? 10;
	const listEntries = options.listEntries ?? 10_000;
	const log = options.log ?? (() => undefined);
	const loadBefore = loadAverage();

	const env = await startBenchEnvironment({
		name: 'poll',
		latency: options.latency,
		oneWayDelayMs,
		log,
	});
	const { dir, key, targets } = env;
	try {
		const box = env.sandbox;
		const child = buildPollChild(join(dir, 'build'));
		const content = answerContent();
		const signature = randomBytes(1500);
		const outDir = join(dir, 'received');
		const fresh = () => {
			rmSync(outDir, { recursive: true, force: true });
			mkdirSync(outDir);
		};
		const timeoutMs = 60_000 + count * 2_000;

		const ours = async (
			target: Target,
			mode: 'poll' | 'list',
			parallel: number,
			expected: number,
		): Promise<PollMeasurement> => {
			fresh();
			const config = {
				host: target.host,
				port: target.port,
				username: box.username,
				keyPath: key.path,
				fingerprints: box.hostKeys.map((k) => k.fingerprint),
				parallel,
				outDir,
				mode,
			};
			const server = startServerCpuMeter(box);
			const m = await run(
				[
					...target.exec,
					process.execPath,
					// E.g. POLL_BENCH_NODE_ARGS=--cpu-prof to see where our time goes.
					...(process.env.POLL_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
					child.file,
					JSON.stringify(config),
				],
				child.env,
				timeoutMs,
			);
			const r = JSON.parse(m.stdout) as { collectMs: number; count: number; vmHwmKiB: number };
			if (r.count !== expected)
				throw new Error(`ours (${mode}): ${r.count} answers, ${expected} expected`);
			if (mode === 'poll') checkCollected(box, outDir, expected, 'ours');
			return {
				wallMs: m.wallMs,
				collectMs: r.collectMs,
				peakRssMiB: (Number.isNaN(m.peakRssKiB) ? r.vmHwmKiB : m.peakRssKiB) / 1024,
				cpuMs: m.cpuMs,
				serverCpuMs: server.stop(),
			};
		};

		const sftp = async (
			target: Target,
			mode: 'poll' | 'list',
			ids: string[],
		): Promise<PollMeasurement> => {
			fresh();
			const batch = join(dir, 'batch.txt');
			writeFileSync(
				batch,
				mode === 'list'
					? `ls -l /${FOLDER}\n`
					: ids
							.map(
								(id) =>
									`get /${FOLDER}/FO.${id} ${outDir}/FO.${id}\nrm /${FOLDER}/GO.${id}\nrm /${FOLDER}/FO.${id}\nrm /${FOLDER}/FS.${id}\n`,
							)
							.join(''),
			);
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
			if (mode === 'poll') checkCollected(box, outDir, ids.length, 'sftp');
			return {
				wallMs: m.wallMs,
				peakRssMiB: m.peakRssKiB / 1024,
				cpuMs: m.cpuMs,
				serverCpuMs: server.stop(),
			};
		};

		const cases: PollCase[] = [];
		for (const target of targets) {
			for (const parallel of parallels) {
				const row: PollCase = {
					network: target.label,
					what: 'poll',
					parallel,
					count,
					ours: [],
					sftp: [],
					ratios: [],
				};
				// Ours and sftp alternately, so that a busy machine slows both alike; ratios per pair.
				for (let i = 0; i < runs; i++) {
					plant(box, count, content, signature);
					row.ours.push(
						await withOneRetry('ours poll', () => ours(target, 'poll', parallel, count), log),
					);
					const ids = plant(box, count, content, signature);
					row.sftp.push(await withOneRetry('sftp poll', () => sftp(target, 'poll', ids), log));
					row.ratios.push(row.sftp[i].wallMs / row.ours[i].wallMs);
					log(
						`${target.label} poll ${count}, parallel ${parallel}, run ${i + 1}: ours ${row.ours[i].wallMs.toFixed(0)} ms (collect ${row.ours[i].collectMs?.toFixed(0)} ms, CPU ${row.ours[i].cpuMs.toFixed(0)} ms, server CPU ${row.ours[i].serverCpuMs.toFixed(0)} ms, ${row.ours[i].peakRssMiB.toFixed(0)} MiB), sftp ${row.sftp[i].wallMs.toFixed(0)} ms (CPU ${row.sftp[i].cpuMs.toFixed(0)} ms, server CPU ${row.sftp[i].serverCpuMs.toFixed(0)} ms) → ${row.ratios[i].toFixed(2)}×`,
					);
				}
				cases.push(row);
			}
			if (listEntries > 0) {
				// Triplets without their GO: listed and paired, nothing taken.
				clear(box);
				for (let i = 0; i < Math.ceil(listEntries / 2); i++) {
					box.writeFile(FOLDER, `FO.${idOf(i)}`, content);
					box.writeFile(FOLDER, `FS.${idOf(i)}`, signature);
				}
				const row: PollCase = {
					network: target.label,
					what: 'list',
					parallel: 0,
					count: Math.ceil(listEntries / 2) * 2,
					ours: [],
					sftp: [],
					ratios: [],
				};
				for (let i = 0; i < runs; i++) {
					row.ours.push(await withOneRetry('ours list', () => ours(target, 'list', 0, 0), log));
					row.sftp.push(await withOneRetry('sftp list', () => sftp(target, 'list', []), log));
					row.ratios.push(row.sftp[i].wallMs / row.ours[i].wallMs);
				}
				log(
					`${target.label} list ${row.count}: ours ${row.ours.map((m) => `${m.collectMs?.toFixed(0)}`).join(' ')} ms (listing alone), sftp ls ${row.sftp.map((m) => m.wallMs.toFixed(0)).join(' ')} ms (whole process)`,
				);
				cases.push(row);
				clear(box);
			}
		}
		const polls = cases.filter((c) => c.what === 'poll' && c.parallel === parallels[0]);
		const at = (label: string) => polls.find((c) => c.network === label);
		const loop = at('loopback');
		const delayed = targets[1] ? at(targets[1].label) : undefined;
		const targetsMet = {
			loopbackMet: loop && median(loop.ratios) >= 3,
			delayedMet: delayed && median(delayed.ratios) >= 10,
			rssMet: Math.max(...polls.flatMap((c) => c.ours.map((m) => m.peakRssMiB))) <= 128,
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

/** Every answer is in `outDir` with its bytes, and the server folder is empty. */
function checkCollected(sandbox: SshdSandbox, outDir: string, count: number, who: string): void {
	const left = readdirSync(sandbox.pathOf(FOLDER));
	const got = readdirSync(outDir);
	if (left.length > 0 || got.length !== count)
		throw new Error(
			`${who}: ${got.length} answers received of ${count}, ${left.length} files left on the server`,
		);
}

function formatTable(
	cases: PollCase[],
	runs: number,
	loadBefore: string,
	loadAfter: string,
	targets: PollBenchResult['targets'],
): string {
	const lines = [
		`Poll benchmark: collectAnswers (list, download, store to a local file, delete GO then FO and FS) vs OpenSSH \`sftp -b\` (get FO, rm GO, rm FO, rm FS per answer), same sandbox sshd; median (min–max) of ${runs} run(s); node ${process.version}; load average before/after: ${loadBefore} / ${loadAfter}`,
		'',
		'| network | what | parallel | ours wall s | ours collect/list s | ours CPU s | server CPU s, ours | ours peak RSS MiB | sftp wall s | sftp CPU s | server CPU s, sftp | sftp peak RSS MiB | sftp/ours, per pair |',
		'|---|---|---|---|---|---|---|---|---|---|---|---|---|',
	];
	for (const c of cases) {
		lines.push(
			`| ${c.network} | ${c.what} ${c.count} ${c.what === 'poll' ? 'answers' : 'entries'} | ${c.parallel || '-'} | ${spread(c.ours.map((m) => m.wallMs / 1000))} | ${spread(c.ours.map((m) => (m.collectMs ?? 0) / 1000))} | ${spread(c.ours.map((m) => m.cpuMs / 1000))} | ${spread(c.ours.map((m) => m.serverCpuMs / 1000))} | ${Math.max(...c.ours.map((m) => m.peakRssMiB)).toFixed(0)} | ${spread(c.sftp.map((m) => m.wallMs / 1000))} | ${spread(c.sftp.map((m) => m.cpuMs / 1000))} | ${spread(c.sftp.map((m) => m.serverCpuMs / 1000))} | ${Math.max(...c.sftp.map((m) => m.peakRssMiB)).toFixed(0)} | ${spread(c.ratios)}× |`,
		);
	}
	lines.push(
		'',
		'Walls are whole processes (start, connect, work, exit). The list row: ours lists and pairs the folder; sftp runs `ls -l`.',
		"CPU: the client's user + system time; the server's is sshd and its SFTP server for that run (bench/environment.ts). On a machine whose cores the client and the server share, their sum over the cores bounds how far ahead of sftp the client can be on loopback.",
		`Targets (issue 15): poll loopback ≥ 3× sftp → ${verdict(targets.loopbackMet)}; over the round trip ≥ 10× → ${verdict(targets.delayedMet)}; peak RSS ≤ 128 MiB → ${verdict(targets.rssMet)}`,
	);
	return lines.join('\n');
}

if (require.main === module) {
	runAsScript(() => {
		const { values } = benchArgs(['answers', 'list', ...ROUND_TRIP_FLAGS]);
		return runPollBench({
			...roundTripOptions(values),
			answers: count(values.answers, 'answers'),
			listEntries: count(values.list, 'list'),
			log: (line) => console.error(line),
		});
	});
}
