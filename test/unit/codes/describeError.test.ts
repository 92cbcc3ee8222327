import {
	describeError,
	describeSignatureError,
	describeZone,
	zoneValues,
} from '../../../nodes/domain/codes/describeError';
import { ACRF_ERROR_CODES } from '../../../nodes/domain/responses/acrfErrorCodes';

describe('describeError', () => {
	it('explains 00011-155: zone 00011 is NOSSRegistrationNbr, error 155 of annex 30', () => {
		const explained = describeError('00011-155');
		expect(explained).toMatchObject({
			code: '00011-155',
			kind: 'anomaly',
			known: true,
			zone: { code: '00011', element: 'NOSSRegistrationNbr', title: 'RSZ-NUMMER', block: false },
			error: { code: '155', nl: 'Geen of vervallen mandaat', fr: 'Pas ou plus de mandat' },
		});
		expect(explained.zone?.description).toMatch(/RSZ/);
		expect(explained.text).toBe(
			'Zone 00011 NOSSRegistrationNbr (RSZ-NUMMER): Geen of vervallen mandaat / Pas ou plus de mandat',
		);
		expect(describeError('00011-155', { language: 'nl' }).text).toBe(
			'Zone 00011 NOSSRegistrationNbr (RSZ-NUMMER): Geen of vervallen mandaat',
		);
		expect(describeError('00011-155', { language: 'fr' }).text).toBe(
			'Zone 00011 NOSSRegistrationNbr (RSZ-NUMMER): Pas ou plus de mandat',
		);
	});

	it('explains ACRF-125 with annex 30, our English line and what to do', () => {
		const explained = describeError('ACRF-125');
		expect(explained).toMatchObject({
			code: 'ACRF-125',
			kind: 'transport',
			known: true,
			error: { code: '125', nl: 'Handtekening ongeldig', fr: 'Signature invalide' },
		});
		expect(explained.error?.en).toBe(ACRF_ERROR_CODES['ACRF-125'].meaning);
		expect(explained.action).toBe(ACRF_ERROR_CODES['ACRF-125'].action);
		expect(explained.text).toContain(explained.action);
		expect(describeError('acrf-125', { language: 'fr' }).text).toBe('Signature invalide');
		expect(describeError('ACRF125', { language: 'nl' }).text).toBe('Handtekening ongeldig');
	});

	it('gives every transport code our rules use its annex-30 texts too', () => {
		for (const code of Object.keys(ACRF_ERROR_CODES)) {
			const explained = describeError(code);
			expect(explained.known).toBe(true);
			expect(explained.error?.nl).toBeDefined();
			expect(explained.error?.en).toBe(ACRF_ERROR_CODES[code].meaning);
		}
	});

	it('explains a functional block as zone (90007, an employer declaration)', () => {
		const explained = describeError('90007-262');
		expect(explained.zone).toMatchObject({
			element: 'EmployerDeclaration',
			block: true,
			known: true,
		});
	});

	it('says what it does not know, without throwing', () => {
		expect(describeError('99999-155')).toMatchObject({ known: false, zone: { known: false } });
		expect(describeError('99999-155').error?.nl).toBe('Geen of vervallen mandaat');
		expect(describeError('ACRF-999')).toMatchObject({ known: false, kind: 'transport' });
		expect(describeError('whatever\u0000')).toMatchObject({ known: false, kind: 'unknown' });
		expect(describeError('whatever\u0000').text).toContain('whatever?');
		expect(describeError('').text).toContain('(empty)');
	});

	it('reads the published values of ResultCode, Diagnosis and AnomalyClass', () => {
		expect(Object.keys(zoneValues('00107'))).toEqual(['0', '1', '2', '3', '4']);
		expect(zoneValues('00107')['4']).toBe('Timeout');
		expect(Object.keys(zoneValues('00232'))).toEqual([
			'0',
			'1',
			'2',
			'3',
			'4',
			'5',
			'6',
			'7',
			'8',
			'9',
		]);
		expect(zoneValues('00232')['3']).toBe('Geweigerde aangifte - blokkerende anomalieën');
		expect(Object.keys(zoneValues('00497'))).toEqual(['B', 'P', 'NP', 'D', 'W', 'I']);
		expect(describeZone('00108').element).toBe('ErrorID');
	});

	it('finds annex-25 codes in each of their tables', () => {
		const three = describeSignatureError(3);
		expect(three.length).toBeGreaterThanOrEqual(2);
		expect(three.every((e) => e.code === '3' && e.nl.length > 0)).toBe(true);
		expect(describeSignatureError('nope')).toEqual([]);
	});
});
