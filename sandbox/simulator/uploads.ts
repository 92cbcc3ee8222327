/**
 * The simulator's view of the upload folders: which files are there, which belong to a set, whether a
 * set has stopped changing, and their removal once handled (docs/sandbox.md, "The simulator").
 * Odd names (not FI./FS./GO./TD., not a regular file, a symlink) are left alone and logged once.
 */
import { statSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SshdSandbox } from '../sshdSandbox';
import { messageOf, printable } from './types';

export interface FileState {
	size: number;
	mtimeMs: number;
}

/** The FI/FS/GO/TD files of an upload folder with their size and modification time. */
export async function listUploads(
	sandbox: SshdSandbox,
	folder: string,
	logOnce: (key: string, line: string) => void,
): Promise<Map<string, FileState>> {
	const result = new Map<string, FileState>();
	const dir = sandbox.pathOf(folder);
	for (const entry of await readdir(dir, { withFileTypes: true })) {
		const name = entry.name;
		if (!entry.isFile()) {
			logOnce(
				`${folder}/${name}:type`,
				`${folder}/${printable(name)}: not a regular file, left alone`,
			);
			continue;
		}
		if (!/^(FI|FS|GO|TD)\./.test(name)) {
			logOnce(
				`${folder}/${name}:name`,
				`${folder}/${printable(name)}: not an FI/FS/GO/TD name, left alone`,
			);
			continue;
		}
		try {
			const s = statSync(join(dir, name));
			result.set(name, { size: s.size, mtimeMs: s.mtimeMs });
		} catch {
			// Deleted between readdir and stat.
		}
	}
	return result;
}

/** Removes the named inputs; returns those removed (a name already gone is not an error). */
export async function removeUploads(
	sandbox: SshdSandbox,
	folder: string,
	names: string[],
	log: (line: string) => void,
): Promise<string[]> {
	const removed: string[] = [];
	for (const name of names) {
		try {
			await unlink(sandbox.pathOf(folder, name));
			removed.push(name);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
				log(`could not remove ${folder}/${printable(name)}: ${messageOf(error)}`);
		}
	}
	return removed;
}

/** The FI/FS files of the set of a GO or TD (same APP.SENDER.DATE.SEQ.ENV), sorted: FI before FS. */
export function relatedNames(trigger: string, files: Map<string, FileState>): string[] {
	const fields = trigger.split('.');
	if (fields.length !== 7) return [];
	const setBase = fields.slice(1, 6).join('.') + '.';
	return [...files.keys()]
		.filter((n) => /^(FI|FS)\./.test(n) && n.slice(3).startsWith(setBase))
		.sort();
}

/** A GO/TD is handled once it and every file of its set looked the same in two polls in a row. */
export class Stability {
	private readonly previous = new Map<string, string>();
	private seen = new Set<string>();

	/** Starts a poll cycle. */
	begin(): void {
		this.seen = new Set();
	}

	isStable(folder: string, trigger: string, files: Map<string, FileState>): boolean {
		const names = [trigger, ...relatedNames(trigger, files)];
		if (trigger.startsWith('GO.') && files.has(`TD.${trigger.slice(3)}`))
			names.push(`TD.${trigger.slice(3)}`);
		const fingerprint = names
			.map((n) => `${n}:${files.get(n)?.size}:${files.get(n)?.mtimeMs}`)
			.join('|');
		const key = `${folder}/${trigger}`;
		this.seen.add(key);
		const before = this.previous.get(key);
		this.previous.set(key, fingerprint);
		return before === fingerprint;
	}

	/** The trigger was handled: start afresh if its name comes again. */
	forget(folder: string, trigger: string): void {
		this.previous.delete(`${folder}/${trigger}`);
	}

	/** Ends a poll cycle: triggers not seen in it are forgotten. */
	end(): void {
		for (const key of [...this.previous.keys()]) if (!this.seen.has(key)) this.previous.delete(key);
	}
}
