/**
 * The sequence store of queue mode against a real redis-server: values claimed once across processes
 * (as many workers on many machines), the three modes sharing it, the store chosen from how n8n runs, and
 * every misconfiguration a clear error instead of a silent duplicate (docs/queue-mode.md).
 */
import { createServer, Server, Socket } from 'node:net';
import { resolve } from 'node:path';

import {
	REDIS_KEY_PREFIX,
	RedisSequenceStore,
	SEQUENCE_MEMORY_DAYS,
	TimeSequenceGenerator,
	brusselsMidnight,
	timeSlot,
	isQueueMode,
	n8nRedisOptions,
	reserveDailyCounter,
	sequenceReservations,
	sequenceStoreKind,
} from '../../../nodes/domain/names/sequence';
import { RedisClient } from '../../../nodes/domain/names/redisClient';
import { validateSequence } from '../../../nodes/domain/names/fileNames';
import { brusselsToday } from '../../../nodes/domain/names/brusselsTime';
import { SocialSecurityError } from '../../../nodes/domain/errors';
import { RedisServer, describeWithRedis, freePort, startRedis } from '../../helpers/redisServer';
import { runGatedChildren } from '../../helpers/gatedChildren';

const SEQUENCE_MODULE = resolve(__dirname, '../../../nodes/domain/names/sequence.ts');
const N8N_BIN = '/usr/lib/node_modules/n8n/bin/n8n';
// Recent dates: Redis deletes a key whose expiry is past, so the days must be real recent ones.
const NOW = new Date();
const daysAgo = (n: number) => brusselsToday(new Date(NOW.getTime() - n * 86_400_000));
const TODAY = daysAgo(0);
const D1 = daysAgo(1);
const D2 = daysAgo(2);
const D3 = daysAgo(3);

async function rejection(promise: Promise<unknown>): Promise<SocialSecurityError> {
	try {
		await promise;
	} catch (error) {
		expect(error).toBeInstanceOf(SocialSecurityError);
		return error as SocialSecurityError;
	}
	throw new Error('expected an error');
}

const options = (server: { port: number; password?: string }, extra = {}) => ({
	host: '127.0.0.1',
	port: server.port,
	db: 0,
	password: server.password,
	timeoutMs: 3000,
	...extra,
});

describe('which store: queue mode of n8n', () => {
	it('uses Redis when EXECUTIONS_MODE=queue, or under `n8n worker` / `n8n webhook`', () => {
		expect(isQueueMode({ EXECUTIONS_MODE: 'queue' }, ['node', 'jest'])).toBe(true);
		expect(isQueueMode({}, ['/usr/bin/node', N8N_BIN, 'worker', '--concurrency=5'])).toBe(true);
		expect(isQueueMode({}, ['/usr/bin/node', N8N_BIN, 'webhook'])).toBe(true);
		expect(isQueueMode({}, ['/usr/bin/node', N8N_BIN, 'start'])).toBe(false);
		expect(isQueueMode({ EXECUTIONS_MODE: 'regular' }, ['node', N8N_BIN, 'execute'])).toBe(false);
		expect(isQueueMode({}, ['node', '/some/script.js', 'worker'])).toBe(false);
		expect(sequenceStoreKind({ EXECUTIONS_MODE: 'queue' }, [])).toBe('redis');
		expect(sequenceStoreKind({}, [])).toBe('folder');
	});

	it('lets SOCIALSECURITY_SEQUENCE_STORE override the choice, and refuses a value it does not know', () => {
		expect(
			sequenceStoreKind({ EXECUTIONS_MODE: 'queue', SOCIALSECURITY_SEQUENCE_STORE: 'folder' }, []),
		).toBe('folder');
		expect(sequenceStoreKind({ SOCIALSECURITY_SEQUENCE_STORE: 'redis' }, [])).toBe('redis');
		expect(sequenceStoreKind({ SOCIALSECURITY_SEQUENCE_STORE: 'auto' }, [])).toBe('folder');
		expect(() => sequenceStoreKind({ SOCIALSECURITY_SEQUENCE_STORE: 'postgres' }, [])).toThrow(
			/SOCIALSECURITY_SEQUENCE_STORE="postgres" is not a sequence store/,
		);
	});

	it("reads n8n's own Redis settings, with n8n's defaults and its _FILE variant", () => {
		expect(n8nRedisOptions({})).toMatchObject({ host: 'localhost', port: 6379, db: 0, tls: false });
		const read = n8nRedisOptions({
			QUEUE_BULL_REDIS_HOST: 'redis.internal',
			QUEUE_BULL_REDIS_PORT: '6380',
			QUEUE_BULL_REDIS_DB: '2',
			QUEUE_BULL_REDIS_USERNAME: 'n8n',
			QUEUE_BULL_REDIS_PASSWORD_FILE: __filename,
			QUEUE_BULL_REDIS_TLS: 'true',
		});
		expect(read).toMatchObject({
			host: 'redis.internal',
			port: 6380,
			db: 2,
			username: 'n8n',
			tls: true,
		});
		expect(read.password).toContain('The sequence store of queue mode');
		expect(() => n8nRedisOptions({ QUEUE_BULL_REDIS_PORT: 'six' })).toThrow(
			/QUEUE_BULL_REDIS_PORT="six" is not a whole number/,
		);
		expect(() => n8nRedisOptions({ QUEUE_BULL_REDIS_CLUSTER_NODES: 'a:1,b:2' })).toThrow(
			/Redis cluster .* does not support yet/,
		);
	});
});

describeWithRedis('sequences in Redis (real redis-server)', () => {
	let server: RedisServer;
	beforeAll(async () => {
		server = await startRedis();
	});
	afterAll(async () => {
		await server?.remove();
	});

	it('claims each value once, and keeps it until SEQUENCE_MEMORY_DAYS after its day', async () => {
		const store = new RedisSequenceStore(options(server));
		const other = new RedisSequenceStore(options(server));
		expect(await store.claim(TODAY, 'T', '00001')).toBe(true);
		expect(await other.claim(TODAY, 'T', '00001')).toBe(false);
		expect(await other.claim(TODAY, 'R', '00001')).toBe(true);
		expect(await other.claim(D1, 'T', '00001')).toBe(true);
		const client = new RedisClient(options(server));
		const key = `${REDIS_KEY_PREFIX}:${TODAY}:T`;
		const holder = await client.command('HGET', key, '00001');
		expect(holder).toMatch(/pid=\d+ host=/);
		const expiresAt = (await client.command('EXPIRETIME', key)) as number;
		expect(expiresAt * 1000).toBe(
			brusselsMidnight(TODAY) + (SEQUENCE_MEMORY_DAYS + 1) * 86_400_000,
		);
		// A fixed value with a date long past: the day's values are kept at least a day, never deleted at once.
		const old = daysAgo(100);
		expect(await store.claim(old, 'T', '00001')).toBe(true);
		expect(await other.claim(old, 'T', '00001')).toBe(false);
		expect((await client.command('TTL', `${REDIS_KEY_PREFIX}:${old}:T`)) as number).toBeGreaterThan(
			86_000,
		);
		store.close();
		other.close();
		client.close();
	});

	it('gives distinct automatic values from 4 processes at once (as 4 workers on 4 machines, 500 each)', async () => {
		// Each child has its own generator (its own per-process guard) and one clock frozen on the same
		// centisecond, the worst case: every process starts from the same slot.
		const script = `
			const { TimeSequenceGenerator, RedisSequenceStore } = require(${JSON.stringify(SEQUENCE_MODULE)});
			const store = new RedisSequenceStore({ host: '127.0.0.1', port: ${server.port}, db: 0, timeoutMs: 5000 });
			const generator = new TimeSequenceGenerator({ directory: false, now: () => new Date(${JSON.stringify(NOW.toISOString())}) });
			process.stdout.write('ready\\n');
			process.stdin.once('data', async () => {
				const values = [];
				const started = Date.now();
				// 10 at a time, as one worker running several executions.
				for (let i = 0; i < 50; i++) {
					values.push(...(await Promise.all(Array.from({ length: 10 }, () => generator.reserve({ environment: 'S', date: ${JSON.stringify(TODAY)} }, store)))));
				}
				process.stdout.write(JSON.stringify({ values, started, ms: Date.now() - started }));
				process.exit(0);
			});
		`;
		const results = await runGatedChildren<{ values: string[]; started: number; ms: number }>(
			4,
			script,
		);
		const all = results.flatMap((r) => r.values);
		expect(all).toHaveLength(2000);
		expect(new Set(all).size).toBe(2000);
		expect(all.every((s) => validateSequence(s).length === 0)).toBe(true);
		// Every process starts from the centisecond of the frozen clock; none goes below it.
		const slot = timeSlot(TODAY, NOW);
		expect(Math.min(...all.map((s) => parseInt(s, 36)))).toBe(slot);
		const client = new RedisClient(options(server));
		expect(await client.command('HLEN', `${REDIS_KEY_PREFIX}:${TODAY}:S`)).toBe(2000);
		client.close();
	}, 120_000);

	it('lets the daily counter and fixed values share the store with the automatic mode', async () => {
		const store = new RedisSequenceStore(options(server));
		expect(await store.claim(D2, 'T', '00002')).toBe(true); // a fixed value another worker took
		const first = await reserveDailyCounter(undefined, D2, 'T', store);
		expect(first.sequence).toBe('00001');
		const second = await reserveDailyCounter(first.state, D2, 'T', store);
		expect(second.sequence).toBe('00003');
		// Another workflow with its own counter state never gets a value already handed out.
		const elsewhere = await reserveDailyCounter(undefined, D2, 'T', store);
		expect(elsewhere.sequence).toBe('00004');
		store.close();
	});

	it('chooses Redis from the environment of a queue-mode instance, with nothing else configured', async () => {
		const env = {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(server.port),
		};
		const reservations = sequenceReservations({
			env,
			folder: '/nonexistent/ignored/in/queue/mode',
		});
		expect(reservations.kind).toBe('redis');
		expect(reservations.where).toBe(`n8n's Redis at 127.0.0.1:${server.port} (database 0)`);
		const today = brusselsToday();
		const a = await reservations.automatic(today, 'R');
		const b = await reservations.automatic(today, 'R');
		expect(a).not.toBe(b);
		expect(await reservations.recordFixed(today, 'R', a)).toBe(false);
		expect(sequenceReservations({ env })).toBe(reservations);
	});

	it('fails clearly when Redis goes away, and works again when it is back', async () => {
		const store = new RedisSequenceStore(options(server));
		expect(await store.claim(D3, 'T', '00001')).toBe(true);
		await server.stop();
		const error = await rejection(store.claim(D3, 'T', '00002'));
		expect(error.code).toBe('SEQUENCE_STORE_UNAVAILABLE');
		expect(error.message).toMatch(
			/queue mode.*n8n's Redis at 127\.0\.0\.1:\d+.*no sequence was taken/,
		);
		await server.start();
		// An empty Redis after a restart without persistence: documented in docs/queue-mode.md.
		expect(await store.claim(D3, 'T', '00002')).toBe(true);
		store.close();
	}, 60_000);
});

describeWithRedis('sequences in Redis: misconfiguration is a clear error', () => {
	it('says that nothing listens on the configured port', async () => {
		const port = await freePort();
		const store = new RedisSequenceStore(options({ port }));
		const error = await rejection(store.claim(TODAY, 'T', '00001'));
		expect(error.code).toBe('SEQUENCE_STORE_UNAVAILABLE');
		expect(error.message).toContain(`n8n's Redis at 127.0.0.1:${port} (database 0)`);
		expect(error.message).toContain('connection refused');
		expect(error.hint).toMatch(/same QUEUE_BULL_REDIS_\* settings as the main instance/);
	});

	it('says that the password is wrong, without showing it', async () => {
		const server = await startRedis({ password: 'right-password-123' });
		try {
			const right = new RedisSequenceStore(options(server));
			expect(await right.claim(TODAY, 'T', '00001')).toBe(true);
			right.close();
			for (const password of ['wrong-password-456', undefined]) {
				const store = new RedisSequenceStore(options({ port: server.port, password }));
				const error = await rejection(store.claim(TODAY, 'T', '00002'));
				expect(error.message).toMatch(/Redis refused the user name or password|NOAUTH/);
				expect(`${error.message} ${error.hint}`).not.toContain('password-456');
				store.close();
			}
			const wrongDb = new RedisSequenceStore(options(server, { db: 99 }));
			expect((await rejection(wrongDb.claim(TODAY, 'T', '00002'))).message).toContain(
				'QUEUE_BULL_REDIS_DB is not a database of that Redis',
			);
			wrongDb.close();
		} finally {
			await server.remove();
		}
	});

	it('gives up after the timeout when the other side never answers, and when it is not Redis', async () => {
		const sockets: Socket[] = [];
		const silent: Server = createServer((socket) => sockets.push(socket));
		await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
		const port = (silent.address() as { port: number }).port;
		try {
			const store = new RedisSequenceStore(options({ port }, { timeoutMs: 300 }));
			const started = Date.now();
			const error = await rejection(store.claim(TODAY, 'T', '00001'));
			expect(error.message).toContain('no answer in time');
			expect(Date.now() - started).toBeLessThan(3000);
			store.close();
		} finally {
			for (const socket of sockets.splice(0)) socket.destroy();
			silent.close();
		}
		const http: Server = createServer((socket) => {
			sockets.push(socket);
			socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
		});
		await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
		try {
			const port2 = (http.address() as { port: number }).port;
			const store = new RedisSequenceStore(options({ port: port2 }));
			const error = await rejection(store.claim(TODAY, 'T', '00001'));
			expect(error.code).toBe('SEQUENCE_STORE_UNAVAILABLE');
			store.close();
		} finally {
			for (const socket of sockets) socket.destroy();
			http.close();
		}
	});
});

describe('a generator without Redis', () => {
	it('keeps the synchronous folder path of the other modes', () => {
		const generator = new TimeSequenceGenerator({
			directory: false,
			now: () => new Date('2026-01-15T10:00:00Z'),
		});
		expect(generator.next({ environment: 'T' })).not.toBe(generator.next({ environment: 'T' }));
	});
});
