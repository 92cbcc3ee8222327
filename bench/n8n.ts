/**
 * In a real n8n (issue 15 part 5): the packed package installed into n8n 2.41.1 as n8n installs
 * community packages (test/e2e/harness.ts), the sandbox (real sshd + simulator, sandbox/cli.ts), then
 *   1. a workflow: 500 items → Build Filenames → Sign FI → Submit to Social Security (one execution);
 *   2. once the simulator has answered every set (ACRF and NOTI: 1000 answers), a workflow with Poll
 *      Social Security Responses collecting them all (Maximum Answers per Run 1000).
 * For each execution: wall time of `n8n execute` and n8n's peak RSS (VmHWM of the n8n process, from
 * /proc/<pid>/status, written by a preload at exit; `/usr/bin/time` cross-checks it). Not a timed test.
 *
 *   npx ts-node --transpile-only bench/n8n.ts [--items 500]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandboxEnvironment } from '../sandbox/cli';
import { ensureN8n, N8nUserFolder, packPackage, REPO } from '../test/e2e/harness';
import { benchArgs, count, runAsScript } from './cli';

const PACKAGE = 'n8n-nodes-socialsecurity-be';

export interface N8nBenchResult {
	items: number;
	answers: number;
	submit: { wallMs: number; peakRssMiB: number; timeRssMiB?: number; submitted: number };
	poll: { wallMs: number; peakRssMiB: number; timeRssMiB?: number; collected: number };
	table: string;
}

/** Written into NODE_OPTIONS: each n8n process records its VmHWM when it exits. */
const PRELOAD = `'use strict';
const fs = require('node:fs');
const path = require('node:path');
const dir = process.env.SS_BENCH_HWM_DIR;
if (dir) {
	const write = () => {
		try {
			const status = fs.readFileSync('/proc/self/status', 'utf8');
			const hwm = Number((/VmHWM:\\s+(\\d+)/.exec(status) || [])[1]);
			fs.writeFileSync(path.join(dir, process.pid + '.json'), JSON.stringify({ pid: process.pid, argv: process.argv.slice(1), hwmKiB: hwm }));
		} catch {}
	};
	// Also every second: n8n 2.41 may end without running exit handlers.
	setInterval(write, 1000).unref();
	process.on('exit', write);
}
`;

function workflows(items: number, sample: string, credential: { id: string; name: string }) {
	const cred = { belgianSocialSecuritySftpApi: credential };
	const node = (
		name: string,
		type: string,
		typeVersion: number,
		parameters: object,
		x: number,
	) => ({
		id: `bench-${name.replace(/\W/g, '')}`,
		name,
		type,
		typeVersion,
		position: [x, 0],
		parameters,
		...(type.startsWith(PACKAGE) ? { credentials: cred } : {}),
	});
	const chain = (names: string[]) =>
		Object.fromEntries(
			names
				.slice(0, -1)
				.map((n, i) => [n, { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] }]),
		);
	const submitNodes = [
		node('Start', 'n8n-nodes-base.manualTrigger', 1, {}, 0),
		node(
			'Rows',
			'n8n-nodes-base.set',
			3.4,
			{
				mode: 'manual',
				assignments: {
					assignments: [
						{
							id: 'r',
							name: 'rows',
							type: 'array',
							value: `={{ Array.from({ length: ${items} }, (_, i) => i + 1) }}`,
						},
					],
				},
				options: {},
			},
			200,
		),
		node('Items', 'n8n-nodes-base.splitOut', 1, { fieldToSplitOut: 'rows', options: {} }, 400),
		node(
			'Declaration',
			'n8n-nodes-base.set',
			3.4,
			{
				mode: 'manual',
				assignments: {
					assignments: [{ id: 'd', name: 'declaration', type: 'string', value: sample }],
				},
				includeOtherFields: true,
				include: 'all',
				options: {},
			},
			600,
		),
		node(
			'Declaration file',
			'n8n-nodes-base.convertToFile',
			1.1,
			{ operation: 'toText', sourceProperty: 'declaration', options: { fileName: 'export.xml' } },
			800,
		),
		node(
			'Build Filenames',
			`${PACKAGE}.buildFilenames`,
			1,
			{
				operation: 'build',
				application: 'DMFA',
				sender: '000123',
				environment: 'T',
				parts: 1,
				sequenceMode: 'automatic',
				options: { renameBinaries: 'data' },
			},
			1000,
		),
		node(
			'Sign FI',
			`${PACKAGE}.signFi`,
			1,
			{
				operation: 'sign',
				binaryPropertyName: 'data',
				signaturePropertyName: 'signature',
				signOptions: {},
			},
			1200,
		),
		node(
			'Submit to Social Security',
			`${PACKAGE}.submitToSocialSecurity`,
			1,
			{ operation: 'submit', filesFrom: 'fileNames', options: {} },
			1400,
		),
	];
	const pollNodes = [
		node('Start', 'n8n-nodes-base.manualTrigger', 1, {}, 0),
		node(
			'Poll Social Security Responses',
			`${PACKAGE}.pollResponses`,
			1,
			{ environments: ['T'], options: { max: 1000 } },
			200,
		),
	];
	return {
		submit: {
			id: 'SsBeBenchSubmit',
			name: 'bench submit',
			active: false,
			nodes: submitNodes,
			connections: chain(submitNodes.map((n) => n.name)),
			settings: {},
		},
		poll: {
			id: 'SsBeBenchPoll',
			name: 'bench poll',
			active: false,
			nodes: pollNodes,
			connections: chain(pollNodes.map((n) => n.name)),
			settings: {},
		},
	};
}

export async function runN8nBench(
	options: { items?: number; log?: (line: string) => void } = {},
): Promise<N8nBenchResult> {
	const items = options.items ?? 500;
	const log = options.log ?? (() => undefined);
	const work = mkdtempSync(join(tmpdir(), 'ss-bench-n8n-'));
	const hwmDir = join(work, 'hwm');
	execFileSync('mkdir', ['-p', hwmDir]);
	writeFileSync(join(work, 'hwm.js'), PRELOAD);
	// /usr/bin/time around node: the peak RSS of the process, whatever happens at its exit.
	const install = ensureN8n('2.41.1');
	const timeFile = join(work, 'time.txt');
	const wrapper = join(work, 'node-timed.sh');
	writeFileSync(
		wrapper,
		`#!/bin/sh\nexec /usr/bin/time -f %M -o "${timeFile}" "${install.node}" "$@"\n`,
	);
	chmodSync(wrapper, 0o755);
	process.env.SS_BENCH_HWM_DIR = hwmDir;
	process.env.NODE_OPTIONS =
		`${process.env.NODE_OPTIONS ?? ''} --require ${join(work, 'hwm.js')}`.trim();
	const env = await startSandboxEnvironment({
		dir: join(work, 'sandbox'),
		logger: () => undefined,
	});
	const n8n = new N8nUserFolder({ ...install, node: wrapper });
	try {
		log('packing and installing the package into n8n 2.41.1…');
		n8n.installPackage(packPackage(work));
		await n8n.importCredentials([env.credential]);
		const example = JSON.parse(
			readFileSync(join(REPO, 'examples', 'submit-declaration.json'), 'utf8'),
		) as {
			nodes: Array<{
				name: string;
				parameters: { assignments?: { assignments: Array<{ value: string }> } };
			}>;
		};
		const sample = example.nodes.find((n) => n.name === 'Sample declaration')?.parameters
			.assignments?.assignments[0].value as string;
		const flows = workflows(items, sample, { id: env.credential.id, name: env.credential.name });
		await n8n.importWorkflow(flows.submit);
		await n8n.importWorkflow(flows.poll);

		const measure = async (id: string) => {
			for (const f of readdirSync(hwmDir)) rmSync(join(hwmDir, f));
			const started = process.hrtime.bigint();
			// With hundreds of items n8n 2.41 can print run data that does not parse (it may end the process
			// while printing): the figures are still taken, and the sandbox says what was done.
			const run = await n8n.execute(id).catch((error: unknown) => {
				log(`n8n's run data of ${id} could not be read: ${String(error).slice(0, 200)}`);
				return undefined;
			});
			const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
			const peaks = readdirSync(hwmDir)
				.map(
					(f) =>
						JSON.parse(readFileSync(join(hwmDir, f), 'utf8')) as { argv: string[]; hwmKiB: number },
				)
				.filter((p) => p.argv.some((a) => a.includes('execute')));
			const peakRssMiB = Math.max(...peaks.map((p) => p.hwmKiB)) / 1024;
			const timed = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
			return {
				run,
				wallMs,
				peakRssMiB,
				timeRssMiB: Number.isFinite(timed) ? timed / 1024 : undefined,
			};
		};

		log(`running ${items} items through Build Filenames → Sign FI → Submit…`);
		const submit = await measure(flows.submit.id);
		if (submit.run?.error) throw new Error(`the submit workflow failed: ${submit.run.error}`);
		// Sets whose GO the simulator took: what reached the server, whatever n8n printed.
		const taken = () => env.simulator.processed.filter((p) => p.trigger === 'GO').length;
		const settle = Date.now() + 120_000;
		while (taken() < items && Date.now() < settle) await new Promise((r) => setTimeout(r, 1000));
		const submitted = taken();
		log(
			`${submitted} sets submitted in ${(submit.wallMs / 1000).toFixed(1)} s; waiting for the simulator's answers…`,
		);

		const expected = 2 * submitted;
		const out = env.sandbox.pathOf('OUTTEST');
		const answersThere = () => readdirSync(out).filter((n) => n.startsWith('GO.')).length;
		const deadline = Date.now() + 15 * 60_000;
		while (answersThere() < expected && Date.now() < deadline)
			await new Promise((r) => setTimeout(r, 1000));
		const answers = answersThere();
		log(`${answers} answers in OUTTEST; collecting them with Poll Responses…`);
		const poll = await measure(flows.poll.id);
		if (poll.run?.error) throw new Error(`the poll workflow failed: ${poll.run.error}`);
		// Answers taken away from OUTTEST (Poll deletes each once it is stored in n8n).
		const collected = poll.run
			? poll.run.items('Poll Social Security Responses').length
			: answers - answersThere();

		const row = (what: string, m: { wallMs: number; peakRssMiB: number; timeRssMiB?: number }) =>
			`| ${what} | ${(m.wallMs / 1000).toFixed(1)} s | ${m.peakRssMiB.toFixed(0)} MiB | ${m.timeRssMiB?.toFixed(0) ?? '?'} MiB |`;
		const table = [
			`n8n 2.41.1 (filesystem binary mode), one run each, node ${process.version} runs the bench`,
			'',
			'| execution | wall (n8n execute, incl. n8n start-up) | n8n peak RSS (VmHWM) | /usr/bin/time max RSS |',
			'|---|---|---|---|',
			row(`${items} items: Build Filenames → Sign FI → Submit (${submitted} submitted)`, submit),
			row(`Poll Responses: ${collected} answers collected (of ${answers})`, poll),
		].join('\n');
		return {
			items,
			answers,
			submit: {
				wallMs: submit.wallMs,
				peakRssMiB: submit.peakRssMiB,
				timeRssMiB: submit.timeRssMiB,
				submitted,
			},
			poll: {
				wallMs: poll.wallMs,
				peakRssMiB: poll.peakRssMiB,
				timeRssMiB: poll.timeRssMiB,
				collected,
			},
			table,
		};
	} finally {
		await env.stop();
		n8n.remove();
		rmSync(work, { recursive: true, force: true });
	}
}

if (require.main === module) {
	runAsScript(() => {
		const { values } = benchArgs(['items']);
		return runN8nBench({ items: count(values.items, 'items'), log: (l) => console.error(l) });
	});
}
