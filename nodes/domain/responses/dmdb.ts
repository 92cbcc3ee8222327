/**
 * DMDB: the answer to a DmfA consultation request (DMRQ), what the social security's database holds
 * for a declaration (root `DmfAConsultationAnswer`, DmfAConsultationAnswer_20224.xsd; docs/answers.md,
 * "Other answer types").
 * ```
 * <DmfAConsultationAnswer><Form>                                      one or more Form
 *   <Identification>DMFADB</Identification><FormCreationDate/><FormCreationHour/><AttestationStatus/><TypeForm>FA</TypeForm>
 *   <FileReference><FileName>GO of the request</FileName><ReferenceOrigin/><ReferenceNbr>ticket</ReferenceNbr></FileReference>?
 *   <HandledOriginalForm><Identification>DMFAREQ</Identification>…<TypeForm>RE</TypeForm></HandledOriginalForm>
 *   <Reference/>? <HandledReference><ReferenceType/><ReferenceOrigin/><ReferenceNbr/></HandledReference>
 *   <EmployerDeclarationConsult><Quarter/><NOSSRegistrationNbr/><Trusteeship/>|<NOSSLPARegistrationNbr/><CompanyID/>
 *     <System5/>?<EmployerDeclarationPID/>?<EmployerDeclarationVersionNbr/>?<ResultCodeResearch/><AnomalySubmission/>?
 *     <NaturalPersonConsult>…<ResultCodeResearch/><WorkerRecordConsult/>*<AnomalyReport/>*</NaturalPersonConsult>*
 *     <CompanyVehicleAction/>* <ContributionUnrelatedToNPConsult>…<AnomalyReport/>*</ContributionUnrelatedToNPConsult>*
 *   </EmployerDeclarationConsult>
 * </Form></DmfAConsultationAnswer>
 * ```
 * ResultCodeResearch (zone 00609, 0..5) is given as is: the glossary we hold does not list its values.
 */
import type { CodeLanguage } from '../codes/describeError';
import { AnswerAnomaly, readAnomalies } from './anomalyReport';
import * as parts from './formParts';
import { childNamed, childrenNamed } from './safeXml';

export interface DmdbNaturalPerson {
	/** NaturalPersonSequenceNbr (00023), INSS (00024), WorkerName (00025), WorkerFirstName (00026). */
	sequenceNbr?: string;
	inss?: string;
	name?: string;
	firstName?: string;
	/** NaturalPersonUserReference (00615), NaturalPersonPID (00549), DeclNaturalPersonPID (00548), version (00620). */
	userReference?: string;
	naturalPersonPid?: string;
	declNaturalPersonPid?: string;
	declNaturalPersonVersionNbr?: string;
	/** ResultCodeResearch (00609) for this worker, as given. */
	resultCodeResearch?: string;
	/** How many WorkerRecordConsult blocks (worker lines) are given. */
	workerRecords: number;
	anomalies: AnswerAnomaly[];
}

export interface DmdbDeclaration extends parts.AnswerEmployer, parts.FormHeader {
	/** The ticket: FileReference/ReferenceNbr, else HandledReference/ReferenceNbr (as for a NOTIFICATION). */
	ticket?: string;
	/** FileReference/FileName: the GO of the consultation request, when given. */
	fileName?: string;
	references: parts.AnswerReference[];
	/** HandledOriginalForm: the request answered (Identification DMFAREQ, TypeForm RE). */
	request?: { identification?: string; typeForm?: string };
	/** System5 (00016), EmployerDeclarationPID (00534), EmployerDeclarationVersionNbr (00832), as given. */
	system5?: string;
	employerDeclarationPid?: string;
	employerDeclarationVersionNbr?: string;
	/** ResultCodeResearch (00609) for the declaration, as given (0..5). */
	resultCodeResearch?: string;
	/** AnomalySubmission (00852) `1`, as given. */
	anomalySubmission?: string;
	naturalPersons: DmdbNaturalPerson[];
	contributionsUnrelatedToNp: number;
	companyVehicles: number;
	/** Every AnomalyReport of the form (workers and contributions not tied to a person), explained. */
	anomalies: AnswerAnomaly[];
}

export interface DmdbAnswer {
	root: string;
	/** The first form's ticket and file name (see `declarations` for every form). */
	ticket?: string;
	fileName?: string;
	declarations: DmdbDeclaration[];
	hasBlockingAnomalies: boolean;
	warnings: string[];
}

/** Reads the content of a parsed `<DmfAConsultationAnswer>`. */
export function dmdbFromRoot(
	rootElement: string,
	root: unknown,
	language: CodeLanguage = 'en',
): DmdbAnswer {
	const warnings: string[] = [];
	const declarations = parts
		.formsOf(root, rootElement, warnings)
		.map((form) => declarationOf(form, language, warnings));
	const first = declarations[0];
	return {
		root: rootElement,
		...parts.definedOnly({ ticket: first?.ticket, fileName: first?.fileName }),
		declarations,
		hasBlockingAnomalies: declarations.some((d) =>
			d.anomalies.some((a) => a.severity === 'blocking'),
		),
		warnings,
	};
}

function declarationOf(form: unknown, language: CodeLanguage, warnings: string[]): DmdbDeclaration {
	const references = parts.readReferences(form, ['FileReference', 'Reference', 'HandledReference']);
	const block = childNamed(form, 'EmployerDeclarationConsult');
	if (block === undefined) warnings.push('A DMDB form has no EmployerDeclarationConsult.');
	const naturalPersons = childrenNamed(block, 'NaturalPersonConsult').map(
		(person): DmdbNaturalPerson => ({
			...parts.fields(person, {
				sequenceNbr: 'NaturalPersonSequenceNbr',
				inss: 'INSS',
				name: 'WorkerName',
				firstName: 'WorkerFirstName',
				userReference: 'NaturalPersonUserReference',
				naturalPersonPid: 'NaturalPersonPID',
				declNaturalPersonPid: 'DeclNaturalPersonPID',
				declNaturalPersonVersionNbr: 'DeclNaturalPersonVersionNbr',
				resultCodeResearch: 'ResultCodeResearch',
			}),
			workerRecords: childrenNamed(person, 'WorkerRecordConsult').length,
			anomalies: readAnomalies(person, language),
		}),
	);
	const unrelated = childrenNamed(block, 'ContributionUnrelatedToNPConsult');
	const fileReference = childNamed(form, 'FileReference');
	const request = parts.fields(childNamed(form, 'HandledOriginalForm'), {
		identification: 'Identification',
		typeForm: 'TypeForm',
	});
	return {
		...parts.readFormHeader(form, warnings),
		...parts.definedOnly({
			ticket:
				parts.childText(fileReference, 'ReferenceNbr') ??
				parts.childText(childNamed(form, 'HandledReference'), 'ReferenceNbr'),
			fileName: parts.childText(fileReference, 'FileName'),
			request: Object.keys(request).length > 0 ? request : undefined,
		}),
		references,
		...parts.readEmployer(block),
		...parts.fields(block, {
			system5: 'System5',
			employerDeclarationPid: 'EmployerDeclarationPID',
			employerDeclarationVersionNbr: 'EmployerDeclarationVersionNbr',
			resultCodeResearch: 'ResultCodeResearch',
			anomalySubmission: 'AnomalySubmission',
		}),
		naturalPersons,
		contributionsUnrelatedToNp: unrelated.length,
		companyVehicles: childrenNamed(block, 'CompanyVehicleAction').length,
		anomalies: [
			...naturalPersons.flatMap((p) => p.anomalies),
			...unrelated.flatMap((element) => readAnomalies(element, language)),
		],
	};
}
