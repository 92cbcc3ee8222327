/**
 * What an answer's content (the FO, or the FO taken out of a CO) is, and its reading.
 *
 * The format is sniffed from the bytes, not trusted from the name: `%PDF-` is a PDF (work-accident
 * DRS answers), `<` (after a byte-order mark and whitespace) is XML, anything else is binary. XML is
 * then read by type — ACRF → `parseAcrf`, NOTI → `parseNoti`, DMNO, DMPI, DMDB and IDFL by their
 * readers — or by root element when the type says nothing (`<ACRF>`, `<NOTIFICATION>`,
 * `<DmfAUpdateNotification>`, `<DmfAPID>`, `<DmfAConsultationAnswer>`, `<IDFLUX>`: docs/answers.md,
 * "Other answer types"); anything else stays a plain object.
 */
import type { CodeLanguage } from '../codes/describeError';
import { SocialSecurityError } from '../errors';
import { AcrfAnswer, acrfFromRoot } from './acrf';
import { DmdbAnswer, dmdbFromRoot } from './dmdb';
import { DmnoAnswer, dmnoFromRoot } from './dmno';
import { DmpiAnswer, dmpiFromRoot } from './dmpi';
import { IdflAnswer, idflFromRoot } from './idfl';
import { NotiAnswer, notiFromDocument } from './noti';
import { SafeXmlOptions, XmlObject, parseSafeXml, printable } from './safeXml';

export type AnswerFormat = 'xml' | 'pdf' | 'binary';

export interface AnswerContentInput {
	/** The answer type from the name: ACRF, NOTI, DMNO, … */
	type: string;
	/** The content file's name, for messages. */
	contentName: string;
	bytes: Buffer;
}

export interface InterpretedAnswer {
	format: AnswerFormat;
	rootElement?: string;
	acrf?: AcrfAnswer;
	noti?: NotiAnswer;
	dmno?: DmnoAnswer;
	dmpi?: DmpiAnswer;
	dmdb?: DmdbAnswer;
	idfl?: IdflAnswer;
	/** Any XML answer as a plain object `{ [root]: … }`. */
	object?: XmlObject;
}

const NOTI_ROOTS = new Set(['NOTI', 'NOTIFICATION']);

/** The other answer types by their type code and root element (the official XSDs' names). */
const OTHER_TYPES = [
	{ type: 'DMNO', root: 'DMFAUPDATENOTIFICATION' },
	{ type: 'DMPI', root: 'DMFAPID' },
	{ type: 'DMDB', root: 'DMFACONSULTATIONANSWER' },
	{ type: 'IDFL', root: 'IDFLUX' },
] as const;

/**
 * ACRF and NOTI carry the verdict on a submission: one that cannot be read fails and stays on the
 * server for a person to read. Any other type is delivered even when it cannot be read.
 */
export function isVerdictType(type: string): boolean {
	const t = String(type).toUpperCase();
	return t === 'ACRF' || t === 'NOTI';
}

/** Sniffs the format of answer bytes. */
export function sniffAnswerFormat(bytes: Buffer): AnswerFormat {
	let start = 0;
	if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
	else if (
		bytes.length >= 2 &&
		((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
	) {
		// UTF-16: look at the first non-zero byte of the text.
		const text = bytes
			.subarray(2, 202)
			.toString(bytes[0] === 0xff ? 'utf16le' : 'latin1')
			.replaceAll('\u0000', '');
		return text.trimStart().startsWith('<') ? 'xml' : 'binary';
	}
	if (bytes.subarray(start, start + 5).toString('latin1') === '%PDF-') return 'pdf';
	while (
		start < bytes.length &&
		start < 4096 &&
		(bytes[start] === 0x20 ||
			bytes[start] === 0x09 ||
			bytes[start] === 0x0a ||
			bytes[start] === 0x0d)
	)
		start++;
	return bytes[start] === 0x3c ? 'xml' : 'binary';
}

/** Reads an answer's content; ACRF and NOTI answers must be XML (RESPONSE_CONTENT_UNEXPECTED otherwise). */
export function interpretAnswer(
	input: AnswerContentInput,
	options: SafeXmlOptions & { language?: CodeLanguage } = {},
): InterpretedAnswer {
	const type = String(input.type).toUpperCase();
	const format = sniffAnswerFormat(input.bytes);
	if (format !== 'xml') {
		if (isVerdictType(type)) {
			throw new SocialSecurityError(
				'RESPONSE_CONTENT_UNEXPECTED',
				`The ${type} answer ${printable(input.contentName)} should be XML but is ${format === 'pdf' ? 'a PDF' : 'not XML'}.`,
				'Keep the file and check it by hand; it was not interpreted.',
			);
		}
		return { format };
	}
	const doc = parseSafeXml(input.bytes, {
		...options,
		sourceName: options.sourceName ?? input.contentName,
	});
	const root = doc.rootElement.toUpperCase();
	const result: InterpretedAnswer = { format, rootElement: doc.rootElement, object: doc.document };
	if (type === 'ACRF' || (root === 'ACRF' && type !== 'NOTI')) {
		if (root !== 'ACRF') {
			throw new SocialSecurityError(
				'RESPONSE_NOT_ACRF',
				`The answer ${printable(input.contentName)} is named as an ACRF but its root element is <${printable(doc.rootElement)}>.`,
				'Keep the file and check it by hand; it was not interpreted.',
			);
		}
		result.acrf = acrfFromRoot(doc.root);
	} else if (type === 'NOTI' || NOTI_ROOTS.has(root)) {
		result.noti = notiFromDocument(doc.rootElement, doc.root, doc.document, {
			language: options.language,
		});
	} else {
		// The root decides: an answer of one of these types with another root is left as a plain object.
		const other = OTHER_TYPES.find((t) => t.root === root);
		if (other?.type === 'DMNO')
			result.dmno = dmnoFromRoot(doc.rootElement, doc.root, options.language);
		else if (other?.type === 'DMPI') result.dmpi = dmpiFromRoot(doc.rootElement, doc.root);
		else if (other?.type === 'DMDB')
			result.dmdb = dmdbFromRoot(doc.rootElement, doc.root, options.language);
		else if (other?.type === 'IDFL') result.idfl = idflFromRoot(doc.rootElement, doc.root);
	}
	return result;
}
