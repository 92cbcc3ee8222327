/**
 * The creation date of a set (the date element of its name, in Europe/Brussels) and where the automatic
 * sequence starts on it: the moment its Brussels day begins and the centisecond slot of a moment.
 */
import { SocialSecurityError } from '../errors';
import { brusselsClock, brusselsToday, isCalendarDate } from './brusselsTime';

const CENTISECOND = 10;
const HOUR = 3_600_000;

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
