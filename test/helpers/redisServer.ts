/**
 * A real redis-server (Debian package redis-server, installed by scripts/ensure-system-deps.sh test) on a
 * free loopback port in a temporary folder, for the sequence store's tests and the queue-mode test. Where
 * it is missing the tests say why and skip; under CI=true that is a failure.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeIfAvailable } from './describeIfAvailable';

export function redisUnavailableReason(): string | undefined {
	try {
		execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
		return undefined;
	} catch {
		return 'redis-server is not installed (Debian: apt-get install redis-server)';
	}
}

export function describeWithRedis(title: string, body: () => void): void {
	describeIfAvailable(title, 'redis-server', redisUnavailableReason(), body);
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

export interface RedisServer {
	host: string;
	port: number;
	password?: string;
	/** Stops it (SIGTERM, then SIGKILL); `start()` brings it back on the same port, empty. */
	stop(): Promise<void>;
	start(): Promise<void>;
	remove(): Promise<void>;
}

export async function startRedis(
	options: { password?: string; port?: number } = {},
): Promise<RedisServer> {
	const port = options.port ?? (await freePort());
	const dir = mkdtempSync(join(tmpdir(), 'redis-test-'));
	let child: ChildProcess | undefined;
	const start = async () => {
		const args = [
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--save',
			'',
			'--appendonly',
			'no',
		];
		args.push('--dir', dir, '--daemonize', 'no');
		if (options.password) args.push('--requirepass', options.password);
		const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
		child = started;
		let output = '';
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(
				() => reject(new Error(`redis-server did not start: ${output}`)),
				20_000,
			);
			const onData = (chunk: Buffer) => {
				output += chunk.toString();
				if (output.includes('Ready to accept connections')) {
					clearTimeout(timer);
					resolve();
				}
			};
			started.stdout?.on('data', onData);
			started.stderr?.on('data', onData);
			started.once('exit', (code) => {
				clearTimeout(timer);
				reject(new Error(`redis-server exited ${code}: ${output}`));
			});
		});
	};
	const stop = async () => {
		const running = child;
		child = undefined;
		if (!running || running.exitCode !== null) return;
		await new Promise<void>((resolve) => {
			const timer = setTimeout(() => running.kill('SIGKILL'), 5000);
			running.once('exit', () => {
				clearTimeout(timer);
				resolve();
			});
			running.kill('SIGTERM');
		});
	};
	await start();
	return {
		host: '127.0.0.1',
		port,
		password: options.password,
		stop,
		start,
		remove: async () => {
			await stop();
			rmSync(dir, { recursive: true, force: true });
		},
	};
}
