/**
 * IDFL: the Dimona identification flux (root `IDFLUX`, IDFLUX_20231.xsd; docs/answers.md, "Other answer
 * types"): the social security tells the employer that a worker's identification changed — the valid
 * situation (INSS, names, birth date, sex, or a NOSS number) and the outdated one it replaces.
 * ```
 * <IDFLUX><Form>                                                      exactly one Form
 *   <Identification>IDFLUX</Identification><FormCreationDate/><FormCreationHour/><AttestationStatus/><TypeForm>SU</TypeForm>
 *   <Reference><ReferenceType>1</ReferenceType><ReferenceOrigin>2</ReferenceOrigin><ReferenceNbr/></Reference>
 *   <IdfluxInformation><JustificationCode>90..93</JustificationCode><EffectiveStartingDate/>
 *     <EmployerId><NOSSRegistrationNbr/>|<NOSSLPARegistrationNbr/><CompanyID/></EmployerId>
 *     <ValidSituation><INSS/><WorkerName/><WorkerFirstName/><WorkerBirthdate/><WorkerSex/> | <NOSSRegistrationNbr/></ValidSituation>
 *     <OutdatedSituation>the same, every field optional</OutdatedSituation>
 *   </IdfluxInformation>
 * </Form></IDFLUX>
 * ```
 * JustificationCode (zone 00536) is given as is: the glossary we hold does not list its values.
 */
import * as parts from './formParts';
import { childNamed } from './safeXml';

export interface IdflSituation {
	/** INSS (00024), WorkerName (00025), WorkerFirstName (00026), WorkerBirthdate (00028, YYYY-MM-DD). */
	inss?: string;
	name?: string;
	firstName?: string;
	birthdate?: string;
	/** WorkerSex (00029) and its glossary text (1 man, 2 vrouw). */
	sex?: string;
	sexMeaning?: string;
	/** NOSSRegistrationNbr (00011): a situation may be an employer's NOSS number instead of a person. */
	nossRegistrationNbr?: string;
}

export interface IdflAnswer extends parts.FormHeader {
	root: string;
	/** This form's number: the Reference of type 1 given by the social security (origin 2). */
	formTicket?: string;
	references: parts.AnswerReference[];
	/** JustificationCode (00536), as given (90..93). */
	justificationCode?: string;
	/** EffectiveStartingDate (00813): from when the valid situation holds, YYYY-MM-DD. */
	effectiveStartingDate?: string;
	employer?: parts.AnswerEmployer;
	valid?: IdflSituation;
	outdated?: IdflSituation;
	warnings: string[];
}

/** Reads the content of a parsed `<IDFLUX>`. */
export function idflFromRoot(rootElement: string, root: unknown): IdflAnswer {
	const warnings: string[] = [];
	const form = parts.singleForm(root, rootElement, warnings);
	const references = parts.readReferences(form, ['Reference']);
	const information = childNamed(form, 'IdfluxInformation');
	if (form !== undefined && information === undefined)
		warnings.push('The IDFLUX has no IdfluxInformation.');
	const employer = parts.readEmployer(childNamed(information, 'EmployerId'));
	return {
		root: rootElement,
		...parts.readFormHeader(form, warnings),
		references,
		...parts.definedOnly({
			formTicket: parts.ticketOfType(references, '1'),
			justificationCode: parts.childText(information, 'JustificationCode'),
			effectiveStartingDate: parts.childText(information, 'EffectiveStartingDate'),
			employer: Object.keys(employer).length > 0 ? employer : undefined,
			valid: situation(childNamed(information, 'ValidSituation')),
			outdated: situation(childNamed(information, 'OutdatedSituation')),
		}),
		warnings,
	};
}

function situation(element: unknown): IdflSituation | undefined {
	const found: IdflSituation = parts.fields(element, {
		inss: 'INSS',
		name: 'WorkerName',
		firstName: 'WorkerFirstName',
		birthdate: 'WorkerBirthdate',
		sex: 'WorkerSex',
		nossRegistrationNbr: 'NOSSRegistrationNbr',
	});
	const sexMeaning = parts.zoneValueMeaning('00029', found.sex);
	if (sexMeaning !== undefined) found.sexMeaning = sexMeaning;
	return Object.keys(found).length > 0 ? found : undefined;
}
