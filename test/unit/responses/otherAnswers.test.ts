import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interpretAnswer } from '../../../nodes/domain/responses/answerContent';
import { summarizeAnswer } from '../../../nodes/domain/responses/answerSummary';
import type { CollectedAnswer } from '../../../nodes/domain/responses/collectAnswers';
import { zoneValueMeaning } from '../../../nodes/domain/responses/formParts';
import { officialXsdUnavailable, validateOfficial } from '../../helpers/officialXsd';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/answers', name));
const read = (type: string, name: string, language?: 'nl' | 'fr' | 'en') =>
	interpretAnswer({ type, contentName: `FO.${type}.x`, bytes: fixture(name) }, { language });

describe('DMNO: the DmfA update notification (DmfAUpdateNotification_20223.xsd)', () => {
	it('reads the references, the declaration changed, its action, the workers, the amount', () => {
		const dmno = read('DMNO', 'dmno-update.xml').dmno;
		expect(dmno).toMatchObject({
			root: 'DmfAUpdateNotification',
			identification: 'DMFANOT',
			typeForm: 'SU',
			attestationStatus: '0',
			attestationStatusMeaning: 'Origineel',
			createdAt: '2025-05-02T09:12:44.120+02:00',
			// Type 3, origin 2: the ticket of the declaration the update is about; type 1: its own number.
			ticket: '03804KX7M2P4Z',
			formTicket: '03826DM7N4Q1Z',
			declaration: {
				quarter: '20251',
				nossRegistrationNbr: '199999934',
				companyId: '0123456749',
				transmissionMode: 'CS',
				employerDeclarationPid: '12345678901',
				newVersionNbr: '2',
				action: '7',
				actionMeaning:
					'geeft aan dat de subboom gewijzigd werd terwijl het functioneel blok zelf niet aangepast werd.',
			},
			subGroups: [{ subGroup: '1', userQuality: '3' }],
			contributionsUnrelatedToNp: 0,
			companyVehicles: 0,
			rectification: { debitAmount: '12550' },
			hasBlockingAnomalies: false,
			warnings: [],
		});
		expect(dmno?.references.map((r) => [r.type, r.origin, r.number])).toEqual([
			['1', '2', '03826DM7N4Q1Z'],
			['3', '2', '03804KX7M2P4Z'],
			['3', '1', 'PAYROLL-2025Q1-0001'],
		]);
		expect(dmno?.references[0].originMeaning).toMatch(/^het ticketnummer toegekend/);
		expect(dmno?.naturalPersons).toMatchObject([
			{
				sequenceNbr: '1',
				inss: '85073100123',
				userReference: 'EMP-0042',
				naturalPersonPid: '20000000001',
				versionNbr: '1',
				newVersionNbr: '2',
				action: '1',
				actionMeaning: 'geeft aan dat het betreffende blok gewijzigd werd',
				workerRecords: 0,
			},
			{ sequenceNbr: '2', action: '9', anomalies: [] },
		]);
		expect(dmno?.anomalies).toHaveLength(1);
		expect(dmno?.anomalies[0]).toMatchObject({
			code: '00024-006',
			zone: { code: '00024', element: 'INSS' },
			class: 'W',
			severity: 'warning',
			value: '85073100123',
			path: { Quarter: '20251', NOSSRegistrationNbr: '199999934', INSS: '85073100123' },
		});
	});

	it('explains the anomalies in the language asked for', () => {
		const nl = read('DMNO', 'dmno-update.xml', 'nl').dmno?.anomalies[0].explanation;
		const fr = read('DMNO', 'dmno-update.xml', 'fr').dmno?.anomalies[0].explanation;
		expect(nl).toMatch(/^Zone 00024 INSS/);
		expect(fr).toMatch(/^Zone 00024 INSS/);
		expect(nl).not.toBe(fr);
	});
});

describe('DMPI: the identifiers of a DmfA (DmfAPID_20224.xsd)', () => {
	it('reads every form: the declaration, each worker with its lines and occupations, CUNP, vehicles', () => {
		const dmpi = read('DMPI', 'dmpi-identifiers.xml').dmpi;
		expect(dmpi?.ticket).toBe('03804KX7M2P4Z');
		expect(dmpi?.warnings).toEqual([]);
		expect(dmpi?.declarations).toHaveLength(1);
		expect(dmpi?.declarations[0]).toMatchObject({
			identification: 'DMFAPID',
			ticket: '03804KX7M2P4Z',
			formTicket: '03805PD1K8S3Z',
			quarter: '20251',
			nossRegistrationNbr: '199999934',
			companyId: '0123456749',
			employerDeclarationPid: '12345678901',
			naturalPersons: [
				{
					inss: '85073100123',
					userReference: 'EMP-0042',
					naturalPersonPid: '20000000001',
					declNaturalPersonPid: '30000000001',
					declNaturalPersonVersionNbr: '1',
					originalDeclaredName: 'Peeters',
					originalDeclaredFirstName: 'An',
					workerRecords: [
						{
							employerClass: '000',
							workerCode: '495',
							versionNbr: '1',
							userReference: 'WR-0042-1',
							occupations: [{ sequenceNbr: '1', versionNbr: '1', userReference: 'OCC-0042-1' }],
						},
					],
				},
			],
			contributionsUnrelatedToNp: [{ employerClass: '000', workerCode: '861', versionNbr: '1' }],
			companyVehicles: [{ licensePlate: '1ABC123', versionNbr: '1' }],
		});
	});

	it('reads several forms, one declaration each', () => {
		const xml = fixture('dmpi-identifiers.xml').toString();
		const form = /<Form>[\s\S]*<\/Form>/.exec(xml)?.[0] ?? '';
		const two = xml.replace(form, `${form}${form.replace('20251', '20252')}`);
		const check = officialXsdUnavailable() ? undefined : validateOfficial(two);
		if (check) expect(check.errors).toBe('');
		const dmpi = interpretAnswer({ type: 'DMPI', contentName: 'x', bytes: Buffer.from(two) }).dmpi;
		expect(dmpi?.declarations.map((d) => d.quarter)).toEqual(['20251', '20252']);
	});
});

describe('DMDB: the answer to a DmfA consultation (DmfAConsultationAnswer_20224.xsd)', () => {
	it('reads the request answered, its ticket and file, the declaration found, the workers', () => {
		const dmdb = read('DMDB', 'dmdb-consultation.xml').dmdb;
		expect(dmdb).toMatchObject({
			ticket: '03830RQ5T2B8Z',
			fileName: 'GO.DMRQ.012345.20250506.00001.T.1',
			hasBlockingAnomalies: false,
			warnings: [],
		});
		expect(dmdb?.declarations[0]).toMatchObject({
			typeForm: 'FA',
			request: { identification: 'DMFAREQ', typeForm: 'RE' },
			quarter: '20251',
			nossRegistrationNbr: '199999934',
			trusteeship: '0',
			companyId: '0123456749',
			employerDeclarationPid: '12345678901',
			employerDeclarationVersionNbr: '2',
			resultCodeResearch: '0',
			naturalPersons: [
				{ sequenceNbr: '1', inss: '85073100123', name: 'Peeters', resultCodeResearch: '0' },
				{ sequenceNbr: '2', inss: '90010100234', resultCodeResearch: '1', anomalies: [] },
			],
		});
		expect(dmdb?.declarations[0].anomalies.map((a) => a.code)).toEqual(['00024-006']);
		expect(dmdb?.declarations[0].references.map((r) => r.element)).toEqual([
			'FileReference',
			'Reference',
			'HandledReference',
		]);
	});
});

describe('IDFL: the Dimona identification flux (IDFLUX_20231.xsd)', () => {
	it('reads the justification, the date, the employer, the valid and the outdated situation', () => {
		const idfl = read('IDFL', 'idfl-identity.xml').idfl;
		expect(idfl).toMatchObject({
			identification: 'IDFLUX',
			formTicket: '03792ID4FL1Z',
			justificationCode: '91',
			effectiveStartingDate: '2025-01-15',
			employer: { nossRegistrationNbr: '199999934', companyId: '0123456749' },
			valid: {
				inss: '85073100123',
				name: 'Peeters',
				firstName: 'An',
				birthdate: '1985-07-31',
				sex: '2',
				sexMeaning: 'vrouw',
			},
			outdated: { inss: '85073100123', name: 'Peters' },
			warnings: [],
		});
		// No meaning is made up for a zone whose values the glossary we hold does not list.
		expect(zoneValueMeaning('00536', '91')).toBeUndefined();
		expect(idfl).not.toHaveProperty('justificationMeaning');
	});
});

describe('the other answers, together', () => {
	it('are read by their root when the type says nothing, and accept what the server may add', () => {
		for (const [name, key] of [
			['dmno-update.xml', 'dmno'],
			['dmpi-identifiers.xml', 'dmpi'],
			['dmdb-consultation.xml', 'dmdb'],
			['idfl-identity.xml', 'idfl'],
		] as const) {
			const added = fixture(name)
				.toString()
				.replace('</Form>', '<FutureBlock><Code>X</Code></FutureBlock></Form>');
			const result = interpretAnswer({
				type: 'XXXX',
				contentName: name,
				bytes: Buffer.from(added),
			});
			expect(result[key]).toBeDefined();
			expect(result[key]?.warnings).toEqual([]);
			expect(JSON.stringify(result.object)).toContain('FutureBlock');
		}
	});

	it('read official names only: a lookalike with generic names gives nothing', () => {
		const result = interpretAnswer({
			type: 'DMNO',
			contentName: 'x',
			bytes: Buffer.from(
				'<DmfAUpdateNotification><Form><Ticket>T-1</Ticket><Code>1</Code><ID>9</ID></Form></DmfAUpdateNotification>',
			),
		});
		expect(result.dmno).toMatchObject({ references: [], naturalPersons: [], anomalies: [] });
		expect(result.dmno?.ticket).toBeUndefined();
		expect(result.dmno?.warnings).toEqual(['The DMNO has no EmployerDeclarationUpdateNotif.']);
	});

	it('come out in the Poll item: the ticket, the joined GO for a DMDB, the anomalies', () => {
		const summarize = (type: string, name: string) => {
			const id = `${type}.999999.20250506.00001.T`;
			const file = (kind: string) => ({
				name: `${kind}.${id}`,
				path: `/OUTTEST/${kind}.${id}`,
				size: 1,
			});
			const collected: CollectedAnswer<unknown> = {
				answer: {
					answerId: id,
					folder: '/OUTTEST',
					type,
					sender: '999999',
					environment: 'T',
					date: '20250506',
					sequence: '00001',
					content: { ...file('FO'), kind: 'FO' },
					go: file('GO'),
				},
				contentName: `FO.${id}`,
				size: 1,
				sha256: 'x',
				interpreted: read(type, name),
				stored: undefined,
				deleted: true,
			};
			return summarizeAnswer(collected);
		};
		const dmdb = summarize('DMDB', 'dmdb-consultation.xml');
		expect(dmdb).toMatchObject({
			ticket: '03830RQ5T2B8Z',
			answersFile: 'GO.DMRQ.012345.20250506.00001.T.1',
			answersGo: 'GO.DMRQ.012345.20250506.00001.T.1',
			dmdb: { fileName: 'GO.DMRQ.012345.20250506.00001.T.1' },
		});
		expect((dmdb.anomalies as unknown[]).length).toBe(1);
		const dmno = summarize('DMNO', 'dmno-update.xml');
		expect(dmno).toMatchObject({ ticket: '03804KX7M2P4Z', dmno: { formTicket: '03826DM7N4Q1Z' } });
		expect(dmno).not.toHaveProperty('content');
		expect(summarize('IDFL', 'idfl-identity.xml')).toMatchObject({
			idfl: { justificationCode: '91' },
		});
	});
});
