import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type {
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodePropertyOptions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { BuildFilenames } from '../../../nodes/BuildFilenames/BuildFilenames.node';
import { brusselsToday } from '../../../nodes/domain/names/brusselsTime';
import { sendingApplicationCodes } from '../../../nodes/domain/names/applicationCodes';
import { executeFunctions } from '../../helpers/n8nStub';

let sequenceFolder: string;
beforeAll(() => {
	sequenceFolder = mkdtempSync(join(tmpdir(), 'build-filenames-test-'));
});
afterAll(() => {
	rmSync(sequenceFolder, { recursive: true, force: true });
});

const node: INode = {
	id: 'b1',
	name: 'Build Filenames',
	type: 'n8n-nodes-socialsecurity-be.buildFilenames',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

type Params = Record<string, unknown>;

interface StubOptions {
	/** Parameters for every item, or per item index. */
	params: Params | ((itemIndex: number) => Params);
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
	staticData?: IDataObject;
}

/** The shared IExecuteFunctions stub; a missing parameter without fallback fails as in n8n. */
function stub({
	params,
	items = [{ json: {} }],
	continueOnFail = false,
	staticData = {},
}: StubOptions): IExecuteFunctions {
	return executeFunctions({ node, params, items, continueOnFail, staticData }).ctx;
}

const today = brusselsToday();
const build = (extra: Params = {}): Params => ({
	operation: 'build',
	application: 'DMFA',
	sender: '101380',
	creationDate: '',
	environment: 'T',
	parts: 1,
	sequenceMode: 'automatic',
	options: { sequenceFolder },
	...extra,
});

async function run(options: StubOptions): Promise<INodeExecutionData[]> {
	const [output] = await new BuildFilenames().execute.call(stub(options));
	return output;
}

async function failure(options: StubOptions): Promise<NodeOperationError> {
	try {
		await run(options);
	} catch (error) {
		expect(error).toBeInstanceOf(NodeOperationError);
		return error as NodeOperationError;
	}
	throw new Error('expected the node to fail');
}

describe('Build Filenames — description', () => {
	const { description } = new BuildFilenames();

	it('is the node the package registers', () => {
		expect(description).toMatchObject({
			name: 'buildFilenames',
			displayName: 'Build Filenames',
			version: 1,
			group: ['transform'],
		});
		expect(description.icon).toEqual({
			light: 'file:../../icons/socialsecurity.svg',
			dark: 'file:../../icons/socialsecurity.dark.svg',
		});
		expect(description.usableAsTool).toBe(true);
		expect(description.inputs).toEqual(['main']);
		expect(description.outputs).toEqual(['main']);
	});

	it('offers every sending application code of the table, and a custom code', () => {
		const application = description.properties.find((p) => p.name === 'application');
		const values = (application?.options as INodePropertyOptions[]).map((o) => o.value);
		expect(values).toEqual(expect.arrayContaining(sendingApplicationCodes().map((c) => c.code)));
		expect(values).toContain('custom');
		expect(values).not.toContain('ACRF');
	});

	it('documents every field a user fills in', () => {
		type Field = { name: string; type?: string; displayName?: string; description?: string };
		const all = description.properties.flatMap((p) => [
			p,
			...((p.options ?? []) as Field[]),
		]) as Field[];
		const fields = all.filter(
			(f) => f.displayName && f.type !== 'collection' && f.name !== 'operation',
		);
		expect(fields.length).toBeGreaterThan(12);
		for (const field of fields)
			expect([field.name, field.description]).toEqual([field.name, expect.stringMatching(/\w{3}/)]);
	});
});

describe('Build Filenames — build', () => {
	const namesOf = (item: INodeExecutionData) => item.json.names as IDataObject;

	it('builds the names of a 1-part set with an automatic sequence', async () => {
		const [item] = await run({ params: build() });
		const set = namesOf(item).set as IDataObject;
		expect(set).toMatchObject({
			application: 'DMFA',
			sender: '101380',
			date: today,
			environment: 'T',
			parts: 1,
		});
		expect(set.sequence).toMatch(/^[0-9A-Z]{5}$/);
		expect(set.sequence).not.toBe('00000');
		const key = `DMFA.101380.${today}.${set.sequence}.T.1`;
		expect(item.json).toEqual({
			names: {
				fi: [`FI.${key}.1`],
				fs: [`FS.${key}.1`],
				go: `GO.${key}`,
				td: `TD.${key}`,
				set,
				uploadFolder: 'INTEST',
				responseFolder: 'OUTTEST',
				environmentLabel: 'Test / simulation (circuit test)',
				warnings: [],
			},
		});
		expect(item.pairedItem).toEqual({ item: 0 });
	});

	it('keeps the fields the item came with and puts the names beside them', async () => {
		const items: INodeExecutionData[] = [
			{ json: { employer: '0123456789', quarter: '20263', names: 'an older value' } },
		];
		const [item] = await run({ params: build(), items });
		expect(item.json).toMatchObject({ employer: '0123456789', quarter: '20263' });
		// A field of the item with the name of the result is replaced by it.
		expect(namesOf(item).go).toMatch(/^GO\.DMFA\./);
		expect(Object.keys(item.json)).toEqual(['employer', 'quarter', 'names']);
		expect(items[0].json.names).toBe('an older value');
	});

	it('gives only the names when "Keep Input Fields" is off, and keeps the files', async () => {
		const binary = { data: { data: 'eA==', mimeType: 'text/plain', fileName: 'x.txt' } };
		const [item] = await run({
			params: build({ options: { sequenceFolder, keepInputFields: false } }),
			items: [{ json: { declaration: '<big export/>' }, binary }],
		});
		expect(Object.keys(item.json)).toEqual(['names']);
		expect(item.binary).toEqual(binary);
	});

	it('builds a 3-part set for the DmfA declaration test with the daily counter kept in static data', async () => {
		const staticData: IDataObject = {};
		const params = build({
			parts: 3,
			environment: 'S',
			sequenceMode: 'dailyCounter',
			creationDate: '2026-01-15T10:00:00Z',
		});
		// Back-dated sets are allowed up to the maximum age; here the age check is off to keep the test timeless.
		params.options = { sequenceFolder, maxAgeDays: 0 };
		const items = [{ json: {} }, { json: {} }];
		const first = await run({ params, items, staticData });
		expect(first.map((i) => (namesOf(i).set as IDataObject).sequence)).toEqual(['00001', '00002']);
		expect(namesOf(first[0])).toMatchObject({
			fi: [1, 2, 3].map((p) => `FI.DMFA.101380.20260115.00001.S.3.${p}`),
			fs: [1, 2, 3].map((p) => `FS.DMFA.101380.20260115.00001.S.3.${p}`),
			go: 'GO.DMFA.101380.20260115.00001.S.3',
			td: 'TD.DMFA.101380.20260115.00001.S.3',
		});
		expect([namesOf(first[0]).uploadFolder, namesOf(first[0]).responseFolder]).toEqual([
			'INTEST-S',
			'OUTTEST-S',
		]);
		expect(first.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(staticData.dailyCounter).toEqual({ days: { '20260115': { S: 2 } } });
		// The next execution continues the counter.
		const [next] = await run({ params, staticData });
		expect((namesOf(next).set as IDataObject).sequence).toBe('00003');
	});

	it('uses a fixed sequence as given, and warns when it was already handed out on this machine', async () => {
		const params = build({ sequenceMode: 'fixed', sequence: 'Q0042', environment: 'R' });
		const [item] = await run({ params });
		expect(namesOf(item).go).toBe(`GO.DMFA.101380.${today}.Q0042.R.1`);
		expect(namesOf(item).warnings).toEqual([]);
		const [again] = await run({ params });
		expect(namesOf(again).warnings).toEqual([expect.stringContaining('ACRF-133')]);
	});

	it('takes a custom application code', async () => {
		const [item] = await run({
			params: build({ application: 'custom', customApplication: 'ABCD' }),
		});
		expect((namesOf(item).set as IDataObject).application).toBe('ABCD');
	});

	it('renames the binaries of the parts to their FI names and passes the others through', async () => {
		const file = (name: string) => ({
			data: Buffer.from(name).toString('base64'),
			mimeType: 'application/xml',
			fileName: name,
		});
		const items: INodeExecutionData[] = [
			{
				json: {},
				binary: {
					data: file('part1.xml'),
					data2: file('part2.xml'),
					data3: file('part3.xml'),
					report: file('report.pdf'),
				},
			},
		];
		const params = build({
			parts: 3,
			options: { sequenceFolder, renameBinaries: ' data, data2 ,data3' },
		});
		const [item] = await run({ params, items });
		const fi = (item.json.names as IDataObject).fi as string[];
		expect(['data', 'data2', 'data3'].map((p) => item.binary?.[p].fileName)).toEqual(fi);
		expect(item.binary?.data.data).toBe(items[0].binary?.data.data);
		expect(item.binary?.report.fileName).toBe('report.pdf');
		// The input item is not changed.
		expect(items[0].binary?.data.fileName).toBe('part1.xml');
	});

	it('passes binaries through unchanged without the rename option', async () => {
		const binary = { data: { data: 'eA==', mimeType: 'text/plain', fileName: 'x.txt' } };
		const [item] = await run({ params: build(), items: [{ json: {}, binary }] });
		expect(item.binary).toEqual(binary);
	});

	it('refuses to rename when the number of binaries differs from the number of parts', async () => {
		const items: INodeExecutionData[] = [
			{ json: {}, binary: { data: { data: '', mimeType: 'text/xml' } } },
		];
		const error = await failure({
			params: build({ parts: 2, options: { sequenceFolder, renameBinaries: 'data' } }),
			items,
		});
		expect(error.message).toMatch(/lists 1 binary property but the set has 2 parts/);
		expect(error.context.itemIndex).toBe(0);
		expect(error.description).toMatch(/one binary property per part/);
	});

	it('names the binary properties an item really has when one is missing', async () => {
		const items: INodeExecutionData[] = [
			{ json: {}, binary: { file: { data: '', mimeType: 'text/xml' } } },
		];
		const error = await failure({
			params: build({ options: { sequenceFolder, renameBinaries: 'data' } }),
			items,
		});
		expect(error.message).toMatch(/no binary property "data"/);
		expect(error.description).toMatch(/file/);
	});

	it.each([
		[{ sender: '12345' }, /ACRF-108/],
		[{ creationDate: '20200101' }, /ACRF-126/],
		[{ creationDate: '2099-01-01' }, /ACRF-111/],
		[{ creationDate: 'tomorrow' }, /not a creation date/],
		[{ parts: 10 }, /ACRF-114/],
		[{ sequenceMode: 'fixed', sequence: '0000a' }, /ACRF-367/],
		[{ sequenceMode: 'fixed', sequence: '1' }, /ACRF-112/],
		[{ application: 'custom', customApplication: 'dmfa' }, /ACRF-158/],
	])('refuses %j with a message naming the rule', async (extra, message) => {
		const error = await failure({ params: build(extra) });
		expect(error.message).toMatch(message);
		expect(error.context.itemIndex).toBe(0);
		expect(error.description).toBeTruthy();
	});

	it('sends back-dated sets beyond the automatic window to the other modes', async () => {
		const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString();
		const error = await failure({ params: build({ creationDate: tenDaysAgo }) });
		expect(error.message).toMatch(/less than 7 days old/);
		expect(error.description).toMatch(/daily counter or a fixed sequence/);
		const [item] = await run({
			params: build({ creationDate: tenDaysAgo, sequenceMode: 'fixed', sequence: 'B0001' }),
		});
		expect((namesOf(item).set as IDataObject).sequence).toBe('B0001');
	});

	it('refuses unknown custom codes only when asked to', async () => {
		const params = build({
			application: 'custom',
			customApplication: 'ABCD',
			options: { sequenceFolder, knownApplicationsOnly: true },
		});
		expect((await failure({ params })).message).toMatch(/ACRF-154/);
	});

	it('reports every broken rule at once, before a sequence is used', async () => {
		const staticData: IDataObject = {};
		const error = await failure({
			params: build({ sender: 'x', parts: 0, sequenceMode: 'dailyCounter' }),
			staticData,
		});
		expect(error.message).toMatch(/2 rules.*ACRF-108.*ACRF-115/);
		expect(staticData).toEqual({});
	});

	it('keeps the folder and the cause in the message when the sequence folder cannot be written', async () => {
		const file = join(sequenceFolder, 'not-a-folder');
		writeFileSync(file, '');
		const error = await failure({
			params: build({ options: { sequenceFolder: join(file, 'seq') } }),
		});
		expect(error.message).toContain(join(file, 'seq'));
		expect(error.message).toMatch(/a part of the path is a file/);
		expect(error.description).toMatch(/SOCIALSECURITY_SEQUENCE_DIR/);
	});

	it('carries the index of the failing item', async () => {
		const params = (i: number) => build({ sender: i === 1 ? '1' : '101380' });
		const error = await failure({ params, items: [{ json: {} }, { json: {} }] });
		expect(error.context.itemIndex).toBe(1);
	});

	it('goes on with an error item when "Continue on Fail" is set', async () => {
		const params = (i: number) => build({ sender: i === 1 ? '1' : '101380' });
		const binary = { data: { data: 'eA==', mimeType: 'text/plain', fileName: 'export.xml' } };
		const output = await run({
			params,
			items: [{ json: {} }, { json: { batchId: 'HR-42' }, binary }, { json: {} }],
			continueOnFail: true,
		});
		expect(output).toHaveLength(3);
		// The failed item comes out as it came in, with the error beside its fields.
		expect(output[1]).toEqual({
			json: {
				batchId: 'HR-42',
				error: {
					message: expect.stringMatching(/ACRF-108/),
					code: 'NAME_INVALID',
					hint: expect.stringMatching(/Correct the values/),
				},
			},
			binary,
			pairedItem: { item: 1 },
		});
		expect(output[0].json.names).toBeDefined();
		expect(output[2].json.names).toBeDefined();
		expect(output[2].pairedItem).toEqual({ item: 2 });
	});
});

describe('Build Filenames — parse', () => {
	const parse = (name: unknown, parseOptions: IDataObject = {}): Params => ({
		operation: 'parse',
		name,
		parseOptions,
	});

	it('splits a valid name we send into its fields', async () => {
		const name = `FI.DMFA.101380.${today}.00001.T.3.2`;
		const [item] = await run({ params: parse(name), items: [{ json: { source: 'listing' } }] });
		expect(item.json).toEqual({
			source: 'listing',
			parsedName: {
				name,
				valid: true,
				direction: 'submission',
				kind: 'FI',
				application: 'DMFA',
				sender: '101380',
				date: today,
				sequence: '00001',
				environment: 'T',
				parts: 3,
				part: 2,
				environmentLabel: 'Test / simulation (circuit test)',
				violations: [],
			},
		});
		expect(item.pairedItem).toEqual({ item: 0 });
	});

	it('recognises an answer of the social security', async () => {
		const [item] = await run({
			params: parse('FO.ACRF.999999.20260110.00042.R', { keepInputFields: false }),
			items: [{ json: { source: 'listing' } }],
		});
		expect(Object.keys(item.json)).toEqual(['parsedName']);
		expect(item.json.parsedName).toMatchObject({
			valid: true,
			direction: 'response',
			kind: 'FO',
			type: 'ACRF',
			environment: 'R',
		});
	});

	it('returns an invalid name as data with every violation, so a workflow can route on it', async () => {
		const binary = {
			data: { data: '', mimeType: 'text/xml', fileName: 'GO.DMFA.12.20261301.00000.X.0' },
		};
		const [item] = await run({
			params: parse(' GO.DMFA.12.20261301.00000.X.0 '),
			items: [{ json: {}, binary }],
		});
		const parsed = item.json.parsedName as IDataObject;
		expect(parsed.valid).toBe(false);
		expect(parsed.name).toBe('GO.DMFA.12.20261301.00000.X.0');
		expect(parsed.direction).toBe('submission');
		expect((parsed.violations as IDataObject[]).map((v) => v.acrf)).toEqual([
			'ACRF-108',
			'ACRF-110',
			'ACRF-127',
			'ACRF-117',
			'ACRF-115',
		]);
		expect((parsed.violations as IDataObject[])[0]).toEqual({
			rule: 'sender-format',
			acrf: 'ACRF-108',
			message: expect.stringContaining('6 digits'),
		});
		expect(item.binary).toEqual(binary);
	});

	it('guesses the direction of an invalid answer name', async () => {
		const [item] = await run({ params: parse('FO.ACRF.999999.20260110.00042') });
		const parsed = item.json.parsedName as IDataObject;
		expect(parsed).toMatchObject({ valid: false, direction: 'response' });
		expect((parsed.violations as IDataObject[])[0].acrf).toBeNull();
	});

	it('checks the sender of the channel when given', async () => {
		const [item] = await run({
			params: parse(`GO.DMFA.101381.${today}.00001.T.1`, { expectedSender: '101380' }),
		});
		expect(
			((item.json.parsedName as IDataObject).violations as IDataObject[]).map((v) => v.acrf),
		).toEqual(['ACRF-108']);
	});

	it('fails on an invalid name when asked to, with the item index', async () => {
		const params = (i: number) =>
			parse(i === 0 ? `GO.DMFA.101380.${today}.00001.T.1` : 'GO.DMFA.101380.20260110.0000a.T.1', {
				failOnInvalid: true,
			});
		const error = await failure({ params, items: [{ json: {} }, { json: {} }] });
		expect(error.message).toMatch(/ACRF-367/);
		expect(error.context.itemIndex).toBe(1);
		expect(error.description).toMatch(/Fail on Invalid Name/);
	});

	it('fails into an error item with "Continue on Fail"', async () => {
		const output = await run({
			params: parse('nonsense', { failOnInvalid: true }),
			items: [{ json: { source: 'listing' } }],
			continueOnFail: true,
		});
		expect(output).toEqual([
			{
				json: {
					source: 'listing',
					error: {
						message: expect.stringMatching(/ACRF-129/),
						hint: expect.stringMatching(/Fail on Invalid Name/),
					},
				},
				pairedItem: { item: 0 },
			},
		]);
	});
});
