/**
 * Calendar dates and times of day in Europe/Brussels: the server judges a name's date (ACRF-110/111/126)
 * by Belgian time, so a workflow running at 00:30 in Brussels on a UTC machine must not use yesterday.
 */
const brusselsParts = new Intl.DateTimeFormat('en-GB', {
	timeZone: 'Europe/Brussels',
	year: 'numeric',
	month: '2-digit',
	day: '2-digit',
	hour: '2-digit',
	minute: '2-digit',
	second: '2-digit',
	hourCycle: 'h23',
});

export interface BrusselsClock {
	/** YYYYMMDD */
	date: string;
	hour: number;
	minute: number;
	second: number;
	millisecond: number;
}

export function brusselsClock(now: Date = new Date()): BrusselsClock {
	const parts: Record<string, string> = {};
	for (const part of brusselsParts.formatToParts(now)) parts[part.type] = part.value;
	return {
		date: `${parts.year}${parts.month}${parts.day}`,
		hour: Number(parts.hour),
		minute: Number(parts.minute),
		second: Number(parts.second),
		millisecond: now.getUTCMilliseconds(),
	};
}

/** Today's date in Brussels as YYYYMMDD. */
export function brusselsToday(now: Date = new Date()): string {
	return brusselsClock(now).date;
}

/** Whole days from `from` to `to`, both YYYYMMDD (calendar arithmetic, no time zone involved). */
export function daysBetween(from: string, to: string): number {
	return Math.round((toUtcMidnight(to) - toUtcMidnight(from)) / 86_400_000);
}

function toUtcMidnight(yyyymmdd: string): number {
	return Date.UTC(
		Number(yyyymmdd.slice(0, 4)),
		Number(yyyymmdd.slice(4, 6)) - 1,
		Number(yyyymmdd.slice(6, 8)),
	);
}

/** True when YYYYMMDD is a real calendar date (20230229 is not). */
export function isCalendarDate(yyyymmdd: string): boolean {
	if (!/^\d{8}$/.test(yyyymmdd)) return false;
	const year = Number(yyyymmdd.slice(0, 4));
	const month = Number(yyyymmdd.slice(4, 6));
	const day = Number(yyyymmdd.slice(6, 8));
	if (year < 1900 || month < 1 || month > 12 || day < 1) return false;
	const d = new Date(Date.UTC(year, month - 1, day));
	return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}
