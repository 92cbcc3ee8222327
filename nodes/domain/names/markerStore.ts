/**
 * The local guard of sequences: one marker file per value handed out, created with O_EXCL, so processes
 * that share the folder (every n8n process of one machine, by default) never hand out the same value.
 * Across machines see redisStore.ts (docs/queue-mode.md).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';

import { SocialSecurityError } from '../errors';
import { daysBetween } from './brusselsTime';
import { Environment, isEnvironment } from './environments';

/** Environment variable that overrides the marker folder, e.g. a volume shared by several n8n workers. */
export const SEQUENCE_DIR_ENV = 'SOCIALSECURITY_SEQUENCE_DIR';
/**
 * How long markers and counters of a creation date are kept, in days. Markers of the automatic mode are
 * only needed for 7 days (its window); daily counters and fixed values may be used with creation dates up
 * to "Maximum Age of Date" old (default 30), so two months covers them with room to spare.
 */
export const SEQUENCE_MEMORY_DAYS = 62;

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
