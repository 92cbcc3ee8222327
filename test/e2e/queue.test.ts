/**
 * The package in n8n's queue mode (issue 16, docs/queue-mode.md): Postgres and Redis, n8n 2.41.1 as a main
 * instance and two workers, each with its own user folder and TMPDIR as if on separate machines, the
 * package installed in each by n8n's own steps, binaries in n8n's database mode. 200 declarations come in
 * through a production webhook on the main instance; their executions run on both workers; every name is
 * distinct (sequences reserved in n8n's Redis, no shared folder) and every set is accepted by the
 * simulator. The Social Security Trigger runs on the main instance and every answer reaches the workflow
 * exactly once (a small HTTP collector in this process counts them).
 *
 * `npm run test:queue` (about 9 minutes on 2 busy cores; its own command, not part of `npm test`: see docs/queue-mode.md).
 */
import { createServer, IncomingMessage, Server } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startSandboxEnvironment, SandboxEnvironment } from '../../sandbox/cli';
import { sandboxUnavailableReason } from '../../sandbox/sshdSandbox';
import { REDIS_KEY_PREFIX } from '../../nodes/domain/names/sequence';
import { RedisClient } from '../../nodes/domain/names/redisClient';
import { ensureN8n, exampleWorkflow, packPackage } from './harness';
import { QueueCluster, prepareQueueCluster, queueClusterUnavailableReason } from './queueCluster';

jest.setTimeout(30 * 60_000);

const SETS = Number(process.env.QUEUE_E2E_SETS ?? 200);
const reason = sandboxUnavailableReason() ?? queueClusterUnavailableReason();
if (reason) {
	if (process.env.CI === 'true')
		throw new Error(`CI=true but the queue-mode test cannot run: ${reason}`);
	console.warn(`Skipping the queue-mode test: ${reason}`);
}
const describeQueue = reason ? describe.skip : describe;
const log = (message: string) => process.stderr.write(`[queue] ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Collected {
	answerId: string;
	type: string;
	answersGo?: string;
	status?: string;
}

/** Receives one POST per answer item the trigger's workflow handles (on a worker). */
async function startCollector(): Promise<{ server: Server; port: number; received: Collected[] }> {
	const received: Collected[] = [];
	const body = async (request: IncomingMessage) => {
		const chunks: Buffer[] = [];
		for await (const chunk of request) chunks.push(chunk as Buffer);
		return Buffer.concat(chunks).toString('utf8');
	};
	const server = createServer((request, response) => {
		void body(request).then((text) => {
			try {
				received.push(JSON.parse(text) as Collected);
				response.writeHead(200).end('{}');
			} catch {
				response.writeHead(400).end('{}');
			}
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	return { server, port: (server.address() as { port: number }).port, received };
}

describeQueue('n8n 2.41.1 in queue mode: a main instance and two workers', () => {
	let work: string;
	let env: SandboxEnvironment;
	let cluster: QueueCluster;
	let collector: Awaited<ReturnType<typeof startCollector>>;
	const started = Date.now();

	beforeAll(async () => {
		work = mkdtempSync(join(tmpdir(), 'ss-queue-'));
		const install = ensureN8n('2.41.1');
		// QUEUE_E2E_TARBALL: a tarball packed elsewhere (e.g. from a clean checkout while the tree is edited).
		const tarball = process.env.QUEUE_E2E_TARBALL ?? packPackage(work);
		env = await startSandboxEnvironment({ dir: join(work, 'sandbox'), logger: () => undefined });
		collector = await startCollector();
		cluster = await prepareQueueCluster(install, tarball, { workers: 2, concurrency: 10 });
		await cluster.main.importCredentials([env.credential]);
		const credential = { id: env.credential.id, name: env.credential.name };

		// Submission: the example workflow, started by a production webhook instead of the manual trigger,
		// ending with Submit (the trigger below collects the answers).
		const submit = exampleWorkflow('submit-declaration.json', 'SsBeQueueSubmit', credential) as {
			nodes: Array<Record<string, unknown> & { name: string }>;
			connections: Record<string, unknown>;
			active?: boolean;
		};
		submit.nodes = submit.nodes.filter(
			(n) => !['Give the server time to answer', 'Poll Social Security Responses'].includes(n.name),
		);
		delete submit.connections['Submit to Social Security'];
		delete submit.connections['Give the server time to answer'];
		const start = submit.nodes.find((n) => n.name === 'Start') as Record<string, unknown>;
		Object.assign(start, {
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			webhookId: '9d8c7b6a-0000-4000-8000-000000000001',
			parameters: {
				httpMethod: 'POST',
				path: 'ss-queue-submit',
				responseMode: 'onReceived',
				options: {},
			},
		});
		await cluster.main.importWorkflow(submit);

		// Answers: the trigger on the main instance, every minute; each answer item is posted to the collector.
		await cluster.main.importWorkflow({
			id: 'SsBeQueueAnswers',
			name: 'Queue answers',
			nodes: [
				{
					id: '9d8c7b6a-0000-4000-8000-0000000000a1',
					name: 'Social Security Trigger',
					type: 'n8n-nodes-socialsecurity-be.socialSecurityTrigger',
					typeVersion: 1,
					position: [0, 0],
					parameters: {
						pollTimes: { item: [{ mode: 'everyMinute' }] },
						environments: ['T'],
						options: {},
					},
					credentials: { belgianSocialSecuritySftpApi: credential },
				},
				{
					id: '9d8c7b6a-0000-4000-8000-0000000000a2',
					name: 'Collect',
					type: 'n8n-nodes-base.httpRequest',
					typeVersion: 4.2,
					position: [220, 0],
					parameters: {
						method: 'POST',
						url: `http://127.0.0.1:${collector.port}/answer`,
						sendBody: true,
						specifyBody: 'json',
						jsonBody:
							'={{ JSON.stringify({ answerId: $json.answer.answerId, type: $json.answer.type, answersGo: $json.answer.answersGo, status: $json.answer.status }) }}',
						options: {},
					},
				},
			],
			connections: {
				'Social Security Trigger': {
					main: [[{ node: 'Collect', type: 'main', index: 0 }]],
				},
			},
			settings: { executionOrder: 'v1' },
		});
		for (const id of ['SsBeQueueSubmit', 'SsBeQueueAnswers']) {
			const published = await cluster.main.n8n(['publish:workflow', `--id=${id}`]);
			if (published.code !== 0)
				throw new Error(`publish:workflow ${id}: ${published.stdout} ${published.stderr}`);
		}
		await cluster.start();
		log(`set-up took ${Math.round((Date.now() - started) / 1000)} s`);
	});

	afterAll(async () => {
		await cluster?.stop();
		await env?.stop();
		collector?.server.close();
		if (work) rmSync(work, { recursive: true, force: true });
		log(`whole test took ${Math.round((Date.now() - started) / 1000)} s`);
	});

	it(`submits ${SETS} declarations through both workers with ${SETS} distinct names, all accepted, each answer delivered once`, async () => {
		const url = `http://127.0.0.1:${cluster.mainPort}/webhook/ss-queue-submit`;
		const submitStarted = Date.now();
		// 20 requests at a time: the webhook answers at once, the executions queue in Redis.
		for (let i = 0; i < SETS; i += 20) {
			await Promise.all(
				Array.from({ length: Math.min(20, SETS - i) }, async (_, k) => {
					const response = await fetch(url, {
						method: 'POST',
						headers: { 'content-type': 'application/json' },
						body: JSON.stringify({ n: i + k }),
					});
					expect(response.status).toBe(200);
				}),
			);
		}
		const deadline = Date.now() + 10 * 60_000;
		while (env.simulator.processed.length < SETS && Date.now() < deadline) await sleep(1000);
		log(
			`${env.simulator.processed.length} sets processed in ${Math.round((Date.now() - submitStarted) / 1000)} s`,
		);

		const processed = env.simulator.processed;
		expect(processed).toHaveLength(SETS);
		const names = processed.map((p) => p.name);
		expect(new Set(names).size).toBe(SETS);
		expect(
			processed.filter((p) => !p.accepted).map((p) => `${p.name}: ${p.errors.join(',')}`),
		).toEqual([]);

		// Both workers ran executions: each logs the ones it starts.
		const ran = cluster.startedWorkers.map(
			(w) => (w.output().match(/Worker started execution/g) ?? []).length,
		);
		log(`executions per worker: ${ran.join(', ')}`);
		expect(ran.every((count) => count > 0)).toBe(true);
		expect(ran.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(SETS);
		// The names were reserved in n8n's Redis, not in a folder of either machine.
		const client = new RedisClient({
			host: '127.0.0.1',
			port: cluster.redis.port,
			db: 0,
			timeoutMs: 5000,
		});
		const keys = (await client.command('KEYS', `${REDIS_KEY_PREFIX}:*`)) as string[];
		let reserved = 0;
		for (const key of keys) reserved += (await client.command('HLEN', key)) as number;
		client.close();
		expect(reserved).toBe(SETS);
		for (const worker of cluster.workers)
			expect(readdirSync(join(worker.folder, '.n8n'))).not.toContain('socialsecurity-sequences');

		// The trigger on the main instance collects every answer (ACRF, and the NOTIs that follow) once.
		const quiet = async () => {
			let last = -1;
			while (Date.now() < deadline) {
				const outFolder = join(env.root, 'OUTTEST');
				const left = readdirSync(outFolder).length;
				const answers = env.simulator.answers.length;
				if (left === 0 && collector.received.length >= answers && answers === last) return;
				last = answers;
				await sleep(15_000);
			}
		};
		await quiet();
		const written = env.simulator.answers;
		log(`${written.length} answers written, ${collector.received.length} delivered`);
		const ids = collector.received.map((r) => r.answerId);
		expect(new Set(ids).size).toBe(ids.length);
		expect(collector.received).toHaveLength(written.length);
		const acrfFor = new Map(
			collector.received.filter((r) => r.type === 'ACRF').map((r) => [r.answersGo, r]),
		);
		for (const name of names) expect(acrfFor.get(name)).toMatchObject({ status: 'accepted' });
		expect(readdirSync(join(env.root, 'OUTTEST'))).toEqual([]);
	});
});
