import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type {
	IBinaryKeyData,
	ICredentialDataDecryptedObject,
	IDataObject,
	INodeExecutionData,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { SubmitToSocialSecurity } from '../../../nodes/SubmitToSocialSecurity/SubmitToSocialSecurity.node';
import { SocialSecurityError } from '../../../nodes/domain/errors';
import { brusselsToday } from '../../../nodes/domain/names/brusselsTime';
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
import { opensslOk } from '../../helpers/certificates';

const today = brusselsToday();
const setBase = (sequence: string, environment = 'T', parts = 1) =>
	`DMFA.101380.${today}.${sequence}.${environment}.${parts}`;

let credential: TestCredential;
beforeAll(() => {
	credential = makeTestCredential();
}, 60_000);
afterAll(() => credential?.cleanup());
afterEach(() => jest.restoreAllMocks());

const description = new SubmitToSocialSecurity().description;

/** The binaries of a set as Build Filenames + Sign FI leave them: FI and FS with their names. */
function setBinaries(
	store: BinaryStore,
	base: string,
	parts: number,
	options: { signatures?: boolean; inline?: boolean } = {},
): IBinaryKeyData {
	const binary: IBinaryKeyData = {};
	const add = options.inline ? store.inline.bind(store) : store.filesystem.bind(store);
	for (let part = 1; part <= parts; part += 1) {
		const suffix = part === 1 ? '' : String(part);
		binary[`data${suffix}`] = add(
			`<DmfA part="${part}">${'x'.repeat(100 * part)}</DmfA>\n`,
			`FI.${base}.${part}`,
			'application/xml',
		);
		if (options.signatures !== false)
			binary[`signature${suffix}`] = add(`U0lHTkFUVVJF${part}`, `FS.${base}.${part}`, 'text/plain');
	}
	return binary;
}

function stubFor(
	params: Params | ((itemIndex: number) => Params),
	items: INodeExecutionData[],
	options: {
		continueOnFail?: boolean;
		store?: BinaryStore;
		credential?: ICredentialDataDecryptedObject;
	} = {},
) {
	return executeFunctions({
		description,
		params,
		items,
		continueOnFail: options.continueOnFail,
		store: options.store,
		credentials: { [CREDENTIAL_TYPE]: options.credential ?? credential.data },
	});
}

async function run(stub: ReturnType<typeof stubFor>): Promise<INodeExecutionData[]> {
	const [output] = await new SubmitToSocialSecurity().execute.call(stub.ctx);
	return output;
}

async function failure<T extends Error = NodeOperationError>(
	stub: ReturnType<typeof stubFor>,
	type: new (...args: never[]) => T = NodeOperationError as never,
): Promise<T> {
	try {
		await run(stub);
	} catch (error) {
		expect(error).toBeInstanceOf(type);
		return error as T;
	}
	throw new Error('expected the node to fail');
}

const dryRun = (extra: Params = {}): Params => ({
	operation: 'submit',
	options: { dryRun: true },
	...extra,
});

/** What Submit puts beside the item's own fields (docs/items.md). */
const submissionOf = (item: INodeExecutionData) => item.json.submission as IDataObject;

describe('Submit — dry run (no connection)', () => {
	let open: jest.SpyInstance;
	beforeEach(() => {
		open = jest
			.spyOn(SftpChannel, 'open')
			.mockRejectedValue(new Error('a dry run must not connect'));
	});

	it('plans a 1-part set found by its file names', async () => {
		const store = new BinaryStore();
		const base = setBase('00001');
		const binary = setBinaries(store, base, 1);
		const [item] = await run(
			stubFor(dryRun(), [{ json: { batchId: 'HR-42' }, binary }], { store }),
		);
		expect(Object.keys(item.json)).toEqual(['batchId', 'submission']);
		expect(item.json.batchId).toBe('HR-42');
		expect(submissionOf(item)).toEqual({
			status: 'dry-run',
			go: `GO.${base}`,
			td: `TD.${base}`,
			folder: 'INTEST',
			responseFolder: 'OUTTEST',
			set: {
				application: 'DMFA',
				sender: '101380',
				date: today,
				sequence: '00001',
				environment: 'T',
				parts: 1,
			},
			wouldSend: [
				{ name: `FI.${base}.1`, role: 'FI', part: 1, size: store.bytesOf(binary.data).length },
				{ name: `FS.${base}.1`, role: 'FS', part: 1, size: store.bytesOf(binary.signature).length },
				{ name: `GO.${base}`, role: 'GO', size: 0 },
			],
			signaturesNotSent: [],
			signaturesMade: [],
		});
		expect(item.binary).toBe(binary);
		expect(item.pairedItem).toEqual({ item: 0 });
		// Sizes come from n8n's metadata; nothing is read for a dry run.
		expect(store.metadataRead).toEqual(
			expect.arrayContaining([binary.data.id, binary.signature.id]),
		);
		expect(store.streamed).toEqual([]);
		expect(open).not.toHaveBeenCalled();
	});

	it('plans a 3-part set found by its file names, whatever the property names and their order', async () => {
		const store = new BinaryStore();
		const base = setBase('00009', 'T', 3);
		const made = setBinaries(store, base, 3);
		// Properties named anyhow and listed out of order; the names decide.
		const binary: IBinaryKeyData = {
			z: made.signature2,
			a: made.data3,
			fs1: made.signature,
			m: made.data,
			q: made.signature3,
			b: made.data2,
			other: store.inline('x', 'report.pdf'),
		};
		const [item] = await run(stubFor(dryRun(), [{ json: {}, binary }], { store }));
		expect((submissionOf(item).wouldSend as IDataObject[]).map((f) => f.name)).toEqual([
			...[1, 2, 3].map((p) => `FI.${base}.${p}`),
			...[1, 2, 3].map((p) => `FS.${base}.${p}`),
			`GO.${base}`,
		]);
		expect(submissionOf(item)).toMatchObject({
			folder: 'INTEST',
			set: { parts: 3, sequence: '00009' },
		});
	});

	it('plans a 3-part set named by binary properties, in upload order, whatever the order given', async () => {
		const store = new BinaryStore();
		const base = setBase('00002', 'T', 3);
		const binary = setBinaries(store, base, 3, { inline: true });
		const params = dryRun({
			filesFrom: 'properties',
			declarationProperties: 'data3, data ,data2',
			signatureProperties: 'signature2,signature3,signature',
		});
		const [item] = await run(stubFor(params, [{ json: {}, binary }], { store }));
		expect(
			(submissionOf(item).wouldSend as IDataObject[]).map((f) => [f.name, f.role, f.part]),
		).toEqual([
			[`FI.${base}.1`, 'FI', 1],
			[`FI.${base}.2`, 'FI', 2],
			[`FI.${base}.3`, 'FI', 3],
			[`FS.${base}.1`, 'FS', 1],
			[`FS.${base}.2`, 'FS', 2],
			[`FS.${base}.3`, 'FS', 3],
			[`GO.${base}`, 'GO', undefined],
		]);
		expect((submissionOf(item).wouldSend as IDataObject[])[2].size).toBe(
			store.bytesOf(binary.data3).length,
		);
		expect(open).not.toHaveBeenCalled();
	});

	it('lists the FS files the DmfA declaration test does not get', async () => {
		const store = new BinaryStore();
		const base = setBase('00003', 'S');
		const [item] = await run(
			stubFor(dryRun(), [{ json: {}, binary: setBinaries(store, base, 1) }], { store }),
		);
		expect(submissionOf(item)).toMatchObject({
			folder: 'INTEST-S',
			signaturesNotSent: [`FS.${base}.1`],
		});
		expect((submissionOf(item).wouldSend as IDataObject[]).map((f) => f.role)).toEqual([
			'FI',
			'GO',
		]);
	});

	it('refuses a production set without its FS (ACRF-122), on the right item', async () => {
		const store = new BinaryStore();
		const items: INodeExecutionData[] = [
			{ json: {}, binary: setBinaries(store, setBase('00004', 'R'), 1) },
			{ json: {}, binary: setBinaries(store, setBase('00005', 'R'), 1, { signatures: false }) },
		];
		const error = await failure(stubFor(dryRun(), items, { store }));
		expect(error.message).toMatch(
			/signature \(FS\) of part 1 is missing; production always needs one \(ACRF-122\)/,
		);
		expect(error.context.itemIndex).toBe(1);
		expect(error.description).toMatch(/Nothing was sent/);
	});

	it('says clearly that an item has no FI binary, listing what it has', async () => {
		const store = new BinaryStore();
		const items: INodeExecutionData[] = [
			{ json: {}, binary: { data: store.inline('x', 'export.xml'), report: store.inline('y') } },
		];
		const error = await failure(stubFor(dryRun(), items, { store }));
		expect(error.message).toBe(
			'The item has no binary whose file name starts with FI. (it has data: export.xml, report: (no name)).',
		);
		expect(error.description).toMatch(/Build Filenames/);
		const none = await failure(stubFor(dryRun(), [{ json: {} }], { store }));
		expect(none.message).toMatch(/it has no binary at all/);
	});

	it('refuses a named binary property that is missing, and a binary without a file name', async () => {
		const store = new BinaryStore();
		const params = dryRun({
			filesFrom: 'properties',
			declarationProperties: 'data',
			signatureProperties: '',
		});
		const missing = await failure(
			stubFor(
				params,
				[{ json: {}, binary: { other: store.inline('x', `FI.${setBase('00006')}.1`) } }],
				{ store },
			),
		);
		expect(missing.message).toMatch(/no binary field 'data'/);
		const unnamed = await failure(
			stubFor(params, [{ json: {}, binary: { data: store.inline('x') } }], { store }),
		);
		expect(unnamed.message).toMatch(/"data" has no file name/);
	});

	it("refuses a set whose sender is not the channel's (ACRF-108)", async () => {
		const store = new BinaryStore();
		const base = `DMFA.101381.${today}.00007.T.1`;
		const error = await failure(
			stubFor(dryRun(), [{ json: {}, binary: setBinaries(store, base, 1) }], { store }),
		);
		expect(error.message).toMatch(/ACRF-108/);
	});

	it('makes the missing FS with the certificate of the credential', async () => {
		const store = new BinaryStore();
		const base = setBase('00008');
		const binary = setBinaries(store, base, 1, { signatures: false });
		const [item] = await run(
			stubFor(
				dryRun({ options: { dryRun: true, signWhenMissing: true } }),
				[{ json: {}, binary }],
				{ store },
			),
		);
		expect(submissionOf(item).signaturesMade).toEqual([
			{
				name: `FS.${base}.1`,
				digest: expect.stringMatching(/^[0-9a-f]{64}$/),
				signer: expect.stringMatching(/CN=Test Signer/),
			},
		]);
		expect((submissionOf(item).wouldSend as IDataObject[]).map((f) => f.name)).toEqual([
			`FI.${base}.1`,
			`FS.${base}.1`,
			`GO.${base}`,
		]);
		// The FI was read to be signed.
		expect(store.streamed).toEqual([binary.data.id]);
	});
});

describe('Submit — upload through a (mocked) channel', () => {
	it('opens the channel with the credential settings and uploads FI…, FS…, then GO', async () => {
		const fake = new FakeChannel();
		const open = useFakeChannel(fake);
		const store = new BinaryStore();
		store.maxChunkSize = 16;
		const base = setBase('00010', 'T', 2);
		const binary = setBinaries(store, base, 2);
		const export_ = { employer: '0123456789', names: { go: `GO.${base}` }, signature: {} };
		const [item] = await run(
			stubFor({ operation: 'submit' }, [{ json: export_, binary }], { store }),
		);

		expect(open).toHaveBeenCalledTimes(1);
		expect(open.mock.calls[0][0]).toMatchObject({
			host: 'sftp.example.invalid',
			port: 8022,
			username: 'EXP12345',
			hostFingerprints: [credential.hostFingerprint],
			privateKey: expect.anything(),
		});
		expect(fake.calls('upload', 'create')).toEqual([
			`upload /INTEST/FI.${base}.1`,
			`upload /INTEST/FI.${base}.2`,
			`upload /INTEST/FS.${base}.1`,
			`upload /INTEST/FS.${base}.2`,
			`create /INTEST/GO.${base}`,
		]);
		expect(fake.log[0]).toBe('list /INTEST');
		expect(fake.log.at(-1)).toBe('close');
		expect(fake.bytes(`/INTEST/FI.${base}.2`)?.equals(store.bytesOf(binary.data2))).toBe(true);
		// The item keeps what it came with; the record is beside it.
		expect(item.json).toMatchObject(export_);
		expect(submissionOf(item)).toMatchObject({
			status: 'submitted',
			go: `GO.${base}`,
			folder: 'INTEST',
			serverFingerprint: fake.presentedFingerprint,
			submittedAt: expect.any(String),
			signaturesMade: [],
		});
		expect((submissionOf(item).files as IDataObject[]).map((f) => f.role)).toEqual([
			'FI',
			'FI',
			'FS',
			'FS',
			'GO',
		]);
		expect(item.pairedItem).toEqual({ item: 0 });
		// Filesystem binaries are streamed from n8n's store, never read from `data`.
		expect(store.streamed).toEqual(
			expect.arrayContaining([
				binary.data.id,
				binary.data2.id,
				binary.signature.id,
				binary.signature2.id,
			]),
		);
	});

	it('uploads an FS made with "Sign Missing Signatures" that openssl verifies against the uploaded FI', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		const store = new BinaryStore();
		const base = setBase('00011');
		const binary = setBinaries(store, base, 1, { signatures: false });
		const [item] = await run(
			stubFor({ operation: 'submit', options: { signWhenMissing: true } }, [{ json: {}, binary }], {
				store,
			}),
		);
		expect(fake.calls('upload', 'create')).toEqual([
			`upload /INTEST/FI.${base}.1`,
			`upload /INTEST/FS.${base}.1`,
			`create /INTEST/GO.${base}`,
		]);
		expect(submissionOf(item).signaturesMade).toEqual([
			expect.objectContaining({ name: `FS.${base}.1` }),
		]);
		const fs = fake.bytes(`/INTEST/FS.${base}.1`) as Buffer;
		writeFileSync(
			join(credential.dir, 'submit.fs.der'),
			Buffer.from(fs.toString('latin1'), 'base64'),
		);
		writeFileSync(join(credential.dir, 'submit.fi'), fake.bytes(`/INTEST/FI.${base}.1`) as Buffer);
		const verified = opensslOk(credential.dir, [
			'cms',
			'-verify',
			'-binary',
			'-inform',
			'DER',
			'-in',
			'submit.fs.der',
			'-content',
			'submit.fi',
			'-noverify',
			'-out',
			'/dev/null',
		]);
		expect(verified).toEqual({ ok: true, stderr: expect.any(String) });
	});

	it('uses one channel for all items and closes it once, at the end', async () => {
		const fake = new FakeChannel();
		const open = useFakeChannel(fake);
		const store = new BinaryStore();
		const items = ['00012', '00013', '00014'].map((s) => ({
			json: {},
			binary: setBinaries(store, setBase(s), 1),
		}));
		const output = await run(stubFor({ operation: 'submit' }, items, { store }));
		expect(output.map((i) => submissionOf(i).go)).toEqual(
			['00012', '00013', '00014'].map((s) => `GO.${setBase(s)}`),
		);
		expect(output.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(open).toHaveBeenCalledTimes(1);
		expect(fake.calls('close')).toEqual(['close']);
		expect(fake.log.at(-1)).toBe('close');
		expect(fake.calls('create')).toHaveLength(3);
	});

	it('sends the sets of an execution several at a time; a failure starts no new set and fails the node on its item', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		const store = new BinaryStore();
		const bases = ['00021', '00022', '00023', '00024', '00025', '00026'].map((s) => setBase(s));
		fake.failOn(
			'upload',
			`/INTEST/FS.${bases[1]}.1`,
			new SocialSecurityError('REMOTE_PERMISSION_DENIED', 'permission denied by the server.'),
		);
		const items = bases.map((base) => ({ json: {}, binary: setBinaries(store, base, 1) }));
		const error = await failure(
			stubFor({ operation: 'submit', options: { parallelSets: 2 } }, items, { store }),
			NodeApiError,
		);
		expect(error.context.itemIndex).toBe(1);
		// The set beside it finished (GO last); the sets after the failure were never started.
		expect(fake.calls('upload', 'create').filter((c) => c.includes(bases[0]))).toEqual([
			`upload /INTEST/FI.${bases[0]}.1`,
			`upload /INTEST/FS.${bases[0]}.1`,
			`create /INTEST/GO.${bases[0]}`,
		]);
		for (const base of bases.slice(4)) expect(fake.log.filter((l) => l.includes(base))).toEqual([]);
		// One listing of the upload folder for the whole execution.
		expect(fake.calls('list')).toEqual(['list /INTEST']);
		expect(fake.calls('close')).toEqual(['close']);
	});

	it('closes the channel also when an item fails', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		const store = new BinaryStore();
		const base = setBase('00015');
		fake.failOn(
			'upload',
			`/INTEST/FS.${base}.1`,
			new SocialSecurityError(
				'REMOTE_PERMISSION_DENIED',
				`Uploading /INTEST/FS.${base}.1: permission denied by the server.`,
			),
		);
		const error = await failure(
			stubFor({ operation: 'submit' }, [{ json: {}, binary: setBinaries(store, base, 1) }], {
				store,
			}),
			NodeApiError,
		);
		// A failed submission is about the server: NodeApiError, saying what is on the server now.
		expect(error.message).toMatch(/The set was not submitted: .*permission denied.*No GO was sent/);
		expect(error.message).toContain(`On the server now: FI.${base}.1.`);
		expect(error.context.itemIndex).toBe(0);
		expect(fake.calls('create')).toEqual([]);
		expect(fake.calls('close')).toEqual(['close']);
	});

	it('with "Continue on Fail", reports what reached the server and goes on with the next item', async () => {
		const fake = new FakeChannel();
		const open = useFakeChannel(fake);
		const store = new BinaryStore();
		const failing = setBase('00016', 'T', 2);
		fake.failOn(
			'upload',
			`/INTEST/FI.${failing}.2`,
			new SocialSecurityError(
				'CONNECTION_LOST',
				'The connection to sftp.example.invalid:8022 was closed by the server or the network.',
			),
			{
				partial: 10,
			},
		);
		const items = [
			{ json: { batchId: 'HR-16' }, binary: setBinaries(store, failing, 2) },
			{ json: {}, binary: setBinaries(store, setBase('00017'), 1) },
		];
		const output = await run(
			stubFor({ operation: 'submit', options: { cleanupOnFailure: false } }, items, {
				store,
				continueOnFail: true,
			}),
		);
		expect(output).toHaveLength(2);
		// The item as it came (fields and files, for a retry with "Resume"), the error beside.
		expect(output[0]).toEqual({
			json: {
				batchId: 'HR-16',
				error: {
					message: expect.stringMatching(
						/^The set was not submitted: The connection .* was closed/,
					),
					code: 'SUBMISSION_FAILED',
					hint: expect.stringMatching(/\w/),
					reachedServer: [`FI.${failing}.1`, `FI.${failing}.2 (incomplete, 10 bytes)`],
					removedAgain: [],
				},
			},
			binary: items[0].binary,
			pairedItem: { item: 0 },
		});
		expect(fake.calls('create', 'upload').filter((c) => c.includes(failing))).toEqual([
			`upload /INTEST/FI.${failing}.1`,
			`upload /INTEST/FI.${failing}.2`,
		]);
		expect(submissionOf(output[1])).toMatchObject({
			status: 'submitted',
			go: `GO.${setBase('00017')}`,
		});
		expect(open).toHaveBeenCalledTimes(1);
		expect(fake.calls('close')).toEqual(['close']);
	});

	it('with "Clean Up After a Failure", removes what it sent and says so', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		const store = new BinaryStore();
		const base = setBase('00018');
		fake.failOn(
			'upload',
			`/INTEST/FS.${base}.1`,
			new SocialSecurityError(
				'REMOTE_OPERATION_FAILED',
				`Uploading /INTEST/FS.${base}.1 failed on the server.`,
			),
		);
		const [item] = await run(
			stubFor(
				{ operation: 'submit', options: { cleanupOnFailure: true } },
				[{ json: {}, binary: setBinaries(store, base, 1) }],
				{ store, continueOnFail: true },
			),
		);
		expect(item.json.error).toMatchObject({
			code: 'SUBMISSION_FAILED',
			reachedServer: [],
			removedAgain: [`FI.${base}.1`],
		});
		expect(fake.namesIn('/INTEST')).toEqual([]);
	});

	it('never cleans up once the GO was sent: the server may be processing the set', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		const store = new BinaryStore();
		const base = setBase('00028');
		fake.failOn(
			'create',
			`/INTEST/GO.${base}`,
			new SocialSecurityError(
				'REMOTE_OPERATION_FAILED',
				`Creating /INTEST/GO.${base} failed on the server.`,
			),
		);
		const [item] = await run(
			stubFor(
				{ operation: 'submit', options: { cleanupOnFailure: true } },
				[{ json: {}, binary: setBinaries(store, base, 1) }],
				{ store, continueOnFail: true },
			),
		);
		expect(item.json.error).toMatchObject({ code: 'SUBMISSION_FAILED', removedAgain: [] });
		expect(fake.namesIn('/INTEST')).toEqual([`FI.${base}.1`, `FS.${base}.1`]);
	});

	it('refuses to send a set whose GO is already on the server', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		const store = new BinaryStore();
		const base = setBase('00019');
		fake.put(`/INTEST/GO.${base}`, '');
		const error = await failure(
			stubFor({ operation: 'submit' }, [{ json: {}, binary: setBinaries(store, base, 1) }], {
				store,
			}),
		);
		expect(error.message).toMatch(/already in INTEST/);
		expect(error.description).toMatch(/Cancel operation/);
		expect(fake.calls('upload', 'create')).toEqual([]);
	});

	it('does not open a channel when the credential has no host key fingerprint', async () => {
		const open = useFakeChannel(new FakeChannel());
		const store = new BinaryStore();
		const noPin = { ...credential.data, hostFingerprint: '' };
		const error = await failure(
			stubFor(
				{ operation: 'submit' },
				[{ json: {}, binary: setBinaries(store, setBase('00020'), 1) }],
				{ store, credential: noPin },
			),
			NodeOperationError,
		);
		expect(error.message).toMatch(/No server host key fingerprint/);
		expect(error.description).toMatch(/credential test/);
		expect(open).not.toHaveBeenCalled();
	});
});

describe('Cancel', () => {
	it('sends TD.<rest of the GO name> to the upload folder of its environment', async () => {
		const fake = new FakeChannel();
		const open = useFakeChannel(fake);
		const go = 'GO.DMFA.101380.20250110.00001.S.3';
		const [item] = await run(
			stubFor({ operation: 'cancel', goName: ` ${go} ` }, [{ json: { other: 1 } }]),
		);
		expect(fake.calls('upload', 'create')).toEqual([
			'create /INTEST-S/TD.DMFA.101380.20250110.00001.S.3',
		]);
		expect(item.json).toEqual({
			other: 1,
			cancellation: {
				status: 'cancellation-sent',
				go,
				td: 'TD.DMFA.101380.20250110.00001.S.3',
				folder: 'INTEST-S',
				sentAt: expect.any(String),
			},
		});
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(open).toHaveBeenCalledTimes(1);
		expect(fake.calls('close')).toEqual(['close']);
	});

	it('takes the GO name from the output of Submit by default ({{ $json.submission.go }})', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		const go = `GO.${setBase('00021', 'R')}`;
		await run(
			stubFor({ operation: 'cancel' }, [{ json: { submission: { status: 'submitted', go } } }]),
		);
		expect(fake.calls('create')).toEqual([`create /IN/TD.${go.slice(3)}`]);
	});

	it.each([`FI.${setBase('00022')}.1`, `TD.${setBase('00022')}`, 'GO.DMFA.1.2.3.T.1', ''])(
		'refuses %j, which is not a GO name, on its item',
		async (name) => {
			const fake = new FakeChannel();
			const open = useFakeChannel(fake);
			const items = [{ json: {} }, { json: {} }];
			const error = await failure(
				stubFor(
					(i) => ({ operation: 'cancel', goName: i === 0 ? `GO.${setBase('00023')}` : name }),
					items,
				),
			);
			expect(error.message).toMatch(/is not the GO name of a set/);
			expect(error.context.itemIndex).toBe(1);
			expect(error.description).toMatch(/GO\.DMFA\.101380/);
			// Only the first item's TD was sent; the channel is closed either way.
			expect(fake.calls('create')).toEqual([`create /INTEST/TD.${setBase('00023')}`]);
			expect(open).toHaveBeenCalledTimes(1);
			expect(fake.calls('close')).toEqual(['close']);
		},
	);

	it('does not connect when the only item has no GO name', async () => {
		const open = useFakeChannel(new FakeChannel());
		const error = await failure(
			stubFor({ operation: 'cancel', goName: 'nonsense' }, [{ json: {} }]),
		);
		expect(error.message).toMatch(/"nonsense" is not the GO name of a set: .*ACRF-129/);
		expect(open).not.toHaveBeenCalled();
	});

	it('reports a TD that already exists', async () => {
		const fake = new FakeChannel();
		useFakeChannel(fake);
		const go = `GO.${setBase('00024')}`;
		fake.put(`/INTEST/TD.${go.slice(3)}`, '');
		const [item] = await run(
			stubFor({ operation: 'cancel', goName: go }, [{ json: {} }], { continueOnFail: true }),
		);
		expect(item.json.error).toMatchObject({
			code: 'REMOTE_EXISTS',
			message: expect.stringMatching(/already exists/),
		});
	});
});
