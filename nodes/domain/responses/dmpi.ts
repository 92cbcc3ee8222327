/**
 * DMPI: the identifiers (PIDs and version numbers) the social security gave the blocks of a DmfA
 * declaration (root `DmfAPID`, DmfAPID_20224.xsd; docs/answers.md, "Other answer types").
 * ```
 * <DmfAPID><Form>                                                     one or more Form, one declaration each
 *   <Identification>DMFAPID</Identification><FormCreationDate/><FormCreationHour/><AttestationStatus/><TypeForm>SU</TypeForm>
 *   <Reference><ReferenceType>1|3</ReferenceType><ReferenceOrigin>1|2</ReferenceOrigin><ReferenceNbr/></Reference>   2..3
 *   <IDEmployerDeclaration><Quarter/><NOSSRegistrationNbr/>… <CompanyID/><EmployerDeclarationPID/>
 *     <IDNaturalPerson><INSS/><NaturalPersonUserReference/>?<NaturalPersonPID/><DeclNaturalPersonPID/><DeclNaturalPersonVersionNbr/>
 *       <OriginalDeclaredWorkerName/>?<OriginalDeclaredWorkerFirstName/>?
 *       <IDWorkerRecord><EmployerClass/><WorkerCode/><WorkerRecordVersionNbr/><WorkerRecordUserReference/>?
 *         <IDOccupation><OccupationSequenceNbr/><OccupationVersionNbr/><OccupationUserReference/>?</IDOccupation>*
 *       </IDWorkerRecord>*
 *     </IDNaturalPerson>*  <IDContUnrelatedToNP/>*  <CompanyVehicleID/>*
 *   </IDEmployerDeclaration>
 * </Form></DmfAPID>
 * ```
 */
import * as parts from './formParts';
import { childNamed, childrenNamed } from './safeXml';

export interface DmpiOccupation {
	/** OccupationSequenceNbr (00043), OccupationVersionNbr (00619), OccupationUserReference (00617). */
	sequenceNbr?: string;
	versionNbr?: string;
	userReference?: string;
}

export interface DmpiWorkerRecord {
	/** EmployerClass (00036), WorkerCode (00037): which worker line. */
	employerClass?: string;
	workerCode?: string;
	/** WorkerRecordVersionNbr (00610), WorkerRecordUserReference (00616). */
	versionNbr?: string;
	userReference?: string;
	occupations: DmpiOccupation[];
}

export interface DmpiNaturalPerson {
	/** INSS (00024) and NaturalPersonUserReference (00615), the employer's reference. */
	inss?: string;
	userReference?: string;
	/** NaturalPersonPID (00549), DeclNaturalPersonPID (00548), DeclNaturalPersonVersionNbr (00620). */
	naturalPersonPid?: string;
	declNaturalPersonPid?: string;
	declNaturalPersonVersionNbr?: string;
	/** OriginalDeclaredWorkerName (00493) and FirstName (00494): the names as declared. */
	originalDeclaredName?: string;
	originalDeclaredFirstName?: string;
	workerRecords: DmpiWorkerRecord[];
}

export interface DmpiDeclaration extends parts.AnswerEmployer, parts.FormHeader {
	/** The ticket of the declaration these identifiers belong to: the Reference of type 3, origin 2. */
	ticket?: string;
	/** This form's own number: the Reference of type 1, origin 2. */
	formTicket?: string;
	references: parts.AnswerReference[];
	/** EmployerDeclarationPID (00534): the social security's number of the declaration. */
	employerDeclarationPid?: string;
	naturalPersons: DmpiNaturalPerson[];
	/** IDContUnrelatedToNP: UnrelatedEmployerClass (00019), UnrelatedWorkerCode (00020), version (00611). */
	contributionsUnrelatedToNp: Array<{
		employerClass?: string;
		workerCode?: string;
		versionNbr?: string;
	}>;
	/** CompanyVehicleID: LicensePlate (00781), CompanyVehicleVersionNbr (00782). */
	companyVehicles: Array<{ licensePlate?: string; versionNbr?: string }>;
}

export interface DmpiAnswer {
	root: string;
	/** The first declaration's ticket (see `declarations` for every form). */
	ticket?: string;
	declarations: DmpiDeclaration[];
	warnings: string[];
}

/** Reads the content of a parsed `<DmfAPID>`. */
export function dmpiFromRoot(rootElement: string, root: unknown): DmpiAnswer {
	const warnings: string[] = [];
	const declarations = parts
		.formsOf(root, rootElement, warnings)
		.map((form) => declarationOf(form, warnings));
	const answer: DmpiAnswer = { root: rootElement, declarations, warnings };
	if (declarations[0]?.ticket !== undefined) answer.ticket = declarations[0].ticket;
	return answer;
}

function declarationOf(form: unknown, warnings: string[]): DmpiDeclaration {
	const references = parts.readReferences(form, ['Reference']);
	const block = childNamed(form, 'IDEmployerDeclaration');
	if (block === undefined) warnings.push('A DMPI form has no IDEmployerDeclaration.');
	const workerRecord = (record: unknown): DmpiWorkerRecord => ({
		...parts.fields(record, {
			employerClass: 'EmployerClass',
			workerCode: 'WorkerCode',
			versionNbr: 'WorkerRecordVersionNbr',
			userReference: 'WorkerRecordUserReference',
		}),
		occupations: childrenNamed(record, 'IDOccupation').map((occupation) =>
			parts.fields(occupation, {
				sequenceNbr: 'OccupationSequenceNbr',
				versionNbr: 'OccupationVersionNbr',
				userReference: 'OccupationUserReference',
			}),
		),
	});
	return {
		...parts.readFormHeader(form, warnings),
		...parts.definedOnly({
			ticket: parts.ticketOfType(references, '3'),
			formTicket: parts.ticketOfType(references, '1'),
		}),
		references,
		...parts.readEmployer(block),
		...parts.fields(block, { employerDeclarationPid: 'EmployerDeclarationPID' }),
		naturalPersons: childrenNamed(block, 'IDNaturalPerson').map((person) => ({
			...parts.fields(person, {
				inss: 'INSS',
				userReference: 'NaturalPersonUserReference',
				naturalPersonPid: 'NaturalPersonPID',
				declNaturalPersonPid: 'DeclNaturalPersonPID',
				declNaturalPersonVersionNbr: 'DeclNaturalPersonVersionNbr',
				originalDeclaredName: 'OriginalDeclaredWorkerName',
				originalDeclaredFirstName: 'OriginalDeclaredWorkerFirstName',
			}),
			workerRecords: childrenNamed(person, 'IDWorkerRecord').map(workerRecord),
		})),
		contributionsUnrelatedToNp: childrenNamed(block, 'IDContUnrelatedToNP').map((unrelated) =>
			parts.fields(unrelated, {
				employerClass: 'UnrelatedEmployerClass',
				workerCode: 'UnrelatedWorkerCode',
				versionNbr: 'ContUnrelatedToNPVersionNbr',
			}),
		),
		companyVehicles: childrenNamed(block, 'CompanyVehicleID').map((vehicle) =>
			parts.fields(vehicle, {
				licensePlate: 'LicensePlate',
				versionNbr: 'CompanyVehicleVersionNbr',
			}),
		),
	};
}
