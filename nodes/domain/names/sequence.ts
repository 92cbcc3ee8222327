/**
 * The sequence element of a name (docs/batch-channel.md §3): 5 characters of 0-9A-Z, never `00000`, unique per
 * creation date and environment, and never reused, even after a rejection (ACRF-133). Three ways to get one:
 *
 * - **Automatic** (`TimeSequenceGenerator`): derived from the clock, so no database is needed. The value is
 *   the number of centiseconds since midnight (Europe/Brussels) of the creation date, plus one, in base 36.
 *   For a set dated today that is the Brussels time of day; 36^5 centiseconds are almost 7 days, so a set
 *   dated up to 6 days back also gets a value that no earlier day could have produced. Two guards make it
 *   unique when many calls fall in the same centisecond: per process, a value is never handed out twice (the
 *   next free slot is borrowed); across processes and n8n workers, each value is claimed by creating a marker
 *   file with O_EXCL in a shared folder (`SequenceStore`), and a value another process holds is skipped.
 * - **Daily counter** (`nextDailyCounter`, `allocateDailyCounter`): 00001, 00002, … per creation date and
 *   environment, kept by the caller (a workflow's static data).
 * - **Fixed** (`fixedSequence`): a value the user gives, checked, never altered.
 *
 * No n8n import here: the node reads parameters and calls these functions.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';

import { SocialSecurityError } from '../errors';
import { brusselsClock, brusselsToday, daysBetween, isCalendarDate } from './brusselsTime';
import { Environment, isEnvironment } from './environments';
import { NameRuleViolation, validateSequence } from './fileNames';

export const SEQUENCE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const SEQUENCE_LENGTH = 5;
/** `ZZZZZ`: the largest value 5 base-36 characters hold (36^5 - 1 = 60 466 175). */
export const MAX_SEQUENCE_VALUE = 36 ** SEQUENCE_LENGTH - 1;
/** Environment variable that overrides the marker folder, e.g. a volume shared by several n8n workers. */
export const SEQUENCE_DIR_ENV = 'SOCIALSECURITY_SEQUENCE_DIR';
/**
 * How long markers and counters of a creation date are kept, in days. Markers of the automatic mode are
 * only needed for 7 days (its window); daily counters and fixed values may be used with creation dates up
 * to "Maximum Age of Date" old (default 30), so two months covers them with room to spare.
 */
export const SEQUENCE_MEMORY_DAYS = 62;
/** The daily counter is decimal: 00001 … 99999. */
export const MAX_DAILY_COUNTER = 99_999;

const CENTISECOND = 10;
const HOUR = 3_600_000;
/** Upper bound of slots tried in one call when other processes hold the next ones. */
const MAX_CLAIM_ATTEMPTS = 100_000;

// ---------------------------------------------------------------------------------------------------------
// Encoding

/** 1 → `00001`, 36 → `00010`, 60 466 175 → `ZZZZZ`. Throws for 0 (refused by the server, ACRF-127) and beyond. */
export function encodeSequence(value: number): string {
	if (!Number.isSafeInteger(value) || value < 1 || value > MAX_SEQUENCE_VALUE) {
		throw new SocialSecurityError(
			'SEQUENCE_OUT_OF_RANGE',
			`${value} cannot be a sequence: it must be a whole number from 1 to ${MAX_SEQUENCE_VALUE} (00001 to ZZZZZ)`,
		);
	}
	return value.toString(36).toUpperCase().padStart(SEQUENCE_LENGTH, '0');
}

/** `0000A` → 10. Throws unless the text is 5 characters of 0-9A-Z (upper case). */
export function decodeSequence(sequence: string): number {
	if (!/^[0-9A-Z]{5}$/.test(sequence)) {
		throw new SocialSecurityError(
			'SEQUENCE_INVALID',
			`"${sequence.slice(0, 20)}" is not a sequence of 5 characters 0-9A-Z`,
		);
	}
	return parseInt(sequence, 36);
}

// ---------------------------------------------------------------------------------------------------------
// Fixed value

/**
 * A sequence the user typed or computed. Surrounding spaces (a stray newline from an expression) are removed;
 * nothing else is changed: lower case is refused (ACRF-367), a short value is refused (ACRF-112) rather
 * than padded, because silently changing a name the user chose would hide the mistake.
 */
export function fixedSequence(value: unknown): string {
	const text =
		typeof value === 'number'
			? String(value)
			: typeof value === 'string'
				? value.trim()
				: undefined;
	if (text === undefined || text === '') {
		throw new SocialSecurityError(
			'SEQUENCE_MISSING',
			'No sequence was given',
			'Enter the 5-character sequence of the set, e.g. 00001, or choose the automatic mode.',
		);
	}
	const violations = validateSequence(text);
	if (violations.length > 0) throw sequenceError(violations);
	return text;
}

function sequenceError(violations: NameRuleViolation[]): SocialSecurityError {
	return new SocialSecurityError(
		'SEQUENCE_INVALID',
		`The sequence breaks a rule of the social security: ${violations.map((v) => v.message).join('; ')}`,
		'Use exactly 5 characters from 0-9 and A-Z in upper case, not 00000 — for example 00001 or A1B2C.',
	);
}

// ---------------------------------------------------------------------------------------------------------
// Creation date

/** Something with `toJSDate()`, as n8n's Luxon DateTime (`{{ $now }}`). */
interface DateTimeLike {
	toJSDate(): Date;
}

function isDateTimeLike(value: unknown): value is DateTimeLike {
	return (
		typeof value === 'object' &&
		value !== null &&
		typeof (value as DateTimeLike).toJSDate === 'function'
	);
}

/**
 * The creation date of a set as YYYYMMDD in Europe/Brussels. Accepts: nothing (today in Brussels),
 * `YYYYMMDD`, `YYYY-MM-DD` (taken as the calendar day it names), an ISO date-time with `Z` or an offset
 * (converted to the Brussels day of that moment), an ISO date-time without offset (taken as Brussels wall
 * time, so its date part), a JavaScript Date or an n8n/Luxon DateTime (the Brussels day of that moment).
 * Returns digits only; whether they form a real, recent date is checked by validateCreationDate.
 */
export function resolveCreationDate(value: unknown, now: Date = new Date()): string {
	if (value === undefined || value === null) return brusselsToday(now);
	if (value instanceof Date || isDateTimeLike(value)) {
		const date = value instanceof Date ? value : value.toJSDate();
		if (Number.isNaN(date.getTime())) throw creationDateError(String(value));
		return brusselsToday(date);
	}
	if (
		typeof value === 'number' &&
		Number.isInteger(value) &&
		value >= 10_000_000 &&
		value <= 99_999_999
	) {
		return String(value);
	}
	if (typeof value !== 'string') throw creationDateError(String(value));
	const text = value.trim();
	if (text === '') return brusselsToday(now);
	if (/^\d{8}$/.test(text)) return text;
	const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
	if (dateOnly) return dateOnly.slice(1).join('');
	const dateTime =
		/^(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(
			text,
		);
	if (dateTime) {
		if (!dateTime[4]) return dateTime.slice(1, 4).join('');
		const instant = new Date(text.replace(' ', 'T'));
		if (!Number.isNaN(instant.getTime())) return brusselsToday(instant);
	}
	throw creationDateError(text);
}

function creationDateError(text: string): SocialSecurityError {
	return new SocialSecurityError(
		'CREATION_DATE_INVALID',
		`"${text.slice(0, 40)}" is not a creation date`,
		'Leave the field empty for today (Brussels time), or give YYYYMMDD (20260115), YYYY-MM-DD, or an ISO date-time such as {{ $now }}.',
	);
}

// ---------------------------------------------------------------------------------------------------------
// Brussels midnight

const midnightCache = new Map<string, number>();

/**
 * The moment (epoch ms) at which the Brussels calendar day YYYYMMDD starts. Midnight in Brussels is never
 * inside a clock change (those happen at 02:00/03:00), so it is 23:00 or 22:00 UTC of the day before.
 */
export function brusselsMidnight(date: string): number {
	const cached = midnightCache.get(date);
	if (cached !== undefined) return cached;
	if (!isCalendarDate(date))
		throw new SocialSecurityError('CREATION_DATE_INVALID', `${date} is not a real calendar date`);
	const utcMidnight = Date.UTC(
		Number(date.slice(0, 4)),
		Number(date.slice(4, 6)) - 1,
		Number(date.slice(6, 8)),
	);
	for (const offset of [HOUR, 2 * HOUR]) {
		const candidate = utcMidnight - offset;
		const clock = brusselsClock(new Date(candidate));
		if (clock.date === date && clock.hour === 0 && clock.minute === 0 && clock.second === 0) {
			if (midnightCache.size > 1000) midnightCache.clear();
			midnightCache.set(date, candidate);
			return candidate;
		}
	}
	/* istanbul ignore next: Brussels is UTC+1 or UTC+2 */
	throw new SocialSecurityError(
		'TIME_ZONE_UNAVAILABLE',
		'The Europe/Brussels time zone is not available in this Node.js',
	);
}

/**
 * The slot the clock gives for a creation date: centiseconds since its Brussels midnight, plus one so the
 * first centisecond of the day gives 00001 and never 00000. Real elapsed time is used, not the wall clock,
 * so the hour repeated when summer time ends (02:00–03:00 on the last Sunday of October) gives new values.
 */
export function timeSlot(date: string, now: Date): number {
	return Math.floor((now.getTime() - brusselsMidnight(date)) / CENTISECOND) + 1;
}

// ---------------------------------------------------------------------------------------------------------
// Cross-process guard: marker files

/** `$SOCIALSECURITY_SEQUENCE_DIR`, else `<os temp dir>/n8n-socialsecurity-sequences`. */
export function defaultSequenceDirectory(env: NodeJS.ProcessEnv = process.env): string {
	const configured = env[SEQUENCE_DIR_ENV]?.trim();
	if (configured) return resolve(configured);
	// Beside n8n's own data (N8N_USER_FOLDER, default the home folder): it survives reboots and, in Docker,
	// lives on n8n's volume; the system temp folder may be emptied, and a forgotten marker is a reused name.
	const userFolder = env.N8N_USER_FOLDER?.trim() || homedir();
	return resolve(join(userFolder, '.n8n', 'socialsecurity-sequences'));
}

/**
 * One marker file per sequence handed out: `<directory>/<YYYYMMDD>/<ENV>/<SEQ>`. Creating it with O_EXCL is
 * atomic on a local file system (and on NFSv3+), so whoever creates it owns the value. The file holds who
 * claimed it and when, for whoever has to investigate an ACRF-133.
 */
export class SequenceStore {
	readonly directory: string;
	private readonly knownFolders = new Set<string>();
	private lastPrunedFor?: string;

	constructor(directory: string = defaultSequenceDirectory()) {
		this.directory = resolve(directory);
	}

	/** True when this call created the marker; false when someone already holds the value. */
	claim(date: string, environment: Environment, sequence: string): boolean {
		const folder = this.folder(date, environment, sequence);
		const file = join(folder, sequence);
		const content = `${new Date().toISOString()} pid=${process.pid} host=${hostname()}\n`;
		for (let attempt = 0; attempt < 3; attempt++) {
			try {
				if (!this.knownFolders.has(folder)) {
					mkdirSync(folder, { recursive: true });
					this.knownFolders.add(folder);
				}
				writeFileSync(file, content, { flag: 'wx' });
				return true;
			} catch (error) {
				const code = (error as NodeJS.ErrnoException).code;
				if (code === 'EEXIST') return false;
				// Another process pruned the folder between our mkdir and our create: make it again.
				if (code === 'ENOENT') {
					this.knownFolders.delete(folder);
					continue;
				}
				throw this.unavailable(error);
			}
		}
		throw this.unavailable(Object.assign(new Error('folder removed'), { code: 'ENOENT' }));
	}

	/**
	 * Removes the folders of creation dates more than `keepDays` before `today` (best effort: a folder another
	 * worker removes at the same moment is no error). Runs at most once per store and Brussels day.
	 */
	prune(today: string, keepDays: number = SEQUENCE_MEMORY_DAYS): void {
		if (this.lastPrunedFor === today) return;
		this.lastPrunedFor = today;
		let entries: string[];
		try {
			entries = readdirSync(this.directory);
		} catch {
			return; // no folder yet: nothing to prune
		}
		for (const entry of entries) {
			if (!/^\d{8}$/.test(entry) || daysBetween(entry, today) <= keepDays) continue;
			try {
				rmSync(join(this.directory, entry), { recursive: true, force: true });
			} catch {
				// another worker is pruning the same folder; it will be gone either way
			}
			for (const folder of this.knownFolders)
				if (folder.startsWith(join(this.directory, entry))) this.knownFolders.delete(folder);
		}
	}

	private folder(date: string, environment: Environment, sequence: string): string {
		// Only digits, R/T/S and 0-9A-Z ever reach the path: nothing can point outside the directory.
		if (!/^\d{8}$/.test(date) || !isEnvironment(environment) || !/^[0-9A-Z]{5}$/.test(sequence)) {
			throw new SocialSecurityError(
				'SEQUENCE_INVALID',
				`Cannot record sequence ${sequence.slice(0, 10)} for ${date.slice(0, 10)}/${environment}`,
			);
		}
		return join(this.directory, date, environment);
	}

	private unavailable(error: unknown): SocialSecurityError {
		return new SocialSecurityError(
			'SEQUENCE_STORE_UNAVAILABLE',
			`Cannot record the sequence in the folder ${this.directory} (${fileSystemProblem(error)}), so its uniqueness across n8n processes cannot be guaranteed`,
			`Make the folder writable for n8n, or point the environment variable ${SEQUENCE_DIR_ENV} (or the node option "Sequence Folder") to a writable folder that every n8n worker of this machine shares.`,
			{ cause: error },
		);
	}
}

/**
 * The file-system problem in words. Not the errno code: n8n replaces a message that contains one (EACCES,
 * ENOTDIR, …) by a generic text, and the folder name would be lost.
 */
function fileSystemProblem(error: unknown): string {
	const code = (error as NodeJS.ErrnoException).code;
	switch (code) {
		case 'EACCES':
		case 'EPERM':
			return 'permission denied';
		case 'EROFS':
			return 'read-only file system';
		case 'ENOSPC':
		case 'EDQUOT':
			return 'disk full';
		case 'ENOTDIR':
		case 'EISDIR':
			return 'a part of the path is a file, not a folder';
		case 'ENOENT':
			return 'the folder keeps disappearing';
		default:
			return code ? `file system error ${code.replace(/^E/, '')}` : 'file system error';
	}
}

// ---------------------------------------------------------------------------------------------------------
// Automatic (time-based) sequence

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

	next(request: TimeSequenceRequest): string {
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
		let candidate = Math.max(slot, floor + 1);
		for (let attempt = 0; ; attempt++) {
			if (candidate > MAX_SEQUENCE_VALUE) {
				throw new SocialSecurityError(
					'SEQUENCE_EXHAUSTED',
					`Every sequence for creation date ${date} in environment ${environment} is used (up to ZZZZZ)`,
					'Build the set again tomorrow (Brussels time) with tomorrow as creation date, or give a fixed sequence that was never used.',
				);
			}
			if (attempt >= MAX_CLAIM_ATTEMPTS) {
				throw new SocialSecurityError(
					'SEQUENCE_CONTENDED',
					`${MAX_CLAIM_ATTEMPTS} sequences in a row for ${date}/${environment} are held by other processes`,
					`Check the folder ${this.store?.directory}: it may hold markers written by a machine whose clock is wrong.`,
				);
			}
			const sequence = encodeSequence(candidate);
			if (!this.store || this.store.claim(date, environment, sequence)) {
				this.last.set(key, candidate);
				return sequence;
			}
			// Another process holds this value: remember it so this process does not try it again.
			this.last.set(key, candidate);
			candidate++;
		}
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

// ---------------------------------------------------------------------------------------------------------
// Daily counter

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
