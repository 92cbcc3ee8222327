/**
 * Pairs the files listed in an answer folder (OUT, OUTTEST, OUTTEST-S) into answers
 * (docs/batch-channel.md §5): each answer is an FO (or a CO: a ZIP holding the FO), its FS (the server's
 * signature; optional here, reported) and an empty GO that says the content may be taken.
 *
 * - An FO/CO counts only when its GO is present; without it the answer is `incomplete` and left alone
 *   (the server may still be writing it).
 * - Every name must fit the strict answer pattern of `parseResponseFileName`; anything else — `../`,
 *   absolute paths, control characters, long names — is `skipped` with a printable name and a reason,
 *   and never used to build a path. Directories, symbolic links and other non-files are skipped too.
 * - An FO and a CO for the same answer is ambiguous: all its files are skipped.
 * - Order is deterministic: by date, sequence, type, environment, part.
 */
import { posix } from 'node:path';
import {
	ParsedResponseFileName,
	ResponseFileKind,
	parseResponseFileName,
} from '../names/fileNames';
import { Environment } from '../names/environments';
import { printable } from './safeXml';

export interface FolderEntry {
	name: string;
	size: number;
	/** Milliseconds since the epoch, as the SFTP listing gives it. */
	modifyTime?: number;
	/** `file`/`dir`/`symlink` or the SFTP listing's `-`/`d`/`l`; absent = file. */
	type?: 'file' | 'dir' | 'symlink' | string;
}

export interface AnswerFile {
	name: string;
	/** `<folder>/<name>`: safe to use, the name fitted the strict pattern. */
	path: string;
	size: number;
	modifyTime?: number;
}

export interface Answer {
	/** The name without its kind prefix, shared by FO/CO, FS and GO: `ACRF.999999.20250410.00001.T`. */
	answerId: string;
	folder: string;
	/** ACRF, NOTI, DMNO, … */
	type: string;
	sender: string;
	environment: Environment;
	/** YYYYMMDD */
	date: string;
	sequence: string;
	parts?: number;
	part?: number;
	content: AnswerFile & { kind: 'FO' | 'CO' };
	signature?: AnswerFile;
	go: AnswerFile;
}

export interface IncompleteAnswer {
	answerId: string;
	present: ResponseFileKind[];
	/** What is needed before the answer can be taken: `GO`, and `FO` (meaning an FO or a CO). */
	missing: ResponseFileKind[];
}

export type SkipCode =
	| 'not-a-file'
	| 'invalid-name'
	| 'unsafe-name'
	| 'name-too-long'
	| 'not-an-answer-name'
	| 'invalid-size'
	| 'duplicate'
	| 'ambiguous';

export interface SkippedEntry {
	/** The name made printable (control characters replaced, long names cut). */
	name: string;
	code: SkipCode;
	reason: string;
}

export interface PairedAnswers {
	complete: Answer[];
	incomplete: IncompleteAnswer[];
	skipped: SkippedEntry[];
}

/** Longer than any answer name (`FO.ACRF.999999.20250410.00001.T.1.1` has 35 characters). */
export const MAX_ANSWER_NAME_LENGTH = 64;

const KIND_ORDER: Record<ResponseFileKind, number> = { FO: 0, CO: 1, FS: 2, GO: 3 };

interface Group {
	parsed: ParsedResponseFileName;
	files: Partial<Record<ResponseFileKind, AnswerFile>>;
	names: string[];
}

export function pairAnswerFiles(entries: FolderEntry[], folder: string): PairedAnswers {
	const skipped: SkippedEntry[] = [];
	const groups = new Map<string, Group>();
	const seen = new Set<string>();

	for (const entry of entries) {
		const rawName: unknown = entry?.name;
		if (typeof rawName !== 'string') {
			skipped.push({
				name: printable(String(rawName)),
				code: 'invalid-name',
				reason: 'the listing gave an entry without a text name',
			});
			continue;
		}
		const name = printable(rawName);
		const kind = entryKind(entry.type);
		if (kind !== 'file') {
			if (kind === 'dir' && (rawName === '.' || rawName === '..')) continue;
			skipped.push({
				name,
				code: 'not-a-file',
				reason: `is ${kind === 'dir' ? 'a directory' : kind === 'symlink' ? 'a symbolic link' : `not a plain file (type ${printable(String(entry.type), 20)})`}; answers are plain files`,
			});
			continue;
		}
		const unsafe = unsafeNameReason(rawName);
		if (unsafe) {
			skipped.push({ name, ...unsafe });
			continue;
		}
		const parsed = parseResponseFileName(rawName);
		if (!parsed.valid) {
			skipped.push({
				name,
				code: 'not-an-answer-name',
				reason: `is not an answer name: ${parsed.violations.map((v) => v.message).join('; ')}`,
			});
			continue;
		}
		if (!Number.isFinite(entry.size) || entry.size < 0) {
			skipped.push({
				name,
				code: 'invalid-size',
				reason: `the listing gave an invalid size (${printable(String(entry.size), 20)})`,
			});
			continue;
		}
		if (seen.has(rawName)) {
			skipped.push({
				name,
				code: 'duplicate',
				reason: 'is listed more than once; the first listing is used',
			});
			continue;
		}
		seen.add(rawName);

		const value = parsed.value;
		let group = groups.get(value.answerId);
		if (!group) {
			group = { parsed: value, files: {}, names: [] };
			groups.set(value.answerId, group);
		}
		const file: AnswerFile = { name: rawName, path: posix.join(folder, rawName), size: entry.size };
		if (entry.modifyTime !== undefined && Number.isFinite(entry.modifyTime))
			file.modifyTime = entry.modifyTime;
		group.files[value.kind] = file;
		group.names.push(rawName);
	}

	const complete: Answer[] = [];
	const incomplete: IncompleteAnswer[] = [];
	for (const [answerId, group] of [...groups.entries()].sort(([, a], [, b]) =>
		compareAnswers(a.parsed, b.parsed),
	)) {
		const { FO: fo, CO: co, FS: fs, GO: go } = group.files;
		if (fo && co) {
			for (const n of [...group.names].sort()) {
				skipped.push({
					name: n,
					code: 'ambiguous',
					reason: `answer ${answerId} has both an FO and a CO; which one is the content is unclear, so none of its files is used`,
				});
			}
			continue;
		}
		const content = fo ?? co;
		if (content && go) {
			const p = group.parsed;
			const answer: Answer = {
				answerId,
				folder,
				type: p.type,
				sender: p.sender,
				environment: p.environment,
				date: p.date,
				sequence: p.sequence,
				content: { ...content, kind: fo ? 'FO' : 'CO' },
				go,
			};
			if (p.parts !== undefined) answer.parts = p.parts;
			if (p.part !== undefined) answer.part = p.part;
			if (fs) answer.signature = fs;
			complete.push(answer);
			continue;
		}
		const present = (Object.keys(group.files) as ResponseFileKind[]).sort(
			(a, b) => KIND_ORDER[a] - KIND_ORDER[b],
		);
		const missing: ResponseFileKind[] = [];
		if (!content) missing.push('FO');
		if (!go) missing.push('GO');
		incomplete.push({ answerId, present, missing });
	}
	skipped.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	return { complete, incomplete, skipped };
}

function entryKind(type: string | undefined): 'file' | 'dir' | 'symlink' | 'other' {
	if (type === undefined || type === 'file' || type === '-') return 'file';
	if (type === 'dir' || type === 'd' || type === 'directory') return 'dir';
	if (type === 'symlink' || type === 'l' || type === 'link') return 'symlink';
	return 'other';
}

function unsafeNameReason(name: string): { code: SkipCode; reason: string } | undefined {
	if (name.length === 0) return { code: 'invalid-name', reason: 'has an empty name' };
	if (name.length > MAX_ANSWER_NAME_LENGTH) {
		return {
			code: 'name-too-long',
			reason: `has a name of ${name.length} characters; answer names are at most ${MAX_ANSWER_NAME_LENGTH}`,
		};
	}
	if (/\p{Cc}/u.test(name))
		return { code: 'unsafe-name', reason: 'has control characters in its name' };
	if (name.includes('/') || name.includes('\\'))
		return { code: 'unsafe-name', reason: 'has a path separator (/ or \\) in its name' };
	if (name === '.' || name === '..' || name.startsWith('.'))
		return { code: 'unsafe-name', reason: 'has a name that starts with a dot' };
	return undefined;
}

function compareAnswers(a: ParsedResponseFileName, b: ParsedResponseFileName): number {
	return (
		compareText(a.date, b.date) ||
		compareText(a.sequence, b.sequence) ||
		compareText(a.type, b.type) ||
		compareText(a.environment, b.environment) ||
		(a.parts ?? 0) - (b.parts ?? 0) ||
		(a.part ?? 0) - (b.part ?? 0) ||
		compareText(a.answerId, b.answerId)
	);
}

function compareText(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}
