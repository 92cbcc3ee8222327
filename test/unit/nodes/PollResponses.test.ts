import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { IBinaryData, IDataObject, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { PollResponses } from '../../../nodes/PollResponses/PollResponses.node';
import { SocialSecurityError } from '../../../nodes/domain/errors';
import { SftpChannel } from '../../../nodes/domain/transport/sftpChannel';
import {
	BinaryStore,
	CREDENTIAL_TYPE,
	FakeChannel,
	executeFunctions,
	makeTestCredential,
	useFakeChannel,
	type Params,
	type TestCredential,
} from '../../helpers/n8nStub';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/answers', name));
const ACCEPTED = { id: 'ACRF.999999.20250410.00011.T', xml: fixture('acrf-accepted.xml') };
const REJECTED = { id: 'ACRF.999999.20250410.00012.T', xml: fixture('acrf-rejected-3-errors.xml') };
const NOTI = { id: 'NOTI.999999.20250410.00021.T', xml: fixture('noti-accepted.xml') };

/** An answer as the server leaves it: FO, FS and an empty GO. */
function putAnswer(
	fake: FakeChannel,
	folder: string,
	answer: { id: string; xml: Buffer },
	parts: Array<'FO' | 'FS' | 'GO'> = ['FO', 'FS', 'GO'],
): void {
	if (parts.includes('FO')) fake.put(`/${folder}/FO.${answer.id}`, answer.xml);
	if (parts.includes('FS')) fake.put(`/${folder}/FS.${answer.id}`, 'c2lnbmF0dXJl');
	if (parts.includes('GO')) fake.put(`/${folder}/GO.${answer.id}`, '');
}

let credential: TestCredential;
beforeAll(() => {
	credential = makeTestCredential({ withCertificate: false });
}, 60_000);
afterAll(() => credential?.cleanup());
afterEach(() => jest.restoreAllMocks());

const description = new PollResponses().description;

/** A scheduled (not manual) run unless told otherwise: a manual editor run does not delete by default. */
function stubFor(
	params: Params,
	options: { store?: BinaryStore; items?: INodeExecutionData[]; mode?: 'manual' | 'trigger' } = {},
) {
	return executeFunctions({
		description,
		params,
		items: options.items ?? [{ json: {} }],
		store: options.store,
		credentials: { [CREDENTIAL_TYPE]: credential.data },
		mode: options.mode ?? 'trigger',
	});
}

/** What Collect Answers puts in an item, beside any input fields (docs/items.md). */
const answerOf = (item: INodeExecutionData) => item.json.answer as IDataObject;

describe('Poll Responses', () => {
	it('has an Answers and a Summary output', () => {
		expect(description.outputs).toEqual(['main', 'main']);
		expect(description.outputNames).toEqual(['Answers', 'Summary']);
	});

	it('delivers each complete answer with its reading and file, then deletes GO, FO and FS', async () => {
		const fake = new FakeChannel();
		const open = useFakeChannel(fake);
		putAnswer(fake, 'OUTTEST', ACCEPTED);
		putAnswer(fake, 'OUTTEST', REJECTED);
		// Still being written by the server: no GO yet, so it is left alone.
		putAnswer(fake, 'OUTTEST', NOTI, ['FO']);
		const store = new BinaryStore('filesystem');
		const stub = stubFor({ environments: ['T'] }, { store, items: [{ json: {} }, { json: {} }] });

		const [answers, summary] = await new PollResponses().execute.call(stub.ctx);

		expect(answers).toHaveLength(2);
		const [accepted, rejected] = answers;
		expect(Object.keys(accepted.json)).toEqual(['answer']);
		expect(answerOf(accepted)).toMatchObject({
			type: 'ACRF',
			status: 'accepted',
			environment: 'T',
			folder: 'OUTTEST',
			answerName: `FO.${ACCEPTED.id}`,
			answerId: ACCEPTED.id,
			ticket: '03804KX7M2P4Z',
			answersFile: 'GO.DMFA.012345.20250410.00001.T.1',
			answersGo: 'GO.DMFA.012345.20250410.00001.T.1',
			answersFileKind: 'GO',
			final: true,
			errors: [],
			format: 'xml',
			size: ACCEPTED.xml.length,
			deletedFromServer: true,
		});
		expect(answerOf(rejected)).toMatchObject({
			status: 'rejected',
			ticket: '03804KY2Q8W1Z',
			answersFile: 'GO.DMFA.012345.20250410.00002.T.1',
		});
		expect((answerOf(rejected).errors as IDataObject[]).map((e) => e.code)).toEqual([
			'ACRF-125',
			'ACRF-158',
			'ACRF-312',
		]);
		expect((answerOf(rejected).errors as IDataObject[])[0]).toMatchObject({
			meaning: expect.stringMatching(/\w{5}/),
			known: true,
		});
		// One execution, whatever the number of input items: an answer that joins no input item comes from item 0.
		expect(answers.map((a) => a.pairedItem)).toEqual([{ item: 0 }, { item: 0 }]);

		// The file went through n8n's binary store, named and typed.
		const file = accepted.binary?.data as IBinaryData;
		expect(store.prepared).toEqual([file, rejected.binary?.data]);
		expect(file).toMatchObject({ fileName: `FO.${ACCEPTED.id}.xml`, mimeType: 'application/xml' });
		expect(file.id).toBeDefined();
		expect(store.bytesOf(file).equals(ACCEPTED.xml)).toBe(true);

		expect(summary).toEqual([
			{
				json: {
					summary: expect.objectContaining({
						delivered: 2,
						accepted: 1,
						rejected: 1,
						failed: 0,
						failures: [],
						waitingForGo: [
							{ answerId: NOTI.id, present: ['FO'], missing: ['GO'], folder: 'OUTTEST' },
						],
						leftForNextRun: 0,
						inputsWithoutAnswer: [],
					}),
				},
				pairedItem: { item: 0 },
			},
		]);

		expect(fake.calls('list')).toEqual(['list /OUTTEST']);
		// Answers are taken several at a time (Parallel Answers): each one's GO goes first, its FO and FS after.
		for (const { id } of [ACCEPTED, REJECTED]) {
			expect(fake.calls('delete').filter((d) => d.endsWith(`.${id}`))).toEqual([
				`delete /OUTTEST/GO.${id}`,
				`delete /OUTTEST/FO.${id}`,
				`delete /OUTTEST/FS.${id}`,
			]);
		}
		expect(fake.calls('delete')).toHaveLength(6);
		// Each answer is deleted only once it is stored: download, (store), then delete.
		const log = fake.log.filter((l) => l.includes(ACCEPTED.id));
		expect(log.indexOf(`download /OUTTEST/FO.${ACCEPTED.id}`)).toBeLessThan(
			log.indexOf(`delete /OUTTEST/GO.${ACCEPTED.id}`),
		);
		expect(fake.namesIn('/OUTTEST')).toEqual([`FO.${NOTI.id}`]);
		expect(open).toHaveBeenCalledTimes(1);
		expect(fake.log.at(-1)).toBe('close');
	});

	it('joins an ACRF that names the FI (a set refused for a file name) to the GO of that set', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		const fi = 'FI.DMFA.012345.20250410.00007.T.1.2';
		const xml = REJECTED.xml
			.toString('utf8')
			.replace('GO.DMFA.012345.20250410.00002.T.1', fi)
			.replace(/<ErrorID>[^<]*<\/ErrorID>\s*/g, '')
			.replace('</ResultCode>', '</ResultCode><ErrorID>ACRF-123</ErrorID>');
		putAnswer(fake, 'OUTTEST', { id: 'ACRF.999999.20250410.00031.T', xml: Buffer.from(xml) });
		const stub = stubFor({ environments: ['T'] });

		const [[answer]] = await new PollResponses().execute.call(stub.ctx);

		expect(answerOf(answer)).toMatchObject({
			status: 'rejected',
			answersFile: fi,
			answersFi: fi,
			answersFileKind: 'FI',
			answersGo: 'GO.DMFA.012345.20250410.00007.T.1',
		});
		expect((answerOf(answer).errors as IDataObject[]).map((e) => e.code)).toEqual(['ACRF-123']);
	});

	it('leaves the answers on the server when "Delete From Server After Download" is off', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, 'OUT', ACCEPTED);
		const [answers] = await new PollResponses().execute.call(
			stubFor({
				environments: ['R'],
				options: { deleteAfterDownload: false, binaryPropertyName: 'answer' },
			}).ctx,
		);
		expect(answers).toHaveLength(1);
		expect(answerOf(answers[0]).deletedFromServer).toBe(false);
		expect(answers[0].binary?.answer).toBeDefined();
		expect(fake.calls('delete')).toEqual([]);
		expect(fake.namesIn('/OUT')).toHaveLength(3);
	});

	it('in a manual editor run, deletes nothing unless "Delete From Server After Download" is set explicitly', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, 'OUT', ACCEPTED);
		const [sample] = await new PollResponses().execute.call(
			stubFor({ environments: ['R'] }, { mode: 'manual' }).ctx,
		);
		expect(answerOf(sample[0]).deletedFromServer).toBe(false);
		expect(fake.calls('delete')).toEqual([]);
		const [taken] = await new PollResponses().execute.call(
			stubFor({ environments: ['R'], options: { deleteAfterDownload: true } }, { mode: 'manual' })
				.ctx,
		);
		expect(answerOf(taken[0]).deletedFromServer).toBe(true);
		expect(fake.namesIn('/OUT')).toEqual([]);
	});

	it('looks in every folder by default, and takes only the chosen types, at most "max" per run', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, 'OUTTEST', ACCEPTED);
		putAnswer(fake, 'OUTTEST', REJECTED);
		putAnswer(fake, 'OUTTEST', NOTI);
		const [answers, [summary]] = await new PollResponses().execute.call(
			stubFor({ options: { types: ['ACRF'], max: 1 } }).ctx,
		);
		expect(fake.calls('list')).toEqual(['list /OUT', 'list /OUTTEST', 'list /OUTTEST-S']);
		expect(answers.map((a) => answerOf(a).answerId)).toEqual([ACCEPTED.id]);
		expect(summary.json.summary).toMatchObject({ delivered: 1, leftForNextRun: 1 });
		expect(fake.namesIn('/OUTTEST')).toEqual(
			[REJECTED, NOTI].flatMap((a) => ['FO', 'FS', 'GO'].map((k) => `${k}.${a.id}`)).sort(),
		);
	});

	it('reports an answer that fails in the summary, keeps it on the server, and delivers the others', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, 'OUTTEST', ACCEPTED);
		putAnswer(fake, 'OUTTEST', REJECTED);
		fake.failOn(
			'download',
			`/OUTTEST/FO.${ACCEPTED.id}`,
			new SocialSecurityError(
				'REMOTE_PERMISSION_DENIED',
				`Opening /OUTTEST/FO.${ACCEPTED.id}: permission denied by the server.`,
			),
		);
		const [answers, [summary]] = await new PollResponses().execute.call(
			stubFor({ environments: ['T'] }).ctx,
		);
		expect(answers.map((a) => answerOf(a).answerId)).toEqual([REJECTED.id]);
		expect(summary.json.summary).toMatchObject({
			delivered: 1,
			failed: 1,
			failures: [
				{
					answerId: ACCEPTED.id,
					folder: '/OUTTEST',
					code: 'REMOTE_PERMISSION_DENIED',
					message: expect.stringMatching(/permission denied/),
				},
			],
		});
		expect(fake.namesIn('/OUTTEST')).toEqual([
			`FO.${ACCEPTED.id}`,
			`FS.${ACCEPTED.id}`,
			`GO.${ACCEPTED.id}`,
		]);
	});

	it("joins each answer to the input item whose submission.go it answers, keeping that item's fields", async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, 'OUTTEST', ACCEPTED); // about GO.DMFA.012345.20250410.00001.T.1
		putAnswer(fake, 'OUTTEST', REJECTED); // about GO.DMFA.012345.20250410.00002.T.1
		putAnswer(fake, 'OUTTEST', NOTI); // about GO.DMFA.012345.20250410.00001.T.1
		const store = new BinaryStore();
		const submitted = (go: string, batchId: string): INodeExecutionData => ({
			json: { batchId, names: { go }, submission: { status: 'submitted', go } },
			// The submission's files stay behind: the answer item's binary is the answer.
			binary: { data: store.inline('<DmfA/>', `FI.${go.slice(3)}.1`) },
		});
		const items = [
			submitted('GO.DMFA.012345.20250410.00009.T.1', 'HR-9'),
			submitted('GO.DMFA.012345.20250410.00001.T.1', 'HR-1'),
		];
		const [answers, [summary]] = await new PollResponses().execute.call(
			stubFor({ environments: ['T'] }, { store, items }).ctx,
		);
		const byId = (id: string) => answers.find((a) => answerOf(a).answerId === id)!;
		// The ACRF and the NOTI of one set both carry its item's fields and are paired to it.
		for (const id of [ACCEPTED.id, NOTI.id]) {
			expect(byId(id).json).toEqual({ ...items[1].json, answer: expect.any(Object) });
			expect(byId(id).pairedItem).toEqual({ item: 1 });
		}
		expect(byId(ACCEPTED.id).binary?.data.fileName).toBe(`FO.${ACCEPTED.id}.xml`);
		expect(answerOf(byId(NOTI.id)).type).toBe('NOTI');
		// The rejected ACRF is about a set that is not in the input: it comes alone.
		expect(Object.keys(byId(REJECTED.id).json)).toEqual(['answer']);
		expect(byId(REJECTED.id).pairedItem).toEqual({ item: 0 });
		expect(summary.json.summary).toMatchObject({
			delivered: 3,
			inputsWithoutAnswer: ['GO.DMFA.012345.20250410.00009.T.1'],
		});
	});

	it('joins by another input field when told to, and not at all with an empty one', async () => {
		const items = [{ json: { go: 'GO.DMFA.012345.20250410.00001.T.1', row: 7 } }];
		const collect = async (inputGoField: string) => {
			const fake = new FakeChannel();
			useFakeChannel(fake);
			putAnswer(fake, 'OUTTEST', ACCEPTED);
			const [[answer]] = await new PollResponses().execute.call(
				stubFor({ environments: ['T'], options: { inputGoField } }, { items }).ctx,
			);
			return answer;
		};
		expect((await collect('go')).json).toMatchObject({ row: 7, answer: { answerId: ACCEPTED.id } });
		expect(Object.keys((await collect('')).json)).toEqual(['answer']);
		expect(Object.keys((await collect('submission.go')).json)).toEqual(['answer']);
	});

	it('with "Continue on Fail", a failed poll gives one item on the Summary output: the error', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		fake.failOn(
			'list',
			'/OUTTEST',
			new SocialSecurityError('REMOTE_PERMISSION_DENIED', 'Listing /OUTTEST: permission denied.'),
		);
		const stub = executeFunctions({
			description,
			params: { environments: ['T'] },
			continueOnFail: true,
			credentials: { [CREDENTIAL_TYPE]: credential.data },
			mode: 'trigger',
		});
		const [answers, [summary]] = await new PollResponses().execute.call(stub.ctx);
		expect(answers).toEqual([]);
		expect(summary.json).toEqual({
			error: {
				message: 'Listing /OUTTEST: permission denied.',
				code: 'REMOTE_PERMISSION_DENIED',
			},
		});
	});

	it('Delete Answer keeps the answer item and puts what it deleted beside it, under "deletion"', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, 'OUTTEST', ACCEPTED);
		const store = new BinaryStore();
		const [[collected]] = await new PollResponses().execute.call(
			stubFor({ environments: ['T'], options: { deleteAfterDownload: false } }, { store }).ctx,
		);
		const gone: INodeExecutionData = { json: { answer: { answerId: REJECTED.id } } };
		const invalid: INodeExecutionData = { json: { row: 3, answer: { answerId: 'nonsense' } } };
		const stub = executeFunctions({
			description,
			// The Answer ID parameter keeps its default, {{ $json.answer.answerId }}.
			params: { operation: 'delete' },
			items: [collected, gone, invalid],
			continueOnFail: true,
			credentials: { [CREDENTIAL_TYPE]: credential.data },
		});
		const [[deleted, notThere, failed], summary] = await new PollResponses().execute.call(stub.ctx);
		expect(deleted.json).toEqual({
			...collected.json,
			deletion: {
				answerId: ACCEPTED.id,
				deletedFromServer: true,
				deletedFiles: ['GO', 'FO', 'FS'].map((k) => `${k}.${ACCEPTED.id}`),
			},
		});
		expect(deleted.binary).toBe(collected.binary);
		expect(deleted.pairedItem).toEqual({ item: 0 });
		expect(fake.namesIn('/OUTTEST')).toEqual([]);
		// An answer already gone is not an error.
		expect(notThere.json.deletion).toEqual({
			answerId: REJECTED.id,
			deletedFromServer: false,
			deletedFiles: [],
		});
		// A failed item comes out as it came, with the error beside its fields.
		expect(failed).toMatchObject({
			json: {
				row: 3,
				answer: { answerId: 'nonsense' },
				error: { code: 'ANSWER_ID_INVALID' },
			},
			pairedItem: { item: 2 },
		});
		expect(summary).toEqual([]);
	});

	it('turns a failed listing into a NodeApiError on item 0 and still closes the channel', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		fake.failOn(
			'list',
			'/OUTTEST',
			new SocialSecurityError(
				'REMOTE_PERMISSION_DENIED',
				'Listing /OUTTEST: permission denied by the server.',
			),
		);
		const stub = stubFor({ environments: ['T'] });
		const error = await new PollResponses().execute.call(stub.ctx).then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).message).toBe(
			'Listing /OUTTEST: permission denied by the server.',
		);
		expect((error as NodeApiError).context.itemIndex).toBe(0);
		expect(fake.calls('close')).toEqual(['close']);
	});

	it('does not connect without a host key fingerprint', async () => {
		const open = jest.spyOn(SftpChannel, 'open').mockRejectedValue(new Error('must not connect'));
		const stub = executeFunctions({
			description,
			params: {},
			credentials: { [CREDENTIAL_TYPE]: { ...credential.data, hostFingerprint: ' ' } },
		});
		await expect(new PollResponses().execute.call(stub.ctx)).rejects.toThrow(
			/No server host key fingerprint/,
		);
		expect(open).not.toHaveBeenCalled();
	});
});
