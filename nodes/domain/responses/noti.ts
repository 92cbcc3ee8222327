/**
 * NOTIFICATION (answer type NOTI): whether the declaration itself is accepted, read as the official
 * XSD lays it out (NOTIFICATION_20223.xsd; what we rely on is in docs/answers.md, "What the readers read"):
 * ```
 * <NOTIFICATION><Form>                                     one or more Form
 *   <Identification>NOTI001</Identification><FormCreationDate/><FormCreationHour/><AttestationStatus/><TypeForm/>
 *   <FileReference><FileName/><ReferenceOrigin/><ReferenceNbr/></FileReference>       0..1
 *   <FileReceptionInformation/>? <HandledOriginalFile/>? <HandledOriginalForm><Identification>DMFA</Identification>…</HandledOriginalForm>?
 *   <Reference><ReferenceType/><ReferenceOrigin/><ReferenceNbr/></Reference>            0..4
 *   <EmployerId><NOSSRegistrationNbr/><CompanyID/></EmployerId>? <NaturalPerson/>? <ConcernedQuarter><Quarter/></ConcernedQuarter>?
 *   <HandledReference><ReferenceType/><ReferenceOrigin>2</ReferenceOrigin><ReferenceNbr>ticket</ReferenceNbr></HandledReference>
 *   <WorkerRecordIdentification/>* … <HandlingResult>
 *     <ResultCode>0..4</ResultCode><Diagnosis>0..9</Diagnosis>*
 *     <AnomalyReport><ErrorID>00011-155</ErrorID><TagName/>?<Value/>?<AnomalyClass/>?<AnomalyLabel/>?
 *       <SystemCorrection/>? <AnomalyLocation><LineNbr/>?<ColumnNbr/>?<Location/>?</AnomalyLocation>? <Path>…</Path>?
 *       <AnomalyComplInformation><DimonaPeriod><DimonaPeriodId/>…</DimonaPeriod>*</AnomalyComplInformation>?</AnomalyReport>*
 *     <ImpactReport/>?
 *   </HandlingResult>
 * </Form></NOTIFICATION>
 * ```
 * Only these names are read (case-insensitive, namespace prefixes removed); an element the server adds
 * is ignored here and still in `object`. The root is not checked: a NOTI is read by its type, and our
 * simulator once wrote `<NOTI>`. Every code is explained from the generated tables (docs/codes.md).
 */
import type { CodeLanguage } from '../codes/describeError';
import { creationMoment } from './acrf';
import { AnswerAnomaly, readAnomalies } from './anomalyReport';
import { definedOnly } from './formParts';
import {
	SafeXmlOptions,
	XmlObject,
	asArray,
	childNamed,
	childrenNamed,
	isXmlObject,
	nonEmptyText,
	parseSafeXml,
	printable,
} from './safeXml';

export { ANOMALY_CLASSES } from './anomalyReport';
export type { AnomalySeverity } from './anomalyReport';
/** An anomaly of a NOTIFICATION (the same AnomalyReport block as in DMNO and DMDB answers). */
export type NotiAnomaly = AnswerAnomaly;

/** ResultCode (zone 00107) of a NOTIFICATION, in our words. */
export const NOTI_RESULT_CODES: Readonly<Record<string, string>> = {
	'0': 'Not OK: the declaration is refused.',
	'1': 'OK: the declaration is accepted.',
	'2': 'A proposal to be validated: the social security proposes a correction to confirm.',
	'3': 'A provisional answer: a final answer follows.',
	'4': 'Timeout: the processing did not end in time; a later answer follows or the declaration must be checked.',
};

/** Diagnosis (zone 00232), the reason of a refusal, in our words. */
export const NOTI_DIAGNOSES: Readonly<Record<string, string>> = {
	'0': 'Incomplete declaration.',
	'1': 'Too many workers without a Dimona.',
	'2': 'Too many unknown INSS numbers.',
	'3': 'Declaration refused: blocking anomalies.',
	'4': 'Declaration refused: too many anomalies.',
	'5': 'Employer not allowed automatic validation.',
	'6': 'Inactive certificate.',
	'7': 'Anomalies present.',
	'8': 'A web certificate is present.',
	'9': 'Automatic validation not requested.',
};

export interface NotiReference {
	/** The element that held it: FileReference, Reference or HandledReference. */
	element: string;
	number: string;
	type?: string;
	origin?: string;
}

export interface NotiAnswer {
	/** Root element name, NOTIFICATION. */
	root: string;
	identification?: string;
	attestationStatus?: string;
	typeForm?: string;
	final: boolean;
	provisional: boolean;
	/**
	 * The ticket: FileReference/ReferenceNbr (the ACRF's ticket) when there is one, else
	 * HandledReference/ReferenceNbr (the reference the social security gave the declaration).
	 */
	ticket?: string;
	/** HandledReference/ReferenceNbr: the declaration handled, as the social security numbers it. */
	handledReference?: string;
	/** Every reference: FileReference, Reference (0..4), HandledReference. */
	references: NotiReference[];
	/** FileReference/FileName: the GO/FI name, when given (a NOTI may have no FileReference). */
	fileName?: string;
	/** HandledOriginalForm/Identification and TypeForm: the declaration handled (e.g. DMFA). */
	declaration?: { identification?: string; typeForm?: string };
	employer?: { nossRegistrationNbr?: string; companyId?: string };
	quarter?: string;
	/** ResultCode 1 → true, 0 → false; 2, 3, 4 (proposal, provisional, timeout) and absent → undefined. */
	accepted?: boolean;
	resultCode?: string;
	resultMeaning?: string;
	/** Diagnosis values (0..n) with their meaning. */
	diagnoses: Array<{ code: string; meaning?: string }>;
	anomalies: NotiAnomaly[];
	hasBlockingAnomalies: boolean;
	/** ImpactReport as a plain object (Dimona periods before/after, …), when given. */
	impactReport?: unknown;
	createdAt?: string;
	createdAtText?: string;
	/** Oddities that did not prevent reading (several forms, no HandlingResult, …). */
	warnings: string[];
	/** The whole document as a plain object `{ [root]: … }`. */
	object: XmlObject;
}

export interface GenericAnswer {
	root: string;
	/** The whole document as a plain object `{ [root]: … }`. */
	object: XmlObject;
}

export interface NotiReadOptions {
	/** Language of `explanation` (nl, fr, en; default en). */
	language?: CodeLanguage;
}

/** Reads a NOTIFICATION. Throws RESPONSE_XML_* when unsafe or broken. */
export function parseNoti(
	xml: string | Buffer,
	options: SafeXmlOptions & NotiReadOptions = {},
): NotiAnswer {
	const doc = parseSafeXml(xml, options);
	return notiFromDocument(doc.rootElement, doc.root, doc.document, options);
}

/** Reads any other XML answer as a plain object. */
export function parseGenericAnswer(
	xml: string | Buffer,
	options: SafeXmlOptions = {},
): GenericAnswer {
	const doc = parseSafeXml(xml, options);
	return { root: doc.rootElement, object: doc.document };
}

const text = (element: unknown, name: string): string | undefined =>
	nonEmptyText(childNamed(element, name));

export function notiFromDocument(
	rootElement: string,
	root: unknown,
	document: XmlObject,
	options: NotiReadOptions = {},
): NotiAnswer {
	const warnings: string[] = [];
	const forms = childrenNamed(root, 'Form');
	if (forms.length > 1)
		warnings.push(`The NOTIFICATION holds ${forms.length} forms; only the first one was read.`);
	if (forms.length === 0) warnings.push('The NOTIFICATION has no <Form> element.');
	const form: unknown = forms[0];

	const references: NotiReference[] = [];
	const fileReference = childNamed(form, 'FileReference');
	const handledReference = childNamed(form, 'HandledReference');
	for (const [element, values] of [
		['FileReference', asArray(fileReference)],
		['Reference', childrenNamed(form, 'Reference')],
		['HandledReference', asArray(handledReference)],
	] as const) {
		for (const value of values) {
			const number = text(value, 'ReferenceNbr');
			if (number === undefined) continue;
			const reference: NotiReference = { element, number };
			const type = text(value, 'ReferenceType');
			const origin = text(value, 'ReferenceOrigin');
			if (type !== undefined) reference.type = type;
			if (origin !== undefined) reference.origin = origin;
			references.push(reference);
		}
	}
	if (handledReference === undefined && form !== undefined)
		warnings.push('The NOTIFICATION has no HandledReference.');

	const handlingResult = childNamed(form, 'HandlingResult');
	if (handlingResult === undefined && form !== undefined)
		warnings.push('The NOTIFICATION has no HandlingResult.');
	const resultCode = text(handlingResult, 'ResultCode');
	if (resultCode !== undefined && NOTI_RESULT_CODES[resultCode] === undefined)
		warnings.push(`Unexpected ResultCode "${printable(resultCode)}" (0 to 4 are published).`);

	const diagnoses = childrenNamed(handlingResult, 'Diagnosis')
		.map((d) => nonEmptyText(d))
		.filter((d): d is string => d !== undefined)
		.map((code) => {
			const meaning = Object.prototype.hasOwnProperty.call(NOTI_DIAGNOSES, code)
				? NOTI_DIAGNOSES[code]
				: undefined;
			return meaning === undefined ? { code } : { code, meaning };
		});

	const anomalies = readAnomalies(handlingResult, options.language ?? 'en');

	const typeForm = text(form, 'TypeForm')?.toUpperCase();
	const created = creationMoment(text(form, 'FormCreationDate'), text(form, 'FormCreationHour'));
	if (created.warning) warnings.push(created.warning);

	const answer: NotiAnswer = {
		root: rootElement,
		final: typeForm === 'FA',
		provisional: typeForm === 'PA',
		references,
		diagnoses,
		anomalies,
		hasBlockingAnomalies: anomalies.some((a) => a.severity === 'blocking'),
		warnings,
		object: document,
	};
	const handledForm = childNamed(form, 'HandledOriginalForm');
	const employerId = childNamed(form, 'EmployerId');
	const impactReport = childNamed(handlingResult, 'ImpactReport');
	const optional: Partial<NotiAnswer> = {
		identification: text(form, 'Identification'),
		attestationStatus: text(form, 'AttestationStatus'),
		typeForm,
		ticket: text(fileReference, 'ReferenceNbr') ?? text(handledReference, 'ReferenceNbr'),
		handledReference: text(handledReference, 'ReferenceNbr'),
		fileName: text(fileReference, 'FileName'),
		declaration: definedOnly({
			identification: text(handledForm, 'Identification'),
			typeForm: text(handledForm, 'TypeForm'),
		}),
		employer: definedOnly({
			nossRegistrationNbr: text(employerId, 'NOSSRegistrationNbr'),
			companyId: text(employerId, 'CompanyID'),
		}),
		quarter: text(childNamed(form, 'ConcernedQuarter'), 'Quarter'),
		accepted: resultCode === '1' ? true : resultCode === '0' ? false : undefined,
		resultCode,
		resultMeaning:
			resultCode !== undefined &&
			Object.prototype.hasOwnProperty.call(NOTI_RESULT_CODES, resultCode)
				? NOTI_RESULT_CODES[resultCode]
				: undefined,
		impactReport: isXmlObject(impactReport) ? impactReport : undefined,
		createdAt: created.iso,
		createdAtText: created.text,
	};
	return { ...answer, ...definedOnly(optional) };
}
