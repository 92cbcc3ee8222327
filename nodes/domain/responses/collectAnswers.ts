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
import { ENVIRONMENTS, Environment } from '../names/environments';
import { SftpChannel } from '../transport/sftpChannel';
import { localFileProblem } from '../transport/connectionErrors';
import { verifyDetached, VerifyResult } from '../signing/cmsSignature';
import { decodeSignatureFile } from '../signing/signatureLayout';
import { Answer, IncompleteAnswer, SkippedEntry, pairAnswerFiles } from './answerTriplets';
import { InterpretedAnswer, interpretAnswer } from './answerContent';
import { extractCoArchive } from './coArchive';
import { deleteAnswerFiles } from './deleteAnswer';
import { DEFAULT_MAX_XML_BYTES, printable } from './safeXml';

export interface CollectOptions<T> {
	environments: Environment[];
	/** Only these answer types (ACRF, NOTI, …); empty or absent = all. */
	types?: string[];
	/** At most this many answers per run (the rest wait for the next run). */
	max?: number;
	/** Delete each answer from the server once it is stored. */
	deleteAfterStore: boolean;
	/**
	 * Answer ids delivered before (a trigger remembers them). They are never delivered again; with
	 * `deleteAfterStore` they are deleted now (their earlier delete was interrupted).
	 */
	alreadyDelivered?: Set<string>;
	/** Answer ids to leave alone entirely (e.g. answers a trigger decided not to deliver). */
	ignoreIds?: Set<string>;
	/** Decides, once an answer is read, whether it is delivered (and then deleted); others stay on the server. */
	accept?: (interpreted: CollectedAnswer<T>['interpreted'], answer: Answer) => boolean;
	/** Verify the answer's FS; with a PEM, the signer must chain to it. */
	verifySignature?: { trustedCertificatesPem?: string };
	/** Largest XML parsed into JSON; larger answers are delivered as files only. */
	maxXmlBytes?: number;
	/** Stores the content; resolves when it is safely kept. */
	store: (file: {
		name: string;
		size: number;
		open: () => Readable;
		format: InterpretedAnswer['format'];
	}) => Promise<T>;
}

export interface CollectedAnswer<T> {
	answer: Answer;
	/** Name of the delivered content (the FO name; for a CO, the FO inside, named after the CO). */
	contentName: string;
	/** Size of the delivered content: the bytes handed to `store`. */
	size: number;
	/** SHA-256 (hex) of the delivered content: the bytes handed to `store`. */
	sha256: string;
	/**
	 * Only for an answer that came as a CO: the ZIP as it was on the server (the bytes its FS signs).
	 * `size` and `sha256` above are those of the FO taken out of it.
	 */
	zip?: { name: string; size: number; sha256: string };
	interpreted: InterpretedAnswer | { format: 'binary' | 'xml'; note: string };
	signature?: VerifyResult | { valid: false; reason: string };
	stored: T;
	deleted: boolean;
	/** Delete failed after delivery: these files are still on the server (they will not be taken again). */
	deleteError?: string;
}

export interface CollectFailure {
	answerId: string;
	folder: string;
	code: string;
	message: string;
}

export interface CollectResult<T> {
	answers: Array<CollectedAnswer<T>>;
	failures: CollectFailure[];
	incomplete: Array<IncompleteAnswer & { folder: string }>;
	skipped: Array<SkippedEntry & { folder: string }>;
	/** Complete answers left for a later run because of `max`. */
	remaining: number;
	/** Answers delivered before whose leftover files were deleted now. */
	cleanedUp: string[];
	/** Answers read but not accepted by `accept`: left on the server. */
	notAccepted: string[];
}

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
		let visited = 0;
		for (const answer of pending) {
			if (result.answers.length >= max) break;
			visited += 1;
			try {
				const collected = await collectOne(channel, answer, work, options);
				if (collected) result.answers.push(collected);
				else result.notAccepted.push(answer.answerId);
			} catch (error) {
				const e =
					error instanceof SocialSecurityError
						? error
						: new SocialSecurityError('ANSWER_FAILED', 'unexpected error');
				result.failures.push({
					answerId: answer.answerId,
					folder: answer.folder,
					code: e.code,
					message: e.message,
				});
				// A dead connection fails every later answer the same way: stop and leave them for the next run.
				if (['CONNECTION_LOST', 'OPERATION_TIMEOUT', 'CONNECTION_CLOSED'].includes(e.code)) break;
			} finally {
				// Its temporary files are done with (stored or failed): a full disk must not fail the next answers too.
				await Promise.all(
					['download', 'content'].map((ext) =>
						rm(join(work, `${answer.answerId}.${ext}`), { force: true }),
					),
				);
			}
		}
		result.remaining = pending.length - visited;
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
): Promise<CollectedAnswer<T> | undefined> {
	const downloaded = join(work, `${answer.answerId}.download`);
	const transfer = await channel.download(
		answer.content.path,
		createWriteStream(downloaded, { mode: 0o600 }),
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
	const maxXml = options.maxXmlBytes ?? DEFAULT_MAX_XML_BYTES;
	let interpreted: CollectedAnswer<T>['interpreted'];
	if (size <= maxXml) {
		interpreted = interpretAnswer(
			{ type: answer.type, contentName, bytes: await readFile(contentPath) },
			{ maxBytes: maxXml },
		);
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
			);
			try {
				// The signed bytes are the FO's: for a CO that is the ZIP itself as sent.
				signature = await verifyDetached(
					decodeSignatureFile(Buffer.concat(chunks)),
					createReadStream(downloaded),
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
			open: () => createReadStream(contentPath),
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
