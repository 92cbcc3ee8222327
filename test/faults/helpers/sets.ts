/**
 * Declaration sets for the fault tests: their files as SetFile with hooks to cut the connection at a
 * precise moment, and what the sandbox folder holds for a set compared with what was meant to be sent.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { SetFile } from '../../../nodes/domain/submission/declarationSet';
import { SshdSandbox } from '../../../sandbox/sshdSandbox';
import { waitUntil } from './world';

export interface SetContent {
	/** `DMFA.000123.<date>.<seq>.T.<parts>`: what follows the kind prefix in every name of the set. */
	base: string;
	fi: Buffer[];
	fs: Buffer[];
	go: string;
	/** Every name of the set (FI, FS, GO) with its expected content. */
	expected: Map<string, Buffer>;
}

export function setContent(base: string, fi: Buffer[], fs: Buffer[]): SetContent {
	const expected = new Map<string, Buffer>();
	fi.forEach((c, i) => expected.set(`FI.${base}.${i + 1}`, c));
	fs.forEach((c, i) => expected.set(`FS.${base}.${i + 1}`, c));
	const go = `GO.${base}`;
	expected.set(go, Buffer.alloc(0));
	return { base, fi, fs, go, expected };
}

export interface CutHooks {
	/** Called when the file's bytes are asked for, before its remote file is created. */
	beforeOpen?: (role: 'FI' | 'FS', part: number) => void;
	/** Cut this file mid-transfer: once part of it is on the server, `fire` runs, then the rest is offered. */
	during?: { role: 'FI' | 'FS'; part: number; fire: () => void };
}

/** The SetFiles of a set; with hooks, the streams cut the connection where asked. */
export function setFiles(
	set: SetContent,
	sandbox: SshdSandbox,
	folder: string,
	hooks: CutHooks = {},
): { fi: SetFile[]; fs: SetFile[] } {
	const make = (role: 'FI' | 'FS', content: Buffer, part: number): SetFile => {
		const name = `${role}.${set.base}.${part}`;
		return {
			name,
			size: content.length,
			open: () => {
				hooks.beforeOpen?.(role, part);
				const during =
					hooks.during && hooks.during.role === role && hooks.during.part === part
						? hooks.during.fire
						: undefined;
				return during
					? cuttingStream(content, sandbox.pathOf(folder, name), during)
					: Readable.from([content]);
			},
		};
	};
	return {
		fi: set.fi.map((c, i) => make('FI', c, i + 1)),
		fs: set.fs.map((c, i) => make('FS', c, i + 1)),
	};
}

function sizeOf(path: string): number {
	try {
		return statSync(path).size;
	} catch {
		return 0;
	}
}

/**
 * Offers `content` in pieces; halfway it waits until the server has written part of the file (so the
 * cut really is mid-transfer, with bytes on the server and bytes still to come), then runs `fire`.
 */
function cuttingStream(content: Buffer, serverPath: string, fire: () => void): Readable {
	const big = content.length > 256 * 1024;
	const piece = big ? 64 * 1024 : Math.ceil(content.length / 2);
	const cutAt = big ? Math.floor(content.length / 2) : piece;
	const landed = big ? Math.floor(content.length / 4) : piece;
	return Readable.from(
		(async function* () {
			let fired = false;
			for (let offset = 0; offset < content.length; offset += piece) {
				if (!fired && offset >= cutAt) {
					fired = true;
					await waitUntil(() => sizeOf(serverPath) >= landed, 10_000, 5);
					fire();
				}
				yield content.subarray(offset, Math.min(offset + piece, content.length));
			}
		})(),
	);
}

export interface DiskFile {
	name: string;
	size: number;
	/** Same bytes as the file meant to be sent under this name. */
	identical: boolean;
	mtimeNs: bigint;
}

/** The files of the set in the sandbox folder, read from the server's disk (not through SFTP). */
export function onDisk(
	sandbox: SshdSandbox,
	folder: string,
	set: SetContent,
): Map<string, DiskFile> {
	const files = new Map<string, DiskFile>();
	for (const name of readdirSync(sandbox.pathOf(folder))) {
		if (!name.includes(set.base)) continue;
		const path = sandbox.pathOf(folder, name);
		const stat = statSync(path, { bigint: true });
		const expected = set.expected.get(name);
		const size = Number(stat.size);
		files.set(name, {
			name,
			size,
			identical:
				expected !== undefined && expected.length === size && readFileSync(path).equals(expected),
			mtimeNs: stat.mtimeNs,
		});
	}
	return files;
}

/** Every FI and FS of the set is on the server with its exact bytes (the GO aside). */
export function dataComplete(set: SetContent, files: Map<string, DiskFile>): boolean {
	return [...set.expected.keys()]
		.filter((n) => n !== set.go)
		.every((n) => files.get(n)?.identical === true);
}

/** Files on the server that are not part of the set's names (there must never be any). */
export function strangers(set: SetContent, files: Map<string, DiskFile>): string[] {
	return [...files.keys()].filter((n) => !set.expected.has(n));
}

/**
 * Compares what a SubmissionFailedError says reached the server with the folder at that moment.
 * `reached` entries are a name, optionally followed by a note in parentheses: "(incomplete, N bytes)"
 * must match the size; a note that says the file "may" be there promises nothing; no note means the
 * file is there, complete.
 */
export function reachedProblems(reached: string[], files: Map<string, DiskFile>): string[] {
	const problems: string[] = [];
	const entries = reached.map((r) => {
		const name = r.split(' ')[0];
		return { name, note: r.slice(name.length).trim() };
	});
	for (const [name, file] of files) {
		if (!entries.some((e) => e.name === name))
			problems.push(`${name} (${file.size} bytes) is on the server but the error does not say so`);
	}
	for (const { name, note } of entries) {
		const file = files.get(name);
		const incomplete = /^\(incomplete, (\d+) bytes\)$/.exec(note);
		if (note === '') {
			if (!file || !file.identical)
				problems.push(
					`${name} is reported as on the server, but it is ${file ? `not complete (${file.size} bytes)` : 'absent'}`,
				);
		} else if (incomplete) {
			if (!file || file.size !== Number(incomplete[1]))
				problems.push(
					`${name} is reported with ${incomplete[1]} bytes, the server has ${file ? file.size : 'nothing'}`,
				);
		} else if (!/\bmay\b/i.test(note)) {
			problems.push(
				`${name} has a note that says neither its size nor that it may be there: ${note}`,
			);
		}
	}
	return problems;
}
