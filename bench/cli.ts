/**
 * The command line of the benches: one parser (node:util parseArgs, strict, so a mistyped flag is an
 * error instead of being ignored), sizes as written on the command line and in the tables, the median
 * and spread every table reports, and one way to run a bench as a script and print its table.
 */
import { parseArgs } from 'node:util';

const MIB = 1024 * 1024;

/** Flags that take a value; `booleans` take none. Sizes and other words may follow as positionals. */
export function benchArgs(
	valueFlags: string[],
	booleans: string[] = [],
	argv = process.argv.slice(2),
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
	const options = Object.fromEntries([
		...valueFlags.map((name) => [name, { type: 'string' as const }]),
		...booleans.map((name) => [name, { type: 'boolean' as const }]),
	]);
	try {
		const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
		// No flag is declared `multiple`, so no value is an array.
		return { values: values as Record<string, string | boolean | undefined>, positionals };
	} catch (error) {
		const flags = [...valueFlags.map((f) => `--${f} VALUE`), ...booleans.map((f) => `--${f}`)];
		throw new Error(
			`${error instanceof Error ? error.message : String(error)}. Flags: ${flags.join(' ')}`,
		);
	}
}

/** A number ≥ 0 from a flag, or undefined when the flag is absent. */
export function count(value: string | boolean | undefined, flag: string): number | undefined {
	if (value === undefined || value === false) return undefined;
	const n = Number(value);
	if (typeof value !== 'string' || !Number.isFinite(n) || n < 0)
		throw new Error(`--${flag} takes a number, not "${String(value)}"`);
	return n;
}

/** A comma-separated list of numbers (`1,16,64`), or undefined. */
export function counts(value: string | boolean | undefined, flag: string): number[] | undefined {
	if (typeof value !== 'string') return undefined;
	return value
		.split(',')
		.filter(Boolean)
		.map((v) => count(v, flag) as number);
}

/** One of `allowed` (a flag such as `--latency off`), or undefined when the flag is absent. */
export function choice<T extends string>(
	value: string | boolean | undefined,
	flag: string,
	allowed: readonly T[],
): T | undefined {
	if (value === undefined || value === false) return undefined;
	if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
		throw new Error(`--${flag} takes ${allowed.join(', ')}, not "${String(value)}"`);
	return value as T;
}

/** The flags of the benches that run on loopback and over the delaying proxy (poll, sets). */
export const ROUND_TRIP_FLAGS = ['runs', 'parallel', 'latency', 'delay'];

/** What those flags say, in the options of runPollBench and runSetsBench. */
export function roundTripOptions(values: Record<string, string | boolean | undefined>): {
	runs?: number;
	parallel?: number[];
	latency?: 'proxy' | 'off';
	oneWayDelayMs?: number;
} {
	return {
		runs: count(values.runs, 'runs'),
		parallel: counts(values.parallel, 'parallel'),
		latency: choice(values.latency, 'latency', ['proxy', 'off'] as const),
		oneWayDelayMs: count(values.delay, 'delay'),
	};
}

/** A comma-separated list of sizes (`100M,1G`), or undefined. */
export function sizes(value: string | boolean | undefined): number[] | undefined {
	return typeof value === 'string' ? value.split(',').filter(Boolean).map(parseSize) : undefined;
}

/** Runs a bench as a script: its table on stdout, progress on stderr, exit code 1 on failure. */
export function runAsScript(work: () => Promise<{ table: string }>): void {
	Promise.resolve()
		.then(work)
		.then((result) => console.log(result.table))
		.catch((error: unknown) => {
			console.error(error);
			process.exitCode = 1;
		});
}

/** `1073741824` → `1 GiB`, `104857600` → `100 MiB`. */
export function formatSize(bytes: number): string {
	if (bytes >= 1024 * MIB && bytes % (1024 * MIB) === 0) return `${bytes / (1024 * MIB)} GiB`;
	if (bytes >= MIB) return `${+(bytes / MIB).toFixed(1)} MiB`;
	return `${bytes} B`;
}

/** `100M`, `1G`, `1.5GiB`, `4096` → bytes. */
export function parseSize(text: string): number {
	const match = /^(\d+(?:\.\d+)?)\s*([KMG]?)(i?B)?$/i.exec(text.trim());
	if (!match) throw new Error(`Not a size: ${text}`);
	const unit = { '': 1, K: 1024, M: MIB, G: 1024 * MIB }[
		match[2].toUpperCase() as '' | 'K' | 'M' | 'G'
	];
	return Math.round(Number(match[1]) * unit);
}

/** The middle value (of an even count, the upper of the two middle ones). */
export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

/** `median (min–max)`, or the one value. */
export function spread(values: number[], digits = 2): string {
	return values.length > 1
		? `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`
		: values[0].toFixed(digits);
}

/** A target's verdict in a table: met, NOT met, or not measured in this run. */
export function verdict(met: boolean | undefined): string {
	return met === undefined ? 'not measured' : met ? 'met' : 'NOT met';
}
