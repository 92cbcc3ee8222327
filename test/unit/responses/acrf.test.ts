import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SocialSecurityError } from '../../../nodes/domain/errors';
import { creationMoment, parseAcrf } from '../../../nodes/domain/responses/acrf';
import { describeAcrfError } from '../../../nodes/domain/responses/acrfErrorCodes';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/answers', name));

const acrf = (inner: string) => `<ACRF><Form>${inner}</Form></ACRF>`;

describe('reading an ACRF', () => {
	it('reads an accepted, final ACRF', () => {
		expect(parseAcrf(fixture('acrf-accepted.xml'))).toEqual({
			root: 'ACRF',
			accepted: true,
			resultCode: '1',
			typeForm: 'FA',
			final: true,
			provisional: false,
			ticket: '03804KX7M2P4Z',
			referenceOrigin: '2',
			answersFile: 'GO.DMFA.012345.20250410.00001.T.1',
			createdAt: '2025-04-10T12:05:55.075+02:00',
			createdAtText: '2025-04-10 12:05:55.075',
			identification: 'ACRF001',
			attestationStatus: '0',
			errors: [],
			warnings: [],
		});
	});

	it('reads a rejected ACRF with three errors, each with its meaning', () => {
		const answer = parseAcrf(fixture('acrf-rejected-3-errors.xml'));
		expect(answer.accepted).toBe(false);
		expect(answer.resultCode).toBe('0');
		expect(answer.ticket).toBe('03804KY2Q8W1Z');
		expect(answer.answersFile).toBe('GO.DMFA.012345.20250410.00002.T.1');
		expect(answer.errors).toEqual([
			{
				code: 'ACRF-125',
				meaning: describeAcrfError('ACRF-125'),
				known: true,
				nl: 'Handtekening ongeldig',
				fr: 'Signature invalide',
			},
			expect.objectContaining({
				code: 'ACRF-158',
				meaning: describeAcrfError('ACRF-158'),
				known: true,
			}),
			expect.objectContaining({
				code: 'ACRF-312',
				meaning: describeAcrfError('ACRF-312'),
				known: true,
				nl: 'Het bestand is niet geldig op basis van de bijbehorende gegevensmodellen (xml-schema)',
			}),
		]);
		expect(answer.errors[0].meaning).toMatch(
			/^The signature \(FS\) does not match the declaration \(FI\)/,
		);
		expect(answer.errors[1].meaning).toMatch(/application .* does not match/);
		expect(answer.errors[2].meaning).toMatch(/XML schema \(XSD\)/);
		expect(answer.warnings).toEqual([]);
	});

	it('reads an ACRF whose FileName is the FI of a set refused for its name; an annex-30 code not in our table keeps its published text', () => {
		const answer = parseAcrf(fixture('acrf-fi-name.xml'));
		expect(answer).toMatchObject({
			accepted: false,
			answersFile: 'FI.DMFA.012345.20250410.00006.T.1.1',
			ticket: '03804LC9Q2W3Z',
		});
		expect(answer.errors.map((e) => e.code)).toEqual(['ACRF-129', 'ACRF-131']);
		const unlisted = parseAcrf(
			fixture('acrf-fi-name.xml').toString().replace('ACRF-131', 'ACRF-155'),
		).errors[1];
		expect(unlisted).toEqual({
			code: 'ACRF-155',
			known: false,
			nl: 'Geen of vervallen mandaat',
			fr: 'Pas ou plus de mandat',
			meaning: 'Geen of vervallen mandaat / Pas ou plus de mandat',
		});
	});

	it('tells a provisional answer (PA) from a final one (FA)', () => {
		const provisional = parseAcrf(fixture('acrf-provisional.xml'));
		expect(provisional).toMatchObject({
			typeForm: 'PA',
			provisional: true,
			final: false,
			accepted: true,
		});
		expect(provisional.createdAt).toBe('2025-01-15T08:14:03.512+01:00');
		const final = parseAcrf(fixture('acrf-accepted.xml'));
		expect(final).toMatchObject({ typeForm: 'FA', provisional: false, final: true });
		const neither = parseAcrf(
			acrf('<TypeForm>XX</TypeForm><ReceptionResult><ResultCode>1</ResultCode></ReceptionResult>'),
		);
		expect(neither).toMatchObject({ typeForm: 'XX', provisional: false, final: false });
		expect(neither.warnings.join(' ')).toMatch(/TypeForm/);
	});

	it('tolerates one ErrorID, whitespace, odd spellings and missing optional elements', () => {
		const answer = parseAcrf(
			`
			<?xml version="1.0"?>
			<ACRF>
			  <Form>
			    <TypeForm> fa </TypeForm>
			    <ReceptionResult>
			      <ResultCode>
			        0
			      </ResultCode>
			      <ErrorID>
			        acrf-133
			      </ErrorID>
			    </ReceptionResult>
			  </Form>
			</ACRF>`.trim(),
		);
		expect(answer).toMatchObject({
			accepted: false,
			resultCode: '0',
			final: true,
			errors: [{ code: 'ACRF-133', known: true }],
		});
		expect(answer.ticket).toBeUndefined();
		expect(answer.answersFile).toBeUndefined();
		expect(answer.createdAt).toBeUndefined();
		expect(answer.warnings).toEqual([]);
	});

	it('keeps an unknown code with a generic explanation', () => {
		const answer = parseAcrf(
			acrf(
				'<ReceptionResult><ResultCode>0</ResultCode><ErrorID>ACRF-999</ErrorID><ErrorID>42</ErrorID></ReceptionResult>',
			),
		);
		expect(answer.errors.map((e) => [e.code, e.known])).toEqual([
			['ACRF-999', false],
			['ACRF-042', false],
		]);
		expect(answer.errors[0].meaning).toMatch(/^Unknown code ACRF-999/);
	});

	it('reads namespaced or attributed elements and an ACRF without <Form>', () => {
		const answer = parseAcrf(
			'<a:ACRF xmlns:a="urn:x"><a:ReceptionResult><a:ResultCode kind="x">1</a:ResultCode></a:ReceptionResult><a:FileReference><a:ReferenceNbr>T</a:ReferenceNbr></a:FileReference></a:ACRF>',
		);
		expect(answer).toMatchObject({ accepted: true, resultCode: '1', ticket: 'T' });
		expect(answer.warnings.join(' ')).toMatch(/no <Form>/);
	});

	it('says so when the ResultCode is missing or odd, and treats it as not accepted', () => {
		expect(parseAcrf(acrf('<TypeForm>FA</TypeForm>'))).toMatchObject({
			accepted: false,
			warnings: [expect.stringMatching(/no ResultCode/)],
		});
		expect(
			parseAcrf(acrf('<ReceptionResult><ResultCode>2</ResultCode></ReceptionResult>')).accepted,
		).toBe(false);
		expect(
			parseAcrf(
				acrf('<ReceptionResult><ResultCode>0</ResultCode></ReceptionResult>'),
			).warnings.join(' '),
		).toMatch(/gives no error code/);
	});

	it('refuses clearly an answer whose root is not ACRF', () => {
		let error: unknown;
		try {
			parseAcrf(fixture('noti-accepted.xml'), { sourceName: 'FO.NOTI.999999.20250410.00021.T' });
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(SocialSecurityError);
		expect((error as SocialSecurityError).code).toBe('RESPONSE_NOT_ACRF');
		expect((error as SocialSecurityError).message).toMatch(/root element is <NOTIFICATION>/);
	});

	it('passes XML refusals through', () => {
		expect(() => parseAcrf('<!DOCTYPE ACRF><ACRF/>')).toThrow(
			expect.objectContaining({ code: 'RESPONSE_XML_FORBIDDEN' }),
		);
		expect(() => parseAcrf('<ACRF>')).toThrow(
			expect.objectContaining({ code: 'RESPONSE_XML_INVALID' }),
		);
	});
});

describe('the creation moment of an answer', () => {
	it('keeps the Brussels wall time and adds the offset of that day', () => {
		expect(creationMoment('2025-07-01', '23:59:59.999')).toEqual({
			iso: '2025-07-01T23:59:59.999+02:00',
			text: '2025-07-01 23:59:59.999',
		});
		expect(creationMoment('2025-12-31', '00:00')).toEqual({
			iso: '2025-12-31T00:00:00.000+01:00',
			text: '2025-12-31 00:00',
		});
		expect(creationMoment('2025-04-10', '15:36:40.2761234').iso).toBe(
			'2025-04-10T15:36:40.276+02:00',
		);
	});

	it('handles the daylight-saving changes', () => {
		// 26 October 2025: 02:00–03:00 happens twice; the first (summer) one is taken.
		expect(creationMoment('2025-10-26', '02:30:00').iso).toBe('2025-10-26T02:30:00.000+02:00');
		expect(creationMoment('2025-10-26', '03:30:00').iso).toBe('2025-10-26T03:30:00.000+01:00');
		// 30 March 2025: 02:00–03:00 does not exist.
		expect(creationMoment('2025-03-30', '01:59:59').iso).toBe('2025-03-30T01:59:59.000+01:00');
		expect(creationMoment('2025-03-30', '02:30:00').iso).toBe('2025-03-30T02:30:00.000+01:00');
		expect(creationMoment('2025-03-30', '03:00:00').iso).toBe('2025-03-30T03:00:00.000+02:00');
	});

	it('keeps the text and warns when the date or hour cannot be read', () => {
		expect(creationMoment('2025-02-30', '10:00:00')).toEqual({
			text: '2025-02-30 10:00:00',
			warning: expect.stringMatching(/FormCreationDate/),
		});
		expect(creationMoment('2025-02-03', '25:00')).toEqual({
			text: '2025-02-03 25:00',
			warning: expect.stringMatching(/FormCreationHour/),
		});
		expect(creationMoment('2025-02-03', undefined)).toEqual({ text: '2025-02-03' });
		expect(creationMoment(undefined, undefined)).toEqual({ text: undefined });
	});
});
