/**
 * Safe XML parsing for answers that come from the server (ACRF, NOTI, DMNO, …).
 *
 * An answer file is data from outside: it is parsed as if it were hostile.
 * - Size first: a text over the limit (default 10 MiB) is refused before any parsing.
 * - No DTD at all: any `<!DOCTYPE` or `<!ENTITY` — anywhere in the text, even in a comment or CDATA
 *   (simple and strict on purpose) — is refused before parsing. That closes the "billion
 *   laughs" bomb and external entities (`SYSTEM "file:///etc/passwd"`) in one rule: nothing is ever
 *   expanded or fetched. The social security's answers do not use a DTD.
 * - Entities: only the five predefined ones (`&amp; &lt; &gt; &quot; &apos;`) and numeric character
 *   references (`&#233;`, `&#xE9;`) are decoded, in one pass (`&amp;lt;` gives `&lt;`, never `<`).
 *   Anything else (`&nbsp;`, `&foo;`) is left as written.
 * - Values stay strings (`00001` stays `00001`; `1` stays `"1"`); no boolean or valueless attributes;
 *   a repeated attribute is an error; names like `__proto__`/`constructor` are refused by the parser.
 * - Namespace prefixes are removed from element and attribute names (`ns:Form` → `Form`); `xmlns`
 *   declarations are dropped.
 *
 * Shape of the result (fast-xml-parser conventions): an element with only text is a string (`""` when
 * empty); an element with children or attributes is an object; attributes are `@_name` keys and the
 * text beside them is `#text`; a repeated element is an array. Use the helpers below (`textOf`,
 * `asArray`, `childrenNamed`, `findElements`) rather than relying on one shape.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SocialSecurityError } from '../errors';

export const DEFAULT_MAX_XML_BYTES = 10 * 1024 * 1024;

export const ATTRIBUTE_PREFIX = '@_';
export const TEXT_KEY = '#text';

export interface SafeXmlOptions {
	/** Largest accepted document in bytes (UTF-8 bytes for a string). Default 10 MiB. */
	maxBytes?: number;
	/** Used in error messages to say which file is concerned (made printable). */
	sourceName?: string;
}

export type XmlObject = Record<string, unknown>;

export interface SafeXmlDocument {
	/** Name of the root element without namespace prefix, e.g. `ACRF`. */
	rootElement: string;
	/** The content of the root element (object or string). */
	root: unknown;
	/** The whole document as a plain object: `{ [rootElement]: root }`. */
	document: XmlObject;
}

const FORBIDDEN = /<!\s*(DOCTYPE|ENTITY)/i;

/** The codes parseSafeXml refuses a document with: not well-formed, a DTD or entity, too large. */
const XML_REFUSALS = new Set([
	'RESPONSE_XML_INVALID',
	'RESPONSE_XML_FORBIDDEN',
	'RESPONSE_XML_TOO_LARGE',
]);

/** Whether `error` is parseSafeXml's refusal of a document (rather than a failure of anything else). */
export function isXmlRefusal(error: unknown): error is SocialSecurityError {
	return error instanceof SocialSecurityError && XML_REFUSALS.has(error.code);
}

/** Parses an answer's XML under the rules above; throws RESPONSE_XML_TOO_LARGE / _FORBIDDEN / _INVALID. */
export function parseSafeXml(
	input: string | Buffer,
	options: SafeXmlOptions = {},
): SafeXmlDocument {
	const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
	const what = options.sourceName ? `the answer ${printable(options.sourceName)}` : 'the answer';
	assertSize(input, maxBytes, what);
	const text = typeof input === 'string' ? stripBom(input) : decodeXmlBytes(input);

	const forbidden = FORBIDDEN.exec(text);
	if (forbidden) {
		throw new SocialSecurityError(
			'RESPONSE_XML_FORBIDDEN',
			`${capitalise(what)} contains a <!${forbidden[1].toUpperCase()} declaration, which is refused: a DTD can hide an "XML bomb" or make the reader open other files or addresses. Answers of the social security never contain one.`,
			'Do not process this file. If it really came from the social security server, keep it and report it to their contact center.',
		);
	}

	const body = text.trimStart();
	if (!body.startsWith('<')) {
		throw invalid(`${capitalise(what)} is not XML: it does not start with "<".`);
	}
	const validation = XMLValidator.validate(body, { allowBooleanAttributes: false });
	if (validation !== true) {
		const { msg, line, col } = validation.err;
		throw invalid(
			`${capitalise(what)} is not well-formed XML (line ${line}, column ${col}): ${printable(msg)}`,
		);
	}

	let parsed: XmlObject;
	try {
		parsed = createParser().parse(body) as XmlObject;
	} catch (error) {
		throw invalid(
			`${capitalise(what)} could not be read as XML: ${printable(messageOf(error))}`,
			error,
		);
	}
	const roots = Object.keys(parsed).filter((key) => key !== '?xml');
	if (roots.length !== 1) {
		throw invalid(
			roots.length === 0
				? `${capitalise(what)} has no root element.`
				: `${capitalise(what)} has ${roots.length} root elements (${roots.map(printable).join(', ')}); XML allows exactly one.`,
		);
	}
	const rootElement = roots[0];
	if (Array.isArray(parsed[rootElement])) {
		throw invalid(
			`${capitalise(what)} has several <${printable(rootElement)}> root elements; XML allows exactly one.`,
		);
	}
	return {
		rootElement,
		root: parsed[rootElement],
		document: { [rootElement]: parsed[rootElement] },
	};
}

function createParser(): XMLParser {
	return new XMLParser({
		ignoreAttributes: false,
		attributeNamePrefix: ATTRIBUTE_PREFIX,
		textNodeName: TEXT_KEY,
		allowBooleanAttributes: false,
		parseTagValue: false,
		parseAttributeValue: false,
		trimValues: true,
		removeNSPrefix: true,
		ignoreDeclaration: true,
		ignorePiTags: true,
		htmlEntities: false,
		// Entity references are decoded by our own decoder (five predefined + character references);
		// a DTD never reaches the parser (refused above), so no entity can be declared.
		processEntities: { enabled: true, maxEntityCount: 1, maxEntitySize: 1 },
		entityDecoder: predefinedEntitiesOnly(),
		maxNestedTags: 100,
		strictReservedNames: true,
	});
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
	amp: '&',
	lt: '<',
	gt: '>',
	quot: '"',
	apos: "'",
};
const ENTITY_REFERENCE = /&(amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/g;

/** An entity decoder that knows the five XML entities and character references, and nothing else. */
function predefinedEntitiesOnly() {
	return {
		// A DTD is refused before parsing; should the parser ever offer entities, they are ignored.
		setExternalEntities: () => undefined,
		addInputEntities: () => undefined,
		reset: () => undefined,
		setXmlVersion: () => undefined,
		decode: decodePredefinedEntities,
	};
}

/** Decodes `&amp; &lt; &gt; &quot; &apos;` and `&#NNN;`/`&#xHH;` in one pass; anything else is kept. */
export function decodePredefinedEntities(text: string): string {
	if (!text.includes('&')) return text;
	return text.replace(ENTITY_REFERENCE, (whole, ref: string) => {
		if (ref[0] !== '#') return XML_ENTITIES[ref];
		const codePoint = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
		return isXmlChar(codePoint) ? String.fromCodePoint(codePoint) : whole;
	});
}

function isXmlChar(c: number): boolean {
	return (
		c === 0x9 ||
		c === 0xa ||
		c === 0xd ||
		(c >= 0x20 && c <= 0xd7ff) ||
		(c >= 0xe000 && c <= 0xfffd) ||
		(c >= 0x10000 && c <= 0x10ffff)
	);
}

function assertSize(input: string | Buffer, maxBytes: number, what: string): void {
	// A JavaScript string never has more UTF-16 units than UTF-8 bytes, so the length alone can refuse
	// a huge string without touching its content.
	const tooLarge =
		typeof input === 'string'
			? input.length > maxBytes || Buffer.byteLength(input, 'utf8') > maxBytes
			: input.length > maxBytes;
	if (tooLarge) {
		const size = typeof input === 'string' ? input.length : input.length;
		throw new SocialSecurityError(
			'RESPONSE_XML_TOO_LARGE',
			`${capitalise(what)} is larger (${typeof input === 'string' ? 'at least ' : ''}${formatBytes(size)}) than the limit of ${formatBytes(maxBytes)} for XML answers; it was not read.`,
			`The limit of ${formatBytes(maxBytes)} keeps one answer from filling n8n's memory; it is fixed, not a node setting. Check the file with another tool (an answer that fails is not deleted from the server), and if it is a genuine answer, report it as an issue of this package.`,
		);
	}
}

/**
 * Bytes → text: a byte-order mark wins, then the `encoding` of the XML declaration; default UTF-8.
 * Bytes that are not valid in the encoding become U+FFFD rather than failing the whole answer.
 */
export function decodeXmlBytes(bytes: Buffer): string {
	if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
		return new TextDecoder('utf-8').decode(bytes.subarray(3));
	}
	if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe)
		return new TextDecoder('utf-16le').decode(bytes.subarray(2));
	if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff)
		return new TextDecoder('utf-16be').decode(bytes.subarray(2));
	const head = bytes.subarray(0, 200).toString('latin1');
	const declared = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/
		.exec(head)?.[1]
		?.toLowerCase();
	if (declared === undefined || declared === 'utf-8' || declared === 'utf8')
		return new TextDecoder('utf-8').decode(bytes);
	if (
		declared === 'iso-8859-1' ||
		declared === 'latin1' ||
		declared === 'latin-1' ||
		declared === 'us-ascii' ||
		declared === 'ascii'
	) {
		return bytes.toString('latin1');
	}
	if (declared === 'windows-1252' || declared === 'cp1252') return decodeWindows1252(bytes);
	try {
		return new TextDecoder(declared).decode(bytes);
	} catch (error) {
		throw invalid(
			`The answer declares the character encoding "${printable(declared)}", which cannot be read.`,
			error,
		);
	}
}

// 0x80–0x9F of windows-1252 (Node's TextDecoder reads this label as ISO-8859-1); 0 = unassigned.
const CP1252_HIGH = [
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152,
	0, 0x017d, 0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161,
	0x203a, 0x0153, 0, 0x017e, 0x0178,
];

function decodeWindows1252(bytes: Buffer): string {
	const text = bytes.toString('latin1');
	return text.replace(/[\u0080-\u009f]/g, (c) => {
		const mapped = CP1252_HIGH[c.charCodeAt(0) - 0x80];
		return mapped ? String.fromCharCode(mapped) : '\ufffd';
	});
}

function stripBom(text: string): string {
	return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

// ---------------------------------------------------------------------------------------------------
// Helpers to read the plain object without depending on its exact shape.

/** An element's text: a string as is, an object's `#text`, numbers as strings; otherwise undefined. */
export function textOf(value: unknown): string | undefined {
	if (typeof value === 'string') return value.trim();
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	if (Array.isArray(value)) return value.length > 0 ? textOf(value[0]) : undefined;
	if (isXmlObject(value)) {
		const text = value[TEXT_KEY];
		if (text === undefined)
			return Object.keys(value).every((k) => k.startsWith(ATTRIBUTE_PREFIX)) ? '' : undefined;
		return textOf(text);
	}
	return undefined;
}

/** Text that is present and not empty, else undefined. */
export function nonEmptyText(value: unknown): string | undefined {
	const text = textOf(value);
	return text === undefined || text === '' ? undefined : text;
}

export function asArray(value: unknown): unknown[] {
	if (value === undefined || value === null) return [];
	return Array.isArray(value) ? value : [value];
}

export function isXmlObject(value: unknown): value is XmlObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Direct children of an element whose name is one of `names` (case-insensitive), flattened. */
export function childrenNamed(element: unknown, ...names: string[]): unknown[] {
	if (!isXmlObject(element)) return [];
	const wanted = new Set(names.map((n) => n.toLowerCase()));
	const found: unknown[] = [];
	for (const [key, value] of Object.entries(element)) {
		if (wanted.has(key.toLowerCase())) found.push(...asArray(value));
	}
	return found;
}

/** The first direct child named one of `names` (case-insensitive). */
export function childNamed(element: unknown, ...names: string[]): unknown {
	return childrenNamed(element, ...names)[0];
}

export interface FoundElement {
	name: string;
	value: unknown;
	/** Element names from the searched element down to the found one's parent. */
	ancestors: string[];
	/** The element that holds it. */
	parent: XmlObject;
}

/**
 * Every element named one of `names` (case-insensitive) below `element`, breadth-first, in document
 * order per level. Does not look inside a found element unless `descendIntoMatches` is set.
 */
export function findElements(
	element: unknown,
	names: string[],
	options: { descendIntoMatches?: boolean; maxDepth?: number } = {},
): FoundElement[] {
	const wanted = new Set(names.map((n) => n.toLowerCase()));
	const maxDepth = options.maxDepth ?? 200;
	const found: FoundElement[] = [];
	let level: Array<{ value: unknown; ancestors: string[] }> = [{ value: element, ancestors: [] }];
	for (let depth = 0; depth < maxDepth && level.length > 0; depth++) {
		const next: Array<{ value: unknown; ancestors: string[] }> = [];
		for (const { value, ancestors } of level) {
			if (!isXmlObject(value)) continue;
			for (const [key, child] of Object.entries(value)) {
				if (key.startsWith(ATTRIBUTE_PREFIX) || key === TEXT_KEY) continue;
				const match = wanted.has(key.toLowerCase());
				for (const item of asArray(child)) {
					if (match) found.push({ name: key, value: item, ancestors, parent: value });
					if (!match || options.descendIntoMatches)
						next.push({ value: item, ancestors: [...ancestors, key] });
				}
			}
		}
		level = next;
	}
	return found;
}

// ---------------------------------------------------------------------------------------------------

function invalid(message: string, cause?: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'RESPONSE_XML_INVALID',
		message,
		'The answer file is damaged or is not the XML the social security sends; keep it and check it with their contact center.',
		cause === undefined ? undefined : { cause },
	);
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

function capitalise(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Text from outside: never echo control characters or kilobytes. */
export function printable(value: string, max = 80): string {
	const cleaned = String(value).replace(/[\p{Cc}\u2028\u2029]/gu, '?');
	return cleaned.length > max ? `${cleaned.slice(0, max - 3)}...` : cleaned;
}

export function formatBytes(bytes: number): string {
	if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
	if (bytes >= 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
	return `${bytes} bytes`;
}
