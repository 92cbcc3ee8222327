/**
 * The XML of the simulator's answers, as their official XSDs lay them out: ACRF (ACRF_20231.xsd),
 * NOTIFICATION (NOTIFICATION_20223.xsd) and DMNO (DmfAUpdateNotification_20223.xsd). Every answer the
 * simulator writes is validated against them in test/integration/simulator.test.ts. What is read from
 * them and where each fact comes from: docs/answers.md; our choices: docs/sandbox.md, "The simulator".
 */
import { brusselsClock } from '../../nodes/domain/names/brusselsTime';
import { SimulatedAnomaly, printable } from './types';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

/** The lines every form starts with: identification, creation moment, status and type. */
function formStart(identification: string, typeForm: string, now: Date): string[] {
	const { date, time } = formDateTime(now);
	return [
		'  <Form>',
		`    <Identification>${identification}</Identification>`,
		`    <FormCreationDate>${date}</FormCreationDate>`,
		`    <FormCreationHour>${time}</FormCreationHour>`,
		'    <AttestationStatus>0</AttestationStatus>',
		`    <TypeForm>${typeForm}</TypeForm>`,
	];
}

/** The file the answer is about and the ticket the social security gave it. */
function fileReference(fileName: string, ticket: string): string[] {
	return [
		'    <FileReference>',
		`      <FileName>${xmlText(fileName)}</FileName>`,
		'      <ReferenceOrigin>2</ReferenceOrigin>',
		`      <ReferenceNbr>${xmlText(ticket)}</ReferenceNbr>`,
		'    </FileReference>',
	];
}

function reference(element: string, type: string, origin: string, number: string): string[] {
	return [
		`    <${element}>`,
		`      <ReferenceType>${type}</ReferenceType>`,
		`      <ReferenceOrigin>${origin}</ReferenceOrigin>`,
		`      <ReferenceNbr>${xmlText(number)}</ReferenceNbr>`,
		`    </${element}>`,
	];
}

export function buildAcrfXml(input: {
	fileName: string;
	ticket: string;
	resultCode: 0 | 1;
	errors: string[];
	now: Date;
	/** FA final (default) or PA provisional. */
	typeForm?: 'FA' | 'PA';
}): string {
	return [
		XML_DECLARATION,
		`<ACRF ${XSI} xsi:noNamespaceSchemaLocation="ACRF_20231.xsd">`,
		...formStart('ACRF001', input.typeForm ?? 'FA', input.now),
		...fileReference(input.fileName, input.ticket),
		'    <ReceptionResult>',
		`      <ResultCode>${input.resultCode}</ResultCode>`,
		...input.errors.map((e) => `      <ErrorID>${xmlText(e)}</ErrorID>`),
		'    </ReceptionResult>',
		'  </Form>',
		'</ACRF>',
		'',
	].join('\n');
}

export function buildNotiXml(input: {
	fileName: string;
	ticket: string;
	application: string;
	now: Date;
	anomalies?: SimulatedAnomaly[];
}): string {
	const anomalies = input.anomalies ?? [];
	// Any class B refuses the declaration (ResultCode 0, Diagnosis 3 "refused: blocking anomalies");
	// other anomalies leave it accepted with Diagnosis 7 "anomalies present" (zone 00232; our choice).
	const blocking = anomalies.some((a) => a.anomalyClass === 'B');
	const diagnosis =
		anomalies.length === 0 ? [] : [`      <Diagnosis>${blocking ? 3 : 7}</Diagnosis>`];
	return [
		XML_DECLARATION,
		`<NOTIFICATION ${XSI} xsi:noNamespaceSchemaLocation="NOTIFICATION_20223.xsd">`,
		...formStart('NOTI001', 'FA', input.now),
		...fileReference(input.fileName, input.ticket),
		'    <HandledOriginalForm>',
		`      <Identification>${xmlText(input.application)}</Identification>`,
		'    </HandledOriginalForm>',
		// HandledReference is required by the XSD: the reference the social security gives the
		// declaration (origin 2); the simulator gives it the set's ticket, as peers see.
		...reference('HandledReference', '1', '2', input.ticket),
		'    <HandlingResult>',
		`      <ResultCode>${blocking ? 0 : 1}</ResultCode>`,
		...diagnosis,
		...anomalies.flatMap(anomalyReport),
		'    </HandlingResult>',
		'  </Form>',
		'</NOTIFICATION>',
		'',
	].join('\n');
}

function anomalyReport(a: SimulatedAnomaly): string[] {
	return [
		'      <AnomalyReport>',
		`        <ErrorID>${xmlText(a.errorId)}</ErrorID>`,
		...(a.tagName ? [`        <TagName>${xmlText(a.tagName)}</TagName>`] : []),
		...(a.value !== undefined ? [`        <Value>${xmlText(a.value)}</Value>`] : []),
		`        <AnomalyClass>${xmlText(a.anomalyClass)}</AnomalyClass>`,
		...(a.lineNbr
			? [
					'        <AnomalyLocation>',
					`          <LineNbr>${a.lineNbr}</LineNbr>`,
					'        </AnomalyLocation>',
				]
			: []),
		'      </AnomalyReport>',
	];
}

/** What a DMNO says of the declaration changed; values the XSD refuses are replaced by the defaults. */
export interface DmnoContent {
	/** The ticket of the modification (DMWA) set: Reference type 3, origin 2. */
	ticket: string;
	/** The DMNO's own number: Reference type 1, origin 2. */
	formTicket: string;
	/** 11 digits: the declaration's number at the social security. */
	employerDeclarationPid: string;
	quarter?: string;
	nossRegistrationNbr?: string;
	companyId?: string;
	inss?: string[];
	now: Date;
}

/**
 * A DMNO for a DmfA modification (DMWA) the simulator accepted: the declaration's sub-tree changed
 * (Action 7), each worker of the modification changed (Action 1), version 2, no amount to pay
 * (DebitAmount 0). TransmissionMode, SubGroup and UserQuality take values the XSD allows; their
 * meanings are not in our sources (docs/sandbox.md).
 */
export function buildDmnoXml(input: DmnoContent): string {
	const quarter = /^\d{4}[1-4]$/.test(input.quarter ?? '')
		? input.quarter
		: currentQuarter(input.now);
	const noss = Number(input.nossRegistrationNbr);
	const nossRegistrationNbr = noss >= 100006 && noss <= 199999934 ? String(noss) : '199999934';
	const companyId = /^(\d{9}|\d{10})$/.test(input.companyId ?? '') ? input.companyId : '0123456749';
	const inss = (input.inss ?? []).filter((n) => /^\d{11}$/.test(n));
	return [
		XML_DECLARATION,
		`<DmfAUpdateNotification ${XSI} xsi:noNamespaceSchemaLocation="DmfAUpdateNotification_20223.xsd">`,
		...formStart('DMFANOT', 'SU', input.now),
		...reference('Reference', '1', '2', input.formTicket),
		...reference('Reference', '3', '2', input.ticket),
		'    <EmployerDeclarationUpdateNotif>',
		`      <Quarter>${quarter}</Quarter>`,
		`      <NOSSRegistrationNbr>${nossRegistrationNbr}</NOSSRegistrationNbr>`,
		`      <CompanyID>${companyId}</CompanyID>`,
		'      <TransmissionMode>CS</TransmissionMode>',
		`      <EmployerDeclarationPID>${input.employerDeclarationPid}</EmployerDeclarationPID>`,
		'      <EmployerDeclarationNewVersionNbr>2</EmployerDeclarationNewVersionNbr>',
		'      <Action>7</Action>',
		'      <SubGroupInformation>',
		'        <SubGroup>1</SubGroup>',
		'        <UserQuality>1</UserQuality>',
		'      </SubGroupInformation>',
		...(inss.length > 0 ? inss : ['00000000000']).flatMap((number, index) => [
			'      <NaturalPersonUpdateNotif>',
			`        <NaturalPersonSequenceNbr>${index + 1}</NaturalPersonSequenceNbr>`,
			`        <INSS>${number}</INSS>`,
			'        <DeclNaturalPersonVersionNbr>1</DeclNaturalPersonVersionNbr>',
			'        <DeclNaturalPersonNewVersionNbr>2</DeclNaturalPersonNewVersionNbr>',
			'        <Action>1</Action>',
			'      </NaturalPersonUpdateNotif>',
		]),
		'    </EmployerDeclarationUpdateNotif>',
		'    <RectificationAmount>',
		'      <DebitAmount>0</DebitAmount>',
		'    </RectificationAmount>',
		'  </Form>',
		'</DmfAUpdateNotification>',
		'',
	].join('\n');
}

function currentQuarter(now: Date): string {
	const date = brusselsClock(now).date;
	return `${date.slice(0, 4)}${Math.floor((Number(date.slice(4, 6)) - 1) / 3) + 1}`;
}

function formDateTime(now: Date): { date: string; time: string } {
	const c = brusselsClock(now);
	const two = (n: number) => String(n).padStart(2, '0');
	return {
		date: `${c.date.slice(0, 4)}-${c.date.slice(4, 6)}-${c.date.slice(6, 8)}`,
		time: `${two(c.hour)}:${two(c.minute)}:${two(c.second)}.${String(c.millisecond).padStart(3, '0')}`,
	};
}

function xmlText(value: string): string {
	return printable(value, 1000).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
