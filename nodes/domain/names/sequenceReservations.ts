/**
 * Where sequences are reserved, chosen from how n8n runs (docs/queue-mode.md), so a user configures nothing:
 * - n8n in queue mode (EXECUTIONS_MODE=queue, or the `n8n worker` / `n8n webhook` commands, which force it):
 *   in n8n's own Redis (redisStore.ts), shared by the main instance and every worker on every machine;
 * - otherwise: marker files in a folder of this machine (markerStore.ts).
 * `SOCIALSECURITY_SEQUENCE_STORE=folder|redis` overrides the choice (e.g. a folder on a volume shared by
 * every machine). The three modes (automatic, daily counter, fixed) claim their values in the same store.
 */
import { SocialSecurityError } from '../errors';
import { DailyCounterResult, allocateDailyCounter, reserveDailyCounter } from './dailyCounter';
import type { Environment } from './environments';
import { SEQUENCE_DIR_ENV } from './markerStore';
import { RedisSequenceStore, n8nRedisOptions } from './redisStore';
import { TimeSequenceGenerator, sharedTimeSequenceGenerator } from './timeSequence';

export const SEQUENCE_STORE_ENV = 'SOCIALSECURITY_SEQUENCE_STORE';

export interface SequenceReservations {
	/** `folder` (this machine, or a shared volume) or `redis` (n8n's queue Redis). */
	readonly kind: 'folder' | 'redis';
	/** Where values are kept, in words (no password). */
	readonly where: string;
	automatic(date: string, environment: Environment): Promise<string>;
	dailyCounter(state: unknown, date: string, environment: Environment): Promise<DailyCounterResult>;
	/** Claims a fixed value so the other modes skip it; false when it was already handed out. */
	recordFixed(date: string, environment: Environment, sequence: string): Promise<boolean>;
}

/** True when this process is an n8n instance in queue mode (main, worker or webhook processor). */
export function isQueueMode(
	env: NodeJS.ProcessEnv = process.env,
	argv: string[] = process.argv,
): boolean {
	if (env.EXECUTIONS_MODE?.trim() === 'queue') return true;
	// `n8n worker` sets queue mode in its own configuration, not in the environment.
	const command = argv[2];
	return /n8n(\.js)?$/.test(argv[1] ?? '') && (command === 'worker' || command === 'webhook');
}

/** Which store this process uses. */
export function sequenceStoreKind(
	env: NodeJS.ProcessEnv = process.env,
	argv: string[] = process.argv,
): 'folder' | 'redis' {
	const chosen = env[SEQUENCE_STORE_ENV]?.trim().toLowerCase();
	if (chosen === 'folder' || chosen === 'redis') return chosen;
	if (chosen && chosen !== 'auto') {
		throw new SocialSecurityError(
			'SEQUENCE_STORE_CONFIG',
			`${SEQUENCE_STORE_ENV}="${chosen.slice(0, 20)}" is not a sequence store`,
			`Leave ${SEQUENCE_STORE_ENV} unset (automatic), or set it to folder or redis.`,
		);
	}
	return isQueueMode(env, argv) ? 'redis' : 'folder';
}

const redisReservations = new Map<string, SequenceReservations>();

/**
 * The reservations of this process. `folder` is the node's "Sequence Folder" option (folder store only);
 * objects are kept per process, so every execution shares the per-process guard and one connection.
 */
export function sequenceReservations(
	options: { folder?: string; env?: NodeJS.ProcessEnv; argv?: string[] } = {},
): SequenceReservations {
	const env = options.env ?? process.env;
	if (sequenceStoreKind(env, options.argv) === 'redis') {
		const redis = n8nRedisOptions(env);
		const key = `${redis.host}:${redis.port}/${redis.db}/${redis.username ?? ''}/${redis.password ?? ''}`;
		let reservations = redisReservations.get(key);
		if (!reservations) {
			reservations = viaRedis(new RedisSequenceStore(redis));
			redisReservations.set(key, reservations);
		}
		return reservations;
	}
	const folder = options.folder?.trim() || env[SEQUENCE_DIR_ENV]?.trim() || undefined;
	return viaFolder(sharedTimeSequenceGenerator(folder));
}

function viaRedis(store: RedisSequenceStore): SequenceReservations {
	// The marker folder is not used at all: the same value must be visible to every machine.
	const generator = new TimeSequenceGenerator({ directory: false });
	return {
		kind: 'redis',
		where: store.description,
		automatic: async (date, environment) => await generator.reserve({ date, environment }, store),
		dailyCounter: async (state, date, environment) =>
			await reserveDailyCounter(state, date, environment, store),
		recordFixed: async (date, environment, sequence) =>
			await store.claim(date, environment, sequence),
	};
}

function viaFolder(generator: TimeSequenceGenerator): SequenceReservations {
	return {
		kind: 'folder',
		where: generator.store ? `the folder ${generator.store.directory}` : 'this process',
		automatic: async (date, environment) => generator.next({ date, environment }),
		dailyCounter: async (state, date, environment) =>
			allocateDailyCounter(state, date, environment, generator.store),
		recordFixed: async (date, environment, sequence) =>
			generator.store ? generator.store.claim(date, environment, sequence) : true,
	};
}
