/**
 * Sends a checked declaration set: every FI, every FS, then the GO, each streamed and verified on the
 * server before the next. The GO tells the server the set is complete, so it is sent only when every
 * other file is there with the right size; after any failure no GO is sent and the error lists exactly
 * which files reached the server.
 */
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { SocialSecurityError } from '../errors';
import { DeclarationSetId } from '../names/fileNames';
import { RemoteEntry, SftpChannel } from '../transport/sftpChannel';
import { SubmissionPlan } from './declarationSet';

export interface SubmittedFile {
	name: string;
	role: 'FI' | 'FS' | 'GO';
	part?: number;
	size: number;
	sha256: string;
	/** True when the file was already on the server from an interrupted attempt and proved identical. */
	resumed?: boolean;
}

/** What a workflow keeps to match the answers: the ACRF's FileName is the GO name. */
export interface SubmissionRecord {
	go: string;
	td: string;
	folder: string;
	responseFolder: string;
	set: DeclarationSetId;
	files: SubmittedFile[];
	submittedAt: string;
	serverFingerprint: string;
	signaturesNotSent: string[];
}

export interface SubmitOptions {
	/** Remove the files this attempt created when it fails (best effort). Default false: keep for inspection. */
	cleanupOnFailure?: boolean;
	/**
	 * Continue an interrupted attempt: a file of the set already on the server is downloaded and compared
	 * (SHA-256) with ours; identical → kept, different → refused. Default false: any existing name refuses.
	 */
	resume?: boolean;
	now?: () => Date;
	/**
	 * What is in the upload folder. Default: the folder is listed for this set. Many sets sent in one
	 * execution share one listing (`sharedFolderListing`): a name that appears after it was taken is
	 * still never overwritten (every file is created exclusively), and hundreds of sets no longer list a
	 * folder that grows with each of them.
	 */
	listing?: (folder: string) => Promise<RemoteEntry[]>;
	/** Read-ahead of each upload, lowered when several sets share the connection (see sftpChannel.ts). */
	maxInFlightBytes?: number;
}

export class SubmissionFailedError extends SocialSecurityError {
	constructor(
		readonly cause: SocialSecurityError,
		/**
		 * Files of this set that are on the server: a bare name is there complete; a note in parentheses
		 * says it is incomplete (with its size) or that it may be there (the connection failed while it was sent).
		 */
		readonly reached: string[],
		/** Files removed again by the clean-up. */
		readonly removed: string[],
	) {
		// Only a GO makes the server process the set: say exactly what is known about it.
		const go = reached.find((r) => r.startsWith('GO.'));
		const goKnown = go !== undefined && !go.includes(' ');
		super(
			'SUBMISSION_FAILED',
			`${go === undefined ? 'The set was not submitted' : 'The submission was interrupted'}: ${cause.message} ${
				go === undefined
					? 'No GO was sent, so the server will not process it.'
					: goKnown
						? 'The GO is on the server, so the server will process the set.'
						: 'The GO may have reached the server before the connection failed; then the server processes the set.'
			} ${reached.length > 0 ? `On the server now: ${reached.join(', ')}.` : 'Nothing of the set is on the server.'}${
				removed.length > 0 ? ` Removed again: ${removed.join(', ')}.` : ''
			}`,
			go !== undefined
				? 'Do not send the set again under a new sequence: it may be processed twice. Run it again with "Resume Interrupted Submission", which sends the GO if it is missing and stops if it is there, or wait for the ACRF.'
				: (cause.hint ??
						'Run again: with "Resume Interrupted Submission" the files already sent are checked and kept; otherwise remove them or use a new sequence.'),
			{ cause },
		);
	}
}

const remote = (folder: string, name: string) => `/${folder}/${name}`;

/**
 * Sets sent at once by Submit. A small set costs about ten round trips (create, write, close and size
 * check of the FI and of the FS, then the GO); hundreds of Dimona sets one after the other over a 20 ms
 * round trip took minutes. Eight in flight keep what we ask of the server at once small (bench/sets.ts).
 */
export const DEFAULT_PARALLEL_SETS = 8;
export const MAX_PARALLEL_SETS = 32;
/** Read-ahead shared by the uploads of the sets in flight (one upload alone may use 4 MiB). */
export const PARALLEL_SETS_BUDGET = 16 * 1024 * 1024;

export async function submitPlannedSet(
	channel: SftpChannel,
	plan: SubmissionPlan,
	options: SubmitOptions = {},
): Promise<SubmissionRecord> {
	const now = options.now ?? (() => new Date());
	// Whether IN may be listed is not documented; a server that refuses it still gets the set: names are
	// created exclusively, so a clash is still refused, just later (and without resume).
	const existing = new Map(
		(
			await (options.listing ?? ((folder) => listIfAllowed(channel, folder)))(`/${plan.folder}`)
		).map((e) => [e.name, e]),
	);
	if (existing.has(plan.go)) {
		throw new SocialSecurityError(
			'SET_ALREADY_SUBMITTED',
			`${plan.go} is already in ${plan.folder}: this set was submitted before and is waiting for the server.`,
			'Do not send it again. Wait for the ACRF in the answer folder; to stop its processing, use the Cancel operation (TD file).',
		);
	}
	const clashes = plan.files.filter((f) => existing.has(f.name)).map((f) => f.name);
	if (clashes.length > 0 && !options.resume) {
		throw new SocialSecurityError(
			'REMOTE_EXISTS',
			`Nothing was sent: ${clashes.join(', ')} already ${clashes.length === 1 ? 'exists' : 'exist'} in ${plan.folder}.`,
			'These are probably left by an interrupted attempt. Enable "Resume Interrupted Submission" to check and keep them, or build the set with a new sequence (a name can be used only once, ACRF-133).',
		);
	}

	const created: string[] = [];
	/** Leftovers of an interrupted upload (the first bytes of the same file) that were removed and sent again. */
	const replaced: string[] = [];
	const sent: SubmittedFile[] = [];
	let current: string | undefined;
	let sending: Readable | undefined;
	try {
		for (const file of plan.files) {
			current = file.name;
			sending = undefined;
			const path = remote(plan.folder, file.name);
			if (existing.has(file.name)) {
				const check = await verifyIdentical(channel, file, path);
				if (check !== 'partial') {
					file.onSent?.(check);
					sent.push({ ...check, role: file.role, part: file.part, resumed: true });
					continue;
				}
				// No GO is there, so the server has not taken the set: the partial file can go.
				await channel.delete(path);
				replaced.push(file.name);
			}
			sending = await file.open();
			const result = await channel.uploadExclusive(sending, path, {
				maxInFlightBytes: options.maxInFlightBytes,
			});
			created.push(file.name);
			await verifyRemoteSize(channel, path, result.size, file.size);
			file.onSent?.(result);
			sent.push({
				name: file.name,
				role: file.role,
				part: file.part,
				size: result.size,
				sha256: result.sha256,
			});
		}
		current = plan.go;
		await channel.createEmptyExclusive(remote(plan.folder, plan.go));
		created.push(plan.go);
		// No check of the GO after it is created: the server may take the set (and remove the GO) at once.
	} catch (error) {
		const cause =
			error instanceof SocialSecurityError
				? error
				: new SocialSecurityError('SUBMISSION_ERROR', String(error));
		const reached = [
			...(options.resume ? clashes.filter((c) => !replaced.includes(c)) : []),
			...created,
		];
		// A name that already existed when we created it is someone else's file (another item of this
		// execution with the same names, another process): it is neither reported as ours nor cleaned up.
		if (cause.code === 'REMOTE_EXISTS' && current !== plan.go) current = undefined;
		// The file being sent when it failed may be on the server, partially: say so, also when the
		// connection is gone and we cannot look (bytes were written, or a stalled server may still carry
		// out the requests it holds; a GO whose create was sent may exist).
		if (current && !reached.includes(current)) {
			const found = await channel.stat(remote(plan.folder, current)).then(
				(entry) => entry ?? null,
				() => undefined,
			);
			if (found)
				reached.push(
					current === plan.go ? current : `${current} (incomplete, ${found.size} bytes)`,
				);
			else if (
				found === undefined &&
				(current === plan.go || sending?.readableDidRead || cause.code === 'OPERATION_TIMEOUT')
			) {
				reached.push(
					`${current} (may be on the server${current === plan.go ? '' : ', incomplete'}: the connection failed while it was being sent)`,
				);
			}
		}
		const removed: string[] = [];
		// Once the GO create was sent, the server may be processing the set: removing files would break it.
		if (options.cleanupOnFailure && current !== plan.go) {
			for (const name of [
				...created,
				...(current && !created.includes(current) ? [current] : []),
			]) {
				try {
					await channel.delete(remote(plan.folder, name));
					removed.push(name);
				} catch {
					// Best effort: the connection may be gone; the error lists what is still there.
				}
			}
		}
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
		throw new SubmissionFailedError(
			cause,
			reached.filter((r) => !removed.includes(r.split(' ')[0])),
			removed,
		);
	}
	return {
		go: plan.go,
		td: plan.td,
		folder: plan.folder,
		responseFolder: plan.responseFolder,
		set: plan.set,
		files: [
			...sent,
			{ name: plan.go, role: 'GO', size: 0, sha256: createHash('sha256').digest('hex') },
		],
		submittedAt: now().toISOString(),
		serverFingerprint: channel.presentedFingerprint,
		signaturesNotSent: plan.signaturesNotSent,
	};
}

/** Sends the TD file of a set, which asks the server to stop processing it. */
export async function sendCancellation(
	channel: SftpChannel,
	folder: string,
	tdName: string,
): Promise<{ td: string; folder: string; sentAt: string }> {
	await channel.createEmptyExclusive(remote(folder, tdName));
	return { td: tdName, folder, sentAt: new Date().toISOString() };
}

const REFUSED_BY_SERVER = new Set(['REMOTE_PERMISSION_DENIED', 'REMOTE_OPERATION_FAILED']);

/**
 * One listing per upload folder for all the sets of an execution sent over `channel` (see
 * SubmitOptions.listing). A failed listing is not kept, so the next set tries again.
 */
export function sharedFolderListing(
	channel: SftpChannel,
): (folder: string) => Promise<RemoteEntry[]> {
	const listings = new Map<string, Promise<RemoteEntry[]>>();
	return (folder) => {
		let listing = listings.get(folder);
		if (!listing) {
			listing = listIfAllowed(channel, folder);
			listings.set(folder, listing);
			listing.catch(() => listings.delete(folder));
		}
		return listing;
	};
}

async function listIfAllowed(channel: SftpChannel, folder: string): Promise<RemoteEntry[]> {
	try {
		return await channel.list(folder);
	} catch (error) {
		if (error instanceof SocialSecurityError && REFUSED_BY_SERVER.has(error.code)) return [];
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
		throw error;
	}
}

async function verifyRemoteSize(
	channel: SftpChannel,
	path: string,
	sent: number,
	expected?: number,
): Promise<void> {
	let entry: RemoteEntry | undefined;
	try {
		entry = await channel.stat(path);
	} catch (error) {
		// A server that does not let us look trusts the byte count the upload itself confirmed.
		if (
			error instanceof SocialSecurityError &&
			REFUSED_BY_SERVER.has(error.code) &&
			expected === sent
		)
			return;
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
		throw error;
	}
	if (!entry || entry.size !== sent || (expected !== undefined && expected !== sent)) {
		throw new SocialSecurityError(
			'REMOTE_SIZE_MISMATCH',
			`${path} has ${entry ? `${entry.size} bytes` : 'disappeared'} on the server after upload; ${expected ?? sent} bytes were expected.`,
			'The transfer was damaged. Nothing more of the set is sent; try again.',
		);
	}
}

/**
 * Compares a file already on the server with ours: identical, or `partial` when the server holds only the
 * first bytes of ours (an interrupted upload, also an empty file whose create got through); anything
 * else is refused (REMOTE_DIFFERS).
 */
async function verifyIdentical(
	channel: SftpChannel,
	file: { name: string; open: () => unknown },
	path: string,
): Promise<{ name: string; size: number; sha256: string } | 'partial'> {
	const remoteResult = await channel.download(path, discard());
	const local = createHash('sha256');
	const prefix = createHash('sha256');
	let size = 0;
	for await (const chunk of (await file.open()) as AsyncIterable<Buffer>) {
		local.update(chunk);
		if (size < remoteResult.size) prefix.update(chunk.subarray(0, remoteResult.size - size));
		size += chunk.length;
	}
	const sha256 = local.digest('hex');
	if (remoteResult.size < size && prefix.digest('hex') === remoteResult.sha256) return 'partial';
	if (remoteResult.sha256 !== sha256 || remoteResult.size !== size) {
		throw new SocialSecurityError(
			'REMOTE_DIFFERS',
			`${file.name} is already on the server with other content than the file given now.`,
			'Do not reuse the name for other content (ACRF-133): build the set with a new sequence.',
		);
	}
	return { name: file.name, size, sha256 };
}

function discard(): Writable {
	return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}
