/**
 * Node wiring of the XSD check (nodes/SubmitToSocialSecurity/actions/validate.operation.ts and Submit's
 * "Validate Before Sending"): n8n is stubbed (test/helpers/n8nStub.ts), the validator and the official
 * XSDs are real (skipped without the reference files, a failure under CI=true). "Before connecting" is
 * proved by SftpChannel.open, which fails the test if it is called.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IBinaryKeyData, IDataObject, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { SubmitToSocialSecurity } from '../../../nodes/SubmitToSocialSecurity/SubmitToSocialSecurity.node';
import { brusselsToday } from '../../../nodes/domain/names/brusselsTime';
import { SftpChannel } from '../../../nodes/domain/transport/sftpChannel';
import {
	BORDER_LINE_IN_PERSON,
	DMFA_HEAD_LINES,
	DMFA_XSD,
	invalidDimona,
	PERSON_LINES,
	smallDmfa,
	splitDmfaSchema,
	validDimona,
} from '../../helpers/declarations';
import {
	BinaryStore,
	CREDENTIAL_TYPE,
	executeFunctions,
	FakeChannel,
	makeTestCredential,
	useFakeChannel,
	type Params,
	type TestCredential,
} from '../../helpers/n8nStub';
import { XSD_DIR } from '../../helpers/officialXsd';
import { buildZip } from '../../helpers/zip';

const reason = existsSync(join(XSD_DIR, DMFA_XSD))
	? undefined
	: `the official XSDs are not in ${XSD_DIR} (set SOCIALSECURITY_REFERENCE_DIR)`;
if (reason && process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
if (reason) console.warn(`validation wiring tests skipped: ${reason}`);
const describeOfficial = reason ? describe.skip : describe;

const today = brusselsToday();
const description = new SubmitToSocialSecurity().description;
const dmfaSet = (sequence: string) => `DMFA.101380.${today}.${sequence}.T.1`;
const dimonaSet = (sequence: string) => `DIMN.101380.${today}.${sequence}.T.1`;

let credential: TestCredential;
let cacheDir: string;
beforeAll(() => {
	credential = makeTestCredential();
	cacheDir = mkdtempSync(join(tmpdir(), 'xsd-cache-'));
	process.env.SOCIALSECURITY_XSD_CACHE_DIR = cacheDir;
}, 60_000);
afterAll(() => {
	credential?.cleanup();
	rmSync(cacheDir, { recursive: true, force: true });
	delete process.env.SOCIALSECURITY_XSD_CACHE_DIR;
});
afterEach(() => jest.restoreAllMocks());

function item(store: BinaryStore, set: string, xml: string): INodeExecutionData {
	const binary: IBinaryKeyData = {
		data: store.filesystem(xml, `FI.${set}.1`, 'application/xml'),
		signature: store.filesystem('U0lHTkFUVVJF', `FS.${set}.1`, 'text/plain'),
	};
	return { json: { batchId: set }, binary };
}

function stub(params: Params, items: INodeExecutionData[], store: BinaryStore, extra = {}) {
	return executeFunctions({
		description,
		params,
		items,
		store,
		credentials: { [CREDENTIAL_TYPE]: credential.data },
		...extra,
	});
}

const submitValidated = (options: IDataObject = {}): Params => ({
	operation: 'submit',
	options: { validateBeforeSending: 'always', xsdLocation: XSD_DIR, ...options },
});

function noConnection(): jest.SpyInstance {
	return jest
		.spyOn(SftpChannel, 'open')
		.mockRejectedValue(new Error('the set must be refused before connecting'));
}

async function failure(run: Promise<unknown>): Promise<NodeOperationError> {
	try {
		await run;
	} catch (error) {
		expect(error).toBeInstanceOf(NodeOperationError);
		return error as NodeOperationError;
	}
	throw new Error('expected the node to fail');
}

describeOfficial('Submit — Validate Before Sending', () => {
	it('refuses an invalid DmfA before connecting, naming line, element, rule and ACRF code', async () => {
		const open = noConnection();
		const store = new BinaryStore();
		const s = stub(submitValidated(), [item(store, dmfaSet('00001'), smallDmfa(2, 2))], store);
		const error = await failure(new SubmitToSocialSecurity().execute.call(s.ctx));
		const line = DMFA_HEAD_LINES + PERSON_LINES + BORDER_LINE_IN_PERSON;
		expect(error.message).toBe(
			`Not sent: FI.${dmfaSet('00001')}.1 would be refused (ACRF-312 or ACRF-255, not valid against its XML schema): line ${line}, element Border, rule maxInclusive: The value '7' is greater than the maximum value allowed ('1').`,
		);
		expect(error.description).toMatch(/nothing reached the server/);
		expect(open).not.toHaveBeenCalled();
	});

	it('refuses an invalid Dimona before connecting; under Continue on Fail the item says why', async () => {
		const open = noConnection();
		const store = new BinaryStore();
		const s = stub(submitValidated(), [item(store, dimonaSet('00002'), invalidDimona())], store, {
			continueOnFail: true,
		});
		const [out] = await new SubmitToSocialSecurity().execute.call(s.ctx);
		const error = out[0].json.error as IDataObject;
		expect(error).toMatchObject({ code: 'DECLARATION_INVALID' });
		expect(String(error.message)).toContain('line 10, element DimonaPeriodId, rule type (local)');
		expect(error.validation).toEqual([
			expect.objectContaining({
				valid: false,
				acrfCode: 'ACRF-312',
				schema: 'Dimona_20231.xsd',
				issues: [expect.objectContaining({ line: 10, element: 'DimonaPeriodId' })],
			}),
		]);
		expect(out[0].json.batchId).toBe(dimonaSet('00002'));
		expect(open).not.toHaveBeenCalled();
	});

	it('sends a valid set and records the check in the submission', async () => {
		const fake = new FakeChannel(credential.hostFingerprint);
		const open = useFakeChannel(fake);
		const store = new BinaryStore();
		const s = stub(submitValidated(), [item(store, dmfaSet('00003'), smallDmfa(2))], store);
		const [out] = await new SubmitToSocialSecurity().execute.call(s.ctx);
		expect(open).toHaveBeenCalledTimes(1);
		const submission = out[0].json.submission as IDataObject;
		expect(submission.status).toBe('submitted');
		expect(submission.validation).toEqual([
			expect.objectContaining({
				declaration: `FI.${dmfaSet('00003')}.1`,
				valid: true,
				schema: DMFA_XSD,
			}),
		]);
		expect(fake.bytes(`/INTEST/GO.${dmfaSet('00003')}`)).toBeDefined();
	});

	it('checks in a dry run too, and says when no XSD is given', async () => {
		const open = noConnection();
		const store = new BinaryStore();
		const dry = stub(
			submitValidated({ dryRun: true }),
			[item(store, dmfaSet('00004'), smallDmfa(1))],
			store,
		);
		const [out] = await new SubmitToSocialSecurity().execute.call(dry.ctx);
		expect((out[0].json.submission as IDataObject).validation).toEqual([
			expect.objectContaining({ valid: true }),
		]);
		const none = stub(
			submitValidated({ xsdLocation: '' }),
			[item(store, dmfaSet('00005'), smallDmfa(1))],
			store,
		);
		const error = await failure(new SubmitToSocialSecurity().execute.call(none.ctx));
		expect(error.message).toBe('No XSD is given to validate the declaration against.');
		expect(error.description).toContain('or set SOCIALSECURITY_XSD_DIR for the n8n instance');
		expect(open).not.toHaveBeenCalled();
	});

	it('"If XSDs Are Set Up" sends unchecked, and says so, when none is; else checks, also with SOCIALSECURITY_XSD_DIR', async () => {
		const fake = new FakeChannel(credential.hostFingerprint);
		useFakeChannel(fake);
		const store = new BinaryStore();
		const unset = stub(
			submitValidated({ validateBeforeSending: 'ifConfigured', xsdLocation: '' }),
			[item(store, dmfaSet('00009'), smallDmfa(1, 1))],
			store,
		);
		const [sent] = await new SubmitToSocialSecurity().execute.call(unset.ctx);
		expect(sent[0].json.submission).toMatchObject({
			status: 'submitted',
			validation: expect.stringMatching(/^skipped: no XSD is set up/),
		});
		process.env.SOCIALSECURITY_XSD_DIR = XSD_DIR;
		try {
			const fromEnvironment = stub(
				submitValidated({ validateBeforeSending: 'ifConfigured', xsdLocation: '' }),
				[item(store, dmfaSet('00010'), smallDmfa(1, 1))],
				store,
			);
			const error = await failure(new SubmitToSocialSecurity().execute.call(fromEnvironment.ctx));
			expect(error.message).toContain('element Border, rule maxInclusive');
		} finally {
			delete process.env.SOCIALSECURITY_XSD_DIR;
		}
		expect(fake.bytes(`/INTEST/GO.${dmfaSet('00010')}`)).toBeUndefined();
	});

	it('takes the XSDs from a binary property holding a ZIP of the set', async () => {
		noConnection();
		const store = new BinaryStore();
		const zip = buildZip(
			Object.entries(splitDmfaSchema()).map(([name, text]) => ({ name, data: Buffer.from(text) })),
		);
		const input = item(store, dmfaSet('00006'), smallDmfa(2, 1));
		(input.binary as IBinaryKeyData).xsd = store.filesystem(
			zip,
			'dmfa-2022-3.zip',
			'application/zip',
		);
		const s = stub(submitValidated({ xsdLocation: '', xsdBinaryProperty: 'xsd' }), [input], store);
		const error = await failure(new SubmitToSocialSecurity().execute.call(s.ctx));
		expect(error.message).toContain('element Border, rule maxInclusive');
	});
});

describeOfficial('Submit — Validate operation', () => {
	it('reports each declaration without any credential or connection', async () => {
		const open = noConnection();
		const store = new BinaryStore();
		const items: INodeExecutionData[] = [
			{ json: { n: 1 }, binary: { data: store.filesystem(smallDmfa(2, 2), 'export.xml') } },
			{ json: { n: 2 }, binary: { data: store.filesystem(validDimona(), 'dimona.xml') } },
		];
		const s = executeFunctions({
			description,
			params: { operation: 'validate', declarationBinaries: 'data', xsdLocation: XSD_DIR },
			items,
			store,
		});
		const [out] = await new SubmitToSocialSecurity().execute.call(s.ctx);
		const first = out[0].json.validation as IDataObject;
		expect(first.valid).toBe(false);
		expect(first.declarations).toEqual([
			expect.objectContaining({
				declaration: 'export.xml',
				acrfCode: 'ACRF-312',
				issues: [expect.objectContaining({ element: 'Border', rule: 'maxInclusive' })],
			}),
		]);
		expect(out[1].json).toMatchObject({ n: 2, validation: { valid: true } });
		expect(s.calls.getCredentials).toEqual([]);
		expect(open).not.toHaveBeenCalled();
	});

	it('fails the item when asked to, and fetches a URL through n8n’s HTTP client', async () => {
		const store = new BinaryStore();
		const files = splitDmfaSchema();
		const requested: string[] = [];
		const s = executeFunctions({
			description,
			params: {
				operation: 'validate',
				xsdLocation: 'https://xsd.example.test/dmfa/DmfAOriginal_20223.xsd',
				options: { failWhenInvalid: true },
			},
			items: [item(store, dmfaSet('00007'), smallDmfa(1, 1))],
			store,
		});
		(s.ctx.helpers as unknown as Record<string, unknown>).httpRequest = async (request: {
			url: string;
		}) => {
			requested.push(request.url);
			const text = files[request.url.replace('https://xsd.example.test/dmfa/', '')];
			if (!text) throw new Error('404');
			return new TextEncoder().encode(text).buffer;
		};
		const error = await failure(new SubmitToSocialSecurity().execute.call(s.ctx));
		expect(error.message).toContain('element Border, rule maxInclusive');
		expect(requested.sort()).toEqual([
			'https://xsd.example.test/dmfa/DmfAOriginal_20223.xsd',
			'https://xsd.example.test/dmfa/common/Form.xsd',
			'https://xsd.example.test/dmfa/types/DmfAElements.xsd',
		]);
	});

	it('shows the credential only for the operations that connect', () => {
		expect(description.credentials?.[0].displayOptions).toEqual({
			show: { operation: ['submit', 'cancel'] },
		});
	});
});

describe('Submit — XSD fields in a folder on disk', () => {
	it('names a folder that does not exist', async () => {
		const store = new BinaryStore();
		const missing = join(tmpdir(), 'no-such-xsd-folder');
		const s = executeFunctions({
			description,
			params: { operation: 'validate', xsdLocation: missing },
			items: [item(store, dmfaSet('00008'), '<a/>')],
			store,
		});
		const error = await failure(new SubmitToSocialSecurity().execute.call(s.ctx));
		expect(error.message).toBe(
			`The schema folder ${missing} does not exist or is not a folder (on the machine n8n runs on).`,
		);
	});
});
