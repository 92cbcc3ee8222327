/**
 * The sequence element of a name (docs/batch-channel.md §3): 5 characters of 0-9A-Z, never `00000`, unique per
 * creation date and environment, and never reused, even after a rejection (ACRF-133). Three ways to get one:
 * automatic (timeSequence.ts, from the clock), a daily counter kept by the caller (dailyCounter.ts) or a
 * fixed value (encoding.ts). Every value is claimed in one store: marker files of this machine
 * (markerStore.ts) or, in n8n's queue mode, n8n's own Redis (redisStore.ts), as sequenceReservations.ts
 * chooses (docs/queue-mode.md). This module gathers them; no n8n import anywhere here.
 */
export * from './encoding';
export * from './creationDate';
export * from './markerStore';
export * from './timeSequence';
export * from './dailyCounter';
export * from './sequenceReservations';
export { REDIS_KEY_PREFIX, RedisSequenceStore, n8nRedisOptions } from './redisStore';
export type { SharedSequenceStore } from './sharedStore';
