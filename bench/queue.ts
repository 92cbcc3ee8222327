/**
 * Memory of a worker in n8n's queue mode (issue 16, docs/queue-mode.md): one declaration of 200 MiB (by
 * default) read from the worker's disk, named, signed (Sign FI) and submitted (Submit) by one worker of
 * n8n 2.41.1 with binaries in n8n's database mode; the worker's peak RSS (VmHWM of its process) printed,
 * against its RSS when idle. Each run gets a fresh worker, so each peak is that run's alone.
 *
 *   npm run bench -- --only queue [--queue-size 200M] [--runs N]     (needs root: sshd sandbox, Postgres)
 *   npx ts-node --transpile-only bench/queue.ts [--queue-size 200M] [--runs N] [--control]
 *
 * QUEUE_E2E_TARBALL: a tarball packed elsewhere (default: npm pack of this tree).
 */
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

import { startSandboxEnvironment } from '../sandbox/cli';
import { sandboxUnavailableReason } from '../sandbox/sshdSandbox';
import { ensureN8n, exampleWorkflow, packPackage } from '../test/e2e/harness';
import { prepareQueueCluster, queueClusterUnavailableReason } from '../test/e2e/queueCluster';
import { benchArgs, count, formatSize, parseSize, runAsScript } from './cli';

const MIB = 1024 * 1024;

export interface QueueBenchRun {
	idleRssMiB: number;
	peakRssMiB: number;
	seconds: number;
	accepted: boolean;
}

export interface QueueBenchResult {
	sizeBytes: number;
	runs: QueueBenchRun[];
	table: string;
}

function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kib = (field: string) =>
		Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
	return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/** A declaration of `size` bytes: XML, one record per line, as a big DmfA would be. */
async function writeDeclaration(path: string, size: number): Promise<void> {
	const out = createWriteStream(path);
	const head =
		'<?xml version="1.0" encoding="UTF-8"?>\n<DmfAOriginal><Form><Identification>DMFAORIGINAL</Identification>\n';
	const tail = '</Form></DmfAOriginal>\n';
	const line =
		'<NaturalPerson><INSS>00000000097</INSS><Remuneration>123456</Remuneration></NaturalPerson>\n';
	out.write(head);
	let written = head.length + tail.length;
	const block = line.repeat(Math.floor(MIB / line.length));
	while (written + block.length <= size) {
		if (!out.write(block)) await once(out, 'drain');
		written += block.length;
	}
	out.write(' '.repeat(size - written));
	out.end(tail);
	await once(out, 'finish');
}

export async function runQueueBench(
	options: {
		sizeBytes?: number;
		runs?: number;
		/**
		 * `control`: the same workflow ending after Build Filenames (n8n reads the file and stores it in the
		 * database, no Sign FI, no Submit), to tell n8n's own memory from our nodes'.
		 */
		control?: boolean;
		log?: (line: string) => void;
	} = {},
): Promise<QueueBenchResult> {
	const size = options.sizeBytes ?? 200 * MIB;
	const runs = options.runs ?? 5;
	const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
	const reason = sandboxUnavailableReason() ?? queueClusterUnavailableReason();
	if (reason) throw new Error(`The queue benchmark cannot run here: ${reason}`);
	const work = mkdtempSync(join(tmpdir(), 'ss-queue-bench-'));
	const install = ensureN8n('2.41.1');
	const tarball = process.env.QUEUE_E2E_TARBALL ?? packPackage(work);
	// The simulator refuses FIs over 100 MB by default (ACRF-184; the real server's limit is not
	// documented): raised here so the set goes through to the end.
	const env = await startSandboxEnvironment({
		dir: join(work, 'sandbox'),
		logger: () => undefined,
		simulator: { maxFileBytes: 2 * size },
	});
	const cluster = await prepareQueueCluster(install, tarball, { workers: 1 });
	const results: QueueBenchRun[] = [];
	try {
		const worker = cluster.workers[0];
		const files = join(worker.folder, 'files');
		mkdirSync(files, { recursive: true });
		const declaration = join(files, 'declaration.xml');
		log(`writing a ${formatSize(size)} declaration on the worker's disk`);
		await writeDeclaration(declaration, size);

		await cluster.main.importCredentials([env.credential]);
		const credential = { id: env.credential.id, name: env.credential.name };
		const workflow = exampleWorkflow('submit-declaration.json', 'SsBeQueueBench', credential) as {
			nodes: Array<Record<string, unknown> & { name: string }>;
			connections: Record<string, { main: Array<Array<{ node: string }>> }>;
		};
		workflow.nodes = workflow.nodes.filter(
			(n) =>
				![
					'Sample declaration',
					'Declaration file',
					'Check the signature',
					'Give the server time to answer',
					'Poll Social Security Responses',
				].includes(n.name),
		);
		const start = workflow.nodes.find((n) => n.name === 'Start') as Record<string, unknown>;
		Object.assign(start, {
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			webhookId: '9d8c7b6a-0000-4000-8000-000000000b01',
			parameters: {
				httpMethod: 'POST',
				path: 'ss-queue-bench',
				// Answers when the execution ends (on the worker).
				responseMode: 'lastNode',
				options: {},
			},
		});
		workflow.nodes.push({
			id: '9d8c7b6a-0000-4000-8000-000000000b02',
			name: 'Read the declaration',
			type: 'n8n-nodes-base.readWriteFile',
			typeVersion: 1,
			position: [200, 0],
			parameters: { operation: 'read', fileSelector: declaration, options: {} },
		});
		workflow.connections = {
			Start: { main: [[{ node: 'Read the declaration' }]] },
			'Read the declaration': { main: [[{ node: 'Payroll export' }]] },
			'Payroll export': { main: [[{ node: 'Build Filenames' }]] },
			...(options.control
				? {}
				: {
						'Build Filenames': { main: [[{ node: 'Sign FI' }]] },
						'Sign FI': { main: [[{ node: 'Submit to Social Security' }]] },
					}),
		};
		for (const connection of Object.values(workflow.connections))
			for (const target of connection.main[0]) Object.assign(target, { type: 'main', index: 0 });
		await cluster.main.importWorkflow(workflow);
		const published = await cluster.main.n8n(['publish:workflow', '--id=SsBeQueueBench']);
		if (published.code !== 0) throw new Error(`publish:workflow: ${published.stderr}`);
		await cluster.start();

		for (let run = 0; run < runs; run++) {
			if (run > 0) {
				await cluster.startedWorkers[0].stop();
				cluster.startedWorkers[0] = await worker.startWorker();
			}
			const pid = cluster.startedWorkers[0].pid as number;
			await new Promise((r) => setTimeout(r, 3000));
			const idle = memoryOf(pid);
			const before = env.simulator.processed.length;
			const started = Date.now();
			const response = await fetch(`http://127.0.0.1:${cluster.mainPort}/webhook/ss-queue-bench`, {
				method: 'POST',
			});
			if (!response.ok) throw new Error(`webhook answered ${response.status}`);
			const deadline = Date.now() + 10 * 60_000;
			while (!options.control && env.simulator.processed.length === before && Date.now() < deadline)
				await new Promise((r) => setTimeout(r, 200));
			const seconds = (Date.now() - started) / 1000;
			const processed = options.control
				? { accepted: true, errors: [] }
				: env.simulator.processed[before];
			if (!processed) {
				throw new Error(
					`no set arrived in 10 minutes; worker output:\n${cluster.startedWorkers[0].output().slice(-3000)}`,
				);
			}
			const after = memoryOf(pid);
			results.push({
				idleRssMiB: idle.rssMiB,
				peakRssMiB: after.hwmMiB,
				seconds,
				accepted: processed.accepted,
			});
			log(
				`run ${run + 1}: idle ${idle.rssMiB.toFixed(0)} MiB, peak ${after.hwmMiB.toFixed(0)} MiB, ${seconds.toFixed(1)} s, ${processed.accepted ? 'accepted' : `refused ${processed.errors.join(',')}`}`,
			);
		}
	} finally {
		await cluster.stop();
		await env.stop();
		rmSync(work, { recursive: true, force: true });
	}
	const median = (values: number[]) =>
		[...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
	const range = (values: number[]) =>
		`${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;
	const peaks = results.map((r) => r.peakRssMiB);
	const idles = results.map((r) => r.idleRssMiB);
	const times = results.map((r) => r.seconds);
	const table = [
		`Queue mode, one worker, database binary mode, ${formatSize(size)} FI read, ${options.control ? 'named only (control: no Sign FI, no Submit)' : 'named, signed and submitted'} (${results.length} runs, fresh worker each):`,
		`  worker peak RSS ${median(peaks).toFixed(0)} MiB (${range(peaks)}), idle ${median(idles).toFixed(0)} MiB (${range(idles)}), ` +
			`time from webhook to ${options.control ? 'the end of the execution' : "the simulator's GO"} ${median(times).toFixed(1)} s (${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)}); ` +
			`${results.filter((r) => r.accepted).length}/${results.length} accepted`,
	].join('\n');
	return { sizeBytes: size, runs: results, table };
}

if (require.main === module) {
	runAsScript(() => {
		const { values } = benchArgs(['queue-size', 'runs'], ['control']);
		const size = values['queue-size'];
		return runQueueBench({
			sizeBytes: typeof size === 'string' ? parseSize(size) : undefined,
			runs: count(values.runs, 'runs'),
			control: values.control === true,
		});
	});
}
