/**
 * What the simulator remembers across restarts on the same sandbox: the names burnt by every GO and
 * TD handled (ACRF-133) and the counters of answer sequences and tickets. Kept in `stateFile` (default
 * next to the sandbox root, so it lives as long as the sandbox), written to a temporary name and
 * renamed.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface SimulatorState {
	used: Set<string>;
	answerCounter: number;
	ticketCounter: number;
}

interface StoredState {
	version: 1;
	usedNames: string[];
	answerCounter: number;
	ticketCounter: number;
}

export function loadState(file: string): SimulatorState {
	const empty: SimulatorState = { used: new Set(), answerCounter: 0, ticketCounter: 0 };
	if (!existsSync(file)) return empty;
	try {
		const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredState>;
		return {
			used: new Set(
				Array.isArray(data.usedNames)
					? data.usedNames.filter((n): n is string => typeof n === 'string')
					: [],
			),
			answerCounter: Number.isInteger(data.answerCounter) ? Number(data.answerCounter) : 0,
			ticketCounter: Number.isInteger(data.ticketCounter) ? Number(data.ticketCounter) : 0,
		};
	} catch {
		return empty;
	}
}

export function saveState(file: string, state: SimulatorState): void {
	const data: StoredState = {
		version: 1,
		usedNames: [...state.used],
		answerCounter: state.answerCounter,
		ticketCounter: state.ticketCounter,
	};
	const tmp = `${file}.${process.pid}.tmp`;
	writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
	renameSync(tmp, file);
}
