/**
 * The automatic sequence (docs/batch-channel.md §3), derived from the clock so no database is needed: the
 * number of centiseconds since midnight (Europe/Brussels) of the creation date, plus one, in base 36. For a
 * set dated today that is the Brussels time of day; 36^5 centiseconds are almost 7 days, so a set dated up
 * to 6 days back also gets a value that no earlier day could have produced. Two guards make it unique when
 * many calls fall in the same centisecond: per process, a value is never handed out twice (the next free
 * slot is borrowed); across processes, each value is claimed in a store (marker files of this machine,
 * markerStore.ts, or n8n's Redis in queue mode, redisStore.ts) and a value someone else holds is skipped.
 */
import { resolve } from 'node:path';

import { SocialSecurityError } from '../errors';
import { brusselsToday, daysBetween, isCalendarDate } from './brusselsTime';
import { timeSlot } from './creationDate';
import { MAX_SEQUENCE_VALUE, decodeSequence, encodeSequence } from './encoding';
import { Environment, isEnvironment } from './environments';
import { SequenceStore, defaultSequenceDirectory } from './markerStore';
import type { SharedSequenceStore } from './sharedStore';

/** Upper bound of slots tried in one call when other processes hold the next ones. */
const MAX_CLAIM_ATTEMPTS = 100_000;

export interface TimeSequenceOptions {
	/** The clock; default `new Date()`. Tests inject one. */
	now?: () => Date;
	/**
	 * The marker folder shared by the processes that must not collide, or a ready SequenceStore. Default:
	 * `defaultSequenceDirectory()`. `false` turns the cross-process guard off (only safe for one process).
	 */
	directory?: string | SequenceStore | false;
}

export interface TimeSequenceRequest {
	environment: Environment;
	/** Creation date YYYYMMDD of the set; default today in Brussels. Less than 7 days back (36^5 centiseconds). */
	date?: string;
	/**
	 * A sequence already used for this date and environment (for example the highest one found on the
	 * server): the result is greater than it.
	 */
	after?: string;
}

/** The first value to try for a request, and what the attempts are checked against. */
interface Plan {
	key: string;
	date: string;
	environment: Environment;
	first: number;
}

/**
 * Hands out unique sequences without storage of its own. Create one per process and keep it (see
 * `sharedTimeSequenceGenerator`): its memory is the per-process guard.
 */
export class TimeSequenceGenerator {
	readonly store?: SequenceStore;
	private readonly now: () => Date;
	/** Last value handed out per `YYYYMMDD.ENV`. */
	private readonly last = new Map<string, number>();
	private memoryDay?: string;

	constructor(options: TimeSequenceOptions = {}) {
		this.now = options.now ?? (() => new Date());
		const directory = options.directory ?? defaultSequenceDirectory();
		if (directory instanceof SequenceStore) this.store = directory;
		else if (directory !== false) this.store = new SequenceStore(directory);
	}

	/** The next value, claimed in this generator's marker folder (if any). */
	next(request: TimeSequenceRequest): string {
		const plan = this.plan(request);
		for (let attempt = 0; ; attempt++) {
			const sequence = this.candidate(plan, attempt, this.store?.directory);
			if (!this.store || this.store.claim(plan.date, plan.environment, sequence)) return sequence;
		}
	}

	/**
	 * The next value, claimed in a store shared by machines instead of the marker folder: the same values
	 * and the same per-process guard, so processes of one machine rarely contend for a value there.
	 */
	async reserve(request: TimeSequenceRequest, store: SharedSequenceStore): Promise<string> {
		const plan = this.plan(request);
		for (let attempt = 0; ; attempt++) {
			const sequence = this.candidate(plan, attempt, store.description);
			if (await store.claim(plan.date, plan.environment, sequence)) return sequence;
		}
	}

	private plan(request: TimeSequenceRequest): Plan {
		const { environment } = request;
		if (!isEnvironment(environment)) {
			throw new SocialSecurityError(
				'ENVIRONMENT_INVALID',
				`"${String(environment).slice(0, 10)}" is not an environment: use R, T or S`,
			);
		}
		const now = this.now();
		const today = brusselsToday(now);
		const date = request.date ?? today;
		if (!isCalendarDate(date)) {
			throw new SocialSecurityError(
				'CREATION_DATE_INVALID',
				`${date.slice(0, 20)} is not a real calendar date (YYYYMMDD)`,
			);
		}
		this.forgetOldDays(today);

		const slot = timeSlot(date, now);
		if (slot < 1) {
			throw new SocialSecurityError(
				'SEQUENCE_DATE_FUTURE',
				`The creation date ${date} is in the future (today in Brussels is ${today}) (ACRF-111)`,
				'Use today or an earlier date as the creation date.',
			);
		}
		if (slot > MAX_SEQUENCE_VALUE) {
			throw new SocialSecurityError(
				'SEQUENCE_DATE_TOO_OLD',
				`An automatic sequence needs a creation date less than 7 days old (at most 6 days and 23 hours); ${date} is ${daysBetween(date, today)} days ago`,
				'Use today as the creation date, or choose the daily counter or a fixed sequence for older dates.',
			);
		}
		const key = `${date}.${environment}`;
		const floor = Math.max(
			this.last.get(key) ?? 0,
			request.after ? decodeSequence(request.after) : 0,
		);
		return { key, date, environment, first: Math.max(slot, floor + 1) };
	}

	/**
	 * The value of attempt N, remembered as handed out (or held by another process) so this process never
	 * tries it again. Throws when the day is used up or too many values in a row are held elsewhere.
	 */
	private candidate(plan: Plan, attempt: number, where: string | undefined): string {
		const value = plan.first + attempt;
		if (value > MAX_SEQUENCE_VALUE) {
			throw new SocialSecurityError(
				'SEQUENCE_EXHAUSTED',
				`Every sequence for creation date ${plan.date} in environment ${plan.environment} is used (up to ZZZZZ)`,
				'Build the set again tomorrow (Brussels time) with tomorrow as creation date, or give a fixed sequence that was never used.',
			);
		}
		if (attempt >= MAX_CLAIM_ATTEMPTS) {
			throw new SocialSecurityError(
				'SEQUENCE_CONTENDED',
				`${MAX_CLAIM_ATTEMPTS} sequences in a row for ${plan.date}/${plan.environment} are held by other processes`,
				`Check ${where}: it may hold values written by a machine whose clock is wrong.`,
			);
		}
		this.last.set(plan.key, value);
		return encodeSequence(value);
	}

	private forgetOldDays(today: string): void {
		if (this.memoryDay === today) return;
		this.memoryDay = today;
		for (const key of this.last.keys()) {
			if (daysBetween(key.slice(0, 8), today) > 7) this.last.delete(key);
		}
		this.store?.prune(today);
	}
}

const sharedGenerators = new Map<string, TimeSequenceGenerator>();

/**
 * The generator of this process for a marker folder (default: `defaultSequenceDirectory()`): every node
 * execution in the process must use the same one, or the per-process guard does not see the others.
 */
export function sharedTimeSequenceGenerator(directory?: string): TimeSequenceGenerator {
	const resolved =
		directory && directory.trim() !== '' ? resolve(directory.trim()) : defaultSequenceDirectory();
	let generator = sharedGenerators.get(resolved);
	if (!generator) {
		generator = new TimeSequenceGenerator({ directory: resolved });
		sharedGenerators.set(resolved, generator);
	}
	return generator;
}
