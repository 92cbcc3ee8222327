/**
 * Sequences unique across machines in n8n's queue mode, with nothing to configure (docs/queue-mode.md): each
 * value is claimed in the Redis that n8n itself uses for its queue, read from n8n's own settings
 * (QUEUE_BULL_REDIS_*), with HSETNX on one hash per creation date and environment. HSETNX is atomic on the
 * server, so of N workers on N machines claiming one value exactly one gets it; the hash expires
 * SEQUENCE_MEMORY_DAYS after its day. Unreachable or refusing Redis is an error, never a silent fallback
 * to this machine's folder (that is how duplicates would come back).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

import { SocialSecurityError } from '../errors';
import { brusselsMidnight } from './creationDate';
import { Environment, isEnvironment } from './environments';
import { SEQUENCE_MEMORY_DAYS } from './markerStore';
import { RedisClient, RedisConnectionOptions, RedisReplyError } from './redisClient';
import type { SharedSequenceStore } from './sharedStore';

/** Our keys, apart from n8n's (`bull:*`): `n8n-nodes-socialsecurity-be:sequences:<YYYYMMDD>:<ENV>`. */
export const REDIS_KEY_PREFIX = 'n8n-nodes-socialsecurity-be:sequences';
const DAY = 86_400_000;
const DEFAULT_TIMEOUT_MS = 10_000;

/** n8n's settings for its queue's Redis, as n8n reads them (with its `<NAME>_FILE` variant for secrets). */
export function n8nRedisOptions(env: NodeJS.ProcessEnv = process.env): RedisConnectionOptions {
	const read = (name: string): string | undefined => {
		if (name in env) return env[name]?.trim().replace(/^(['"])(.*)\1$/, '$2');
		const file = env[`${name}_FILE`];
		if (!file) return undefined;
		try {
			return readFileSync(file, 'utf8').trim();
		} catch {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
			throw new SocialSecurityError(
				'SEQUENCE_STORE_CONFIG',
				`The file named by ${name}_FILE cannot be read`,
				`Give ${name}_FILE a file this n8n can read, as n8n itself needs it.`,
			);
		}
	};
	const number = (name: string, fallback: number): number => {
		const text = read(name);
		if (text === undefined || text === '') return fallback;
		const value = Number(text);
		if (!Number.isInteger(value) || value < 0) {
			throw new SocialSecurityError(
				'SEQUENCE_STORE_CONFIG',
				`${name}="${text.slice(0, 20)}" is not a whole number`,
				`Fix ${name}: n8n and this package read the same setting.`,
			);
		}
		return value;
	};
	const flag = (name: string, fallback: boolean): boolean => {
		const text = read(name)?.toLowerCase();
		return text === undefined || text === '' ? fallback : text === 'true' || text === '1';
	};
	if (read('QUEUE_BULL_REDIS_CLUSTER_NODES')) {
		throw new SocialSecurityError(
			'SEQUENCE_STORE_CONFIG',
			'n8n uses a Redis cluster (QUEUE_BULL_REDIS_CLUSTER_NODES), which the sequence store does not support yet',
			'Set SOCIALSECURITY_SEQUENCE_STORE=folder and SOCIALSECURITY_SEQUENCE_DIR to a folder every n8n instance shares, or use the fixed sequence mode with values you keep unique.',
		);
	}
	return {
		host: read('QUEUE_BULL_REDIS_HOST') || 'localhost',
		port: number('QUEUE_BULL_REDIS_PORT', 6379),
		db: number('QUEUE_BULL_REDIS_DB', 0),
		username: read('QUEUE_BULL_REDIS_USERNAME') || undefined,
		password: read('QUEUE_BULL_REDIS_PASSWORD') || undefined,
		tls: flag('QUEUE_BULL_REDIS_TLS', false),
		tlsServerName: read('QUEUE_BULL_REDIS_TLS_SERVERNAME') || undefined,
		tlsRejectUnauthorized: flag('QUEUE_BULL_REDIS_TLS_VALIDATE_CERTIFICATE', true),
		timeoutMs: number('SOCIALSECURITY_SEQUENCE_REDIS_TIMEOUT_MS', DEFAULT_TIMEOUT_MS),
	};
}

export class RedisSequenceStore implements SharedSequenceStore {
	readonly description: string;
	private readonly client: RedisClient;

	constructor(options: RedisConnectionOptions) {
		this.description = `n8n's Redis at ${options.host}:${options.port} (database ${options.db})`;
		this.client = new RedisClient(options);
	}

	async claim(date: string, environment: Environment, sequence: string): Promise<boolean> {
		// Only digits, R/T/S and 0-9A-Z ever reach the key.
		if (!/^\d{8}$/.test(date) || !isEnvironment(environment) || !/^[0-9A-Z]{5}$/.test(sequence)) {
			throw new SocialSecurityError(
				'SEQUENCE_INVALID',
				`Cannot record sequence ${sequence.slice(0, 10)} for ${date.slice(0, 10)}/${environment}`,
			);
		}
		const key = `${REDIS_KEY_PREFIX}:${date}:${environment}`;
		const holder = `${new Date().toISOString()} pid=${process.pid} host=${hostname()}`;
		// A fixed expiry per day (not "from now"), so setting it again on every claim changes nothing; never
		// in the past (a fixed value with an old date), where Redis would delete the day's values at once.
		const expiresAt = Math.floor(
			Math.max(brusselsMidnight(date) + (SEQUENCE_MEMORY_DAYS + 1) * DAY, Date.now() + DAY) / 1000,
		);
		try {
			const [created] = await Promise.all([
				this.client.command('HSETNX', key, sequence, holder),
				this.client.command('EXPIREAT', key, expiresAt),
			]);
			return created === 1;
		} catch (error) {
			throw this.unavailable(error);
		}
	}

	close(): void {
		this.client.close();
	}

	private unavailable(error: unknown): SocialSecurityError {
		return new SocialSecurityError(
			'SEQUENCE_STORE_UNAVAILABLE',
			`n8n runs in queue mode, so each sequence is reserved in ${this.description}, and that failed (${redisProblem(error)}); no sequence was taken, so no name can be made without risking a duplicate on another worker`,
			'Give every n8n instance (main and workers) the same QUEUE_BULL_REDIS_* settings as the main instance and check that Redis is up and reachable from this machine. To keep sequences in a folder every instance shares instead, set SOCIALSECURITY_SEQUENCE_STORE=folder and SOCIALSECURITY_SEQUENCE_DIR.',
			{ cause: error },
		);
	}
}

/** The problem in words; never the password, never a bare errno code (n8n replaces such messages). */
function redisProblem(error: unknown): string {
	if (error instanceof RedisReplyError) {
		const reply = error.reply;
		if (/^(WRONGPASS|NOAUTH)/.test(reply) || /invalid (username|password)/i.test(reply))
			return 'Redis refused the user name or password (QUEUE_BULL_REDIS_USERNAME / QUEUE_BULL_REDIS_PASSWORD)';
		if (/^NOPERM/.test(reply)) return 'the Redis user may not run HSETNX and EXPIREAT';
		if (/DB index is out of range/i.test(reply))
			return 'QUEUE_BULL_REDIS_DB is not a database of that Redis';
		if (/^READONLY/.test(reply)) return 'that Redis is a read-only replica';
		if (/^(MOVED|ASK) /.test(reply)) return 'that Redis is part of a cluster';
		return `Redis answered: ${reply.slice(0, 120)}`;
	}
	const code = (error as NodeJS.ErrnoException)?.code;
	switch (code) {
		case 'ECONNREFUSED':
			return 'connection refused: nothing listens there';
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return 'the host name does not resolve';
		case 'ETIMEDOUT':
			return 'no answer in time';
		case 'ECONNRESET':
		case 'EPIPE':
			return 'the connection was cut';
		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
			return 'the host cannot be reached';
		default:
			if (code?.startsWith('ERR_TLS') || code?.includes('CERT'))
				return 'the TLS connection failed (certificate or QUEUE_BULL_REDIS_TLS)';
			return (error as Error)?.message?.slice(0, 120) || 'unknown error';
	}
}
