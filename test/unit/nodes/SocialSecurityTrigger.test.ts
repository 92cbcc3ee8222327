import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { IDataObject, INodeExecutionData, WorkflowExecuteMode } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { SocialSecurityTrigger } from '../../../nodes/SocialSecurityTrigger/SocialSecurityTrigger.node';
import { SocialSecurityError } from '../../../nodes/domain/errors';
import {
	BinaryStore,
	CREDENTIAL_TYPE,
	FakeChannel,
	makeTestCredential,
	pollFunctions,
	useFakeChannel,
	type Params,
	type TestCredential,
} from '../../helpers/n8nStub';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/answers', name));
const ACCEPTED = { id: 'ACRF.999999.20250410.00011.T', xml: fixture('acrf-accepted.xml') };
const REJECTED = { id: 'ACRF.999999.20250410.00012.T', xml: fixture('acrf-rejected-3-errors.xml') };
const NOTI_REFUSED = { id: 'NOTI.999999.20250411.00004.T', xml: fixture('noti-anomalies.xml') };

function putAnswer(
	fake: FakeChannel,
	answer: { id: string; xml: Buffer },
	folder = 'OUTTEST',
): void {
	fake.put(`/${folder}/FO.${answer.id}`, answer.xml);
	fake.put(`/${folder}/FS.${answer.id}`, 'c2lnbmF0dXJl');
	fake.put(`/${folder}/GO.${answer.id}`, '');
}

const filesOf = (...answers: Array<{ id: string }>) =>
	answers.flatMap((a) => ['FO', 'FS', 'GO'].map((k) => `${k}.${a.id}`)).sort();

let credential: TestCredential;
beforeAll(() => {
	credential = makeTestCredential({ withCertificate: false });
}, 60_000);
afterAll(() => credential?.cleanup());
afterEach(() => jest.restoreAllMocks());

const description = new SocialSecurityTrigger().description;

function stubFor(
	mode: WorkflowExecuteMode,
	staticData: IDataObject,
	params: Params = {},
	store = new BinaryStore(),
) {
	return pollFunctions({
		description,
		params: { environments: ['T'], ...params },
		mode,
		staticData,
		store,
		credentials: { [CREDENTIAL_TYPE]: credential.data },
	});
}

async function poll(stub: ReturnType<typeof stubFor>): Promise<INodeExecutionData[] | null> {
	const result = await new SocialSecurityTrigger().poll.call(stub.ctx);
	if (result === null) return null;
	expect(result).toHaveLength(1);
	return result[0];
}

/** The answer of an item (docs/items.md). */
const answerOf = (item: INodeExecutionData) => item.json.answer as IDataObject;

describe('Social Security Trigger', () => {
	it('is a polling trigger without inputs', () => {
		expect(description).toMatchObject({
			polling: true,
			inputs: [],
			outputs: ['main'],
			group: ['trigger'],
		});
	});

	it('in a manual test run, shows at most one sample, deletes nothing and leaves the static data alone', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, ACCEPTED);
		putAnswer(fake, REJECTED);
		const staticData: IDataObject = {};
		const store = new BinaryStore();
		const stub = stubFor('manual', staticData, {}, store);
		const items = await poll(stub);
		expect(items).toHaveLength(1);
		expect(items?.[0].json).toEqual({
			answer: expect.objectContaining({
				answerId: ACCEPTED.id,
				status: 'accepted',
				deletedFromServer: false,
			}),
		});
		expect(store.bytesOf(items?.[0].binary?.data).equals(ACCEPTED.xml)).toBe(true);
		expect(fake.calls('delete')).toEqual([]);
		expect(fake.namesIn('/OUTTEST')).toEqual(filesOf(ACCEPTED, REJECTED));
		expect(staticData).toEqual({});
		expect(fake.log.at(-1)).toBe('close');

		// Again: the same sample, since nothing was remembered.
		const again = await poll(stubFor('manual', staticData, {}, store));
		expect(again?.map((i) => answerOf(i).answerId)).toEqual([ACCEPTED.id]);
		expect(staticData).toEqual({});
	});

	it('in a manual run without answers, shows a clearly marked example so fields can be mapped', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		const staticData: IDataObject = {};
		const items = await poll(stubFor('manual', staticData));
		expect(items).toHaveLength(1);
		// The example has the shape of a real item: the answer under "answer".
		expect(items?.[0].json).toMatchObject({
			sample: true,
			answer: { type: 'ACRF', status: 'rejected' },
		});
		expect(items?.[0].json.note).toMatch(/comes from no server/);
		expect(staticData).toEqual({});
		expect(fake.calls('delete')).toEqual([]);
	});

	it('when active and nothing is waiting, starts nothing', async () => {
		useFakeChannel(new FakeChannel());
		expect(await poll(stubFor('trigger', {}))).toBeNull();
	});

	it('when active, emits each answer once, remembers it, and deletes it', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, ACCEPTED);
		putAnswer(fake, REJECTED);
		const staticData: IDataObject = {};
		const items = await poll(stubFor('trigger', staticData));
		expect(
			items?.map((i) => [answerOf(i).answerId, answerOf(i).status, answerOf(i).deletedFromServer]),
		).toEqual([
			[ACCEPTED.id, 'accepted', true],
			[REJECTED.id, 'rejected', true],
		]);
		expect(staticData).toEqual({ delivered: [ACCEPTED.id, REJECTED.id], ignored: [] });
		expect(fake.calls('delete')).toHaveLength(6);
		expect(fake.namesIn('/OUTTEST')).toEqual([]);
	});

	it('never emits an answer twice: a second poll over the same listing returns null and deletes the leftovers', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, ACCEPTED);
		// The delete of the GO fails (e.g. the connection drops): all three files stay after the first poll.
		fake.failOn(
			'delete',
			`/OUTTEST/GO.${ACCEPTED.id}`,
			new SocialSecurityError('CONNECTION_LOST', 'The connection was closed.'),
		);
		const staticData: IDataObject = {};

		const first = await poll(stubFor('trigger', staticData));
		expect(first?.map((i) => answerOf(i).answerId)).toEqual([ACCEPTED.id]);
		expect(answerOf(first![0])).toMatchObject({
			deletedFromServer: false,
			deleteProblem: 'The connection was closed.',
		});
		expect(fake.namesIn('/OUTTEST')).toEqual(filesOf(ACCEPTED));
		expect(staticData.delivered).toEqual([ACCEPTED.id]);

		const logBefore = fake.log.length;
		const second = await poll(stubFor('trigger', staticData));
		expect(second).toBeNull();
		const secondLog = fake.log.slice(logBefore);
		// Not downloaded again: only listed and cleaned up, GO first.
		expect(secondLog.filter((l) => l.startsWith('download'))).toEqual([]);
		expect(secondLog.filter((l) => l.startsWith('delete'))).toEqual([
			`delete /OUTTEST/GO.${ACCEPTED.id}`,
			`delete /OUTTEST/FO.${ACCEPTED.id}`,
			`delete /OUTTEST/FS.${ACCEPTED.id}`,
		]);
		expect(fake.namesIn('/OUTTEST')).toEqual([]);
		expect(staticData.delivered).toEqual([ACCEPTED.id]);
	});

	it('keeps remembering delivered answers when they are not deleted from the server', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, ACCEPTED);
		const staticData: IDataObject = {};
		const params = { options: { deleteAfterDownload: false } };
		expect(
			(await poll(stubFor('trigger', staticData, params)))?.map((i) => answerOf(i).answerId),
		).toEqual([ACCEPTED.id]);
		expect(await poll(stubFor('trigger', staticData, params))).toBeNull();
		expect(fake.calls('delete')).toEqual([]);
		expect(fake.calls('download')).toEqual([`download /OUTTEST/FO.${ACCEPTED.id}`]);
	});

	it('with "Only Rejections", emits the rejections, leaves the accepted answers on the server and ignores them from then on', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, ACCEPTED);
		putAnswer(fake, REJECTED);
		putAnswer(fake, NOTI_REFUSED);
		const staticData: IDataObject = {};
		const params = { onlyRejections: true };

		const items = await poll(stubFor('trigger', staticData, params));
		expect(items?.map((i) => [answerOf(i).answerId, answerOf(i).status])).toEqual([
			[REJECTED.id, 'rejected'],
			[NOTI_REFUSED.id, 'rejected'],
		]);
		expect(staticData).toEqual({
			delivered: [REJECTED.id, NOTI_REFUSED.id],
			ignored: [ACCEPTED.id],
		});
		expect(fake.calls('delete').filter((l) => l.includes(ACCEPTED.id))).toEqual([]);
		expect(fake.namesIn('/OUTTEST')).toEqual(filesOf(ACCEPTED));

		// The accepted answer is not even read again.
		const logBefore = fake.log.length;
		expect(await poll(stubFor('trigger', staticData, params))).toBeNull();
		expect(fake.log.slice(logBefore).filter((l) => l.startsWith('download'))).toEqual([]);
		expect(fake.namesIn('/OUTTEST')).toEqual(filesOf(ACCEPTED));
		expect(staticData).toEqual({
			delivered: [REJECTED.id, NOTI_REFUSED.id],
			ignored: [ACCEPTED.id],
		});
	});

	// BUG (see the report): the manual sample is limited to one answer before "Only Rejections" is applied,
	// so a test run shows nothing when the first answer waiting is an acceptance. Remove `.failing` once fixed.
	it('with "Only Rejections", a manual test run samples a rejection even when an acceptance comes first', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, ACCEPTED);
		putAnswer(fake, REJECTED);
		const items = await poll(stubFor('manual', {}, { onlyRejections: true }));
		expect(items?.map((i) => answerOf(i).answerId)).toEqual([REJECTED.id]);
	});

	it('keeps an answer that cannot be read on the server and tries it again on the next poll', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		// Named as an ACRF but not XML: RESPONSE_CONTENT_UNEXPECTED for that answer only.
		putAnswer(fake, { id: ACCEPTED.id, xml: Buffer.from('%PDF-1.4 not an ACRF') });
		putAnswer(fake, REJECTED);
		const staticData: IDataObject = {};
		const items = await poll(stubFor('trigger', staticData));
		expect(items?.map((i) => answerOf(i).answerId)).toEqual([REJECTED.id]);
		expect(fake.namesIn('/OUTTEST')).toEqual(filesOf(ACCEPTED));
		expect(staticData).toEqual({ delivered: [REJECTED.id], ignored: [] });
		// The next poll tries it again; as nothing could be taken, the poll fails visibly instead of staying silent.
		const logBefore = fake.log.length;
		await expect(poll(stubFor('trigger', staticData))).rejects.toThrow(
			/1 answer\(s\) could not be taken/,
		);
		expect(fake.log.slice(logBefore).filter((l) => l.startsWith('download'))).toEqual([
			`download /OUTTEST/FO.${ACCEPTED.id}`,
		]);
		expect(fake.namesIn('/OUTTEST')).toEqual(filesOf(ACCEPTED));
	});

	it('keeps the remembered ids bounded', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		putAnswer(fake, ACCEPTED);
		const old = Array.from(
			{ length: 5000 },
			(_, i) => `ACRF.999999.20240101.${String(i).padStart(5, '0')}.T`,
		);
		const staticData: IDataObject = { delivered: [...old], ignored: [] };
		await poll(stubFor('trigger', staticData));
		expect(staticData.delivered).toHaveLength(5000);
		expect((staticData.delivered as string[]).at(-1)).toBe(ACCEPTED.id);
		expect((staticData.delivered as string[])[0]).toBe(old[1]);
	});

	it('throws a NodeApiError when the server cannot be listed, and closes the channel', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		fake.failOn(
			'list',
			'/OUTTEST',
			new SocialSecurityError(
				'CONNECTION_LOST',
				'The connection to sftp.example.invalid:8022 was closed by the server or the network.',
				'Try again later.',
			),
		);
		const staticData: IDataObject = {};
		const error = await new SocialSecurityTrigger().poll
			.call(stubFor('trigger', staticData).ctx)
			.then(
				() => undefined,
				(e: unknown) => e,
			);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).message).toMatch(/was closed by the server or the network/);
		expect((error as NodeApiError).description).toBe('Try again later.');
		expect(fake.calls('close')).toEqual(['close']);
		expect(staticData).toEqual({});
	});
});
