import { answeredSet } from '../../../nodes/domain/responses/answeredSet';

describe('answeredSet: the set an answer is about, from the name it gives', () => {
	it('an answer naming the GO (accepted or rejected set) joins by that GO', () => {
		expect(answeredSet('GO.DMFA.012345.20260110.00002.T.1')).toEqual({
			kind: 'GO',
			go: 'GO.DMFA.012345.20260110.00002.T.1',
		});
	});

	it('an answer naming an FI (set refused for a file name) gives the GO of that set and the FI', () => {
		expect(answeredSet('FI.DMFA.012345.20260110.00002.T.3.2')).toEqual({
			kind: 'FI',
			go: 'GO.DMFA.012345.20260110.00002.T.3',
			fi: 'FI.DMFA.012345.20260110.00002.T.3.2',
		});
	});

	it('an FS or a TD name gives the GO of its set too', () => {
		expect(answeredSet('FS.DIMN.012345.20260110.0000A.S.1.1')).toEqual({
			kind: 'FS',
			go: 'GO.DIMN.012345.20260110.0000A.S.1',
		});
		expect(answeredSet('TD.DMFA.012345.20260110.00002.R.1')).toEqual({
			kind: 'TD',
			go: 'GO.DMFA.012345.20260110.00002.R.1',
		});
	});

	it('reads by structure, not by the naming rules: a name refused for a rule still joins', () => {
		// A date long past (ACRF-126) and the sequence 00000 (ACRF-127) break rules, not the structure.
		expect(answeredSet('FI.DMFA.012345.20190101.00000.T.1.1')?.go).toBe(
			'GO.DMFA.012345.20190101.00000.T.1',
		);
		expect(answeredSet(' GO.DMFA.012345.20260110.00002.T.1\n')?.go).toBe(
			'GO.DMFA.012345.20260110.00002.T.1',
		);
	});

	it('gives nothing for what is not one of our names', () => {
		for (const name of [
			undefined,
			'',
			'FO.ACRF.999999.20260110.00001.T',
			'FI.DMFA.012345.20260110.00002.T.1',
			'GO.DMFA.012345.20260110.00002.T.1.1',
			'GO.DMFA.012345.20260110.00002.T',
			'GO.DMFA.012345.20260110.00002.T.1/../x',
			'payroll-export.xml',
		])
			expect(answeredSet(name)).toBeUndefined();
	});
});
