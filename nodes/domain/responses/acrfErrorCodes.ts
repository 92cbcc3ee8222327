/**
 * Transport error codes an ACRF can carry (docs/batch-channel.md §5), in words a payroll administrator
 * understands, with what to do where it is clear. One table: a new code is one line.
 *
 * The name-related codes agree with the rules of `../names/fileNames.ts`, which checks them before
 * sending. Whatever the code, a file name can never be used twice (ACRF-133): after a rejection the
 * corrected file goes out under a new sequence number.
 */

export type AcrfErrorTopic =
	| 'name'
	| 'folder'
	| 'set'
	| 'signature'
	| 'content'
	| 'authorisation'
	| 'size';

export interface AcrfErrorCode {
	/** `ACRF-nnn` */
	code: string;
	topic: AcrfErrorTopic;
	/** What went wrong. */
	meaning: string;
	/** What to do about it, where that is clear. */
	action?: string;
}

const RESEND = 'Correct it and send the file again under a new sequence number.';
const NAME_FORM =
	'Names look like FI.DMFA.012345.20250410.00001.T.1.1 (FI/FS), GO.DMFA.012345.20250410.00001.T.1 (GO).';
const WRONG_FOLDER =
	'The file was put in the wrong folder for its environment. Production files (ending R) go to IN, test files (T) to INTEST, DmfA declaration tests (S) to INTEST-S.';
const NOT_AUTHORISED = 'The sender is not authorised to send this file over this channel.';
const CHECK_PORTAL =
	'Check on the social security portal that the technical user of the channel belongs to this sender and that the sender may send this kind of declaration.';
const SPLIT = 'Split the declaration over several files (or parts) and send them separately.';
const XSD_INVALID =
	'The declaration does not follow the XML schema (XSD) of its application: an element is missing, misplaced or has a wrong value.';
const XSD_ACTION =
	'Validate the file against the XSD of the version you declare, correct the elements it reports and send it again under a new sequence number.';

const TABLE: readonly AcrfErrorCode[] = [
	{
		code: 'ACRF-088',
		topic: 'content',
		meaning: 'The XML schema (kind or version of declaration) of the file is unknown.',
		action:
			'Use a version of the declaration schema that is still accepted and send the file again under a new sequence number.',
	},
	{ code: 'ACRF-101', topic: 'authorisation', meaning: NOT_AUTHORISED, action: CHECK_PORTAL },
	{
		code: 'ACRF-102',
		topic: 'content',
		meaning:
			'The declaration (FI) is not well-formed XML (for example an unclosed tag, a stray character or a wrong character encoding).',
		action: `Open it in an XML editor or validator to find the error. ${RESEND}`,
	},
	{ code: 'ACRF-103', topic: 'authorisation', meaning: NOT_AUTHORISED, action: CHECK_PORTAL },
	{
		code: 'ACRF-107',
		topic: 'name',
		meaning: 'The name of the GO (or TD) file is malformed.',
		action: `${NAME_FORM} ${RESEND}`,
	},
	{
		code: 'ACRF-108',
		topic: 'name',
		meaning:
			'The sender number in the file name is not the sender of this channel (or not 6 digits).',
		action: 'Use the 6-digit sender number of the channel, padded with zeros on the left.',
	},
	{
		code: 'ACRF-109',
		topic: 'name',
		meaning: 'The date in the file name does not have 8 digits (YYYYMMDD).',
		action: RESEND,
	},
	{
		code: 'ACRF-110',
		topic: 'name',
		meaning: 'The date in the file name is not a real calendar date.',
		action: RESEND,
	},
	{
		code: 'ACRF-111',
		topic: 'name',
		meaning: 'The date in the file name is in the future.',
		action:
			"Use today's date in Belgian time (Europe/Brussels), not the date of another time zone.",
	},
	{
		code: 'ACRF-112',
		topic: 'name',
		meaning: 'The sequence number in the file name is not exactly 5 characters long.',
		action: RESEND,
	},
	{
		code: 'ACRF-113',
		topic: 'name',
		meaning: 'The sequence number in the file name holds characters other than digits and letters.',
		action: 'Use only 0-9 and A-Z in the sequence number.',
	},
	{
		code: 'ACRF-114',
		topic: 'name',
		meaning: 'The number of parts in the file name is not one digit.',
		action: 'Use a number of parts from 1 to 9.',
	},
	{
		code: 'ACRF-115',
		topic: 'name',
		meaning: 'The number of parts in the file name is zero.',
		action: 'Use a number of parts from 1 to 9.',
	},
	{
		code: 'ACRF-116',
		topic: 'name',
		meaning: 'A part number in a file name is higher than the number of parts of the set.',
		action: 'Number the parts 1 to N, where N is the number of parts in every name of the set.',
	},
	{
		code: 'ACRF-117',
		topic: 'name',
		meaning:
			'The environment at the end of the file name is not R (production), T (test) or S (DmfA declaration test).',
		action: RESEND,
	},
	{
		code: 'ACRF-118',
		topic: 'folder',
		meaning: WRONG_FOLDER,
		action: 'Put the files in the folder that matches the last letter of their names.',
	},
	{
		code: 'ACRF-119',
		topic: 'folder',
		meaning: WRONG_FOLDER,
		action: 'Put the files in the folder that matches the last letter of their names.',
	},
	{
		code: 'ACRF-120',
		topic: 'set',
		meaning:
			'The number of declaration files (FI) does not match the number of parts announced in the names.',
		action: 'Upload one FI per part, then the GO last.',
	},
	{
		code: 'ACRF-121',
		topic: 'set',
		meaning: 'A signature file (FS) was sent where none is allowed.',
		action: 'Do not send an FS for this environment or application (turn signing off for it).',
	},
	{
		code: 'ACRF-122',
		topic: 'set',
		meaning:
			'The number of signature files (FS) does not match the number of declaration files (FI).',
		action: 'Send exactly one FS per FI, with the same name apart from the FS prefix.',
	},
	{
		code: 'ACRF-123',
		topic: 'set',
		meaning:
			'The declaration files (FI) are not numbered correctly: a part number is missing or repeated.',
		action: 'Number the FI files 1 to N without gaps.',
	},
	{
		code: 'ACRF-124',
		topic: 'set',
		meaning:
			'The signature files (FS) are not numbered correctly: each FS must carry the part number of its FI.',
		action: 'Give each FS exactly the name of its FI with FS instead of FI.',
	},
	{
		code: 'ACRF-125',
		topic: 'signature',
		meaning: 'The signature (FS) does not match the declaration (FI) or is not a valid signature.',
		action:
			'Sign the exact bytes that are uploaded (a binary, detached PKCS#7 signature) and send the set again under a new sequence number.',
	},
	{
		code: 'ACRF-126',
		topic: 'name',
		meaning: 'The date in the file name is too old.',
		action: "Use today's date in Belgian time and a new sequence number.",
	},
	{
		code: 'ACRF-127',
		topic: 'name',
		meaning: 'The sequence number 00000 is not allowed.',
		action: 'Start sequence numbers at 00001.',
	},
	{
		code: 'ACRF-128',
		topic: 'name',
		meaning: 'A part number in a file name is not a valid digit.',
		action: 'Use a part number from 1 to 9.',
	},
	{
		code: 'ACRF-129',
		topic: 'name',
		meaning: 'A file name does not start with a valid prefix (FI, FS, GO or TD).',
		action: `${NAME_FORM} ${RESEND}`,
	},
	{
		code: 'ACRF-130',
		topic: 'set',
		meaning: 'The GO file is missing, so the set was not processed.',
		action: 'Upload the empty GO file last, after every FI and FS of the set.',
	},
	{
		code: 'ACRF-131',
		topic: 'name',
		meaning: 'The name of a declaration file (FI) is malformed.',
		action: `${NAME_FORM} ${RESEND}`,
	},
	{
		code: 'ACRF-132',
		topic: 'name',
		meaning: 'The name of a signature file (FS) is malformed.',
		action: `${NAME_FORM} ${RESEND}`,
	},
	{
		code: 'ACRF-133',
		topic: 'name',
		meaning:
			'This file name was already used. A name can never be used twice, even after a rejection.',
		action: 'Send the set again with a new sequence number.',
	},
	{
		code: 'ACRF-134',
		topic: 'content',
		meaning: 'The declaration file holds no data.',
		action: `Check the export that produced the file. ${RESEND}`,
	},
	{
		code: 'ACRF-153',
		topic: 'signature',
		meaning:
			"The certificate that signed the file is not the one registered on this sender's channel.",
		action:
			'Sign with the qualified certificate registered on the channel, or register this certificate on the portal first.',
	},
	{
		code: 'ACRF-154',
		topic: 'authorisation',
		meaning: 'This sender is not allowed to send declarations for this application.',
		action:
			"Check the application code in the name (e.g. DMFA, DIMN) and the sender's rights on the portal.",
	},
	{
		code: 'ACRF-158',
		topic: 'name',
		meaning:
			'The application (form type) in the file name does not match the declaration inside the file.',
		action:
			'Use the application code that matches the content, e.g. DMFA for a DmfA, DIMN for a Dimona.',
	},
	{
		code: 'ACRF-172',
		topic: 'size',
		meaning: 'The file holds too many declarations for its size.',
		action: SPLIT,
	},
	{ code: 'ACRF-184', topic: 'size', meaning: 'The file is too large.', action: SPLIT },
	{ code: 'ACRF-255', topic: 'content', meaning: XSD_INVALID, action: XSD_ACTION },
	{
		code: 'ACRF-257',
		topic: 'folder',
		meaning: WRONG_FOLDER,
		action: 'Put the files in the folder that matches the last letter of their names.',
	},
	{ code: 'ACRF-312', topic: 'content', meaning: XSD_INVALID, action: XSD_ACTION },
	{
		code: 'ACRF-367',
		topic: 'name',
		meaning:
			'The sequence number holds a character that is not allowed (for example a lower-case letter).',
		action: 'Use only 0-9 and upper-case A-Z in the sequence number.',
	},
	{
		code: 'ACRF-509',
		topic: 'size',
		meaning: 'The declaration and its signature are too large, even after compression.',
		action: SPLIT,
	},
];

/** Every known code, keyed by `ACRF-nnn`. */
export const ACRF_ERROR_CODES: Readonly<Record<string, AcrfErrorCode>> = Object.freeze(
	Object.fromEntries(TABLE.map((entry) => [entry.code, Object.freeze({ ...entry })])),
);

/** `acrf-125`, `ACRF125`, `125`, ` ACRF-125 ` → `ACRF-125`; anything else is returned trimmed. */
export function normalizeAcrfCode(code: string): string {
	const trimmed = String(code).trim();
	const match = /^(?:ACRF[-_ ]?)?(\d{1,3})$/i.exec(trimmed);
	return match ? `ACRF-${match[1].padStart(3, '0')}` : trimmed;
}

export function findAcrfError(code: string): AcrfErrorCode | undefined {
	const key = normalizeAcrfCode(code);
	return Object.prototype.hasOwnProperty.call(ACRF_ERROR_CODES, key)
		? ACRF_ERROR_CODES[key]
		: undefined;
}

/** The meaning of a code and what to do, in one text; a generic text for a code we do not know. */
export function describeAcrfError(code: string): string {
	const known = findAcrfError(code);
	if (known) return known.action ? `${known.meaning} ${known.action}` : known.meaning;
	const shown = normalizeAcrfCode(code)
		.replace(/\p{Cc}/gu, '?')
		.slice(0, 40);
	return `Unknown code ${shown || '(empty)'}: the social security refused or flagged the file for a reason that is not in our list. Look the code up on socialsecurity.be or ask their contact center, quoting the ticket number of the answer.`;
}
