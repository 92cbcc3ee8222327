import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseGenericAnswer, parseNoti } from '../../../nodes/domain/responses/noti';
import { officialXsdUnavailable, validateOfficial } from '../../helpers/officialXsd';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/answers', name));

describe('reading a NOTI', () => {
	it('reads an accepted notification: ticket, file, result, no anomaly', () => {
		const noti = parseNoti(fixture('noti-accepted.xml'));
		expect(noti).toMatchObject({
			root: 'NOTIFICATION',
			identification: 'NOTI001',
			typeForm: 'FA',
			final: true,
			provisional: false,
			ticket: '03804KX7M2P4Z',
			fileName: 'GO.DMFA.012345.20250410.00001.T.1',
			accepted: true,
			resultCode: '1',
			anomalies: [],
			hasBlockingAnomalies: false,
			createdAt: '2025-04-10T21:48:14.795+02:00',
		});
		expect(noti.references).toEqual([
			{ element: 'FileReference', number: '03804KX7M2P4Z', origin: '2' },
			{ element: 'Reference', number: 'PAYROLL-2025Q1-0001', type: '1', origin: '1' },
			{ element: 'HandledReference', number: '03408M5TR7K2Z', type: '1', origin: '2' },
		]);
		expect(Object.keys(noti.object)).toEqual(['NOTIFICATION']);
	});

	it('reads a refused notification with anomalies of two classes', () => {
		const noti = parseNoti(fixture('noti-anomalies.xml'));
		expect(noti).toMatchObject({
			accepted: false,
			resultCode: '0',
			ticket: '03804LA9F3H6Z',
			hasBlockingAnomalies: true,
		});
		expect(noti.anomalies[0]).toMatchObject({
			zone: { code: '00011', element: 'NOSSRegistrationNbr', title: 'RSZ-NUMMER', known: true },
			error: { code: '155', nl: 'Geen of vervallen mandaat', fr: 'Pas ou plus de mandat' },
			explanation:
				'Zone 00011 NOSSRegistrationNbr (RSZ-NUMMER): Geen of vervallen mandaat / Pas ou plus de mandat',
		});
		expect(noti.anomalies[1].zone).toMatchObject({ code: '90007', element: 'EmployerDeclaration' });
		expect(
			noti.anomalies.map((a) => {
				const rest: Partial<typeof a> = { ...a };
				delete rest.zone;
				delete rest.error;
				delete rest.explanation;
				return rest;
			}),
		).toEqual([
			{
				code: '00011-155',
				class: 'B',
				severity: 'blocking',
				classMeaning: expect.stringMatching(/^Blocking anomaly/),
				tagName: 'NOSSRegistrationNbr',
				value: '199990008',
				location: '1,1,7,2',
			},
			{
				code: '90007-262',
				class: 'NB',
				severity: 'warning',
				classMeaning: expect.stringMatching(/^Non-blocking anomaly/),
				description: "Déclaration employeur - Plus de travailleurs déclarés en DmfA qu'en DIMONA",
				path: {
					Quarter: '20251',
					NOSSRegistrationNbr: '199990008',
					Trusteeship: '0',
					CompanyID: '0999999922',
				},
			},
			{
				code: '00300-001',
				class: 'B',
				severity: 'blocking',
				classMeaning: expect.any(String),
				description:
					"Ligne travailleur - Code travailleur <495> incompatible avec la catégorie d'employeur",
				path: {
					Quarter: '20251',
					NOSSRegistrationNbr: '199990008',
					CompanyID: '0999999922',
					NaturalPersonSequenceNbr: '2',
					INSS: '85073003328',
					EmployerClass: '010',
					WorkerCode: '495',
				},
			},
		]);
	});

	it('reads every class of the glossary, ResultCode 2 with its Diagnosis, line and column, an FI name', () => {
		const noti = parseNoti(fixture('noti-classes.xml'));
		expect(noti).toMatchObject({
			resultCode: '2',
			resultMeaning: expect.stringMatching(/^A proposal to be validated/),
			diagnoses: [{ code: '7', meaning: 'Anomalies present.' }],
			fileName: 'FI.DMFA.012345.20250410.00005.T.1.1',
			ticket: '03804LB2K7M1Z',
			quarter: '20251',
			declaration: { identification: 'DMFA', typeForm: 'SU' },
			hasBlockingAnomalies: true,
			warnings: [],
		});
		expect(noti.accepted).toBeUndefined();
		expect(noti.anomalies.map((a) => [a.class, a.severity])).toEqual([
			['B', 'blocking'],
			['P', 'warning'],
			['NP', 'warning'],
			['D', 'warning'],
			['W', 'warning'],
			['I', 'info'],
			['NB', 'warning'],
		]);
		for (const anomaly of noti.anomalies) expect(anomaly.classMeaning).toEqual(expect.any(String));
		expect(noti.anomalies[0]).toMatchObject({
			code: '00024-003',
			zone: { code: '00024', element: 'INSS', known: true },
			error: { code: '003', nl: 'Ongeldig', fr: 'Invalide' },
			tagName: 'INSS',
			value: '85073003329',
			lineNbr: '41',
			columnNbr: '17',
			location: 'line 41, column 17',
		});
		expect(noti.anomalies[3].zone).toMatchObject({ code: '00053', element: 'WorkerStatus' });
	});

	it('reads ResultCode 3 and 4 (published in the glossary, beyond the 2022 XSD) as not yet decided', () => {
		for (const [code, meaning] of [
			['3', /^A provisional answer/],
			['4', /^Timeout/],
		] as const) {
			const xml = fixture('noti-classes.xml')
				.toString()
				.replace('<ResultCode>2</ResultCode>', `<ResultCode>${code}</ResultCode>`);
			const noti = parseNoti(xml);
			expect(noti.resultCode).toBe(code);
			expect(noti.resultMeaning).toMatch(meaning);
			expect(noti.accepted).toBeUndefined();
			expect(noti.warnings).toEqual([]);
		}
	});

	it('reads a Dimona NOTI without FileReference: the ticket is the HandledReference; period ids; the impact report', () => {
		const noti = parseNoti(fixture('noti-dimona-periods.xml'));
		expect(noti).toMatchObject({
			ticket: '03791AB3CD4EZ',
			handledReference: '03791AB3CD4EZ',
			accepted: false,
			diagnoses: [{ code: '3', meaning: 'Declaration refused: blocking anomalies.' }],
			declaration: { identification: 'DIMONA' },
			employer: { nossRegistrationNbr: '199990008', companyId: '0999999922' },
		});
		expect(noti.fileName).toBeUndefined();
		expect(noti.references).toEqual([
			{ element: 'HandledReference', number: '03791AB3CD4EZ', type: '1', origin: '2' },
		]);
		expect(noti.anomalies).toEqual([
			expect.objectContaining({
				code: '90373-333',
				zone: expect.objectContaining({ element: 'DimonaIn', block: true }),
				error: expect.objectContaining({
					nl: 'Dubbele Dimonaperiode',
					fr: 'Période Dimona en double',
				}),
				dimonaPeriodIds: ['500012345678'],
			}),
			expect.objectContaining({
				code: '90373-334',
				dimonaPeriodIds: ['500012345679', '500012345680'],
			}),
		]);
		expect(noti.impactReport).toMatchObject({
			DimonaImpactReport: {
				DimonaPeriodId: '500012345681',
				DimonaPeriodAfter: { StartingDate: '2025-01-17' },
			},
		});
	});

	it('explains in the language asked for', () => {
		const [nl] = parseNoti(fixture('noti-anomalies.xml'), { language: 'nl' }).anomalies;
		const [fr] = parseNoti(fixture('noti-anomalies.xml'), { language: 'fr' }).anomalies;
		expect(nl.explanation).toBe(
			'Zone 00011 NOSSRegistrationNbr (RSZ-NUMMER): Geen of vervallen mandaat',
		);
		expect(fr.explanation).toBe(
			'Zone 00011 NOSSRegistrationNbr (RSZ-NUMMER): Pas ou plus de mandat',
		);
	});

	it('reads the official names only: generic names (Ticket, Code, Level, AcceptanceCode) are not guessed', () => {
		const noti =
			parseNoti(`<n:Notification xmlns:n="urn:x"><n:Ticket> T-42 </n:Ticket><n:GOFileName>GO.DIMN.012345.20250410.00001.T.1</n:GOFileName>
			<n:AcceptanceCode>REFUSED</n:AcceptanceCode>
			<n:Anomalies><n:Anomaly><n:Code>E1</n:Code><n:Level>Warning</n:Level></n:Anomaly></n:Anomalies></n:Notification>`);
		expect(noti).toMatchObject({ root: 'Notification', anomalies: [], references: [] });
		expect(noti.ticket).toBeUndefined();
		expect(noti.fileName).toBeUndefined();
		expect(noti.accepted).toBeUndefined();
		expect(noti.warnings).toEqual(['The NOTIFICATION has no <Form> element.']);
		// What the server may add is ignored and kept in the object.
		const extra = parseNoti(
			fixture('noti-accepted.xml')
				.toString()
				.replace('<HandlingResult>', '<FutureBlock><X>1</X></FutureBlock><HandlingResult>'),
		);
		expect(extra.accepted).toBe(true);
		expect(JSON.stringify(extra.object)).toContain('FutureBlock');
	});

	it('leaves the result undefined when there is none or it is not published, and says so', () => {
		const empty = parseNoti('<NOTIFICATION><Form/></NOTIFICATION>');
		expect(empty).toMatchObject({ anomalies: [], references: [], final: false, diagnoses: [] });
		expect(empty.accepted).toBeUndefined();
		expect(empty.ticket).toBeUndefined();
		expect(empty.warnings).toEqual([
			'The NOTIFICATION has no HandledReference.',
			'The NOTIFICATION has no HandlingResult.',
		]);
		const odd = parseNoti(
			'<NOTIFICATION><Form><HandledReference><ReferenceType>1</ReferenceType><ReferenceOrigin>2</ReferenceOrigin></HandledReference><HandlingResult><ResultCode>7</ResultCode><AnomalyReport><ErrorID>00011-155</ErrorID></AnomalyReport></HandlingResult></Form></NOTIFICATION>',
		);
		expect(odd.accepted).toBeUndefined();
		expect(odd.resultCode).toBe('7');
		expect(odd.warnings).toEqual(['Unexpected ResultCode "7" (0 to 4 are published).']);
		expect(odd.anomalies).toEqual([
			expect.objectContaining({
				code: '00011-155',
				severity: 'unknown',
				explanation: expect.stringContaining('RSZ-NUMMER'),
			}),
		]);
	});

	it('refuses unsafe XML like any other answer', () => {
		expect(() =>
			parseNoti(
				'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><NOTIFICATION>&e;</NOTIFICATION>',
			),
		).toThrow(expect.objectContaining({ code: 'RESPONSE_XML_FORBIDDEN' }));
	});
});

describe('reading another answer type', () => {
	it('returns the root and the plain object', () => {
		const answer = parseGenericAnswer(
			'<DmfANotification><Form><Quarter>20251</Quarter><Amount>0012.50</Amount></Form></DmfANotification>',
		);
		expect(answer).toEqual({
			root: 'DmfANotification',
			object: { DmfANotification: { Form: { Quarter: '20251', Amount: '0012.50' } } },
		});
	});
});

const xsdMissing = officialXsdUnavailable();
if (xsdMissing)
	console.warn(`The answer fixtures are not checked against the official XSDs: ${xsdMissing}.`);

(xsdMissing ? describe.skip : describe)('the answer fixtures', () => {
	it('all validate against their official XSD (ACRF, NOTIFICATION, DMNO, DMPI, DMDB, IDFLUX)', () => {
		const dir = join(__dirname, '../../fixtures/answers');
		const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
		expect(files.length).toBeGreaterThanOrEqual(12);
		for (const file of files) {
			const check = validateOfficial(readFileSync(join(dir, file)));
			expect({ file, xsd: check.xsd, errors: check.errors }).toEqual({
				file,
				xsd: expect.any(String),
				errors: '',
			});
			expect(check.valid).toBe(true);
		}
	});
});
