/** The simulator's options, the records of what it did, and its handle (docs/sandbox.md, "The simulator"). */
import type { Environment } from '../../nodes/domain/names/environments';
import type { SshdSandbox } from '../sshdSandbox';

/** The sender number of the social security side in answer names. */
export const SOCIAL_SECURITY_SENDER = '999999';
/** The account's sender number when none is given. */
export const DEFAULT_SANDBOX_SENDER = '000123';
/** An answer larger than this is delivered as a CO (a ZIP holding the FO) unless `coAboveBytes` says otherwise. */
export const DEFAULT_CO_ABOVE_BYTES = 1024 * 1024;

/** What the server expects of FS files in an environment. 'omit': none; an FS present → ACRF-121. */
export type SimulatorSignaturePolicy = 'required' | 'optional' | 'omit';
export type AnswerType = 'ACRF' | 'NOTI' | 'DMNO';
export type UploadFolder = 'IN' | 'INTEST' | 'INTEST-S';

export interface SimulatorOptions {
	sandbox: SshdSandbox;
	/** PEM of the certificate registered on the channel: only it may sign (ACRF-153). */
	registeredCertificatePem: string;
	/** The 6-digit sender number of the account (ACRF-108). Default 000123. */
	sender?: string;
	/** How often the upload folders are read. Default 200 ms. */
	pollIntervalMs?: number;
	/** Delay between the ACRF of an accepted set and its NOTI (and a NOTI and its DMNO). Default 500 ms; negative: no NOTI. */
	notiDelayMs?: number;
	/** FS in T (INTEST). Default 'optional': not needed, verified when present (the doc's observation). */
	signatureInTest?: SimulatorSignaturePolicy;
	/** FS in S (INTEST-S). Default 'optional'; 'omit' answers ACRF-121 to a set that has one. */
	signatureInDmfaTest?: SimulatorSignaturePolicy;
	/** Refuse application codes that are not sending codes of the table (ACRF-154). Default true. */
	knownApplicationsOnly?: boolean;
	/** How many days old a creation date may be (ACRF-126). Default: the names module's default (30). */
	maxAgeDays?: number;
	/** Larger FI/FS files are refused with ACRF-184. Default 100 MB. */
	maxFileBytes?: number;
	/**
	 * A folder of declaration XSDs (e.g. `DmfAOriginal_20223.xsd`, `Dimona_20231.xsd`, as downloaded from
	 * the portal). When given, each FI that is XML is checked against the XSD named after its root
	 * element (the newest version in the folder) with Debian's `xmllint`: not well-formed → ACRF-102,
	 * no XSD for its root → ACRF-088, not valid → ACRF-312. Default: no check (our docs say nothing of
	 * which schema versions the server holds).
	 */
	declarationSchemaDir?: string;
	/**
	 * More content rules for the NOTIFICATION of an accepted set: anomalies for an FI (tests use it to
	 * get anomalies of every class). The built-in rule is `contentAnomalies` in checks.ts.
	 */
	contentAnomalies?: (fi: Buffer) => SimulatedAnomaly[];
	/** An accepted set first gets a provisional ACRF (TypeForm PA), then the final one (FA). Default false. */
	provisionalAcrf?: boolean;
	/** Answers larger than this many bytes are written as a CO (a ZIP holding the FO). Default 1 MiB. */
	coAboveBytes?: number;
	/** Answer names end in `.1.1` (`FO.ACRF.999999.<date>.<seq>.T.1.1`), as some peers see. Default false. */
	answerNameSuffix?: boolean;
	/** Where used names and counters are kept. Default: `simulator-state.json` next to the sandbox root. */
	stateFile?: string;
	/** Reuse a "social security" signing identity instead of making one at start. */
	socialSecurityIdentity?: { certificatePem: string; privateKeyPem: string };
	/** The clock (answer dates, "today" for the name rules). */
	now?: () => Date;
	/** Receives one line per event. Default: nothing (the lines are also kept in `messages`). */
	logger?: (line: string) => void;
}

/** An anomaly the simulator reports in a NOTIFICATION (the AnomalyReport of NOTIFICATION_20223.xsd). */
export interface SimulatedAnomaly {
	/** `<zone>-<error>`, e.g. `00011-008`. */
	errorId: string;
	/** AnomalyClass: B, P, NP, D, W, I (the glossary) or NB (seen at peers). */
	anomalyClass: string;
	tagName?: string;
	value?: string;
	lineNbr?: number;
}

export interface AnswerRecord {
	type: AnswerType;
	/** OUT, OUTTEST or OUTTEST-S. */
	folder: string;
	environment: Environment;
	/** `FO.ACRF.999999.<date>.<seq>.<env>` (a CO answer: `CO.…`), with `.1.1` when `answerNameSuffix`. */
	foName: string;
	fsName: string;
	goName: string;
	/** Only for a CO: the ZIP's name (`foName` is then the FO inside it). */
	coName?: string;
	/**
	 * The name the answer is about (FileName in the XML): the GO, the misnamed FI/FS of a set refused
	 * for a file's name, or the TD of a cancellation.
	 */
	fileName: string;
	ticket: string;
	/** ACRF: TypeForm FA (final) or PA (provisional). */
	typeForm?: 'FA' | 'PA';
	resultCode: 0 | 1;
	errors: string[];
	xml: string;
	writtenAt: Date;
}

export interface ProcessedRecord {
	trigger: 'GO' | 'TD';
	/** The GO or TD name. */
	name: string;
	/** The upload folder it was found in. */
	folder: string;
	accepted: boolean;
	cancelled: boolean;
	errors: string[];
	ticket: string;
	/** The input files that were removed. */
	removed: string[];
	/** The (final) ACRF. */
	acrf: AnswerRecord;
	processedAt: Date;
}

export interface Simulator {
	/** Stops polling and pending NOTIs, waits for the current cycle, saves the state. */
	stop(): Promise<void>;
	/** Every GO/TD handled, in order. */
	processed: ProcessedRecord[];
	/** Every answer written, in order. */
	answers: AnswerRecord[];
	/** The log lines. */
	messages: string[];
	/** Resolves with the answer of that type about that name (GO, misnamed FI/FS, TD); rejects after timeoutMs. */
	waitForAnswer(fileName: string, type: AnswerType, timeoutMs?: number): Promise<AnswerRecord>;
	/** The certificate that signs the answers' FS. */
	sandboxSocialSecurityCertificatePem: string;
	sender: string;
	stateFile: string;
	/** Runs one poll cycle now (tests); stability still needs two cycles. */
	pollNow(): Promise<void>;
}

/** Control characters replaced and long values cut, for log lines and XML text. */
export function printable(value: string, max = 120): string {
	const cleaned = value.replace(/\p{Cc}/gu, '?');
	return cleaned.length > max ? `${cleaned.slice(0, max - 3)}...` : cleaned;
}

export function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
