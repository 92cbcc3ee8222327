import { FolderEntry, pairAnswerFiles } from '../../../nodes/domain/responses/answerTriplets';

const file = (name: string, size = 100, extra: Partial<FolderEntry> = {}): FolderEntry => ({
	name,
	size,
	type: 'file',
	...extra,
});
const triplet = (id: string, kind: 'FO' | 'CO' = 'FO'): FolderEntry[] => [
	file(`${kind}.${id}`, 2048),
	file(`FS.${id}`, 3000),
	file(`GO.${id}`, 0),
];

describe('pairing the files of an answer folder', () => {
	it('pairs a complete triplet into one answer with every field', () => {
		const result = pairAnswerFiles(
			[
				file('FO.ACRF.999999.20250410.00011.T', 812, { modifyTime: 1744279555000 }),
				file('FS.ACRF.999999.20250410.00011.T', 2950),
				file('GO.ACRF.999999.20250410.00011.T', 0),
			],
			'OUTTEST',
		);
		expect(result.incomplete).toEqual([]);
		expect(result.skipped).toEqual([]);
		expect(result.complete).toEqual([
			{
				answerId: 'ACRF.999999.20250410.00011.T',
				folder: 'OUTTEST',
				type: 'ACRF',
				sender: '999999',
				environment: 'T',
				date: '20250410',
				sequence: '00011',
				content: {
					kind: 'FO',
					name: 'FO.ACRF.999999.20250410.00011.T',
					path: 'OUTTEST/FO.ACRF.999999.20250410.00011.T',
					size: 812,
					modifyTime: 1744279555000,
				},
				signature: {
					name: 'FS.ACRF.999999.20250410.00011.T',
					path: 'OUTTEST/FS.ACRF.999999.20250410.00011.T',
					size: 2950,
				},
				go: {
					name: 'GO.ACRF.999999.20250410.00011.T',
					path: 'OUTTEST/GO.ACRF.999999.20250410.00011.T',
					size: 0,
				},
			},
		]);
	});

	it('accepts the SFTP listing type letters and a missing type as a plain file', () => {
		const result = pairAnswerFiles(
			[
				{ name: 'FO.NOTI.999999.20250410.00021.T', size: 10, type: '-' },
				{ name: 'GO.NOTI.999999.20250410.00021.T', size: 0 },
			],
			'OUT',
		);
		expect(result.complete.map((a) => a.answerId)).toEqual(['NOTI.999999.20250410.00021.T']);
	});

	it('takes a CO (zipped content) like an FO and keeps the part numbers', () => {
		const result = pairAnswerFiles(triplet('DMNO.999999.20250410.00031.R.1.1', 'CO'), 'OUT');
		expect(result.complete).toHaveLength(1);
		expect(result.complete[0]).toMatchObject({
			type: 'DMNO',
			environment: 'R',
			parts: 1,
			part: 1,
			content: { kind: 'CO', name: 'CO.DMNO.999999.20250410.00031.R.1.1' },
		});
	});

	it('takes an answer without FS but reports that it has no signature', () => {
		const result = pairAnswerFiles(
			[file('FO.ACRF.999999.20250410.00011.T'), file('GO.ACRF.999999.20250410.00011.T', 0)],
			'OUTTEST',
		);
		expect(result.complete).toHaveLength(1);
		expect(result.complete[0].signature).toBeUndefined();
	});

	it('leaves an FO/CO without GO alone: the server may still be writing it', () => {
		const result = pairAnswerFiles(
			[
				file('FO.ACRF.999999.20250410.00011.T'),
				file('FS.ACRF.999999.20250410.00011.T'),
				file('CO.NOTI.999999.20250410.00012.T'),
			],
			'OUTTEST',
		);
		expect(result.complete).toEqual([]);
		expect(result.incomplete).toEqual([
			{ answerId: 'ACRF.999999.20250410.00011.T', present: ['FO', 'FS'], missing: ['GO'] },
			{ answerId: 'NOTI.999999.20250410.00012.T', present: ['CO'], missing: ['GO'] },
		]);
	});

	it('reports a GO (or FS) whose content is missing', () => {
		const result = pairAnswerFiles(
			[file('GO.ACRF.999999.20250410.00011.T', 0), file('FS.NOTI.999999.20250410.00012.T')],
			'OUT',
		);
		expect(result.incomplete).toEqual([
			{ answerId: 'ACRF.999999.20250410.00011.T', present: ['GO'], missing: ['FO'] },
			{ answerId: 'NOTI.999999.20250410.00012.T', present: ['FS'], missing: ['FO', 'GO'] },
		]);
	});

	it('skips hostile and foreign names, reports them printable, and never builds a path from them', () => {
		const hostile = [
			'../FO.ACRF.999999.20250410.00011.T',
			'../../etc/passwd',
			'/etc/passwd',
			'FO.ACRF.999999.20250410.00011.T/../../x',
			'C:\\Windows\\FO.ACRF.999999.20250410.00011.T',
			'FO.ACRF.999999.20250410.00011.T\n',
			'GO.ACRF.999999.20250410.00011.T\u0000.txt',
			`FO.ACRF.999999.20250410.00011.T${'A'.repeat(5000)}`,
			'FO.acrf.999999.20250410.00011.T',
			'FO.ACRF.999999.20250231.00011.T',
			'FO.ACRF.999999.20250410.00011.X',
			'.hidden',
			'README.txt',
			'',
		];
		const result = pairAnswerFiles(
			[...hostile.map((n) => file(n)), ...triplet('ACRF.999999.20250410.00012.T')],
			'OUT',
		);
		expect(result.complete.map((a) => a.answerId)).toEqual(['ACRF.999999.20250410.00012.T']);
		expect(result.incomplete).toEqual([]);
		expect(result.skipped).toHaveLength(hostile.length);
		for (const skipped of result.skipped) {
			expect(skipped.name).not.toMatch(/\p{Cc}/u);
			expect(skipped.name.length).toBeLessThanOrEqual(80);
			expect(skipped.reason.length).toBeGreaterThan(5);
		}
		const byCode = (code: string) => result.skipped.filter((s) => s.code === code).length;
		expect(byCode('unsafe-name')).toBe(8);
		expect(byCode('name-too-long')).toBe(1);
		expect(byCode('not-an-answer-name')).toBe(4);
		expect(byCode('invalid-name')).toBe(1);
		const paths = result.complete.flatMap((a) => [a.content.path, a.go.path, a.signature?.path]);
		expect(
			paths.every(
				(p) => p === undefined || /^OUT\/(FO|FS|GO)\.ACRF\.999999\.20250410\.00012\.T$/.test(p),
			),
		).toBe(true);
	});

	it('skips directories and symbolic links, even with a perfect answer name', () => {
		const result = pairAnswerFiles(
			[
				{ name: 'FO.ACRF.999999.20250410.00011.T', size: 4096, type: 'dir' },
				{ name: 'GO.ACRF.999999.20250410.00011.T', size: 0, type: 'file' },
				{ name: 'FO.NOTI.999999.20250410.00012.T', size: 20, type: 'symlink' },
				{ name: 'GO.NOTI.999999.20250410.00012.T', size: 0, type: 'l' },
				{ name: 'FO.DMNO.999999.20250410.00013.T', size: 20, type: 'd' },
				{ name: 'FO.DMPI.999999.20250410.00014.T', size: 20, type: 'p' },
				{ name: '.', size: 0, type: 'd' },
				{ name: '..', size: 0, type: 'd' },
			],
			'OUT',
		);
		expect(result.complete).toEqual([]);
		expect(result.skipped.map((s) => [s.name, s.code])).toEqual([
			['FO.ACRF.999999.20250410.00011.T', 'not-a-file'],
			['FO.DMNO.999999.20250410.00013.T', 'not-a-file'],
			['FO.DMPI.999999.20250410.00014.T', 'not-a-file'],
			['FO.NOTI.999999.20250410.00012.T', 'not-a-file'],
			['GO.NOTI.999999.20250410.00012.T', 'not-a-file'],
		]);
		expect(result.skipped[0].reason).toContain('directory');
		expect(result.skipped[3].reason).toContain('symbolic link');
		// The GO whose FO is a directory stays waiting, it is not taken.
		expect(result.incomplete).toEqual([
			{ answerId: 'ACRF.999999.20250410.00011.T', present: ['GO'], missing: ['FO'] },
		]);
	});

	it('skips every file of an answer that has both an FO and a CO (ambiguous)', () => {
		const id = 'NOTI.999999.20250410.00021.T';
		const result = pairAnswerFiles(
			[...triplet(id), file(`CO.${id}`), ...triplet('ACRF.999999.20250410.00020.T')],
			'OUT',
		);
		expect(result.complete.map((a) => a.answerId)).toEqual(['ACRF.999999.20250410.00020.T']);
		expect(result.incomplete).toEqual([]);
		expect(result.skipped.map((s) => s.name)).toEqual([
			`CO.${id}`,
			`FO.${id}`,
			`FS.${id}`,
			`GO.${id}`,
		]);
		expect(
			result.skipped.every(
				(s) => s.code === 'ambiguous' && s.reason.includes('both an FO and a CO'),
			),
		).toBe(true);
	});

	it('skips a name listed twice and entries with an impossible size', () => {
		const result = pairAnswerFiles(
			[
				...triplet('ACRF.999999.20250410.00011.T'),
				file('FO.ACRF.999999.20250410.00011.T', 5),
				file('FO.NOTI.999999.20250410.00012.T', Number.NaN),
				file('GO.NOTI.999999.20250410.00012.T', -1),
			],
			'OUT',
		);
		expect(result.complete).toHaveLength(1);
		expect(result.complete[0].content.size).toBe(2048);
		expect(result.skipped.map((s) => s.code).sort()).toEqual([
			'duplicate',
			'invalid-size',
			'invalid-size',
		]);
	});

	it('orders answers by date, sequence and type whatever the listing order', () => {
		const ids = [
			'NOTI.999999.20250411.00001.T',
			'ACRF.999999.20250410.0000B.T',
			'NOTI.999999.20250410.0000A.T',
			'ACRF.999999.20250410.0000A.T',
			'ACRF.999999.20250409.00099.T',
			'ACRF.999999.20250410.00009.T',
		];
		const entries = ids.flatMap((id) => triplet(id));
		const expected = [
			'ACRF.999999.20250409.00099.T',
			'ACRF.999999.20250410.00009.T',
			'ACRF.999999.20250410.0000A.T',
			'NOTI.999999.20250410.0000A.T',
			'ACRF.999999.20250410.0000B.T',
			'NOTI.999999.20250411.00001.T',
		];
		expect(pairAnswerFiles(entries, 'OUT').complete.map((a) => a.answerId)).toEqual(expected);
		expect(pairAnswerFiles([...entries].reverse(), 'OUT').complete.map((a) => a.answerId)).toEqual(
			expected,
		);
	});

	it('does not pair files of different answers or of different environments', () => {
		const result = pairAnswerFiles(
			[
				file('FO.ACRF.999999.20250410.00011.T'),
				file('GO.ACRF.999999.20250410.00011.S', 0),
				file('GO.ACRF.999999.20250410.00011.T.1.1', 0),
			],
			'OUT',
		);
		expect(result.complete).toEqual([]);
		expect(result.incomplete.map((i) => i.answerId)).toEqual([
			'ACRF.999999.20250410.00011.S',
			'ACRF.999999.20250410.00011.T',
			'ACRF.999999.20250410.00011.T.1.1',
		]);
	});
});
