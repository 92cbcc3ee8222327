/** What `collectAnswers` (collectAnswers.ts) is asked and what it gives back: its options and results. */
import type { Readable } from 'node:stream';
import type { CodeLanguage } from '../codes/describeError';
import type { Environment } from '../names/environments';
import type { VerifyResult } from '../signing/cmsSignature';
import type { InterpretedAnswer } from './answerContent';
import type { Answer, IncompleteAnswer, SkippedEntry } from './answerTriplets';

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
	/** Language of the anomalies' explanations (nl, fr, en; default en): docs/codes.md. */
	language?: CodeLanguage;
	/**
	 * How many answers are taken at once over the one connection (default 1). Over a network each answer
	 * costs several round trips (open, read, close, three deletes); taken one by one, 1000 answers over a
	 * 20 ms round trip took minutes. Every rule holds per answer.
	 */
	parallel?: number;
	/** Stores the content; resolves when it is safely kept. Called for several answers at once with `parallel`. */
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
