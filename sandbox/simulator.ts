/**
 * A small simulated social security on top of the sshd sandbox (sandbox/sshdSandbox.ts).
 *
 * It polls the local directories behind IN, INTEST and INTEST-S. When a GO (or TD) has been seen
 * unchanged for two polls, together with the files of its set, the set is judged with the rules of
 * docs/batch-channel.md, the inputs are removed, and an answer triplet (FO, FS, GO — GO last, every
 * file written to a temporary name outside the folder and renamed into place) is written into the
 * matching OUT folder, owned by the sandbox user so the client can delete it. An accepted set gets a
 * NOTI after `notiDelayMs`.
 *
 * Signatures (FS) are checked with the real `openssl` command, never with the package's own signing
 * code (that would be circular). Name rules come from nodes/domain/names/fileNames.ts — the same code
 * the client uses, so a wrong rule there is not caught here (see "weak" in the report / README).
 *
 * ---------------------------------------------------------------------------------------------------
 * DECISIONS (the real server's behaviour is not documented for these; all are ours)
 *
 * Order of checks on a GO. The first three are fatal (the answer carries only their codes, the
 * content is not looked at); the others accumulate in this order:
 *   1. the GO name (parseSubmissionFileName with the account's sender): its ACRF codes, e.g. 107
 *      (malformed), 108 (sender ≠ account), 109/110/111/126 (date), 112/113/127/367 (sequence),
 *      117 (environment), 114/115 (parts), 154 (unknown application, when knownApplicationsOnly);
 *   2. ACRF-133 when the GO name, or the name of any FI/FS of the set, was used before (names are
 *      burnt by every GO and TD handled, accepted or not, and kept in a state file: a restart of the
 *      simulator on the same sandbox remembers them);
 *   3. the folder against the environment of the name (the server's three codes are not explained in
 *      our docs; our mapping):
 *        ACRF-118  a test set (T or S) in the production folder IN;
 *        ACRF-119  a production set (R) in a test folder (INTEST, INTEST-S);
 *        ACRF-257  a T set in INTEST-S or an S set in INTEST (the two test environments mixed);
 *   4. files of the set (same APP.SENDER.DATE.SEQ.ENV) whose name is not one of FI/FS.<set>.1..N:
 *        `<d>.<d>` after the set (other part count, or part out of range) → ACRF-123 (FI) / 124 (FS),
 *        anything else → ACRF-131 (FI) / ACRF-132 (FS); the ACRF then names the first such file (an
 *        FI before an FS) in FileName instead of the GO, as the real server names the FI of a set it
 *        refuses for a file's name (shared/docs/answers.md);
 *   5. ACRF-120 when an FI of parts 1..N is missing;
 *   6. FS count, by the signature policy of the environment:
 *        R: always 'required';  T: `signatureInTest` (default 'optional');  S: `signatureInDmfaTest`
 *        (default 'optional').
 *        'required': fewer than N FS → ACRF-122.  'optional': none is fine, some but not all → ACRF-122.
 *        'omit': any FS → ACRF-121 (and they are not verified);
 *   7. ACRF-134 for an empty FI;
 *   8. ACRF-184 for an FI or FS larger than `maxFileBytes` (default 100 MB);
 *   8b. with `declarationSchemaDir`: an FI that is not well-formed XML → ACRF-102, whose root has no
 *      XSD in that folder → ACRF-088, that breaks its XSD → ACRF-312 (xmllint; the real server
 *      answers a schema error with 255 or 312, shared/docs/answers.md; we chose 312, "the file is not
 *      valid against its data models (XML schema)" in annex 30);
 *   9. every FS present (unless 'omit') verified against the exact bytes of its FI:
 *        base64 layout: a single line, or lines of any length separated by CR, LF or CRLF (76-column
 *        CR and the 64-column CRLF PEM body both pass); BEGIN/END armour lines are refused → ACRF-125;
 *        `openssl cms -verify -binary -inform DER -noverify -certfile registered.pem -signer out.pem`:
 *        a failure → ACRF-125, except "signer certificate not found" (signed by a key whose
 *        certificate is neither in the FS nor the registered one) → ACRF-153; a valid signature whose
 *        signer certificate is not byte-for-byte the registered one → ACRF-153.
 *   The answer goes to the OUT folder paired with the folder the GO was found in (a T set in IN is
 *   answered in OUT), and its name carries that folder's environment letter.
 *
 * TD (cancel). A TD for a set whose GO was not processed yet (whether or not its GO is already there)
 * cancels the set: its FI/FS/GO/TD are removed, the names are burnt, and an ACRF answers with
 * ResultCode 0, no ErrorID, and FileName = the TD name. A TD for a set already processed is just
 * removed (no answer). A TD whose name breaks a rule is left in place and logged once.
 *
 * Odd names (not FI./FS./GO./TD., not a regular file, a symlink) are left alone and logged once.
 * FI/FS without a GO are left alone forever. A GO's content is not looked at (GO files are empty).
 * Completeness: a GO/TD is handled only when the sizes and mtimes of it and of every FI/FS of its set
 * were the same in two polls in a row (so at least one poll interval after the last change).
 * State: used names and counters are kept in `stateFile` (default next to the sandbox root, so it
 * lives as long as the sandbox: a restart of the simulator remembers, a new sandbox starts afresh).
 * Pending NOTIs are dropped by stop().
 *
 * ACRF and NOTIFICATION follow their official XSDs (ACRF_20231.xsd, NOTIFICATION_20223.xsd; every
 * answer is validated against them in test/integration/simulator.test.ts). The NOTIFICATION:
 * ```
 * <?xml version="1.0" encoding="UTF-8"?>
 * <NOTIFICATION xsi:noNamespaceSchemaLocation="NOTIFICATION_20223.xsd"><Form>
 *   <Identification>NOTI001</Identification>
 *   <FormCreationDate>YYYY-MM-DD</FormCreationDate><FormCreationHour>HH:MM:SS.sss</FormCreationHour>
 *   <AttestationStatus>0</AttestationStatus><TypeForm>FA</TypeForm>
 *   <FileReference><FileName>GO name</FileName><ReferenceOrigin>2</ReferenceOrigin>
 *     <ReferenceNbr>ticket of the ACRF</ReferenceNbr></FileReference>
 *   <HandledOriginalForm><Identification>DMFA (the APP of the set)</Identification></HandledOriginalForm>
 *   <HandledReference><ReferenceType>1</ReferenceType><ReferenceOrigin>2</ReferenceOrigin><ReferenceNbr>ticket</ReferenceNbr></HandledReference>
 *   <HandlingResult><ResultCode>1</ResultCode></HandlingResult>
 * </Form></NOTIFICATION>
 * ```
 * Anomalies: the built-in content rule (`contentAnomalies`: a NOSS number outside the glossary's domain
 * is 00011-008, class B) and any of the `contentAnomalies` option add AnomalyReports; a class B makes
 * ResultCode 0 with Diagnosis 3, other classes ResultCode 1 with Diagnosis 7 (our choice).
 *
 * Tickets (ReferenceNbr): 13 characters 0-9A-Z, `<5 digits: days since 2000-01-01><4 base-36 counter>
 * <4 random>`. Answer sequences: a base-36 counter, 5 characters, never 00000, unique for the life of
 * the state file and never colliding with a name already in the OUT folder.
 * Answer FS: `openssl cms -sign -binary -outform DER` by a self-signed "sandbox social security"
 * certificate made at start (plain PKCS#7, not CAdES-T), base64 on a single line.
 */
import { execFile } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import {
	constants as fsConstants,
	existsSync,
	mkdirSync,
	readFileSync,
	readdirSync,
	renameSync,
	rmSync,
	statSync,
	writeFileSync,
	chownSync,
} from 'node:fs';
import { mkdtemp, open, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { brusselsClock, brusselsToday } from '../nodes/domain/names/brusselsTime';
import { ENVIRONMENTS, Environment } from '../nodes/domain/names/environments';
import { ParsedSubmissionFileName, parseSubmissionFileName } from '../nodes/domain/names/fileNames';
import type { SshdSandbox } from './sshdSandbox';

const execFileAsync = promisify(execFile);

/** The sender number of the social security side in answer names. */
export const SOCIAL_SECURITY_SENDER = '999999';
/** The account's sender number when none is given. */
export const DEFAULT_SANDBOX_SENDER = '000123';

/** What the server expects of FS files in an environment. 'omit': none; an FS present → ACRF-121. */
export type SimulatorSignaturePolicy = 'required' | 'optional' | 'omit';
export type AnswerType = 'ACRF' | 'NOTI';
type UploadFolder = 'IN' | 'INTEST' | 'INTEST-S';

export interface SimulatorOptions {
	sandbox: SshdSandbox;
	/** PEM of the certificate registered on the channel: only it may sign (ACRF-153). */
	registeredCertificatePem: string;
	/** The 6-digit sender number of the account (ACRF-108). Default 000123. */
	sender?: string;
	/** How often the upload folders are read. Default 200 ms. */
	pollIntervalMs?: number;
	/** Delay between the ACRF of an accepted set and its NOTI. Default 500 ms; negative: no NOTI. */
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
	 * get anomalies of every class). The built-in rule is below (contentAnomalies).
	 */
	contentAnomalies?: (fi: Buffer) => SimulatedAnomaly[];
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
	/** `FO.ACRF.999999.<date>.<seq>.<env>` */
	foName: string;
	fsName: string;
	goName: string;
	/**
	 * The name the answer is about (FileName in the XML): the GO, the misnamed FI/FS of a set refused
	 * for a file's name, or the TD of a cancellation.
	 */
	fileName: string;
	ticket: string;
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

interface FileState {
	size: number;
	mtimeMs: number;
}

interface StoredState {
	version: 1;
	usedNames: string[];
	answerCounter: number;
	ticketCounter: number;
}

const UPLOAD_FOLDERS: readonly UploadFolder[] = ['IN', 'INTEST', 'INTEST-S'];
const ENV_OF_UPLOAD_FOLDER: Record<UploadFolder, Environment> = {
	IN: 'R',
	INTEST: 'T',
	'INTEST-S': 'S',
};

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
	const sandbox = options.sandbox;
	const sender = options.sender ?? DEFAULT_SANDBOX_SENDER;
	if (!/^\d{6}$/.test(sender))
		throw new Error(`The simulator's sender must be 6 digits, got "${sender}"`);
	const pollIntervalMs = options.pollIntervalMs ?? 200;
	const notiDelayMs = options.notiDelayMs ?? 500;
	const signatureInTest = options.signatureInTest ?? 'optional';
	const signatureInDmfaTest = options.signatureInDmfaTest ?? 'optional';
	const knownApplicationsOnly = options.knownApplicationsOnly ?? true;
	const maxFileBytes = options.maxFileBytes ?? 100 * 1024 * 1024;
	const now = options.now ?? (() => new Date());
	const registered = firstCertificate(options.registeredCertificatePem);

	const base = dirname(sandbox.root);
	const stateFile = options.stateFile ?? join(base, 'simulator-state.json');
	const workRoot = join(base, 'simulator-work');
	mkdirSync(workRoot, { recursive: true, mode: 0o700 });
	const registeredFile = join(workRoot, 'registered.pem');
	writeFileSync(registeredFile, registered.toString(), { mode: 0o600 });

	const identity = options.socialSecurityIdentity ?? (await makeSocialSecurityIdentity(workRoot));
	const ssCertFile = join(workRoot, 'social-security.pem');
	const ssKeyFile = join(workRoot, 'social-security.key');
	writeFileSync(ssCertFile, identity.certificatePem, { mode: 0o600 });
	writeFileSync(ssKeyFile, identity.privateKeyPem, { mode: 0o600 });

	const state = loadState(stateFile);
	const used = new Set(state.usedNames);
	const messages: string[] = [];
	const processed: ProcessedRecord[] = [];
	const answers: AnswerRecord[] = [];
	const waiters: Array<{ fileName: string; type: AnswerType; resolve: (a: AnswerRecord) => void }> =
		[];
	const loggedOnce = new Set<string>();
	const previousFingerprints = new Map<string, string>();
	const notiTimers = new Set<NodeJS.Timeout>();
	const inFlight = new Set<Promise<unknown>>();
	let stopped = false;
	let timer: NodeJS.Timeout | undefined;
	let currentCycle: Promise<void> | undefined;

	const log = (line: string) => {
		const stamped = `[simulator] ${line}`;
		messages.push(stamped);
		if (messages.length > 5000) messages.splice(0, messages.length - 5000);
		options.logger?.(stamped);
	};
	const logOnce = (key: string, line: string) => {
		if (loggedOnce.has(key)) return;
		loggedOnce.add(key);
		log(line);
	};
	const track = <T>(promise: Promise<T>): Promise<T> => {
		inFlight.add(promise);
		void promise.finally(() => inFlight.delete(promise)).catch(() => undefined);
		return promise;
	};
	const saveState = () => {
		const data: StoredState = {
			version: 1,
			usedNames: [...used],
			answerCounter: state.answerCounter,
			ticketCounter: state.ticketCounter,
		};
		const tmp = `${stateFile}.${process.pid}.tmp`;
		writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
		renameSync(tmp, stateFile);
	};

	// ---- answers ------------------------------------------------------------------------------------

	const nextTicket = (): string => {
		state.ticketCounter += 1;
		const days = Math.floor((now().getTime() - Date.UTC(2000, 0, 1)) / 86_400_000);
		const counter = (state.ticketCounter % 36 ** 4).toString(36).toUpperCase().padStart(4, '0');
		const random = randomBase36(4);
		return `${String(days % 100_000).padStart(5, '0')}${counter}${random}`;
	};

	const nextAnswerSequence = (folder: string, date: string, env: Environment): string => {
		for (;;) {
			state.answerCounter = (state.answerCounter % (36 ** 5 - 1)) + 1;
			const seq = state.answerCounter.toString(36).toUpperCase().padStart(5, '0');
			const id = `${SOCIAL_SECURITY_SENDER}.${date}.${seq}.${env}`;
			const taken = ['FO', 'CO', 'FS', 'GO'].some((k) =>
				['ACRF', 'NOTI'].some((t) => existsSync(sandbox.pathOf(folder, `${k}.${t}.${id}`))),
			);
			if (!taken) return seq;
		}
	};

	const writeAnswer = async (
		type: AnswerType,
		folder: string,
		environment: Environment,
		xml: string,
		fileName: string,
		ticket: string,
		resultCode: 0 | 1,
		errors: string[],
	): Promise<AnswerRecord> => {
		const date = brusselsToday(now());
		const seq = nextAnswerSequence(folder, date, environment);
		const id = `${type}.${SOCIAL_SECURITY_SENDER}.${date}.${seq}.${environment}`;
		const record: AnswerRecord = {
			type,
			folder,
			environment,
			foName: `FO.${id}`,
			fsName: `FS.${id}`,
			goName: `GO.${id}`,
			fileName,
			ticket,
			resultCode,
			errors,
			xml,
			writtenAt: now(),
		};
		const work = await mkdtemp(join(workRoot, 'answer-'));
		try {
			const fo = Buffer.from(xml, 'utf8');
			const foFile = join(work, 'fo');
			const derFile = join(work, 'fs.der');
			await writeFile(foFile, fo);
			await execFileAsync('openssl', [
				'cms',
				'-sign',
				'-binary',
				'-in',
				foFile,
				'-signer',
				ssCertFile,
				'-inkey',
				ssKeyFile,
				'-md',
				'sha256',
				'-outform',
				'DER',
				'-out',
				derFile,
			]);
			const fsText = readFileSync(derFile).toString('base64');
			const owner = statSync(sandbox.pathOf(folder));
			const place = (name: string, content: Buffer | string) => {
				const tmp = join(work, `${name}.tmp`);
				writeFileSync(tmp, content, { mode: 0o644 });
				chownSync(tmp, owner.uid, owner.gid);
				renameSync(tmp, sandbox.pathOf(folder, name));
			};
			place(record.foName, fo);
			place(record.fsName, fsText);
			place(record.goName, '');
		} finally {
			await rm(work, { recursive: true, force: true });
		}
		log(
			`${folder}/${record.foName}: ${type} ${resultCode === 1 ? 'positive' : 'negative'} for ${fileName}${errors.length ? ` (${errors.join(', ')})` : ''}`,
		);
		return record;
	};

	/** Makes an answer visible to `answers` and `waitForAnswer` (after its `processed` record, if any). */
	const publish = (record: AnswerRecord) => {
		answers.push(record);
		for (const waiter of [...waiters]) {
			if (waiter.fileName === record.fileName && waiter.type === record.type) {
				waiters.splice(waiters.indexOf(waiter), 1);
				waiter.resolve(record);
			}
		}
	};

	const scheduleNoti = (
		folder: string,
		environment: Environment,
		goName: string,
		application: string,
		ticket: string,
		anomalies: SimulatedAnomaly[] = [],
	) => {
		if (notiDelayMs < 0) return;
		const t = setTimeout(() => {
			notiTimers.delete(t);
			if (stopped) return;
			const xml = buildNotiXml({ fileName: goName, ticket, application, now: now(), anomalies });
			const blocking = anomalies.some((a) => a.anomalyClass === 'B');
			track(
				writeAnswer(
					'NOTI',
					folder,
					environment,
					xml,
					goName,
					ticket,
					blocking ? 0 : 1,
					anomalies.map((a) => a.errorId),
				).then(publish),
			).catch((error: unknown) =>
				log(`could not write the NOTI of ${goName}: ${messageOf(error)}`),
			);
		}, notiDelayMs);
		notiTimers.add(t);
	};

	// ---- reading the upload folders -------------------------------------------------------------------

	const listFolder = async (folder: UploadFolder): Promise<Map<string, FileState>> => {
		const result = new Map<string, FileState>();
		const dir = sandbox.pathOf(folder);
		const entries = await readdir(dir, { withFileTypes: true });
		for (const entry of entries) {
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
	};

	/** Reads a file that the SFTP user wrote, never following a link it may have put there. */
	const readInput = async (folder: string, name: string): Promise<Buffer> => {
		const handle = await open(
			sandbox.pathOf(folder, name),
			fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW,
		);
		try {
			const s = await handle.stat();
			if (!s.isFile()) throw new Error('not a regular file');
			if (s.size > maxFileBytes) throw new TooLargeError();
			return await handle.readFile();
		} finally {
			await handle.close();
		}
	};

	const removeInputs = async (folder: string, names: string[]): Promise<string[]> => {
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
	};

	// ---- the checks -----------------------------------------------------------------------------------

	const schemaDir = options.declarationSchemaDir;
	/** The newest XSD of the folder for a root element: `DmfAOriginal` → `DmfAOriginal_20223.xsd`. */
	const schemaFor = (root: string): string | undefined => {
		if (!schemaDir || !/^[A-Za-z][\w]*$/.test(root)) return undefined;
		const candidates = readdirSync(schemaDir)
			.filter((n) => new RegExp(`^${root}_\\d+\\.xsd$`).test(n))
			.sort();
		return candidates.length > 0 ? join(schemaDir, candidates[candidates.length - 1]) : undefined;
	};

	const checkDeclarationSchema = async (fi: Buffer): Promise<string | undefined> => {
		if (!schemaDir) return undefined;
		const head = fi
			.subarray(0, 4096)
			.toString('utf8')
			.replace(/<\?[\s\S]*?\?>/g, '')
			.replace(/<!--[\s\S]*?-->/g, '');
		const root = /^\s*<([A-Za-z_][\w.-]*)[\s>/]/.exec(head)?.[1];
		if (root === undefined) return 'ACRF-102';
		const xsd = schemaFor(root.replace(/^.*:/, ''));
		const work = await mkdtemp(join(workRoot, 'schema-'));
		try {
			const fiFile = join(work, 'fi.xml');
			await writeFile(fiFile, fi);
			try {
				await execFileAsync(
					'xmllint',
					['--noout', '--nonet', ...(xsd ? ['--schema', xsd] : []), fiFile],
					{ maxBuffer: 16 * 1024 * 1024 },
				);
			} catch (error) {
				const stderr = String((error as { stderr?: unknown }).stderr ?? '');
				if ((error as { code?: unknown }).code === 'ENOENT') {
					logOnce(
						'xmllint',
						'xmllint is not installed: declarations are not checked against their XSD',
					);
					return undefined;
				}
				// xmllint exits 1..4 for a document that is not well-formed, 3/4 for one that breaks its XSD.
				if (!xsd || / parser error /.test(stderr)) return 'ACRF-102';
				log(`FI breaks ${basename(xsd)}: ${printable(stderr.split('\n')[0] ?? '', 300)}`);
				return 'ACRF-312';
			}
			return xsd ? undefined : 'ACRF-088';
		} finally {
			await rm(work, { recursive: true, force: true });
		}
	};

	const verifySignature = async (fi: Buffer, fsContent: Buffer): Promise<string | undefined> => {
		const der = decodeSignatureText(fsContent);
		if (!der) return 'ACRF-125';
		const work = await mkdtemp(join(workRoot, 'verify-'));
		try {
			const fiFile = join(work, 'fi');
			const derFile = join(work, 'fs.der');
			const signerFile = join(work, 'signer.pem');
			await writeFile(fiFile, fi);
			await writeFile(derFile, der);
			try {
				await execFileAsync('openssl', [
					'cms',
					'-verify',
					'-binary',
					'-inform',
					'DER',
					'-in',
					derFile,
					'-content',
					fiFile,
					'-noverify',
					'-certfile',
					registeredFile,
					'-signer',
					signerFile,
					'-out',
					'/dev/null',
				]);
			} catch (error) {
				const stderr = String((error as { stderr?: unknown }).stderr ?? '');
				return /signer certificate not found/i.test(stderr) ? 'ACRF-153' : 'ACRF-125';
			}
			const signers = pemCertificates(readFileSync(signerFile, 'utf8'));
			if (
				signers.length === 0 ||
				signers.some((pem) => !new X509Certificate(pem).raw.equals(registered.raw))
			)
				return 'ACRF-153';
			return undefined;
		} finally {
			await rm(work, { recursive: true, force: true });
		}
	};

	const policyOf = (env: Environment): SimulatorSignaturePolicy =>
		env === 'R' ? 'required' : env === 'T' ? signatureInTest : signatureInDmfaTest;

	/** The ACRF codes of a set, and the file it names when it is refused for one of its files' names. */
	const judgeSet = async (
		folder: UploadFolder,
		goName: string,
		related: string[],
	): Promise<{ errors: string[]; misnamed?: string; anomalies?: SimulatedAnomaly[] }> => {
		const parsed = parseSubmissionFileName(goName, {
			expectedSender: sender,
			today: brusselsToday(now()),
			maxAgeDays: options.maxAgeDays,
			knownApplicationsOnly,
		});
		if (!parsed.valid)
			return { errors: unique(parsed.violations.map((v) => v.acrf ?? 'ACRF-107')) };
		const set: ParsedSubmissionFileName = parsed.value;
		const key = goName.slice(3);
		const expectedFi = Array.from({ length: set.parts }, (_, i) => `FI.${key}.${i + 1}`);
		const expectedFs = Array.from({ length: set.parts }, (_, i) => `FS.${key}.${i + 1}`);
		if (used.has(goName) || related.some((n) => used.has(n))) return { errors: ['ACRF-133'] };
		const folderError = wrongFolderCode(set.environment, folder);
		if (folderError) return { errors: [folderError] };

		const errors: string[] = [];
		const anomalies: SimulatedAnomaly[] = [];
		const present = new Set(related);
		const setBase = goName.split('.').slice(1, 6).join('.') + '.';
		let misnamed: string | undefined;
		for (const name of related) {
			if (expectedFi.includes(name) || expectedFs.includes(name)) continue;
			misnamed ??= name; // sorted: an FI before an FS
			const rest = name.slice(3 + setBase.length);
			const numbering = /^\d\.\d$/.test(rest);
			if (name.startsWith('FI.')) errors.push(numbering ? 'ACRF-123' : 'ACRF-131');
			else errors.push(numbering ? 'ACRF-124' : 'ACRF-132');
		}
		if (expectedFi.some((n) => !present.has(n))) errors.push('ACRF-120');
		const policy = policyOf(set.environment);
		const fsPresent = expectedFs.filter((n) => present.has(n));
		if (policy === 'omit' && fsPresent.length > 0) errors.push('ACRF-121');
		else if (fsPresent.length < set.parts && (policy === 'required' || fsPresent.length > 0))
			errors.push('ACRF-122');

		for (let part = 1; part <= set.parts; part++) {
			const fiName = expectedFi[part - 1];
			const fsName = expectedFs[part - 1];
			if (!present.has(fiName)) continue;
			let fi: Buffer;
			try {
				fi = await readInput(folder, fiName);
			} catch (error) {
				errors.push(error instanceof TooLargeError ? 'ACRF-184' : 'ACRF-120');
				continue;
			}
			if (fi.length === 0) {
				errors.push('ACRF-134');
				continue;
			}
			const schemaError = await checkDeclarationSchema(fi);
			if (schemaError) errors.push(schemaError);
			anomalies.push(...contentAnomalies(fi), ...(options.contentAnomalies?.(fi) ?? []));
			if (policy === 'omit' || !present.has(fsName)) continue;
			let fsContent: Buffer;
			try {
				fsContent = await readInput(folder, fsName);
			} catch (error) {
				errors.push(error instanceof TooLargeError ? 'ACRF-184' : 'ACRF-122');
				continue;
			}
			const signatureError = await verifySignature(fi, fsContent);
			if (signatureError) errors.push(signatureError);
		}
		return { errors: unique(errors), misnamed, anomalies };
	};

	// ---- GO and TD ------------------------------------------------------------------------------------

	const relatedNames = (trigger: string, files: Map<string, FileState>): string[] => {
		const fields = trigger.split('.');
		if (fields.length !== 7) return [];
		const setBase = fields.slice(1, 6).join('.') + '.';
		return [...files.keys()]
			.filter((n) => /^(FI|FS)\./.test(n) && n.slice(3).startsWith(setBase))
			.sort();
	};

	const handleGo = async (folder: UploadFolder, goName: string, files: Map<string, FileState>) => {
		const related = relatedNames(goName, files);
		const { errors, misnamed, anomalies = [] } = await judgeSet(folder, goName, related);
		const accepted = errors.length === 0;
		// The real server names the offending file, not the GO, when it refuses a set for a file's name.
		const fileName = misnamed ?? goName;
		const td = `TD.${goName.slice(3)}`;
		const toRemove = [goName, ...related, ...(files.has(td) ? [td] : [])];
		const parsed = parseSubmissionFileName(goName);
		if (goName.split('.').length === 7) {
			used.add(goName);
			for (const n of related) used.add(n);
			if (parsed.valid) {
				for (let p = 1; p <= parsed.value.parts; p++) {
					used.add(`FI.${goName.slice(3)}.${p}`);
					used.add(`FS.${goName.slice(3)}.${p}`);
				}
			}
		}
		const removed = await removeInputs(folder, toRemove);
		saveState();
		const env = ENV_OF_UPLOAD_FOLDER[folder];
		const outFolder = ENVIRONMENTS[env].responseFolder;
		const ticket = nextTicket();
		const xml = buildAcrfXml({
			fileName,
			ticket,
			resultCode: accepted ? 1 : 0,
			errors,
			now: now(),
		});
		const acrf = await writeAnswer(
			'ACRF',
			outFolder,
			env,
			xml,
			fileName,
			ticket,
			accepted ? 1 : 0,
			errors,
		);
		processed.push({
			trigger: 'GO',
			name: goName,
			folder,
			accepted,
			cancelled: false,
			errors,
			ticket,
			removed,
			acrf,
			processedAt: now(),
		});
		publish(acrf);
		if (accepted && parsed.valid)
			scheduleNoti(outFolder, env, goName, parsed.value.application, ticket, anomalies);
	};

	const handleTd = async (folder: UploadFolder, tdName: string, files: Map<string, FileState>) => {
		const parsed = parseSubmissionFileName(tdName, { today: brusselsToday(now()), maxAgeDays: -1 });
		if (!parsed.valid) {
			logOnce(
				`${folder}/${tdName}:td`,
				`${folder}/${printable(tdName)}: TD name breaks a rule (${parsed.violations.map((v) => v.message).join('; ')}), left alone`,
			);
			return;
		}
		const goName = `GO.${tdName.slice(3)}`;
		if (used.has(goName)) {
			await removeInputs(folder, [tdName]);
			log(`${folder}/${tdName}: the set was already processed; TD removed`);
			return;
		}
		const related = relatedNames(tdName, files);
		const toRemove = [tdName, ...related, ...(files.has(goName) ? [goName] : [])];
		used.add(goName);
		used.add(tdName);
		for (const n of related) used.add(n);
		for (let p = 1; p <= parsed.value.parts; p++) {
			used.add(`FI.${tdName.slice(3)}.${p}`);
			used.add(`FS.${tdName.slice(3)}.${p}`);
		}
		const removed = await removeInputs(folder, toRemove);
		saveState();
		const env = ENV_OF_UPLOAD_FOLDER[folder];
		const outFolder = ENVIRONMENTS[env].responseFolder;
		const ticket = nextTicket();
		const xml = buildAcrfXml({ fileName: tdName, ticket, resultCode: 0, errors: [], now: now() });
		const acrf = await writeAnswer('ACRF', outFolder, env, xml, tdName, ticket, 0, []);
		processed.push({
			trigger: 'TD',
			name: tdName,
			folder,
			accepted: false,
			cancelled: true,
			errors: [],
			ticket,
			removed,
			acrf,
			processedAt: now(),
		});
		publish(acrf);
	};

	/** A GO/TD is handled once it and every file of its set looked the same in two polls in a row. */
	const isStable = (
		folder: string,
		trigger: string,
		files: Map<string, FileState>,
		seen: Set<string>,
	): boolean => {
		const names = [trigger, ...relatedNames(trigger, files)];
		if (trigger.startsWith('GO.') && files.has(`TD.${trigger.slice(3)}`))
			names.push(`TD.${trigger.slice(3)}`);
		const fingerprint = names
			.map((n) => `${n}:${files.get(n)?.size}:${files.get(n)?.mtimeMs}`)
			.join('|');
		const key = `${folder}/${trigger}`;
		seen.add(key);
		const before = previousFingerprints.get(key);
		previousFingerprints.set(key, fingerprint);
		return before === fingerprint;
	};

	const cycle = async () => {
		const seen = new Set<string>();
		for (const folder of UPLOAD_FOLDERS) {
			if (stopped) return;
			let files: Map<string, FileState>;
			try {
				files = await listFolder(folder);
			} catch (error) {
				logOnce(`list:${folder}:${messageOf(error)}`, `cannot read ${folder}: ${messageOf(error)}`);
				continue;
			}
			// TD first: a TD next to its GO cancels the set.
			const triggers = [...files.keys()].filter((n) => n.startsWith('TD.')).sort();
			triggers.push(...[...files.keys()].filter((n) => n.startsWith('GO.')).sort());
			for (const trigger of triggers) {
				if (stopped) return;
				if (!files.has(trigger)) continue; // removed with a set handled just before
				if (!isStable(folder, trigger, files, seen)) continue;
				try {
					if (trigger.startsWith('TD.')) await handleTd(folder, trigger, files);
					else await handleGo(folder, trigger, files);
				} catch (error) {
					logOnce(
						`fail:${folder}/${trigger}`,
						`${folder}/${printable(trigger)}: could not be handled: ${messageOf(error)}`,
					);
					continue;
				}
				previousFingerprints.delete(`${folder}/${trigger}`);
				// The set's files are gone: re-list before the next trigger.
				try {
					files = await listFolder(folder);
				} catch {
					break;
				}
			}
		}
		for (const key of [...previousFingerprints.keys()])
			if (!seen.has(key)) previousFingerprints.delete(key);
	};

	const runCycle = (): Promise<void> => {
		if (currentCycle) return currentCycle;
		currentCycle = cycle()
			.catch((error: unknown) => log(`poll failed: ${messageOf(error)}`))
			.finally(() => {
				currentCycle = undefined;
			});
		return currentCycle;
	};

	const schedule = () => {
		if (stopped) return;
		timer = setTimeout(() => {
			timer = undefined;
			void runCycle().then(schedule);
		}, pollIntervalMs);
	};
	saveState();
	schedule();
	log(`watching ${UPLOAD_FOLDERS.join(', ')} for sender ${sender} every ${pollIntervalMs} ms`);

	return {
		processed,
		answers,
		messages,
		sender,
		stateFile,
		sandboxSocialSecurityCertificatePem: identity.certificatePem,
		pollNow: () => (stopped ? Promise.resolve() : runCycle()),
		waitForAnswer: (fileName, type, timeoutMs = 10_000) => {
			const found = answers.find((a) => a.fileName === fileName && a.type === type);
			if (found) return Promise.resolve(found);
			return new Promise<AnswerRecord>((resolve, reject) => {
				const waiter = {
					fileName,
					type,
					resolve: (a: AnswerRecord) => {
						clearTimeout(t);
						resolve(a);
					},
				};
				const t = setTimeout(() => {
					const index = waiters.indexOf(waiter);
					if (index >= 0) waiters.splice(index, 1);
					reject(
						new Error(
							`No ${type} about ${fileName} within ${timeoutMs} ms. Answers so far: ${
								answers.map((a) => `${a.type}:${a.fileName}`).join(', ') || 'none'
							}. Log: ${messages.slice(-10).join(' | ')}`,
						),
					);
				}, timeoutMs);
				waiters.push(waiter);
			});
		},
		stop: async () => {
			if (stopped) return;
			stopped = true;
			if (timer) clearTimeout(timer);
			for (const t of notiTimers) clearTimeout(t);
			notiTimers.clear();
			await currentCycle;
			await Promise.allSettled([...inFlight]);
			try {
				saveState();
			} catch {
				// The sandbox may already be gone.
			}
			rmSync(workRoot, { recursive: true, force: true });
			log('stopped');
		},
	};
}

// ---- the XML ---------------------------------------------------------------------------------------

/** The lines every answer form starts with: identification, creation moment, and the file it answers. */
function formHeader(
	identification: string,
	input: { fileName: string; ticket: string; now: Date },
): string[] {
	const { date, time } = formDateTime(input.now);
	return [
		'  <Form>',
		`    <Identification>${identification}</Identification>`,
		`    <FormCreationDate>${date}</FormCreationDate>`,
		`    <FormCreationHour>${time}</FormCreationHour>`,
		'    <AttestationStatus>0</AttestationStatus>',
		'    <TypeForm>FA</TypeForm>',
		'    <FileReference>',
		`      <FileName>${xmlText(input.fileName)}</FileName>`,
		'      <ReferenceOrigin>2</ReferenceOrigin>',
		`      <ReferenceNbr>${xmlText(input.ticket)}</ReferenceNbr>`,
		'    </FileReference>',
	];
}

export function buildAcrfXml(input: {
	fileName: string;
	ticket: string;
	resultCode: 0 | 1;
	errors: string[];
	now: Date;
}): string {
	return [
		'<?xml version="1.0" encoding="UTF-8"?>',
		'<ACRF xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="ACRF_20231.xsd">',
		...formHeader('ACRF001', input),
		'    <ReceptionResult>',
		`      <ResultCode>${input.resultCode}</ResultCode>`,
		...input.errors.map((e) => `      <ErrorID>${xmlText(e)}</ErrorID>`),
		'    </ReceptionResult>',
		'  </Form>',
		'</ACRF>',
		'',
	].join('\n');
}

/**
 * The built-in content rule of the NOTIFICATION (ours; the real rules are the social security's):
 * a NOSSRegistrationNbr outside the domain the glossary gives zone 00011 ([100006; 199999934], or 0
 * when the company number is known) is anomaly 00011-008 ("not in the allowed domain"), class B.
 * The XSD allows 0..199999934, so such a declaration passes the schema check and is refused later.
 */
export function contentAnomalies(fi: Buffer): SimulatedAnomaly[] {
	const text = fi.toString('utf8');
	const found: SimulatedAnomaly[] = [];
	for (const match of text.matchAll(
		/<NOSSRegistrationNbr>\s*(\d{1,12})\s*<\/NOSSRegistrationNbr>/g,
	)) {
		const value = Number(match[1]);
		if (value === 0 || (value >= 100006 && value <= 199999934)) continue;
		found.push({
			errorId: '00011-008',
			anomalyClass: 'B',
			tagName: 'NOSSRegistrationNbr',
			value: match[1],
			lineNbr: text.slice(0, match.index).split('\n').length,
		});
	}
	return found;
}

export function buildNotiXml(input: {
	fileName: string;
	ticket: string;
	application: string;
	now: Date;
	anomalies?: SimulatedAnomaly[];
}): string {
	const anomalies = input.anomalies ?? [];
	// Any class B refuses the declaration (ResultCode 0, Diagnosis 3 "refused: blocking anomalies");
	// other anomalies leave it accepted with Diagnosis 7 "anomalies present" (zone 00232; our choice).
	const blocking = anomalies.some((a) => a.anomalyClass === 'B');
	const diagnosis =
		anomalies.length === 0 ? [] : [`      <Diagnosis>${blocking ? 3 : 7}</Diagnosis>`];
	return [
		'<?xml version="1.0" encoding="UTF-8"?>',
		'<NOTIFICATION xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="NOTIFICATION_20223.xsd">',
		...formHeader('NOTI001', input),
		'    <HandledOriginalForm>',
		`      <Identification>${xmlText(input.application)}</Identification>`,
		'    </HandledOriginalForm>',
		// HandledReference is required by the XSD: the reference the social security gives the
		// declaration (origin 2); the simulator gives it the set's ticket, as peers see.
		'    <HandledReference>',
		'      <ReferenceType>1</ReferenceType>',
		'      <ReferenceOrigin>2</ReferenceOrigin>',
		`      <ReferenceNbr>${xmlText(input.ticket)}</ReferenceNbr>`,
		'    </HandledReference>',
		'    <HandlingResult>',
		`      <ResultCode>${blocking ? 0 : 1}</ResultCode>`,
		...diagnosis,
		...anomalies.flatMap((a) => [
			'      <AnomalyReport>',
			`        <ErrorID>${xmlText(a.errorId)}</ErrorID>`,
			...(a.tagName ? [`        <TagName>${xmlText(a.tagName)}</TagName>`] : []),
			...(a.value !== undefined ? [`        <Value>${xmlText(a.value)}</Value>`] : []),
			`        <AnomalyClass>${xmlText(a.anomalyClass)}</AnomalyClass>`,
			...(a.lineNbr
				? [
						'        <AnomalyLocation>',
						`          <LineNbr>${a.lineNbr}</LineNbr>`,
						'        </AnomalyLocation>',
					]
				: []),
			'      </AnomalyReport>',
		]),
		'    </HandlingResult>',
		'  </Form>',
		'</NOTIFICATION>',
		'',
	].join('\n');
}

function formDateTime(now: Date): { date: string; time: string } {
	const c = brusselsClock(now);
	const two = (n: number) => String(n).padStart(2, '0');
	return {
		date: `${c.date.slice(0, 4)}-${c.date.slice(4, 6)}-${c.date.slice(6, 8)}`,
		time: `${two(c.hour)}:${two(c.minute)}:${two(c.second)}.${String(c.millisecond).padStart(3, '0')}`,
	};
}

function xmlText(value: string): string {
	return printable(value, 1000).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ---- helpers -----------------------------------------------------------------------------------------

/** Our mapping of the server's three wrong-folder codes (see DECISIONS at the top). */
export function wrongFolderCode(environment: Environment, folder: string): string | undefined {
	if (ENVIRONMENTS[environment].uploadFolder === folder) return undefined;
	if (folder === 'IN') return 'ACRF-118';
	if (environment === 'R') return 'ACRF-119';
	return 'ACRF-257';
}

/**
 * The DER inside an FS: base64 on one line or on lines separated by CR, LF or CRLF; undefined when the
 * text is anything else (armour lines, spaces, bad padding).
 */
export function decodeSignatureText(content: Buffer): Buffer | undefined {
	const text = content.toString('latin1').replace(/(?:\r\n|\r|\n)+$/, '');
	if (text.length === 0) return undefined;
	const lines = text.split(/\r\n|\r|\n/);
	if (lines.some((line) => !/^[A-Za-z0-9+/]+={0,2}$/.test(line))) return undefined;
	const joined = lines.join('');
	if (joined.length % 4 !== 0 || /=[^=]/.test(joined)) return undefined;
	return Buffer.from(joined, 'base64');
}

class TooLargeError extends Error {}

function firstCertificate(pem: string): X509Certificate {
	const first = pemCertificates(pem)[0];
	if (!first) throw new Error('registeredCertificatePem holds no PEM certificate');
	return new X509Certificate(first);
}

function pemCertificates(text: string): string[] {
	return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

async function makeSocialSecurityIdentity(
	workRoot: string,
): Promise<{ certificatePem: string; privateKeyPem: string }> {
	const dir = await mkdtemp(join(workRoot, 'identity-'));
	try {
		await execFileAsync('openssl', [
			'req',
			'-x509',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-sha256',
			'-days',
			'365',
			'-subj',
			'/C=BE/O=Sandbox social security (simulated)/CN=Sandbox RSZ-ONSS answers',
			'-addext',
			'keyUsage=critical,digitalSignature,nonRepudiation',
			'-keyout',
			join(dir, 'key.pem'),
			'-out',
			join(dir, 'cert.pem'),
		]);
		return {
			certificatePem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
			privateKeyPem: readFileSync(join(dir, 'key.pem'), 'utf8'),
		};
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}

function loadState(file: string): StoredState {
	const empty: StoredState = { version: 1, usedNames: [], answerCounter: 0, ticketCounter: 0 };
	if (!existsSync(file)) return empty;
	try {
		const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredState>;
		return {
			version: 1,
			usedNames: Array.isArray(data.usedNames)
				? data.usedNames.filter((n): n is string => typeof n === 'string')
				: [],
			answerCounter: Number.isInteger(data.answerCounter) ? Number(data.answerCounter) : 0,
			ticketCounter: Number.isInteger(data.ticketCounter) ? Number(data.ticketCounter) : 0,
		};
	} catch {
		return empty;
	}
}

function randomBase36(length: number): string {
	const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
	return [...randomBytes(length)].map((b) => alphabet[b % 36]).join('');
}

function unique(codes: string[]): string[] {
	return [...new Set(codes)];
}

function printable(value: string, max = 120): string {
	const cleaned = value.replace(/\p{Cc}/gu, '?');
	return cleaned.length > max ? `${cleaned.slice(0, max - 3)}...` : cleaned;
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
