import {
	ACRF_ERROR_CODES,
	describeAcrfError,
	findAcrfError,
	normalizeAcrfCode,
} from '../../../nodes/domain/responses/acrfErrorCodes';

/** Every code listed in docs/batch-channel.md §5 "Transport error codes an ACRF can carry". */
const DOCUMENTED = [
	'088',
	'101',
	'103',
	'102',
	'107',
	'108',
	'109',
	'110',
	'111',
	'126',
	'112',
	'113',
	'127',
	'367',
	'114',
	'115',
	'116',
	'128',
	'117',
	'118',
	'119',
	'257',
	'120',
	'122',
	'121',
	'123',
	'124',
	'125',
	'129',
	'130',
	'131',
	'132',
	'133',
	'134',
	'153',
	'154',
	'158',
	'172',
	'184',
	'509',
	'255',
	'312',
];

describe('ACRF error codes', () => {
	it('has every documented code, and only those', () => {
		expect(Object.keys(ACRF_ERROR_CODES).sort()).toEqual(DOCUMENTED.map((n) => `ACRF-${n}`).sort());
	});

	it('explains each code in sentences, with an action where one is given', () => {
		for (const entry of Object.values(ACRF_ERROR_CODES)) {
			expect(entry.meaning).toMatch(/^[A-Z].{15,}\.$/);
			if (entry.action) expect(entry.action).toMatch(/^[A-Z].*\.$/);
			expect(describeAcrfError(entry.code)).toContain(entry.meaning);
		}
	});

	it('tells what ACRF-125 means and what to do', () => {
		expect(describeAcrfError('ACRF-125')).toBe(
			'The signature (FS) does not match the declaration (FI) or is not a valid signature. Sign the exact bytes that are uploaded (a binary, detached PKCS#7 signature) and send the set again under a new sequence number.',
		);
		expect(describeAcrfError('ACRF-133')).toMatch(/already used.*new sequence number/);
		expect(describeAcrfError('ACRF-118')).toMatch(/INTEST-S/);
	});

	it('accepts the code in any usual spelling', () => {
		for (const spelling of ['ACRF-125', 'acrf-125', 'ACRF125', '125', ' ACRF-125 ', 'ACRF_125']) {
			expect(normalizeAcrfCode(spelling)).toBe('ACRF-125');
			expect(findAcrfError(spelling)?.code).toBe('ACRF-125');
		}
		expect(normalizeAcrfCode('88')).toBe('ACRF-088');
	});

	it('gives a generic text for an unknown code, without echoing control characters', () => {
		expect(findAcrfError('ACRF-999')).toBeUndefined();
		expect(findAcrfError('constructor')).toBeUndefined();
		expect(describeAcrfError('ACRF-999')).toMatch(/^Unknown code ACRF-999: .*contact center/);
		expect(describeAcrfError('X\u0000Y')).toContain('X?Y');
		expect(describeAcrfError('')).toContain('(empty)');
	});
});
