/**
 * The parts every answer form shares, read by the element names of the official XSDs (FormType,
 * ReferenceType, EmployerId…; docs/answers.md, "What the readers read"), and the meaning of a coded
 * value as the glossary publishes it for its zone (docs/codes.md). A zone whose values the glossary
 * does not list (the DmfA-only zones such as 00484 TransmissionMode) gets no meaning: none is guessed.
 */
import { zoneValues } from '../codes/describeError';
import { creationMoment } from './acrf';
import { childNamed, childrenNamed, nonEmptyText } from './safeXml';

/** The text of the child element `name`, trimmed; undefined when absent or empty. */
export const childText = (element: unknown, name: string): string | undefined =>
	nonEmptyText(childNamed(element, name));

/** The object without its undefined values; undefined when nothing is left. */
export function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> | undefined {
	const out: Partial<T> = {};
	for (const [key, value] of Object.entries(values)) {
		if (value !== undefined) (out as Record<string, unknown>)[key] = value;
	}
	return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The texts of several child elements at once, `{ key: 'ElementName' }` → `{ key: text }`; keys whose
 * element is absent or empty are left out.
 */
export function fields<K extends string>(
	element: unknown,
	names: Readonly<Record<K, string>>,
): Partial<Record<K, string>> {
	const out: Partial<Record<K, string>> = {};
	for (const key of Object.keys(names) as K[]) {
		const value = childText(element, names[key]);
		if (value !== undefined) out[key] = value;
	}
	return out;
}

const meaningsByZone = new Map<string, Record<string, string>>();

/**
 * The glossary's meaning (Dutch, as published) of `value` in zone `zone`, from its list of allowed
 * values (`zoneValues`: `0 = Origineel`, …); undefined when the glossary lists none for that zone or
 * not that value.
 */
export function zoneValueMeaning(zone: string, value: string | undefined): string | undefined {
	if (value === undefined) return undefined;
	let meanings = meaningsByZone.get(zone);
	if (meanings === undefined) {
		meanings = zoneValues(zone);
		meaningsByZone.set(zone, meanings);
	}
	return Object.prototype.hasOwnProperty.call(meanings, value) ? meanings[value] : undefined;
}

export interface FormHeader {
	/** Identification (zone 00296): the form's kind, e.g. `DMFANOT`, `DMFAPID`, `DMFADB`, `IDFLUX`. */
	identification?: string;
	/** AttestationStatus (00110) and its meaning in the glossary (`0` → Origineel). */
	attestationStatus?: string;
	attestationStatusMeaning?: string;
	/** TypeForm (00297): `SU` submission, `FA` final answer, `PA` provisional answer, … */
	typeForm?: string;
	typeFormMeaning?: string;
	/** FormCreationDate + FormCreationHour as ISO 8601 with the Europe/Brussels offset. */
	createdAt?: string;
	createdAtText?: string;
}

/** Identification, AttestationStatus, TypeForm and the creation moment of a `Form`. */
export function readFormHeader(form: unknown, warnings: string[]): FormHeader {
	const created = creationMoment(
		childText(form, 'FormCreationDate'),
		childText(form, 'FormCreationHour'),
	);
	if (created.warning) warnings.push(created.warning);
	const attestationStatus = childText(form, 'AttestationStatus');
	const typeForm = childText(form, 'TypeForm')?.toUpperCase();
	return (
		definedOnly({
			identification: childText(form, 'Identification'),
			attestationStatus,
			attestationStatusMeaning: zoneValueMeaning('00110', attestationStatus),
			typeForm,
			typeFormMeaning: zoneValueMeaning('00297', typeForm),
			createdAt: created.iso,
			createdAtText: created.text,
		}) ?? {}
	);
}

export interface AnswerReference {
	/** The element that held it: FileReference, Reference or HandledReference. */
	element: string;
	/** ReferenceNbr (zone 00222). */
	number: string;
	/** ReferenceType (00221): 1 this form, 3 an earlier form of the same kind it is about, … */
	type?: string;
	typeMeaning?: string;
	/** ReferenceOrigin (00298): 1 given by the declarant, 2 a ticket given by the social security, … */
	origin?: string;
	originMeaning?: string;
}

/** Every reference held by the given children of a form, in document order of the names given. */
export function readReferences(form: unknown, elements: readonly string[]): AnswerReference[] {
	const references: AnswerReference[] = [];
	for (const element of elements) {
		for (const value of childrenNamed(form, element)) {
			const number = childText(value, 'ReferenceNbr');
			if (number === undefined) continue;
			const type = childText(value, 'ReferenceType');
			const origin = childText(value, 'ReferenceOrigin');
			references.push({
				element,
				number,
				...definedOnly({
					type,
					typeMeaning: zoneValueMeaning('00221', type),
					origin,
					originMeaning: zoneValueMeaning('00298', origin),
				}),
			});
		}
	}
	return references;
}

/** The number of the reference of that type that is a social-security ticket (origin 2). */
export function ticketOfType(references: AnswerReference[], type: string): string | undefined {
	return references.find((r) => r.type === type && r.origin === '2')?.number;
}

export interface AnswerEmployer {
	/** Quarter (00013), `YYYYQ`. */
	quarter?: string;
	/** NOSSRegistrationNbr (00011), the NOSS number; or NOSSLPARegistrationNbr (00109) for a local authority. */
	nossRegistrationNbr?: string;
	nossLpaRegistrationNbr?: string;
	/** Trusteeship (00012): 0 not, 1 a period under trusteeship. */
	trusteeship?: string;
	/** CompanyID (00014), the company number. */
	companyId?: string;
}

/** The employer's identifying zones of a block (EmployerId, EmployerDeclaration…, IDEmployerDeclaration). */
export function readEmployer(element: unknown): AnswerEmployer {
	return fields(element, {
		quarter: 'Quarter',
		nossRegistrationNbr: 'NOSSRegistrationNbr',
		nossLpaRegistrationNbr: 'NOSSLPARegistrationNbr',
		trusteeship: 'Trusteeship',
		companyId: 'CompanyID',
	});
}

/** The one form of a root whose XSD allows one: the first, with a warning when there are more or none. */
export function singleForm(root: unknown, rootName: string, warnings: string[]): unknown {
	const forms = formsOf(root, rootName, warnings);
	if (forms.length > 1)
		warnings.push(`The ${rootName} holds ${forms.length} forms; only the first one was read.`);
	return forms[0];
}

/** The forms of a root; a warning when there are none. */
export function formsOf(root: unknown, rootName: string, warnings: string[]): unknown[] {
	const forms = childrenNamed(root, 'Form');
	if (forms.length === 0) warnings.push(`The ${rootName} has no <Form> element.`);
	return forms;
}
