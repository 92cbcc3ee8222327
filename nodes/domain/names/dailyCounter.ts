/**
 * The daily counter: 00001, 00002, … per creation date and environment, kept by the caller (a workflow's
 * static data), each value also claimed in a sequence store so no other mode or workflow reuses it.
 */
import { SocialSecurityError } from '../errors';
import { daysBetween, isCalendarDate } from './brusselsTime';
import { SEQUENCE_LENGTH } from './encoding';
import { Environment, isEnvironment } from './environments';
import { SEQUENCE_MEMORY_DAYS, SequenceStore } from './markerStore';
import type { SharedSequenceStore } from './sharedStore';

/** The daily counter is decimal: 00001 … 99999. */
export const MAX_DAILY_COUNTER = 99_999;

/** Last counter value per creation date and environment, e.g. `{ days: { '20260115': { T: 3 } } }`. JSON-safe. */
export interface DailyCounterState {
	days: Record<string, Partial<Record<Environment, number>>>;
}

export interface DailyCounterResult {
	sequence: string;
	state: DailyCounterState;
}

/**
 * The next counter value for `date` (YYYYMMDD, the set's creation date in Brussels — normally today) and
 * `environment`: 00001 for a date and environment not seen yet, else the last value + 1. Pure: returns a new
 * state and leaves the given one untouched; malformed state (hand-edited static data) counts as empty.
 *
 * Decimal only (00001 … 99999), not base 36: the values read as the numbers they are, sort the same way as
 * text and match the guide's examples and what other clients send; 99 999 sets per day and environment is
 * far above any real volume, and running out is a clear error instead of a surprising `0000A`.
 * Dates more than SEQUENCE_MEMORY_DAYS before the newest one are dropped so the state stays small.
 */
export function nextDailyCounter(
	state: unknown,
	date: string,
	environment: Environment,
): DailyCounterResult {
	if (!isCalendarDate(date)) {
		throw new SocialSecurityError(
			'CREATION_DATE_INVALID',
			`${String(date).slice(0, 20)} is not a real calendar date (YYYYMMDD)`,
		);
	}
	if (!isEnvironment(environment)) {
		throw new SocialSecurityError(
			'ENVIRONMENT_INVALID',
			`"${String(environment).slice(0, 10)}" is not an environment: use R, T or S`,
		);
	}
	const days = readCounterDays(state);
	const last = days[date]?.[environment] ?? 0;
	const next = last + 1;
	if (next > MAX_DAILY_COUNTER) {
		throw new SocialSecurityError(
			'COUNTER_EXHAUSTED',
			`The daily counter for ${date} in environment ${environment} reached ${MAX_DAILY_COUNTER}`,
			'Use the automatic sequence mode, which has millions of values per day.',
		);
	}
	days[date] = { ...days[date], [environment]: next };
	const newest = Object.keys(days).reduce((a, b) => (a > b ? a : b));
	for (const day of Object.keys(days)) {
		if (daysBetween(day, newest) > SEQUENCE_MEMORY_DAYS) delete days[day];
	}
	return { sequence: String(next).padStart(SEQUENCE_LENGTH, '0'), state: { days } };
}

function readCounterDays(state: unknown): DailyCounterState['days'] {
	const days: DailyCounterState['days'] = {};
	const source = (state as Partial<DailyCounterState> | undefined)?.days;
	if (typeof source !== 'object' || source === null) return days;
	for (const [day, counters] of Object.entries(source)) {
		if (!isCalendarDate(day) || typeof counters !== 'object' || counters === null) continue;
		const clean: Partial<Record<Environment, number>> = {};
		for (const env of ['R', 'T', 'S'] as const) {
			const value = (counters as Record<string, unknown>)[env];
			if (
				typeof value === 'number' &&
				Number.isInteger(value) &&
				value >= 0 &&
				value <= MAX_DAILY_COUNTER
			)
				clean[env] = value;
		}
		days[day] = clean;
	}
	return days;
}

/**
 * nextDailyCounter, and the value is also claimed in the marker store: a value another workflow, a manual
 * run whose counter n8n did not save, or the automatic mode already used on this machine is skipped.
 */
export function allocateDailyCounter(
	state: unknown,
	date: string,
	environment: Environment,
	store?: SequenceStore,
): DailyCounterResult {
	store?.prune(date);
	let result = nextDailyCounter(state, date, environment);
	while (store && !store.claim(date, environment, result.sequence)) {
		result = nextDailyCounter(result.state, date, environment);
	}
	return result;
}

/**
 * Records a fixed sequence in the store so that the automatic mode and the daily counter skip it. Returns
 * false when the value was already recorded on this machine (the name may have been sent before: ACRF-133).
 */
export function recordFixedSequence(
	store: SequenceStore,
	date: string,
	environment: Environment,
	sequence: string,
): boolean {
	return store.claim(date, environment, sequence);
}

/**
 * allocateDailyCounter with a store shared by machines (n8n's Redis in queue mode, see redisStore.ts): the
 * same values, each claimed there before it is handed out.
 */
export async function reserveDailyCounter(
	state: unknown,
	date: string,
	environment: Environment,
	store: SharedSequenceStore,
): Promise<DailyCounterResult> {
	let result = nextDailyCounter(state, date, environment);
	while (!(await store.claim(date, environment, result.sequence))) {
		result = nextDailyCounter(result.state, date, environment);
	}
	return result;
}
