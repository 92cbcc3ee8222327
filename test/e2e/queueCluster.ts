/**
 * n8n in queue mode on one machine, as if on several: Postgres and Redis (Debian packages) started in
 * temporary folders, a main instance and workers of n8n 2.41.1, each with its own user folder and TMPDIR,
 * the package installed in each by n8n's own steps (communityPackageInstall.ts), binaries in n8n's
 * database mode (the mode n8n supports in queue mode). Used by queue.e2e.test.ts and bench/queue.ts.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { RedisServer, freePort, startRedis } from '../helpers/redisServer';
import { N8nInstall, N8nUserFolder, StartedN8n } from './harness';

const log = (message: string) => process.stderr.write(`[queue] ${message}\n`);

/** Why the cluster cannot start here, or undefined. */
export function queueClusterUnavailableReason(): string | undefined {
	try {
		execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
	} catch {
		return 'redis-server is not installed (Debian: apt-get install redis-server)';
	}
	if (!postgresBin()) return 'PostgreSQL is not installed (Debian: apt-get install postgresql)';
	return undefined;
}

function postgresBin(): string | undefined {
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return undefined;
	const version = readdirSync(root)
		.filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
		.sort((a, b) => Number(b) - Number(a))[0];
	return version ? join(root, version, 'bin') : undefined;
}

export interface Postgres {
	port: number;
	user: string;
	database: string;
	stop(): void;
}

/**
 * A throw-away Postgres. It refuses to run as root, so under root it runs as the `postgres` user of the
 * Debian package (runuser); the folder is that user's.
 */
export async function startPostgres(): Promise<Postgres> {
	const bin = postgresBin();
	if (!bin) throw new Error('PostgreSQL is not installed');
	const dir = mkdtempSync(join(tmpdir(), 'queue-pg-'));
	const asRoot = process.getuid?.() === 0;
	const run = (program: string, args: string[]) =>
		execFileSync(
			asRoot ? 'runuser' : program,
			asRoot ? ['-u', 'postgres', '--', program, ...args] : args,
			{
				stdio: ['ignore', 'pipe', 'pipe'],
				cwd: dir,
			},
		);
	if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), -1);
	const data = join(dir, 'data');
	const port = await freePort();
	run(join(bin, 'initdb'), ['-D', data, '-U', 'n8n', '--auth=trust', '-E', 'UTF8', '--no-sync']);
	run(join(bin, 'pg_ctl'), [
		'start',
		'-w',
		'-D',
		data,
		'-l',
		join(dir, 'postgres.log'),
		'-o',
		`-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
	]);
	return {
		port,
		user: 'n8n',
		database: 'postgres',
		stop: () => {
			try {
				run(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate']);
			} catch {
				// Already stopped.
			}
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

export interface QueueCluster {
	postgres: Postgres;
	redis: RedisServer;
	/** The settings every instance shares (database, Redis, queue mode, binary mode). */
	env: NodeJS.ProcessEnv;
	main: N8nUserFolder;
	workers: N8nUserFolder[];
	startedMain?: StartedN8n;
	startedWorkers: StartedN8n[];
	mainPort: number;
	/** Starts the main instance, then the workers. */
	start(): Promise<void>;
	stop(): Promise<void>;
}

/**
 * Prepares Postgres, Redis and the user folders (package installed in each); `start()` runs n8n. Import
 * credentials and workflows through `main` before `start()` (they go to the shared database).
 */
export async function prepareQueueCluster(
	install: N8nInstall,
	tarball: string,
	options: { workers?: number; workerEnv?: NodeJS.ProcessEnv; concurrency?: number } = {},
): Promise<QueueCluster> {
	const postgres = await startPostgres();
	const redis = await startRedis();
	log(`Postgres on ${postgres.port}, Redis on ${redis.port}`);
	const env: NodeJS.ProcessEnv = {
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(postgres.port),
		DB_POSTGRESDB_USER: postgres.user,
		DB_POSTGRESDB_DATABASE: postgres.database,
		DB_POSTGRESDB_PASSWORD: '',
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		N8N_DEFAULT_BINARY_DATA_MODE: 'database',
		N8N_CONCURRENCY_PRODUCTION_LIMIT: '-1',
		N8N_LOG_LEVEL: 'info',
		// n8n's own advice in queue mode; without it a misconfigured instance could still run executions.
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
	};
	const instance = (name: string, extra: NodeJS.ProcessEnv = {}) => {
		const folder = mkdtempSync(join(tmpdir(), `queue-${name}-`));
		const tmp = join(folder, 'tmp');
		mkdirSync(tmp);
		const n8n = new N8nUserFolder(install, folder, { ...env, TMPDIR: tmp, ...extra });
		n8n.installPackage(tarball);
		return n8n;
	};
	const main = instance('main');
	const workers = Array.from({ length: options.workers ?? 2 }, (_, i) =>
		instance(`worker${i + 1}`, options.workerEnv),
	);
	const mainPort = await freePort();
	const cluster: QueueCluster = {
		postgres,
		redis,
		env,
		main,
		workers,
		startedWorkers: [],
		mainPort,
		start: async () => {
			cluster.startedMain = await main.start(mainPort);
			log(`main on ${mainPort}`);
			for (const worker of workers) {
				cluster.startedWorkers.push(await worker.startWorker(options.concurrency));
			}
			log(`${workers.length} workers ready`);
		},
		stop: async () => {
			await Promise.all(cluster.startedWorkers.map((w) => w.stop()));
			await cluster.startedMain?.stop();
			await redis.remove();
			postgres.stop();
			for (const folder of [main, ...workers]) folder.remove();
		},
	};
	return cluster;
}
