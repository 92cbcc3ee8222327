/**
 * NOTI (notification: the declaration accepted or not) and other XML answers (DMNO, DMPI, IDFL, …).
 *
 * ASSUMPTIONS — the NOTI layout is NOT in our documentation (batch-channel.md §5 only says it repeats
 * the ticket and carries anomalies with a class). This reader is a tolerant guess; every name it
 * looks for is in the constants just below, so a correction is a one-line change.
 *
 * What peers' client code shows (public test fixtures of a payroll product; "peer", not "doc"):
 * ```
 * <NOTIFICATION><Form>
 *   <Identification>NOTI001</Identification><FormCreationDate/><FormCreationHour/><TypeForm>FA</TypeForm>
 *   <FileReference><FileName>GO…</FileName><ReferenceOrigin>2</ReferenceOrigin><ReferenceNbr>ticket</ReferenceNbr></FileReference>   (not always)
 *   <HandledOriginalForm>…</HandledOriginalForm>
 *   <Reference><ReferenceType/><ReferenceOrigin/><ReferenceNbr/></Reference>
 *   <HandledReference><ReferenceType/><ReferenceOrigin>2</ReferenceOrigin><ReferenceNbr/></HandledReference>
 *   <HandlingResult><ResultCode>0|1</ResultCode>
 *     <AnomalyReport><ErrorID>00011-155</ErrorID><AnomalyClass>B|NB|NP|…</AnomalyClass>
 *       <AnomalyLabel/>? <TagName/>? <Value/>? <AnomalyLocation><Location/></AnomalyLocation>? <Path>…</Path>?</AnomalyReport>*
 *   </HandlingResult>
 * </Form></NOTIFICATION>
 * ```
 * From that, the guesses:
 * 1. Any root element is accepted (NOTIFICATION in practice); one or several forms.
 * 2. Ticket: FileReference/ReferenceNbr (the ACRF's ticket) first; else an element named Ticket…; else
 *    a ReferenceNbr whose ReferenceOrigin is 2 (given by the social security) outside HandledReference;
 *    else HandledReference/ReferenceNbr; else the first ReferenceNbr. Every reference found is also
 *    returned in `references`, so a caller can match an ACRF ticket against all of them.
 * 3. File: FileReference/FileName, else the first element named like a file name.
 * 4. Result: the first ResultCode / AcceptanceCode / … found; 1/accepted/OK → true, 0/refused/KO →
 *    false, anything else or absent → undefined (never guessed from the anomalies: see
 *    `hasBlockingAnomalies` for that).
 * 5. Anomalies: elements named AnomalyReport / Anomaly / Anomalie / Error / …; their code, class,
 *    description, tag, value, location and path are read from children with code-, class- and
 *    description-like names. The class is kept as given; `severity` interprets it (B → blocking;
 *    NB, NP, P → warning). The meaning of P is a guess.
 */
import { creationMoment } from './acrf';
import {
	ATTRIBUTE_PREFIX,
	FoundElement,
	SafeXmlOptions,
	TEXT_KEY,
	XmlObject,
	childNamed,
	childrenNamed,
	findElements,
	isXmlObject,
	nonEmptyText,
	parseSafeXml,
	printable,
	textOf,
} from './safeXml';

// ---- The names this reader looks for (case-insensitive, namespace prefixes removed) ---------------

export const NOTI_NAMES = {
	form: ['Form'],
	fileReference: ['FileReference'],
	ticket: ['Ticket', 'TicketNbr', 'TicketNumber', 'TicketID'],
	referenceNumber: ['ReferenceNbr', 'ReferenceNumber'],
	referenceOrigin: ['ReferenceOrigin'],
	referenceType: ['ReferenceType'],
	handledReference: 'HandledReference',
	fileName: ['FileName', 'GOFileName', 'OriginalFileName', 'Filename'],
	result: [
		'ResultCode',
		'AcceptanceCode',
		'AcceptanceResult',
		'AcceptanceStatus',
		'ResultStatus',
		'DeclarationStatus',
	],
	anomaly: ['AnomalyReport', 'Anomaly', 'Anomalie', 'Anomalies', 'Error', 'ErrorReport'],
	code: ['ErrorID', 'ErrorCode', 'AnomalyCode', 'AnomalyID', 'AnomalyNbr', 'Code', 'ID'],
	class: ['AnomalyClass', 'ErrorClass', 'Class', 'Severity', 'AnomalyType', 'ErrorType', 'Level'],
	description: [
		'AnomalyLabel',
		'AnomalyDescription',
		'ErrorDescription',
		'ErrorLabel',
		'Description',
		'Label',
		'Message',
		'Text',
		'Libelle',
	],
	tagName: ['TagName', 'ElementName', 'Tag'],
	value: ['Value', 'ErrorValue', 'AnomalyValue'],
	location: ['AnomalyLocation', 'Location', 'ErrorLocation'],
	path: ['Path', 'AnomalyPath', 'XPath'],
	typeForm: ['TypeForm'],
	identification: ['Identification'],
} as const;

const ACCEPTED_VALUES = new Set([
	'1',
	'ACCEPTED',
	'ACCEPTE',
	'ACCEPTÉ',
	'AANVAARD',
	'OK',
	'TRUE',
	'YES',
	'Y',
	'A',
]);
const REFUSED_VALUES = new Set([
	'0',
	'REFUSED',
	'REJECTED',
	'REFUSE',
	'REFUSÉ',
	'GEWEIGERD',
	'KO',
	'NOK',
	'FALSE',
	'NO',
	'N',
	'R',
]);

export type AnomalySeverity = 'blocking' | 'warning' | 'info' | 'unknown';

/** Known anomaly classes: severity and what they mean. B/NB/NP seen at peers; P is a guess. */
export const ANOMALY_CLASSES: Readonly<
	Record<string, { severity: AnomalySeverity; meaning: string }>
> = {
	B: {
		severity: 'blocking',
		meaning:
			'Blocking anomaly: the declaration (or this part of it) is refused and must be corrected.',
	},
	NB: {
		severity: 'warning',
		meaning:
			'Non-blocking anomaly: the declaration is not refused, but the data should be corrected.',
	},
	NP: {
		severity: 'warning',
		meaning: 'Non-percentage anomaly: recorded, does not count towards refusing the declaration.',
	},
	P: {
		severity: 'warning',
		meaning: 'Percentage anomaly: the declaration is refused when too many of these occur.',
	},
	BLOCKING: { severity: 'blocking', meaning: 'Blocking anomaly.' },
	ERROR: { severity: 'blocking', meaning: 'Error.' },
	FATAL: { severity: 'blocking', meaning: 'Error.' },
	WARNING: { severity: 'warning', meaning: 'Warning.' },
	W: { severity: 'warning', meaning: 'Warning.' },
	INFO: { severity: 'info', meaning: 'Information.' },
	I: { severity: 'info', meaning: 'Information.' },
};

// ---------------------------------------------------------------------------------------------------

export interface NotiAnomaly {
	code?: string;
	/** The class as given (B, NB, NP, …). */
	class?: string;
	/** Our interpretation of the class. */
	severity: AnomalySeverity;
	/** Meaning of the class in plain words, when known. */
	classMeaning?: string;
	description?: string;
	/** The element of the declaration concerned. */
	tagName?: string;
	/** The value found in the declaration. */
	value?: string;
	/** Position in the declaration as given (e.g. `1,1,7,2`). */
	location?: string;
	/** Where in the declaration: the identifying fields given (Quarter, INSS, …), element → text. */
	path?: Record<string, string>;
}

export interface NotiReference {
	/** The element that held it: FileReference, Reference, HandledReference, … */
	element: string;
	number: string;
	type?: string;
	origin?: string;
}

export interface NotiAnswer {
	/** Root element name, e.g. NOTIFICATION. */
	root: string;
	identification?: string;
	typeForm?: string;
	final: boolean;
	provisional: boolean;
	/** Best guess of the ticket the NOTI refers to (see the assumptions at the top). */
	ticket?: string;
	/** Every reference number found. */
	references: NotiReference[];
	/** The GO/file name it refers to, when given. */
	fileName?: string;
	/** true = accepted, false = refused, undefined = no recognised result element. */
	accepted?: boolean;
	resultCode?: string;
	anomalies: NotiAnomaly[];
	hasBlockingAnomalies: boolean;
	createdAt?: string;
	createdAtText?: string;
	/** The whole document as a plain object `{ [root]: … }`. */
	object: XmlObject;
}

export interface GenericAnswer {
	root: string;
	/** The whole document as a plain object `{ [root]: … }`. */
	object: XmlObject;
}

/** Reads a NOTI tolerantly (see the assumptions above). Throws RESPONSE_XML_* when unsafe or broken. */
export function parseNoti(xml: string | Buffer, options: SafeXmlOptions = {}): NotiAnswer {
	const doc = parseSafeXml(xml, options);
	return notiFromDocument(doc.rootElement, doc.root, doc.document);
}

/** Reads any other XML answer (DMNO, DMPI, IDFL, …) as a plain object. */
export function parseGenericAnswer(
	xml: string | Buffer,
	options: SafeXmlOptions = {},
): GenericAnswer {
	const doc = parseSafeXml(xml, options);
	return { root: doc.rootElement, object: doc.document };
}

export function notiFromDocument(
	rootElement: string,
	root: unknown,
	document: XmlObject,
): NotiAnswer {
	const form = childNamed(root, ...NOTI_NAMES.form) ?? root;

	const references = collectReferences(root);
	const fileReference = findElements(root, [...NOTI_NAMES.fileReference])[0]?.value;
	const ticket =
		nonEmptyText(childNamed(fileReference, ...NOTI_NAMES.referenceNumber)) ??
		firstText(findElements(root, [...NOTI_NAMES.ticket])) ??
		references.find(
			(r) =>
				r.origin === '2' && r.element.toLowerCase() !== NOTI_NAMES.handledReference.toLowerCase(),
		)?.number ??
		references.find((r) => r.element.toLowerCase() === NOTI_NAMES.handledReference.toLowerCase())
			?.number ??
		references[0]?.number;
	const fileName =
		nonEmptyText(childNamed(fileReference, ...NOTI_NAMES.fileName)) ??
		firstText(findElements(root, [...NOTI_NAMES.fileName]));

	const resultCode = firstText(findElements(root, [...NOTI_NAMES.result]));
	const accepted = interpretResult(resultCode);

	const anomalies = collectAnomalies(root);
	const typeForm = nonEmptyText(childNamed(form, ...NOTI_NAMES.typeForm))?.toUpperCase();
	const created = creationMoment(
		nonEmptyText(childNamed(form, 'FormCreationDate')),
		nonEmptyText(childNamed(form, 'FormCreationHour')),
	);

	const answer: NotiAnswer = {
		root: rootElement,
		final: typeForm === 'FA',
		provisional: typeForm === 'PA',
		references,
		anomalies,
		hasBlockingAnomalies: anomalies.some((a) => a.severity === 'blocking'),
		object: document,
	};
	const optional: Partial<NotiAnswer> = {
		identification: nonEmptyText(childNamed(form, ...NOTI_NAMES.identification)),
		typeForm,
		ticket,
		fileName,
		accepted,
		resultCode,
		createdAt: created.iso,
		createdAtText: created.text,
	};
	for (const [key, value] of Object.entries(optional)) {
		if (value !== undefined) (answer as unknown as XmlObject)[key] = value;
	}
	return answer;
}

function interpretResult(value: string | undefined): boolean | undefined {
	if (value === undefined) return undefined;
	const normalised = value.trim().toUpperCase();
	if (ACCEPTED_VALUES.has(normalised)) return true;
	if (REFUSED_VALUES.has(normalised)) return false;
	return undefined;
}

function collectReferences(root: unknown): NotiReference[] {
	const references: NotiReference[] = [];
	const seen = new Set<string>();
	for (const found of findElements(root, [...NOTI_NAMES.referenceNumber])) {
		const number = nonEmptyText(found.value);
		if (number === undefined) continue;
		const element = found.ancestors[found.ancestors.length - 1] ?? '';
		const key = `${element}\u0000${number}`;
		if (seen.has(key)) continue;
		seen.add(key);
		const reference: NotiReference = { element, number };
		const type = nonEmptyText(childNamed(found.parent, ...NOTI_NAMES.referenceType));
		const origin = nonEmptyText(childNamed(found.parent, ...NOTI_NAMES.referenceOrigin));
		if (type !== undefined) reference.type = type;
		if (origin !== undefined) reference.origin = origin;
		references.push(reference);
	}
	return references;
}

function collectAnomalies(root: unknown): NotiAnomaly[] {
	const anomalies: NotiAnomaly[] = [];
	const visit = (found: FoundElement[]): void => {
		for (const element of found) {
			// A container (<Anomalies><Anomaly/>…</Anomalies>, <Error><Error/></Error>): read its children.
			const nested = isXmlObject(element.value)
				? findElements(element.value, [...NOTI_NAMES.anomaly])
				: [];
			const own = anomalyFrom(element.value);
			if (own) anomalies.push(own);
			else if (nested.length > 0) visit(nested);
		}
	};
	visit(findElements(root, [...NOTI_NAMES.anomaly]));
	if (anomalies.length === 0) {
		// No anomaly element: bare codes (an ACRF-like <ErrorID> in the result) still count.
		for (const found of findElements(root, [
			...NOTI_NAMES.code.filter((n) => n.startsWith('Error') || n.startsWith('Anomaly')),
		])) {
			const code = nonEmptyText(found.value);
			if (code !== undefined) anomalies.push({ code: printable(code), severity: 'unknown' });
		}
	}
	return anomalies;
}

function anomalyFrom(value: unknown): NotiAnomaly | undefined {
	if (!isXmlObject(value)) {
		// A bare <Anomaly>text</Anomaly>: a code when it looks like one, otherwise a description.
		const text = nonEmptyText(value);
		if (text === undefined) return undefined;
		return /^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$/.test(text)
			? { code: printable(text), severity: 'unknown' }
			: { description: text, severity: 'unknown' };
	}
	const code = nonEmptyText(childNamed(value, ...NOTI_NAMES.code));
	const klass = nonEmptyText(childNamed(value, ...NOTI_NAMES.class));
	const description = nonEmptyText(childNamed(value, ...NOTI_NAMES.description));
	if (code === undefined && klass === undefined && description === undefined) return undefined;

	const known = klass === undefined ? undefined : ANOMALY_CLASSES[klass.toUpperCase()];
	const anomaly: NotiAnomaly = { severity: known?.severity ?? 'unknown' };
	if (code !== undefined) anomaly.code = code;
	if (klass !== undefined) anomaly.class = klass;
	if (known) anomaly.classMeaning = known.meaning;
	if (description !== undefined) anomaly.description = description;
	const tagName = nonEmptyText(childNamed(value, ...NOTI_NAMES.tagName));
	if (tagName !== undefined) anomaly.tagName = tagName;
	const shown = childNamed(value, ...NOTI_NAMES.value);
	if (shown !== undefined && textOf(shown) !== undefined) anomaly.value = textOf(shown);
	const location = locationText(childrenNamed(value, ...NOTI_NAMES.location));
	if (location !== undefined) anomaly.location = location;
	const path = pathFields(childNamed(value, ...NOTI_NAMES.path));
	if (path !== undefined) anomaly.path = path;
	return anomaly;
}

/** `<AnomalyLocation><Location>1,1,7,2</Location></AnomalyLocation>` or `<Location>…</Location>` → `1,1,7,2` (several joined by `; `). */
function locationText(elements: unknown[]): string | undefined {
	const texts: string[] = [];
	for (const element of elements) {
		const text = nonEmptyText(element);
		if (text !== undefined) texts.push(text);
		else for (const leaf of leaves(element)) texts.push(leaf[1]);
	}
	return texts.length > 0 ? texts.join('; ') : undefined;
}

/** A path element → its leaf fields; a text path → `{ path: text }`. */
function pathFields(element: unknown): Record<string, string> | undefined {
	if (element === undefined) return undefined;
	const text = nonEmptyText(element);
	if (text !== undefined) return { path: text };
	const fields: Record<string, string> = {};
	for (const [name, value] of leaves(element)) {
		// Repeated names (several Quarter levels, …) keep every value.
		fields[name] = name in fields ? `${fields[name]}, ${value}` : value;
	}
	return Object.keys(fields).length > 0 ? fields : undefined;
}

function leaves(element: unknown, depth = 0): Array<[string, string]> {
	if (!isXmlObject(element) || depth > 20) return [];
	const out: Array<[string, string]> = [];
	for (const [key, child] of Object.entries(element)) {
		if (key.startsWith(ATTRIBUTE_PREFIX) || key === TEXT_KEY) continue;
		for (const item of Array.isArray(child) ? child : [child]) {
			const text = isXmlObject(item) ? undefined : textOf(item);
			if (text !== undefined) out.push([key, text]);
			else out.push(...leaves(item, depth + 1));
		}
	}
	return out;
}

function firstText(found: FoundElement[]): string | undefined {
	for (const element of found) {
		const text = nonEmptyText(element.value);
		if (text !== undefined) return text;
	}
	return undefined;
}
