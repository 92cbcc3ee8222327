/**
 * DMNO: the DmfA update notification (root `DmfAUpdateNotification`, DmfAUpdateNotification_20223.xsd):
 * the social security tells the employer that a DmfA declaration was updated and what the update does
 * (what triggers one is not in our sources; docs/answers.md, "Other answer types").
 * ```
 * <DmfAUpdateNotification><Form>                                    exactly one Form
 *   <Identification>DMFANOT</Identification><FormCreationDate/><FormCreationHour/><AttestationStatus/><TypeForm>SU</TypeForm>
 *   <Reference><ReferenceType>1|3</ReferenceType><ReferenceOrigin>1|2</ReferenceOrigin><ReferenceNbr/></Reference>   2..3
 *   <EmployerDeclarationUpdateNotif><Quarter/><NOSSRegistrationNbr/>|<NOSSLPARegistrationNbr/><Trusteeship/>? <CompanyID/>
 *     <TransmissionMode/><EmployerDeclarationPID/><FaultyCode/>?<CalculationRequestArt54ter/>?<Notion22Quater/>?
 *     <EmployerDeclarationNewVersionNbr/>? <Action/> <SubGroupInformation/>1..2
 *     <NaturalPersonUpdateNotif>* <CUNPUpdateNotif>* <CompanyVehicleUpdateNotif>*
 *   </EmployerDeclarationUpdateNotif>
 *   <RectificationAmount><DebitAmount/>|<CreditAmount/></RectificationAmount>
 * </Form></DmfAUpdateNotification>
 * ```
 * Only these names are read; what the server adds is ignored here and stays in the answer's `object`.
 */
import type { CodeLanguage } from '../codes/describeError';
import { AnswerAnomaly, readAnomalies } from './anomalyReport';
import * as parts from './formParts';
import { childNamed, childrenNamed } from './safeXml';

export interface DmnoDeclaration extends parts.AnswerEmployer {
	/** TransmissionMode (00484) as given: WB, LO, CS or OD (the glossary we hold gives no meanings). */
	transmissionMode?: string;
	/** EmployerDeclarationPID (00534): the social security's number of the employer's declaration. */
	employerDeclarationPid?: string;
	/** EmployerDeclarationNewVersionNbr (00533): the declaration's version after this change. */
	newVersionNbr?: string;
	/** FaultyCode (00535) `F`, CalculationRequestArt54ter (00846) `S`, Notion22Quater (00917) `Q`, as given. */
	faultyCode?: string;
	calculationRequestArt54ter?: string;
	notion22Quater?: string;
	/** Action (00411): what happened to the declaration (0 deleted, 1 changed, 2 created, 3 created by a rectification, …). */
	action?: string;
	/** The glossary's text of the action (Dutch, as published). */
	actionMeaning?: string;
}

export interface DmnoSubGroup {
	/** SubGroup (00481), 1..4; SubGroupDecisionIndicator (00614) `R`; UserQuality (00486). */
	subGroup?: string;
	decisionIndicator?: string;
	userQuality?: string;
	/** Justification (00545), JustificationCode (00536), JustificationDate (00537), as given. */
	justification?: string;
	justificationCode?: string;
	justificationDate?: string;
}

export interface DmnoNaturalPerson {
	/** NaturalPersonSequenceNbr (00023) and INSS (00024): the worker. */
	sequenceNbr?: string;
	inss?: string;
	/** NaturalPersonUserReference (00615): the employer's own reference, as declared. */
	userReference?: string;
	/** NaturalPersonPID (00549), DeclNaturalPersonPID (00548): the social security's numbers. */
	naturalPersonPid?: string;
	declNaturalPersonPid?: string;
	/** DeclNaturalPersonVersionNbr (00620) before, DeclNaturalPersonNewVersionNbr (00547) after. */
	versionNbr?: string;
	newVersionNbr?: string;
	/** Action (00411) on this worker's block and its glossary text. */
	action?: string;
	actionMeaning?: string;
	/** BlockDecisionIndicator (00565): A, M or R as given; RepaymentDecision (00906): 0 or 1. */
	blockDecisionIndicator?: string;
	repaymentDecision?: string;
	/** How many WorkerRecordUpdateNotif blocks (worker lines) the change touches. */
	workerRecords: number;
	anomalies: AnswerAnomaly[];
}

export interface DmnoAnswer extends parts.FormHeader {
	root: string;
	/**
	 * The ticket of the declaration the notification is about: the Reference of type 3 (an earlier form
	 * this one is about) given by the social security (origin 2). Our reading of the glossary's types.
	 */
	ticket?: string;
	/** This notification's own number: the Reference of type 1 with origin 2. */
	formTicket?: string;
	references: parts.AnswerReference[];
	declaration?: DmnoDeclaration;
	subGroups: DmnoSubGroup[];
	naturalPersons: DmnoNaturalPerson[];
	/** How many CUNPUpdateNotif (contributions not tied to a person) and CompanyVehicleUpdateNotif blocks. */
	contributionsUnrelatedToNp: number;
	companyVehicles: number;
	/** RectificationAmount: DebitAmount (00612) or CreditAmount (00613), integers as given. */
	rectification?: { debitAmount?: string; creditAmount?: string };
	/** Every AnomalyReport (of a worker or a CUNP block), explained. */
	anomalies: AnswerAnomaly[];
	hasBlockingAnomalies: boolean;
	warnings: string[];
}

/** Action (zone 00411) as given, with the glossary's text. */
function actionOf(element: unknown): { action?: string; actionMeaning?: string } {
	const action = parts.childText(element, 'Action');
	return (
		parts.definedOnly({ action, actionMeaning: parts.zoneValueMeaning('00411', action) }) ?? {}
	);
}

/** Reads the content of a parsed `<DmfAUpdateNotification>`. */
export function dmnoFromRoot(
	rootElement: string,
	root: unknown,
	language: CodeLanguage = 'en',
): DmnoAnswer {
	const warnings: string[] = [];
	const form = parts.singleForm(root, rootElement, warnings);
	const references = parts.readReferences(form, ['Reference']);
	const block = childNamed(form, 'EmployerDeclarationUpdateNotif');
	if (form !== undefined && block === undefined)
		warnings.push('The DMNO has no EmployerDeclarationUpdateNotif.');

	const naturalPersons = childrenNamed(block, 'NaturalPersonUpdateNotif').map(
		(person): DmnoNaturalPerson => ({
			...parts.fields(person, {
				sequenceNbr: 'NaturalPersonSequenceNbr',
				inss: 'INSS',
				userReference: 'NaturalPersonUserReference',
				naturalPersonPid: 'NaturalPersonPID',
				declNaturalPersonPid: 'DeclNaturalPersonPID',
				versionNbr: 'DeclNaturalPersonVersionNbr',
				newVersionNbr: 'DeclNaturalPersonNewVersionNbr',
				blockDecisionIndicator: 'BlockDecisionIndicator',
				repaymentDecision: 'RepaymentDecision',
			}),
			...actionOf(person),
			workerRecords: childrenNamed(person, 'WorkerRecordUpdateNotif').length,
			anomalies: readAnomalies(person, language),
		}),
	);
	const unrelated = childrenNamed(block, 'CUNPUpdateNotif');
	const anomalies = [
		...naturalPersons.flatMap((p) => p.anomalies),
		...unrelated.flatMap((element) => readAnomalies(element, language)),
	];
	const answer: DmnoAnswer = {
		root: rootElement,
		...parts.readFormHeader(form, warnings),
		references,
		subGroups: childrenNamed(block, 'SubGroupInformation').map((group) =>
			parts.fields(group, {
				subGroup: 'SubGroup',
				decisionIndicator: 'SubGroupDecisionIndicator',
				userQuality: 'UserQuality',
				justification: 'Justification',
				justificationCode: 'JustificationCode',
				justificationDate: 'JustificationDate',
			}),
		),
		naturalPersons,
		contributionsUnrelatedToNp: unrelated.length,
		companyVehicles: childrenNamed(block, 'CompanyVehicleUpdateNotif').length,
		anomalies,
		hasBlockingAnomalies: anomalies.some((a) => a.severity === 'blocking'),
		warnings,
	};
	const amount = parts.fields(childNamed(form, 'RectificationAmount'), {
		debitAmount: 'DebitAmount',
		creditAmount: 'CreditAmount',
	});
	const optional = parts.definedOnly({
		ticket: parts.ticketOfType(references, '3'),
		formTicket: parts.ticketOfType(references, '1'),
		declaration:
			block === undefined
				? undefined
				: {
						...parts.readEmployer(block),
						...parts.fields(block, {
							transmissionMode: 'TransmissionMode',
							employerDeclarationPid: 'EmployerDeclarationPID',
							newVersionNbr: 'EmployerDeclarationNewVersionNbr',
							faultyCode: 'FaultyCode',
							calculationRequestArt54ter: 'CalculationRequestArt54ter',
							notion22Quater: 'Notion22Quater',
						}),
						...actionOf(block),
					},
		rectification: Object.keys(amount).length > 0 ? amount : undefined,
	});
	return { ...answer, ...optional };
}
