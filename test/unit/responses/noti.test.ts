import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGenericAnswer, parseNoti } from '../../../nodes/domain/responses/noti';

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
		expect(noti.anomalies).toEqual([
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

	it('finds the ticket in a Reference given by the social security when there is no FileReference (peer layout)', () => {
		const noti =
			parseNoti(`<NOTIFICATION><Form><Identification>NOTI001</Identification><TypeForm>FA</TypeForm>
			<Reference><ReferenceType>0</ReferenceType><ReferenceOrigin>2</ReferenceOrigin><ReferenceNbr>0380579A83Q1Z</ReferenceNbr></Reference>
			<HandledReference><ReferenceType>1</ReferenceType><ReferenceOrigin>2</ReferenceOrigin><ReferenceNbr>2BX002PAEVZAZ</ReferenceNbr></HandledReference>
			<HandlingResult><ResultCode>1</ResultCode><AnomalyReport><ErrorID>00024-152</ErrorID><AnomalyClass>NP</AnomalyClass>
			<Path><INSS>93051822361</INSS></Path></AnomalyReport></HandlingResult></Form></NOTIFICATION>`);
		expect(noti).toMatchObject({
			ticket: '0380579A83Q1Z',
			accepted: true,
			hasBlockingAnomalies: false,
		});
		expect(noti.fileName).toBeUndefined();
		expect(noti.anomalies).toEqual([
			{
				code: '00024-152',
				class: 'NP',
				severity: 'warning',
				classMeaning: expect.any(String),
				path: { INSS: '93051822361' },
			},
		]);
	});

	it('tolerates another layout: Ticket, AcceptanceCode, nested Anomalies, free class names', () => {
		const noti =
			parseNoti(`<n:Notification xmlns:n="urn:x"><n:Ticket> T-42 </n:Ticket><n:GOFileName>GO.DIMN.012345.20250410.00001.T.1</n:GOFileName>
			<n:AcceptanceCode>REFUSED</n:AcceptanceCode>
			<n:Anomalies><n:Anomaly><n:Code>E1</n:Code><n:Severity>Warning</n:Severity><n:Description>first</n:Description><n:Path>/Dimona/Form/INSS</n:Path></n:Anomaly>
			<n:Anomaly><n:Code>E2</n:Code><n:Severity>Blocking</n:Severity></n:Anomaly><n:Anomaly>E3</n:Anomaly>
			<n:Anomaly>A sentence that is no code.</n:Anomaly></n:Anomalies></n:Notification>`);
		expect(noti).toMatchObject({
			root: 'Notification',
			ticket: 'T-42',
			fileName: 'GO.DIMN.012345.20250410.00001.T.1',
			accepted: false,
			resultCode: 'REFUSED',
		});
		expect(noti.anomalies).toEqual([
			{
				code: 'E1',
				class: 'Warning',
				severity: 'warning',
				classMeaning: 'Warning.',
				description: 'first',
				path: { path: '/Dimona/Form/INSS' },
			},
			{ code: 'E2', class: 'Blocking', severity: 'blocking', classMeaning: 'Blocking anomaly.' },
			{ code: 'E3', severity: 'unknown' },
			{ description: 'A sentence that is no code.', severity: 'unknown' },
		]);
		expect(noti.hasBlockingAnomalies).toBe(true);
	});

	it('leaves the result undefined when there is none or it is not recognised, and reads bare error codes', () => {
		const empty = parseNoti('<NOTIFICATION><Form/></NOTIFICATION>');
		expect(empty).toMatchObject({ anomalies: [], references: [], final: false });
		expect(empty.accepted).toBeUndefined();
		expect(empty.ticket).toBeUndefined();
		const odd = parseNoti(
			'<NOTIFICATION><HandlingResult><ResultCode>7</ResultCode><ErrorID>00011-155</ErrorID></HandlingResult></NOTIFICATION>',
		);
		expect(odd.accepted).toBeUndefined();
		expect(odd.resultCode).toBe('7');
		expect(odd.anomalies).toEqual([{ code: '00011-155', severity: 'unknown' }]);
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
