import {
	DeclarationSetId,
	declarationSetNames,
	formatSubmissionFileName,
	parseFileName,
	parseResponseFileName,
	parseSubmissionFileName,
	signatureNameForDeclaration,
	validateDeclarationSet,
} from '../../../nodes/domain/names/fileNames';
import {
	APPLICATION_CODES,
	findApplicationCode,
} from '../../../nodes/domain/names/applicationCodes';
import { ENVIRONMENTS } from '../../../nodes/domain/names/environments';
import { brusselsToday, isCalendarDate } from '../../../nodes/domain/names/brusselsTime';
import { SocialSecurityError } from '../../../nodes/domain/errors';

const today = '20260115';
const set: DeclarationSetId = {
	application: 'DMFA',
	sender: '101380',
	date: '20260110',
	sequence: '00001',
	environment: 'T',
	parts: 1,
};

const codes = (name: string, options = {}) => {
	const r = parseSubmissionFileName(name, { today, ...options });
	return r.valid ? [] : r.violations.map((v) => v.acrf ?? v.rule);
};

describe('formatting the names of a declaration set', () => {
	it('builds the example names of the guide', () => {
		const example = { ...set, date: '20100920' };
		expect(formatSubmissionFileName('FI', example, 1)).toBe('FI.DMFA.101380.20100920.00001.T.1.1');
		expect(formatSubmissionFileName('FS', example, 1)).toBe('FS.DMFA.101380.20100920.00001.T.1.1');
		expect(formatSubmissionFileName('GO', example)).toBe('GO.DMFA.101380.20100920.00001.T.1');
		expect(formatSubmissionFileName('TD', example)).toBe('TD.DMFA.101380.20100920.00001.T.1');
	});

	it('lists every part of a 3-part set with its folders', () => {
		const names = declarationSetNames({ ...set, parts: 3, environment: 'S' });
		expect(names.fi).toEqual([1, 2, 3].map((p) => `FI.DMFA.101380.20260110.00001.S.3.${p}`));
		expect(names.fs).toEqual([1, 2, 3].map((p) => `FS.DMFA.101380.20260110.00001.S.3.${p}`));
		expect(names.go).toBe('GO.DMFA.101380.20260110.00001.S.3');
		expect(names.td).toBe('TD.DMFA.101380.20260110.00001.S.3');
		expect([names.uploadFolder, names.responseFolder]).toEqual(['INTEST-S', 'OUTTEST-S']);
	});

	it('refuses to format an invalid name, naming the rule and the ACRF code', () => {
		expect(() => formatSubmissionFileName('GO', { ...set, sequence: '00000' })).toThrow(
			/sequence 00000 is not allowed \(ACRF-127\)/,
		);
		expect(() => formatSubmissionFileName('FI', set)).toThrow(/need a part number \(ACRF-131\)/);
		expect(() => formatSubmissionFileName('FS', set, 2)).toThrow(
			/part 2 does not exist in a set of 1 part\(s\) \(ACRF-116\)/,
		);
		try {
			formatSubmissionFileName('GO', { ...set, sender: '12' });
		} catch (error) {
			expect(error).toBeInstanceOf(SocialSecurityError);
			expect((error as SocialSecurityError).code).toBe('NAME_INVALID');
		}
	});

	it('maps an FI name to its FS name', () => {
		expect(signatureNameForDeclaration('FI.DMFA.101380.20260110.00001.T.1.1')).toBe(
			'FS.DMFA.101380.20260110.00001.T.1.1',
		);
		expect(signatureNameForDeclaration('payroll.xml')).toBeUndefined();
	});
});

describe('rules on names we send', () => {
	it('accepts valid FI, FS, GO and TD names and returns their fields', () => {
		const r = parseSubmissionFileName('FI.DIMN.000042.20260114.A1Z9Q.R.3.2', { today });
		expect(r.valid && r.value).toEqual({
			kind: 'FI',
			application: 'DIMN',
			sender: '000042',
			date: '20260114',
			sequence: 'A1Z9Q',
			environment: 'R',
			parts: 3,
			part: 2,
			name: 'FI.DIMN.000042.20260114.A1Z9Q.R.3.2',
		});
		expect(codes('FS.DMFA.101380.20260110.00001.T.1.1')).toEqual([]);
		expect(codes('GO.DMFA.101380.20260110.00001.T.9')).toEqual([]);
		expect(codes('TD.DMFA.101380.20260110.00001.S.1')).toEqual([]);
	});

	it.each([
		['XX.DMFA.101380.20260110.00001.T.1', 'ACRF-129', 'prefix'],
		['fi.DMFA.101380.20260110.00001.T.1.1', 'ACRF-129', 'lower-case prefix'],
		['GO.DMFA.101380.20260110.00001.T', 'ACRF-107', 'GO with too few elements'],
		['GO.DMFA.101380.20260110.00001.T.1.1', 'ACRF-107', 'GO with a part number'],
		['TD.DMFA.101380.20260110.T.1', 'ACRF-107', 'TD malformed'],
		['FI.DMFA.101380.20260110.00001.T.1', 'ACRF-131', 'FI without part'],
		['FS.DMFA.101380.20260110.00001.T.1', 'ACRF-132', 'FS without part'],
		['GO.DMF.101380.20260110.00001.T.1', 'ACRF-158', 'application of 3 letters'],
		['GO.dmfa.101380.20260110.00001.T.1', 'ACRF-158', 'application in lower case'],
		['GO.DMF1.101380.20260110.00001.T.1', 'ACRF-158', 'application with a digit'],
		['GO.DMFA.10138.20260110.00001.T.1', 'ACRF-108', 'sender of 5 digits'],
		['GO.DMFA.1013800.20260110.00001.T.1', 'ACRF-108', 'sender of 7 digits'],
		['GO.DMFA.10138A.20260110.00001.T.1', 'ACRF-108', 'sender with a letter'],
		['GO.DMFA.101380.2026011.00001.T.1', 'ACRF-109', 'date of 7 digits'],
		['GO.DMFA.101380.2026-1-1.00001.T.1', 'ACRF-109', 'date with dashes'],
		['GO.DMFA.101380.20260230.00001.T.1', 'ACRF-110', '30 February'],
		['GO.DMFA.101380.20251301.00001.T.1', 'ACRF-110', 'month 13'],
		['GO.DMFA.101380.20260116.00001.T.1', 'ACRF-111', 'tomorrow'],
		['GO.DMFA.101380.20251201.00001.T.1', 'ACRF-126', '45 days old'],
		['GO.DMFA.101380.20260110.0001.T.1', 'ACRF-112', 'sequence of 4'],
		['GO.DMFA.101380.20260110.000001.T.1', 'ACRF-112', 'sequence of 6'],
		['GO.DMFA.101380.20260110.00_01.T.1', 'ACRF-113', 'sequence with _'],
		['GO.DMFA.101380.20260110.0000é.T.1', 'ACRF-113', 'sequence with an accent'],
		['GO.DMFA.101380.20260110.0000a.T.1', 'ACRF-367', 'sequence in lower case'],
		['GO.DMFA.101380.20260110.00000.T.1', 'ACRF-127', 'sequence zero'],
		['GO.DMFA.101380.20260110.00001.X.1', 'ACRF-117', 'environment X'],
		['GO.DMFA.101380.20260110.00001.r.1', 'ACRF-117', 'environment in lower case'],
		['GO.DMFA.101380.20260110.00001.T.A', 'ACRF-114', 'parts not a digit'],
		['GO.DMFA.101380.20260110.00001.T.10', 'ACRF-114', 'parts of two digits'],
		['GO.DMFA.101380.20260110.00001.T.0', 'ACRF-115', 'zero parts'],
		['FI.DMFA.101380.20260110.00001.T.2.3', 'ACRF-116', 'part beyond the count'],
		['FI.DMFA.101380.20260110.00001.T.2.0', 'ACRF-116', 'part zero'],
		['FI.DMFA.101380.20260110.00001.T.2.X', 'ACRF-128', 'part not a digit'],
	])('%s is refused with %s (%s)', (name, acrf) => {
		expect(codes(name)).toContain(acrf);
	});

	it('reports every broken rule of a name at once', () => {
		expect(codes('GO.DMFA.12.20261301.00000.X.0')).toEqual([
			'ACRF-108',
			'ACRF-110',
			'ACRF-127',
			'ACRF-117',
			'ACRF-115',
		]);
	});

	it('checks the sender of the channel when it is known', () => {
		expect(codes('GO.DMFA.101380.20260110.00001.T.1', { expectedSender: '101380' })).toEqual([]);
		expect(codes('GO.DMFA.101381.20260110.00001.T.1', { expectedSender: '101380' })).toEqual([
			'ACRF-108',
		]);
	});

	it('allows custom application codes unless only known ones are asked for', () => {
		expect(codes('GO.ABCD.101380.20260110.00001.T.1')).toEqual([]);
		expect(codes('GO.ABCD.101380.20260110.00001.T.1', { knownApplicationsOnly: true })).toEqual([
			'ACRF-154',
		]);
		expect(codes('GO.ACRF.101380.20260110.00001.T.1', { knownApplicationsOnly: true })).toEqual([
			'ACRF-154',
		]);
	});

	it('makes the "too old" limit a setting', () => {
		expect(codes('GO.DMFA.101380.20251201.00001.T.1', { maxAgeDays: 60 })).toEqual([]);
		expect(codes('GO.DMFA.101380.20200101.00001.T.1', { maxAgeDays: 0 })).toEqual([]);
		expect(codes('GO.DMFA.101380.20260110.00001.T.1', { maxAgeDays: 5 })).toEqual([]);
		expect(codes('GO.DMFA.101380.20260109.00001.T.1', { maxAgeDays: 5 })).toEqual(['ACRF-126']);
	});

	it('writes messages a person can act on', () => {
		const r = parseSubmissionFileName('GO.DMFA.101380.20260110.00000.T.1', { today });
		expect(!r.valid && r.violations[0]).toEqual({
			rule: 'sequence-zero',
			acrf: 'ACRF-127',
			message: 'sequence 00000 is not allowed (ACRF-127)',
		});
	});

	it('never echoes control characters or endless input', () => {
		const r = parseSubmissionFileName(`GO.DMFA.101380.20260110.0\u0000\n01.T.1`, { today });
		expect(!r.valid && r.violations[0].message).not.toMatch(/\p{Cc}/u);
		const long = parseSubmissionFileName(`GO.${'A'.repeat(5000)}.101380.20260110.00001.T.1`, {
			today,
		});
		expect(!long.valid && long.violations[0].message.length).toBeLessThan(200);
	});

	it('validates a whole set identity', () => {
		expect(validateDeclarationSet(set, { today })).toEqual([]);
		expect(validateDeclarationSet({ ...set, parts: 10 }, { today }).map((v) => v.acrf)).toEqual([
			'ACRF-114',
		]);
	});
});

describe('names that come back from the server', () => {
	it.each([
		[
			'FO.ACRF.999999.20260110.00042.T',
			{ kind: 'FO', type: 'ACRF', environment: 'T', answerId: 'ACRF.999999.20260110.00042.T' },
		],
		['CO.NOTI.999999.20260110.0A0B0.R', { kind: 'CO', type: 'NOTI', environment: 'R' }],
		['FS.ACRF.999999.20260110.00042.T', { kind: 'FS', type: 'ACRF' }],
		['GO.ACRF.999999.20260110.00042.T', { kind: 'GO', type: 'ACRF' }],
		[
			'FO.DMNO.999999.20260110.00042.S.1.1',
			{
				kind: 'FO',
				type: 'DMNO',
				parts: 1,
				part: 1,
				environment: 'S',
				answerId: 'DMNO.999999.20260110.00042.S.1.1',
			},
		],
	])('parses %s', (name, fields) => {
		const r = parseResponseFileName(name);
		expect(r.valid).toBe(true);
		expect(r.valid && r.value).toMatchObject({ ...fields, sender: '999999', name });
	});

	it.each([
		'../FO.ACRF.999999.20260110.00042.T',
		'/etc/passwd',
		'FO.ACRF.999999.20260110.00042.T/../../x',
		'FO.ACRF.999999.20260110.00042.T\u0000',
		'FO.ACRF.999999.20260110.00042.T\n',
		'FO.ACRF.999999.20260110.00042.X',
		'FO.ACRF.999999.20261310.00042.T',
		'FO.ACRF.999999.20260110.00042.T.1',
		'XX.ACRF.999999.20260110.00042.T',
		`FO.ACRF.999999.20260110.00042.T${'.1'.repeat(3)}`,
		'FO.ACRF.999999.20260110.0004a.T',
	])('refuses the hostile or malformed answer name %j', (name) => {
		expect(parseResponseFileName(name).valid).toBe(false);
	});

	it('tells answers from our own FS and GO names', () => {
		const answer = parseFileName('GO.ACRF.999999.20260110.00042.T');
		expect(answer.valid && answer.value.direction).toBe('response');
		const ours = parseFileName('GO.DMFA.101380.20260110.00001.T.1', { today });
		expect(ours.valid && ours.value.direction).toBe('submission');
		const fo = parseFileName('FO.ACRF.999999.20260110.00042');
		expect(fo.valid).toBe(false);
	});
});

describe('tables', () => {
	it('has every application code of the guide exactly once', () => {
		const sending = [
			'AOAT',
			'DIMN',
			'DMFA',
			'DMRQ',
			'DMWA',
			'DUCN',
			'PFRQ',
			'TWCT',
			'VBLV',
			'WECH',
			'ZIMA',
			'FLEX',
		];
		const answers = ['ACRF', 'NOTI', 'DMNO', 'DMPI', 'DMDB', 'IDFL', 'FINO', 'BEWA', 'PFAN'];
		for (const c of sending) expect(findApplicationCode(c)?.direction).toBe('send');
		for (const c of answers) expect(findApplicationCode(c)?.direction).toBe('response');
		expect(new Set(APPLICATION_CODES.map((c) => c.code)).size).toBe(APPLICATION_CODES.length);
	});

	it('maps every environment to its folders', () => {
		expect(
			Object.values(ENVIRONMENTS).map((e) => [e.environment, e.uploadFolder, e.responseFolder]),
		).toEqual([
			['R', 'IN', 'OUT'],
			['T', 'INTEST', 'OUTTEST'],
			['S', 'INTEST-S', 'OUTTEST-S'],
		]);
	});
});

describe('Brussels dates', () => {
	it('uses the Brussels calendar day, not UTC', () => {
		// 23:30 UTC on 31 December is already 1 January in Brussels (UTC+1 in winter).
		expect(brusselsToday(new Date('2025-12-31T23:30:00Z'))).toBe('20260101');
		// 22:30 UTC on 30 June is 00:30 on 1 July in Brussels (UTC+2 in summer).
		expect(brusselsToday(new Date('2026-06-30T22:30:00Z'))).toBe('20260701');
		expect(brusselsToday(new Date('2026-06-30T21:30:00Z'))).toBe('20260630');
	});

	it('knows real calendar dates', () => {
		expect(isCalendarDate('20240229')).toBe(true);
		expect(isCalendarDate('20230229')).toBe(false);
		expect(isCalendarDate('20230431')).toBe(false);
	});
});
