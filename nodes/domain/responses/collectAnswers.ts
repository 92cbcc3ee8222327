/**
 * Collects the answers waiting in the OUT folders: lists, pairs the triplets, downloads each complete
 * answer to a private temporary file (streaming, bounded memory), checks its size, unpacks a CO,
 * interprets XML, optionally verifies the answer's signature, hands the file to the caller to store,
 * and only then — if asked — deletes the answer from the server.
 *
 * "Nothing is lost" rules:
 * - an answer is deleted only after `store` has resolved for it (the caller resolves once the bytes are
 *   in n8n's binary store) and its size matched the listing;
 * - a failure with one answer is reported for that answer and never deletes it; the others go on;
 * - the GO is deleted first, so an interrupted delete leaves an incomplete triplet, which nobody takes
 *   again (no duplicate), rather than a complete one.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { SocialSecurityError } from '../errors';
import { ENVIRONMENTS } from '../names/environments';
import { SftpChannel } from '../transport/sftpChannel';
import { localFileProblem } from '../transport/connectionErrors';
import { verifyDetached } from '../signing/cmsSignature';
import { decodeSignatureFile } from '../signing/signatureLayout';
import { Answer, IncompleteAnswer, pairAnswerFiles } from './answerTriplets';
import { interpretAnswer, isVerdictType } from './answerContent';
import { extractCoArchive } from './coArchive';
import { deleteAnswerFiles } from './deleteAnswer';
import type {
	CollectFailure,
	CollectOptions,
	CollectResult,
	CollectedAnswer,
} from './collectTypes';
import { DEFAULT_MAX_XML_BYTES, isXmlRefusal, printable } from './safeXml';

export type {
	CollectFailure,
	CollectOptions,
	CollectResult,
	CollectedAnswer,
} from './collectTypes';

/**
 * Answers in flight at once for the nodes. Each answer costs about five round trips (open, read, close,
 * delete GO, delete FO and FS together); 16 in flight make 1000 answers over a 20 ms round trip take
 * seconds instead of minutes, and keep what one run asks of the server small (bench/poll.ts measures it).
 */
export const DEFAULT_PARALLEL = 16;
/** An FO up to this size is downloaded into memory rather than a temporary file. */
const IN_MEMORY_MAX = 256 * 1024;
/** Upper bound of `parallel`: beyond it the server, not the round trip, is what waits. */
export const MAX_PARALLEL = 64;
/** Read-ahead shared by the answers in flight (one transfer alone may use 4 MiB, see sftpChannel.ts). */
const PARALLEL_READ_BUDGET = 8 * 1024 * 1024;

export async function collectAnswers<T>(
	channel: SftpChannel,
	options: CollectOptions<T>,
): Promise<CollectResult<T>> {
	const types = new Set((options.types ?? []).map((t) => t.toUpperCase()));
	const result: CollectResult<T> = {
		answers: [],
		failures: [],
		incomplete: [],
		skipped: [],
		remaining: 0,
		cleanedUp: [],
		notAccepted: [],
	};
	const pending: Answer[] = [];
	const leftovers: Answer[] = [];
	/** Delivered before, delete cut after the GO (deleted first): FO/CO and FS are still there. */
	const unfinished: Array<IncompleteAnswer & { folder: string }> = [];
	for (const environment of options.environments) {
		const folder = ENVIRONMENTS[environment].responseFolder;
		const paired = pairAnswerFiles(await channel.list(`/${folder}`), `/${folder}`);
		for (const incomplete of paired.incomplete) {
			const cutDelete =
				options.deleteAfterStore &&
				options.alreadyDelivered?.has(incomplete.answerId) &&
				incomplete.missing.includes('GO');
			(cutDelete ? unfinished : result.incomplete).push({ ...incomplete, folder });
		}
		result.skipped.push(...paired.skipped.map((s) => ({ ...s, folder })));
		for (const answer of paired.complete) {
			if (types.size > 0 && !types.has(answer.type)) continue;
			if (options.ignoreIds?.has(answer.answerId)) continue;
			if (options.alreadyDelivered?.has(answer.answerId)) leftovers.push(answer);
			else pending.push(answer);
		}
	}
	if (options.deleteAfterStore) {
		for (const answer of leftovers) {
			try {
				await deleteAnswer(channel, answer);
				result.cleanedUp.push(answer.answerId);
			} catch {
				// Still delivered before and still remembered: it is tried again next run, never re-delivered.
			}
		}
		for (const rest of unfinished) {
			try {
				// The answer id fitted the strict answer pattern: safe to build the names from it.
				for (const kind of rest.present)
					await channel.delete(posix.join(`/${rest.folder}`, `${kind}.${rest.answerId}`));
				result.cleanedUp.push(rest.answerId);
			} catch {
				// Tried again next run.
			}
		}
	}
	const max = options.max && options.max > 0 ? options.max : Infinity;
	let work: string;
	try {
		work = await mkdtemp(join(tmpdir(), 'ss-answers-'));
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
		throw new SocialSecurityError(
			'ANSWER_TEMP_UNAVAILABLE',
			`No temporary folder could be made in ${printable(tmpdir(), 120)} (${localFileProblem(error)}), so no answer was taken or deleted.`,
			'Make the temporary folder of n8n (the TMPDIR environment variable) exist and be writable, with free space.',
			{ cause: error },
		);
	}
	try {
		// `max` counts delivered answers: answers read but not accepted (e.g. not a rejection) do not use it up.
		// Several answers are taken at once over the one connection (each still stored before it is
		// deleted); an answer is started only while the ones delivered plus the ones in flight stay under
		// `max`, so no run delivers more than `max`. Results keep the listing's order, whatever finishes first.
		const parallel = Math.max(1, Math.min(MAX_PARALLEL, Math.floor(options.parallel ?? 1)));
		// The read-ahead of the transfers in flight shares one budget, so memory does not grow with `parallel`.
		const maxInFlightBytes = Math.floor(PARALLEL_READ_BUDGET / parallel);
		const outcomes: Array<
			{ collected?: CollectedAnswer<T>; failure?: CollectFailure; notAccepted?: true } | undefined
		> = new Array(pending.length);
		let next = 0;
		let delivered = 0;
		let inFlight = 0;
		let stop = false;
		const worker = async (): Promise<void> => {
			while (!stop && next < pending.length && delivered + inFlight < max) {
				const index = next;
				next += 1;
				const answer = pending[index];
				inFlight += 1;
				try {
					const collected = await collectOne(channel, answer, work, options, maxInFlightBytes);
					if (collected) {
						delivered += 1;
						outcomes[index] = { collected };
					} else outcomes[index] = { notAccepted: true };
				} catch (error) {
					const e =
						error instanceof SocialSecurityError
							? error
							: new SocialSecurityError('ANSWER_FAILED', 'unexpected error');
					outcomes[index] = {
						failure: {
							answerId: answer.answerId,
							folder: answer.folder,
							code: e.code,
							message: e.message,
						},
					};
					// A dead connection fails every later answer the same way: start no more, leave them for the next run.
					if (['CONNECTION_LOST', 'OPERATION_TIMEOUT', 'CONNECTION_CLOSED'].includes(e.code))
						stop = true;
				} finally {
					inFlight -= 1;
					// Its temporary files are done with (stored or failed): a full disk must not fail the next answers too.
					if (!heldInMemory(answer))
						await Promise.all(
							['download', 'content'].map((ext) =>
								rm(join(work, `${answer.answerId}.${ext}`), { force: true }),
							),
						);
				}
			}
		};
		await Promise.all(Array.from({ length: parallel }, () => worker()));
		for (const outcome of outcomes) {
			if (outcome?.collected) result.answers.push(outcome.collected);
			else if (outcome?.failure) result.failures.push(outcome.failure);
		}
		pending.forEach((answer, i) => {
			if (outcomes[i]?.notAccepted) result.notAccepted.push(answer.answerId);
		});
		result.remaining = pending.length - next;
	} finally {
		await rm(work, { recursive: true, force: true });
	}
	return result;
}

async function collectOne<T>(
	channel: SftpChannel,
	answer: Answer,
	work: string,
	options: CollectOptions<T>,
	maxInFlightBytes: number,
): Promise<CollectedAnswer<T> | undefined> {
	const downloaded = join(work, `${answer.answerId}.download`);
	// A small FO (an ACRF or NOTI is a few KB) is held in memory instead of a temporary file: written,
	// read back to parse, read again to store and removed, a file cost more than the network on loopback
	// (bench/poll.ts). At most IN_MEMORY_MAX per answer in flight, so memory does not grow with the count.
	const held = heldInMemory(answer) ? new HeldBytes(answer.content.size) : undefined;
	const transfer = await channel.download(
		answer.content.path,
		held ?? createWriteStream(downloaded, { mode: 0o600 }),
		{ expectedSize: answer.content.size, maxInFlightBytes },
	);
	if (transfer.size !== answer.content.size) {
		throw new SocialSecurityError(
			'ANSWER_SIZE_MISMATCH',
			`${answer.content.name}: ${transfer.size} bytes received, ${answer.content.size} listed. It was not delivered nor deleted; the next run tries again.`,
		);
	}
	// What is delivered: the FO as downloaded, or the FO taken out of a CO. Every figure given to the
	// workflow describes these bytes; the ZIP's own figures are kept apart.
	let content = {
		path: downloaded,
		name: answer.content.name,
		size: transfer.size,
		sha256: transfer.sha256,
	};
	let zip: CollectedAnswer<T>['zip'];
	if (answer.content.kind === 'CO') {
		const extracted = await extractCoArchive(downloaded, work, {
			outputName: `${answer.answerId}.content`,
		});
		content = {
			path: extracted.path,
			name: `FO.${answer.answerId}`,
			size: extracted.size,
			sha256: extracted.sha256,
		};
		zip = { name: answer.content.name, size: transfer.size, sha256: transfer.sha256 };
	}
	const { path: contentPath, name: contentName, size } = content;
	const bytes = held?.bytes();
	const openContent = (): Readable =>
		bytes ? Readable.from([bytes], { objectMode: false }) : createReadStream(contentPath);
	const maxXml = options.maxXmlBytes ?? DEFAULT_MAX_XML_BYTES;
	let interpreted: CollectedAnswer<T>['interpreted'];
	if (size <= maxXml) {
		try {
			interpreted = interpretAnswer(
				{ type: answer.type, contentName, bytes: bytes ?? (await readFile(contentPath)) },
				{ maxBytes: maxXml, language: options.language },
			);
		} catch (error) {
			// Any answer but a verdict that looks like XML and does not parse would fail on every run and
			// never arrive: it is delivered as the file it is, with the reason (docs/answers.md).
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
			if (isVerdictType(answer.type) || !isXmlRefusal(error)) throw error;
			interpreted = {
				format: 'xml',
				note: `not read (${error.code}: ${error.message}); delivered as a file, not parsed`,
			};
		}
	} else {
		interpreted = {
			format: 'binary',
			note: `larger than ${maxXml} bytes: delivered as a file, not parsed`,
		};
	}

	if (options.accept && !options.accept(interpreted, answer)) return undefined;

	let signature: CollectedAnswer<T>['signature'];
	if (options.verifySignature) {
		if (!answer.signature) signature = { valid: false, reason: 'the answer has no FS file' };
		else {
			const chunks: Buffer[] = [];
			await channel.download(
				answer.signature.path,
				new Writable({
					write: (chunk: Buffer, _e, cb) => {
						chunks.push(chunk);
						cb();
					},
				}),
				{ expectedSize: answer.signature.size, maxInFlightBytes },
			);
			try {
				// The signed bytes are the FO's: for a CO that is the ZIP itself as sent.
				signature = await verifyDetached(
					decodeSignatureFile(Buffer.concat(chunks)),
					// The FO as downloaded (for a CO, the ZIP: never held in memory).
					bytes ? Readable.from([bytes], { objectMode: false }) : createReadStream(downloaded),
					{
						trustedCertificatesPem: options.verifySignature.trustedCertificatesPem,
					},
				);
			} catch (error) {
				signature = {
					valid: false,
					reason: error instanceof SocialSecurityError ? error.message : 'the FS could not be read',
				};
			}
		}
	}

	let stored: T;
	try {
		stored = await options.store({
			name: contentName,
			size,
			open: openContent,
			format: interpreted.format,
		});
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
		throw new SocialSecurityError(
			'ANSWER_STORE_FAILED',
			`${contentName} could not be stored in n8n (${localFileProblem(error)}); it stays on the server and is taken again next run.`,
			"Check the free space and permissions of n8n's binary data storage.",
			{ cause: error },
		);
	}
	const collected: CollectedAnswer<T> = {
		answer,
		contentName,
		size,
		sha256: content.sha256,
		...(zip ? { zip } : {}),
		interpreted,
		signature,
		stored,
		deleted: false,
	};
	if (options.deleteAfterStore) {
		try {
			await deleteAnswer(channel, answer);
			collected.deleted = true;
		} catch (error) {
			collected.deleteError =
				error instanceof SocialSecurityError ? error.message : 'the delete failed';
		}
	}
	return collected;
}

/** One error for a run in which answers were waiting but none could be taken (for a trigger to report). */
export function answersFailedError(failures: CollectFailure[]): SocialSecurityError {
	return new SocialSecurityError(
		failures.some((f) => ['CONNECTION_LOST', 'OPERATION_TIMEOUT'].includes(f.code))
			? 'CONNECTION_LOST'
			: 'ANSWERS_FAILED',
		`${failures.length} answer(s) could not be taken and stay on the server: ${failures
			.slice(0, 3)
			.map((f) => `${f.answerId} (${f.message})`)
			.join('; ')}${failures.length > 3 ? '; …' : ''}`,
		'They are tried again at the next poll. If one keeps failing, fetch it by hand with Poll Social Security Responses and look at its summary output.',
	);
}

async function deleteAnswer(channel: SftpChannel, answer: Answer): Promise<void> {
	const names = [
		answer.go.name,
		answer.content.name,
		...(answer.signature ? [answer.signature.name] : []),
	];
	await deleteAnswerFiles(channel, answer.folder, names);
}

function heldInMemory(answer: Answer): boolean {
	return answer.content.kind === 'FO' && answer.content.size <= IN_MEMORY_MAX;
}

/**
 * A destination that keeps the bytes of a small download. It keeps at most the listed size: a file that
 * grew on the server is still read to its end by the download (which then reports the size it got, and
 * the answer fails on the size check), but memory stays at the listed size.
 */
class HeldBytes extends Writable {
	private readonly chunks: Buffer[] = [];
	private kept = 0;

	constructor(private readonly limit: number) {
		super();
	}

	override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
		if (this.kept + chunk.length <= this.limit) {
			this.chunks.push(chunk);
			this.kept += chunk.length;
		}
		callback();
	}

	bytes(): Buffer {
		return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.kept);
	}
}
