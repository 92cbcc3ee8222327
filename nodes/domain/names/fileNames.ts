/**
 * Over 400 lines on purpose: every rule the server applies to a name sits beside the formats it guards.
 * Names of the batch channel (docs/batch-channel.md §3 and §5): parse, validate and format.
 *
 * We send    FI|FS.<APP>.<SENDER>.<YYYYMMDD>.<SEQ>.<ENV>.<PARTS>.<PART>  and  GO|TD.<APP>.<SENDER>.<YYYYMMDD>.<SEQ>.<ENV>.<PARTS>
 * We receive FO|CO|FS|GO.<TYPE>.<SENDER>.<YYYYMMDD>.<SEQ>.<ENV>[.<PARTS>.<PART>]
 *
 * Every rule the server applies to a name is checked here first; a violation names the rule and the
 * ACRF code the server would answer, so a user fixes it before a name is burnt (ACRF-133).
 */
import { findApplicationCode } from './applicationCodes';
import { brusselsToday, daysBetween, isCalendarDate } from './brusselsTime';
import { ENVIRONMENTS, Environment, isEnvironment } from './environments';
import { SocialSecurityError } from '../errors';

export type SubmissionFileKind = 'FI' | 'FS' | 'GO' | 'TD';
export type ResponseFileKind = 'FO' | 'CO' | 'FS' | 'GO';

export interface NameRuleViolation {
	/** Stable rule identifier, e.g. `sequence-zero`. */
	rule: string;
	/** The ACRF error the server would answer, e.g. `ACRF-127`, when one is known. */
	acrf?: string;
	message: string;
}

/** What identifies one declaration set: every FI, FS, GO and TD of the set share it. */
export interface DeclarationSetId {
	application: string;
	sender: string;
	/** YYYYMMDD, the creation date in Brussels. */
	date: string;
	sequence: string;
	environment: Environment;
	parts: number;
}

export interface ParsedSubmissionFileName extends DeclarationSetId {
	kind: SubmissionFileKind;
	/** 1-based part number for FI and FS; absent for GO and TD. */
	part?: number;
	name: string;
}

export interface ParsedResponseFileName {
	kind: ResponseFileKind;
	/** The answer type (ACRF, NOTI, DMNO, …). */
	type: string;
	sender: string;
	date: string;
	sequence: string;
	environment: Environment;
	parts?: number;
	part?: number;
	/** The name without its kind prefix: the FO/CO, FS and GO of one answer share it. */
	answerId: string;
	name: string;
}

export type NameParseResult<T> =
	| { valid: true; value: T; violations: [] }
	| { valid: false; violations: NameRuleViolation[] };

export interface DateRuleOptions {
	/** YYYYMMDD taken as today; default: today in Europe/Brussels. */
	today?: string;
	/**
	 * How many days old a creation date may be. The server refuses names that are "too old" (ACRF-126)
	 * without publishing the limit, so this is a setting. Default 30; 0 or less disables the check.
	 */
	maxAgeDays?: number;
}

export interface SetRuleOptions extends DateRuleOptions {
	/** The sender number of the channel; when given, a different sender in a name is a violation (ACRF-108). */
	expectedSender?: string;
	/** Refuse application codes that are not in the table of sending codes (default: allow custom codes). */
	knownApplicationsOnly?: boolean;
}

export const DEFAULT_MAX_AGE_DAYS = 30;

/** The ACRF code the server gives for a malformed name of each kind. */
const MALFORMED_NAME_ACRF: Record<SubmissionFileKind, string> = {
	GO: 'ACRF-107',
	TD: 'ACRF-107',
	FI: 'ACRF-131',
	FS: 'ACRF-132',
};

function violation(rule: string, acrf: string | undefined, message: string): NameRuleViolation {
	return acrf ? { rule, acrf, message: `${message} (${acrf})` } : { rule, message };
}

export function validateApplication(
	application: string,
	options: SetRuleOptions = {},
): NameRuleViolation[] {
	if (!/^[A-Z]{4}$/.test(application)) {
		return [
			violation(
				'application-format',
				'ACRF-158',
				`application code "${printable(application)}" must be exactly 4 upper-case letters, e.g. DMFA`,
			),
		];
	}
	const known = findApplicationCode(application);
	if (options.knownApplicationsOnly && (!known || known.direction !== 'send')) {
		return [
			violation(
				'application-unknown',
				'ACRF-154',
				`application code ${application} is not a known sending code`,
			),
		];
	}
	return [];
}

export function validateSender(sender: string, expectedSender?: string): NameRuleViolation[] {
	if (!/^\d{6}$/.test(sender)) {
		return [
			violation(
				'sender-format',
				'ACRF-108',
				`sender "${printable(sender)}" must be exactly 6 digits (pad with zeros on the left, e.g. 012345)`,
			),
		];
	}
	if (expectedSender !== undefined && expectedSender !== '' && sender !== expectedSender) {
		return [
			violation(
				'sender-mismatch',
				'ACRF-108',
				`sender ${sender} is not the sender of this channel (${expectedSender})`,
			),
		];
	}
	return [];
}

export function validateCreationDate(
	date: string,
	options: DateRuleOptions = {},
): NameRuleViolation[] {
	if (!/^\d{8}$/.test(date)) {
		return [
			violation('date-length', 'ACRF-109', `date "${printable(date)}" must be 8 digits, YYYYMMDD`),
		];
	}
	if (!isCalendarDate(date)) {
		return [violation('date-invalid', 'ACRF-110', `date ${date} is not a real calendar date`)];
	}
	const today = options.today ?? brusselsToday();
	const age = daysBetween(date, today);
	if (age < 0) {
		return [
			violation(
				'date-future',
				'ACRF-111',
				`date ${date} is in the future (today in Brussels is ${today})`,
			),
		];
	}
	const maxAge = options.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS;
	if (maxAge > 0 && age > maxAge) {
		return [
			violation(
				'date-too-old',
				'ACRF-126',
				`date ${date} is ${age} days old; the server refuses old creation dates`,
			),
		];
	}
	return [];
}

export function validateSequence(sequence: string): NameRuleViolation[] {
	if (sequence.length !== 5) {
		return [
			violation(
				'sequence-length',
				'ACRF-112',
				`sequence "${printable(sequence)}" must be exactly 5 characters`,
			),
		];
	}
	if (!/^[0-9A-Za-z]{5}$/.test(sequence)) {
		return [
			violation(
				'sequence-not-alphanumeric',
				'ACRF-113',
				`sequence "${printable(sequence)}" may only hold 0-9 and A-Z`,
			),
		];
	}
	if (/[a-z]/.test(sequence)) {
		return [
			violation(
				'sequence-lower-case',
				'ACRF-367',
				`sequence "${sequence}" holds lower-case letters; use upper case`,
			),
		];
	}
	if (sequence === '00000') {
		return [violation('sequence-zero', 'ACRF-127', 'sequence 00000 is not allowed')];
	}
	return [];
}

export function validateEnvironment(environment: string): NameRuleViolation[] {
	return isEnvironment(environment)
		? []
		: [
				violation(
					'environment',
					'ACRF-117',
					`environment "${printable(environment)}" must be R (production), T (test) or S (DmfA declaration test)`,
				),
			];
}

export function validatePartCount(parts: string | number): NameRuleViolation[] {
	const text = String(parts);
	if (!/^\d$/.test(text)) {
		return [
			violation(
				'parts-format',
				'ACRF-114',
				`number of parts "${printable(text)}" must be one digit from 1 to 9`,
			),
		];
	}
	if (text === '0')
		return [violation('parts-zero', 'ACRF-115', 'number of parts must be at least 1')];
	return [];
}

export function validatePartNumber(part: string | number, parts: number): NameRuleViolation[] {
	const text = String(part);
	if (!/^\d$/.test(text)) {
		return [
			violation(
				'part-format',
				'ACRF-128',
				`part number "${printable(text)}" must be one digit from 1 to 9`,
			),
		];
	}
	const n = Number(text);
	if (n < 1 || n > parts) {
		return [
			violation(
				'part-out-of-range',
				'ACRF-116',
				`part ${n} does not exist in a set of ${parts} part(s)`,
			),
		];
	}
	return [];
}

/** All violations of a declaration set's identity; empty when every name built from it is valid. */
export function validateDeclarationSet(
	set: DeclarationSetId,
	options: SetRuleOptions = {},
): NameRuleViolation[] {
	return [
		...validateApplication(set.application, options),
		...validateSender(set.sender, options.expectedSender),
		...validateCreationDate(set.date, options),
		...validateSequence(set.sequence),
		...validateEnvironment(set.environment),
		...validatePartCount(set.parts),
	];
}

/** Throws a SocialSecurityError listing every violation; returns the set otherwise. */
export function assertValidDeclarationSet(
	set: DeclarationSetId,
	options: SetRuleOptions = {},
): DeclarationSetId {
	const violations = validateDeclarationSet(set, options);
	if (violations.length > 0) throw namesError(violations);
	return set;
}

export function namesError(violations: NameRuleViolation[]): SocialSecurityError {
	return new SocialSecurityError(
		'NAME_INVALID',
		`The file name breaks ${violations.length === 1 ? 'a rule' : `${violations.length} rules`} of the social security: ${violations
			.map((v) => v.message)
			.join('; ')}`,
		'Correct the values that make up the name (application, sender, date, sequence, environment, parts).',
	);
}

/** The part of every name of the set after the kind prefix: `DMFA.101380.20100920.00001.T.1`. */
export function setKey(set: DeclarationSetId): string {
	return [set.application, set.sender, set.date, set.sequence, set.environment, set.parts].join(
		'.',
	);
}

/** Formats FI/FS (with `part`) or GO/TD (without). Does not validate the date against today: see assertValidDeclarationSet. */
export function formatSubmissionFileName(
	kind: SubmissionFileKind,
	set: DeclarationSetId,
	part?: number,
): string {
	const violations = [
		...validateApplication(set.application),
		...validateSender(set.sender),
		...(isCalendarDate(set.date) ? [] : validateCreationDate(set.date)),
		...validateSequence(set.sequence),
		...validateEnvironment(set.environment),
		...validatePartCount(set.parts),
	];
	const needsPart = kind === 'FI' || kind === 'FS';
	if (needsPart) {
		if (part === undefined)
			violations.push(
				violation('part-missing', MALFORMED_NAME_ACRF[kind], `${kind} names need a part number`),
			);
		else violations.push(...validatePartNumber(part, set.parts));
	}
	if (violations.length > 0) throw namesError(violations);
	return needsPart ? `${kind}.${setKey(set)}.${part}` : `${kind}.${setKey(set)}`;
}

export interface DeclarationSetNames {
	/** FI names of parts 1..N, in order. */
	fi: string[];
	/** FS names of parts 1..N, in order. */
	fs: string[];
	go: string;
	td: string;
	uploadFolder: string;
	responseFolder: string;
}

export function declarationSetNames(set: DeclarationSetId): DeclarationSetNames {
	const partNumbers = Array.from({ length: set.parts }, (_, i) => i + 1);
	return {
		fi: partNumbers.map((p) => formatSubmissionFileName('FI', set, p)),
		fs: partNumbers.map((p) => formatSubmissionFileName('FS', set, p)),
		go: formatSubmissionFileName('GO', set),
		td: formatSubmissionFileName('TD', set),
		uploadFolder: ENVIRONMENTS[set.environment].uploadFolder,
		responseFolder: ENVIRONMENTS[set.environment].responseFolder,
	};
}

/** The FS name that belongs to an FI name (`FI.X…` → `FS.X…`); undefined when the name is not an FI name. */
export function signatureNameForDeclaration(fiName: string): string | undefined {
	return fiName.startsWith('FI.') ? `FS.${fiName.slice(3)}` : undefined;
}

/** Parses a name we send (FI, FS, GO, TD) and checks every rule the server checks on it. */
export function parseSubmissionFileName(
	name: string,
	options: SetRuleOptions = {},
): NameParseResult<ParsedSubmissionFileName> {
	if (typeof name !== 'string') return notText(name);
	const fields = name.split('.');
	const kind = fields[0] as SubmissionFileKind;
	if (!(['FI', 'FS', 'GO', 'TD'] as string[]).includes(kind)) {
		return invalid([
			violation('prefix', 'ACRF-129', `"${printable(name)}" must start with FI., FS., GO. or TD.`),
		]);
	}
	const needsPart = kind === 'FI' || kind === 'FS';
	const expected = needsPart ? 8 : 7;
	if (fields.length !== expected) {
		const form = needsPart
			? `${kind}.<APP>.<SENDER>.<YYYYMMDD>.<SEQ>.<ENV>.<PARTS>.<PART>`
			: `${kind}.<APP>.<SENDER>.<YYYYMMDD>.<SEQ>.<ENV>.<PARTS>`;
		return invalid([
			violation(
				'structure',
				MALFORMED_NAME_ACRF[kind],
				`"${printable(name)}" has ${fields.length} elements; the form is ${form}`,
			),
		]);
	}
	const [, application, sender, date, sequence, environment, partsText, partText] = fields;
	const violations = [
		...validateApplication(application, options),
		...validateSender(sender, options.expectedSender),
		...validateCreationDate(date, options),
		...validateSequence(sequence),
		...validateEnvironment(environment),
		...validatePartCount(partsText),
	];
	const parts = Number(partsText);
	if (needsPart && violations.every((v) => !v.rule.startsWith('parts'))) {
		violations.push(...validatePartNumber(partText, parts));
	}
	if (violations.length > 0) return invalid(violations);
	const value: ParsedSubmissionFileName = {
		kind,
		application,
		sender,
		date,
		sequence,
		environment: environment as Environment,
		parts,
		name,
	};
	if (needsPart) value.part = Number(partText);
	return { valid: true, value, violations: [] };
}

/**
 * Strict pattern of a name that comes from the server. Anything else (paths, control characters,
 * unexpected lengths) is never used, so a hostile server cannot make us write outside our folders.
 */
const RESPONSE_NAME =
	/^(FO|CO|FS|GO)\.([A-Z0-9]{4})\.(\d{6})\.(\d{8})\.([0-9A-Z]{5})\.([RTS])(?:\.(\d)\.(\d))?$/;

/** Parses a name found in OUT/OUTTEST/OUTTEST-S. */
export function parseResponseFileName(name: string): NameParseResult<ParsedResponseFileName> {
	if (typeof name !== 'string') return notText(name);
	const match = RESPONSE_NAME.exec(name);
	if (!match) {
		return invalid([
			violation(
				'response-pattern',
				undefined,
				`"${printable(name)}" is not an answer name of the form FO|CO|FS|GO.<TYPE>.<SENDER>.<YYYYMMDD>.<SEQ>.<ENV>[.<PARTS>.<PART>]`,
			),
		]);
	}
	const [, kind, type, sender, date, sequence, environment, parts, part] = match;
	if (!isCalendarDate(date))
		return invalid([
			violation('date-invalid', undefined, `date ${date} is not a real calendar date`),
		]);
	const value: ParsedResponseFileName = {
		kind: kind as ResponseFileKind,
		type,
		sender,
		date,
		sequence,
		environment: environment as Environment,
		answerId: name.slice(3),
		name,
	};
	if (parts !== undefined) {
		value.parts = Number(parts);
		value.part = Number(part);
	}
	return { valid: true, value, violations: [] };
}

export type ParsedFileName =
	| ({ direction: 'submission' } & ParsedSubmissionFileName)
	| ({ direction: 'response' } & ParsedResponseFileName);

/**
 * Parses any name of the channel. FS and GO exist in both directions: a name that fits the answer
 * pattern with sender 999999 (the social security side) is an answer, otherwise it is one of ours.
 */
export function parseFileName(
	name: string,
	options: SetRuleOptions = {},
): NameParseResult<ParsedFileName> {
	if (typeof name !== 'string') return notText(name);
	const prefix = name.slice(0, 3);
	const response = parseResponseFileName(name);
	const isAnswerPrefix = prefix === 'FO.' || prefix === 'CO.';
	if (response.valid && (isAnswerPrefix || response.value.sender === '999999')) {
		return { valid: true, value: { direction: 'response', ...response.value }, violations: [] };
	}
	if (isAnswerPrefix) return { valid: false, violations: response.violations };
	const submission = parseSubmissionFileName(name, options);
	if (submission.valid)
		return { valid: true, value: { direction: 'submission', ...submission.value }, violations: [] };
	return submission;
}

/** A name that is not text at all (e.g. a binary item without a file name, from a JavaScript caller). */
function notText(name: unknown): { valid: false; violations: NameRuleViolation[] } {
	return invalid([
		violation(
			'not-text',
			undefined,
			`the file name is missing or not text (${name === null ? 'null' : typeof name})`,
		),
	]);
}

function invalid(violations: NameRuleViolation[]): {
	valid: false;
	violations: NameRuleViolation[];
} {
	return { valid: false, violations };
}

/** Names can come from anywhere (a hostile server, a user's typo): never echo control characters or kilobytes. */
function printable(value: string): string {
	const cleaned = value.replace(/\p{Cc}/gu, '?');
	return cleaned.length > 80 ? `${cleaned.slice(0, 77)}...` : cleaned;
}
