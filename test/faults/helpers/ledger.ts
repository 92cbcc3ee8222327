/**
 * Counts what the fault suite observed and prints the table at the end of the run.
 *
 * Jest gives every test file its own module registry (and, with several workers, its own process), so
 * counters cannot live in memory: each file writes its counts to a JSON file in a folder shared by the
 * whole `jest` run, and the file that finishes last prints the totals. Every number is counted by a
 * test while it checks what happened; nothing is hard-coded.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** The rows of the table, in order. The first seven are the ones the issue asks for. */
export const COUNTERS = {
	faultsInjected: 'faults injected',
	setsLost: 'sets lost',
	goForIncompleteSet: 'GO sent for incomplete sets',
	answersLost: 'answers lost',
	duplicates: 'duplicates',
	hangs: 'hangs',
	leakedSecrets: 'leaked secrets',
	misreported: 'failures that misreported what reached the server',
	leakedSockets: 'leaked sockets',
	leakedSessions: 'leaked sshd sessions',
	unclearErrors: 'unclear or non-domain errors',
	fuzzCases: 'fuzz cases run',
	hostileInputs: 'hostile inputs served',
	secretProbes: 'failing paths searched for secrets',
	redeliveredWithoutMemory:
		'answers delivered again without the trigger memory (at-least-once, expected)',
} as const;

export type Counter = keyof typeof COUNTERS;

/** Counters that must be zero at the end of a green run. */
export const MUST_BE_ZERO: Counter[] = [
	'setsLost',
	'goForIncompleteSet',
	'answersLost',
	'duplicates',
	'hangs',
	'leakedSecrets',
	'misreported',
	'leakedSockets',
	'leakedSessions',
	'unclearErrors',
];

/**
 * The process that runs the whole jest invocation (ours when in band, our parent in a jest worker), with
 * its start time so that a reused pid never mixes two runs.
 */
function jestRunId(): string {
	let cmdline = '';
	try {
		cmdline = readFileSync('/proc/self/cmdline', 'utf8');
	} catch {
		// Not Linux: the sandbox needs Linux anyway; fall back to this process.
	}
	const pid = /processChild|jest-worker/.test(cmdline) ? process.ppid : process.pid;
	let started = '0';
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '0';
	} catch {
		// No /proc: the pid alone.
	}
	return `${pid}-${started}`;
}

// Computed once at load, before any test points os.tmpdir() elsewhere.
const LEDGER_ROOT = join(tmpdir(), 'ss-faults-ledger');
const RUN_DIR = join(LEDGER_ROOT, jestRunId());
const SUITE_DIR = __dirname.replace(/[/\\]helpers$/, '');

function removeStaleRuns(): void {
	try {
		for (const entry of readdirSync(LEDGER_ROOT)) {
			const path = join(LEDGER_ROOT, entry);
			if (path !== RUN_DIR && Date.now() - statSync(path).mtimeMs > 6 * 3600_000)
				rmSync(path, { recursive: true, force: true });
		}
	} catch {
		// Nothing there yet.
	}
}

export class Ledger {
	private readonly counts = new Map<Counter, number>();
	private readonly notes: string[] = [];

	constructor(private readonly suite: string) {
		for (const key of Object.keys(COUNTERS) as Counter[]) this.counts.set(key, 0);
	}

	add(counter: Counter, n = 1): void {
		this.counts.set(counter, (this.counts.get(counter) ?? 0) + n);
	}

	get(counter: Counter): number {
		return this.counts.get(counter) ?? 0;
	}

	/** A line for the report (what a counter's increment was about). */
	note(text: string): void {
		if (this.notes.length < 50) this.notes.push(text);
	}

	/** Writes this file's counts and prints its own table, and the run's totals once every file reported. */
	report(): void {
		removeStaleRuns();
		mkdirSync(RUN_DIR, { recursive: true });
		writeFileSync(
			join(RUN_DIR, `${this.suite}.json`),
			JSON.stringify({ counts: Object.fromEntries(this.counts), notes: this.notes }),
		);
		const expected = readdirSync(SUITE_DIR)
			.filter((f) => f.endsWith('.test.ts'))
			.map((f) => basename(f, '.test.ts'));
		const reported = readdirSync(RUN_DIR)
			.filter((f) => f.endsWith('.json'))
			.map((f) => basename(f, '.json'));
		const lines = [
			`fault suite: ${this.suite}`,
			table([[this.suite, this.counts]]),
			...this.notes.map((n) => `  note: ${n}`),
		];
		const missing = expected.filter((e) => !reported.includes(e));
		if (missing.length === 0) {
			const all = reported.map((name) => {
				const data = JSON.parse(readFileSync(join(RUN_DIR, `${name}.json`), 'utf8')) as {
					counts: Record<string, number>;
				};
				return [name, new Map(Object.entries(data.counts) as Array<[Counter, number]>)] as [
					string,
					Map<Counter, number>,
				];
			});
			lines.push(
				'',
				`FAULT AND ABUSE SUITE — totals of ${all.length} files (counted by the tests)`,
				table(all, true),
			);
		} else {
			lines.push(
				`(totals are printed by the last of the ${expected.length} files; still to report: ${missing.join(', ')})`,
			);
		}
		console.log(lines.join('\n'));
	}
}

function table(rows: Array<[string, Map<Counter, number>]>, totalsOnly = false): string {
	const keys = Object.keys(COUNTERS) as Counter[];
	const width = Math.max(...keys.map((k) => COUNTERS[k].length));
	const out: string[] = [];
	if (totalsOnly) {
		out.push(`  ${'what'.padEnd(width)}  total  ${rows.map(([name]) => name).join(' | ')}`);
	}
	for (const key of keys) {
		const values = rows.map(([, counts]) => counts.get(key) ?? 0);
		const total = values.reduce((a, b) => a + b, 0);
		if (!totalsOnly && total === 0 && !MUST_BE_ZERO.includes(key) && key !== 'faultsInjected')
			continue;
		const flag = MUST_BE_ZERO.includes(key) && total > 0 ? '  <-- must be 0' : '';
		out.push(
			`  ${COUNTERS[key].padEnd(width)}  ${String(total).padStart(5)}${totalsOnly ? `  ${values.join(' | ')}` : ''}${flag}`,
		);
	}
	return out.join('\n');
}
