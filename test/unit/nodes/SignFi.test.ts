import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { IBinaryData, IDataObject, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { SignFi } from '../../../nodes/SignFi/SignFi.node';
import { brusselsToday } from '../../../nodes/domain/names/brusselsTime';
import {
	BinaryStore,
	CREDENTIAL_TYPE,
	executeFunctions,
	makeTestCredential,
	type Params,
	type TestCredential,
} from '../../helpers/n8nStub';
import { opensslOk } from '../../helpers/certificates';

const FI_NAME = `FI.DMFA.101380.${brusselsToday()}.00001.T.1.1`;
const FS_NAME = `FS.${FI_NAME.slice(3)}`;
const LF_CONTENT = Buffer.from('<DmfA>\n  <Quarter>20261</Quarter>\n  <Line>é</Line>\n</DmfA>\n');

let credential: TestCredential;
let fileCounter = 0;

beforeAll(() => {
	credential = makeTestCredential({ subject: '/C=BE/O=Test Payroll/CN=Test Signer' });
}, 60_000);
afterAll(() => credential?.cleanup());

const description = new SignFi().description;

function stubFor(
	params: Params | ((itemIndex: number) => Params),
	items: INodeExecutionData[],
	options: { continueOnFail?: boolean; store?: BinaryStore } = {},
) {
	return executeFunctions({
		description,
		params,
		items,
		continueOnFail: options.continueOnFail,
		store: options.store ?? new BinaryStore('filesystem'),
		credentials: { [CREDENTIAL_TYPE]: credential.data },
	});
}

async function run(stub: ReturnType<typeof stubFor>): Promise<INodeExecutionData[]> {
	const [output] = await new SignFi().execute.call(stub.ctx);
	return output;
}

async function failure(stub: ReturnType<typeof stubFor>): Promise<NodeOperationError> {
	try {
		await run(stub);
	} catch (error) {
		expect(error).toBeInstanceOf(NodeOperationError);
		return error as NodeOperationError;
	}
	throw new Error('expected the node to fail');
}

/** Decodes the FS (base64 text), writes it and the FI, and verifies with the openssl CLI. */
function opensslVerifies(fsText: Buffer, fi: Buffer): { ok: boolean; stderr: string } {
	fileCounter += 1;
	const fsFile = `fs-${fileCounter}.der`;
	const fiFile = `fi-${fileCounter}`;
	writeFileSync(join(credential.dir, fsFile), Buffer.from(fsText.toString('latin1'), 'base64'));
	writeFileSync(join(credential.dir, fiFile), fi);
	return opensslOk(credential.dir, [
		'cms',
		'-verify',
		'-binary',
		'-inform',
		'DER',
		'-in',
		fsFile,
		'-content',
		fiFile,
		'-noverify',
		'-out',
		'/dev/null',
	]);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('Sign FI — description', () => {
	it('declares the credential only for signing, with its test function', () => {
		expect(description.credentials).toEqual([
			expect.objectContaining({
				name: CREDENTIAL_TYPE,
				required: true,
				testedBy: 'socialSecurityChannelTest',
				displayOptions: { show: { operation: ['sign'] } },
			}),
		]);
		expect(new SignFi().methods.credentialTest.socialSecurityChannelTest).toEqual(
			expect.any(Function),
		);
		expect(description.inputs).toEqual(['main']);
		expect(description.outputs).toEqual(['main']);
	});
});

describe('Sign FI — sign', () => {
	it.each(['filesystem', 'inline'] as const)(
		'makes an FS named after the FI that openssl verifies (%s input binary)',
		async (kind) => {
			const store = new BinaryStore('filesystem');
			store.maxChunkSize = 7;
			const fi =
				kind === 'filesystem'
					? store.filesystem(LF_CONTENT, FI_NAME, 'application/xml')
					: store.inline(LF_CONTENT, FI_NAME, 'application/xml');
			const stub = stubFor(
				{ operation: 'sign' },
				[{ json: { keep: 'me' }, binary: { data: fi } }],
				{ store },
			);
			const [item] = await run(stub);

			expect(item.pairedItem).toEqual({ item: 0 });
			expect(item.json.keep).toBe('me');
			const fs = item.binary?.signature as IBinaryData;
			expect(fs).toMatchObject({ fileName: FS_NAME, mimeType: 'text/plain' });
			// n8n stored it (filesystem mode: only an id in the item).
			expect(fs.id).toBeDefined();
			expect(store.prepared).toContain(fs);
			// The FI binary is passed on unchanged.
			expect(item.binary?.data).toEqual(fi);

			const signature = item.json.signature as IDataObject;
			expect(signature).toMatchObject({
				fi: FI_NAME,
				fs: FS_NAME,
				digestAlgorithm: 'sha256',
				digest: sha256(LF_CONTENT),
				signedBytes: LF_CONTENT.length,
				layout: 'single-line',
				convertedToCrlf: false,
				signingTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
			});
			expect((signature.signer as IDataObject).subject).toMatch(/CN=Test Signer/);
			expect((signature.signer as IDataObject).subject).toMatch(/O=Test Payroll/);

			const fsText = store.bytesOf(fs);
			expect(fsText.toString('latin1')).toMatch(/^[A-Za-z0-9+/]+=*$/);
			expect(opensslVerifies(fsText, LF_CONTENT)).toEqual({ ok: true, stderr: expect.any(String) });
			// A wrong FI does not verify: the check above means something.
			expect(opensslVerifies(fsText, Buffer.concat([LF_CONTENT, Buffer.from(' ')])).ok).toBe(false);

			if (kind === 'filesystem') expect(store.streamed).toEqual([fi.id]);
			else expect(store.streamed).toEqual([]);
			expect(stub.calls.getCredentials).toEqual([CREDENTIAL_TYPE]);
		},
	);

	it('signs with the options: SHA-1, 76-column layout, a given FS name', async () => {
		const store = new BinaryStore('default');
		const fi = store.inline(LF_CONTENT, 'export.xml');
		const params = {
			operation: 'sign',
			signOptions: { digest: 'sha1', layout: 'cr-76', fsFileName: ' FS.custom.name ' },
		};
		const [item] = await run(stubFor(params, [{ json: {}, binary: { data: fi } }], { store }));
		const fs = item.binary?.signature as IBinaryData;
		expect(fs.fileName).toBe('FS.custom.name');
		// Inline mode: the bytes are in data.
		expect(fs.id).toBeUndefined();
		expect(item.json.signature).toMatchObject({
			digestAlgorithm: 'sha1',
			digest: createHash('sha1').update(LF_CONTENT).digest('hex'),
			layout: 'cr-76',
		});
		const text = store.bytesOf(fs).toString('latin1');
		expect(text).toContain('\r');
		expect(text).not.toContain('\n');
		expect(opensslVerifies(store.bytesOf(fs), LF_CONTENT).ok).toBe(true);
	});

	it('converts the FI to CRLF, replaces the binary with the converted bytes and signs those', async () => {
		const store = new BinaryStore('filesystem');
		const fi = store.filesystem(LF_CONTENT, FI_NAME, 'application/xml');
		const stub = stubFor(
			{ operation: 'sign', signOptions: { convertToCrlf: true } },
			[{ json: {}, binary: { data: fi } }],
			{ store },
		);
		const [item] = await run(stub);

		const crlf = Buffer.from(LF_CONTENT.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
		const converted = item.binary?.data as IBinaryData;
		expect(converted.id).not.toBe(fi.id);
		expect(converted).toMatchObject({ fileName: FI_NAME, mimeType: 'application/xml' });
		expect(store.bytesOf(converted).equals(crlf)).toBe(true);
		expect(item.json.signature).toMatchObject({
			convertedToCrlf: true,
			digest: sha256(crlf),
			signedBytes: crlf.length,
			fi: FI_NAME,
		});

		const fsText = store.bytesOf(item.binary?.signature);
		expect(opensslVerifies(fsText, crlf).ok).toBe(true);
		expect(opensslVerifies(fsText, LF_CONTENT).ok).toBe(false);
		// Read once to convert, then the stored result once to sign.
		expect(store.streamed).toEqual([fi.id, converted.id]);
	});

	it('refuses a declaration not named FI.… without an FS name, on the right item', async () => {
		const store = new BinaryStore();
		const items: INodeExecutionData[] = [
			{ json: {}, binary: { data: store.filesystem(LF_CONTENT, FI_NAME) } },
			{ json: {}, binary: { data: store.filesystem(LF_CONTENT, 'export.xml') } },
		];
		const error = await failure(stubFor({ operation: 'sign' }, items, { store }));
		expect(error.message).toMatch(/"export\.xml" is not named FI\./);
		expect(error.context.itemIndex).toBe(1);
		expect(error.description).toMatch(/Signature File Name/);
	});

	it('names the missing binary property', async () => {
		const error = await failure(
			stubFor({ operation: 'sign', binaryPropertyName: 'file' }, [{ json: {}, binary: {} }]),
		);
		expect(error.message).toMatch(/no binary field 'file'/);
		expect(error.context.itemIndex).toBe(0);
	});

	it('fails without a certificate in the credential, saying what to paste', async () => {
		const noCertificate = { ...credential.data, certificateP12: '', certificatePassword: '' };
		const store = new BinaryStore();
		const stub = executeFunctions({
			description,
			params: { operation: 'sign' },
			items: [{ json: {}, binary: { data: store.filesystem(LF_CONTENT, FI_NAME) } }],
			store,
			credentials: { [CREDENTIAL_TYPE]: noCertificate },
		});
		const error = await failure(stub);
		expect(error.message).toMatch(/no signing certificate/);
		expect(error.description).toMatch(/base64/);
	});

	it('reads the credential and the .p12 once for all items', async () => {
		const store = new BinaryStore();
		const items = [1, 2, 3].map((p) => ({
			json: {},
			binary: {
				data: store.filesystem(`part ${p}\n`, `FI.DMFA.101380.${brusselsToday()}.00002.T.3.${p}`),
			},
		}));
		const stub = stubFor({ operation: 'sign' }, items, { store });
		const output = await run(stub);
		expect(output.map((i) => i.binary?.signature.fileName)).toEqual(
			[1, 2, 3].map((p) => `FS.DMFA.101380.${brusselsToday()}.00002.T.3.${p}`),
		);
		expect(output.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(stub.calls.getCredentials).toEqual([CREDENTIAL_TYPE]);
	});

	it('goes on with an error item carrying the input fields and binary when "Continue on Fail" is set', async () => {
		const store = new BinaryStore();
		const bad = { data: store.filesystem(LF_CONTENT, 'export.xml') };
		const items: INodeExecutionData[] = [
			{ json: {}, binary: { data: store.filesystem(LF_CONTENT, FI_NAME) } },
			{ json: { row: 2 }, binary: bad },
		];
		const output = await run(
			stubFor({ operation: 'sign' }, items, { store, continueOnFail: true }),
		);
		expect(output).toHaveLength(2);
		expect(output[0].binary?.signature.fileName).toBe(FS_NAME);
		// The item as it came in (its fields and files), with the error beside.
		expect(output[1]).toEqual({
			json: {
				row: 2,
				error: {
					message: expect.stringMatching(/not named FI\./),
					code: 'FS_NAME_UNKNOWN',
					hint: expect.stringMatching(/Signature File Name/),
				},
			},
			binary: bad,
			pairedItem: { item: 1 },
		});
	});
});

describe('Sign FI — verify', () => {
	/** An item with an FI and the FS Sign FI made for it. */
	async function signed(
		store: BinaryStore,
		content: Buffer = LF_CONTENT,
	): Promise<INodeExecutionData> {
		const [item] = await run(
			stubFor(
				{ operation: 'sign' },
				[{ json: {}, binary: { data: store.filesystem(content, FI_NAME) } }],
				{ store },
			),
		);
		return { json: {}, binary: item.binary };
	}

	it('says valid, with the signer, for an FS that matches (no credential needed)', async () => {
		const store = new BinaryStore();
		const item = await signed(store);
		const stub = executeFunctions({
			description,
			params: { operation: 'verify' },
			items: [item],
			store,
		});
		const [output] = await run(stub);
		expect(output.json.verification).toEqual({
			valid: true,
			digestAlgorithm: 'sha256',
			signingTime: expect.any(String),
			signer: expect.objectContaining({
				subject: expect.stringMatching(/CN=Test Signer/),
				issuer: expect.stringMatching(/CN=Test Signer/),
			}),
		});
		expect(output.binary).toBe(item.binary);
		expect(output.pairedItem).toEqual({ item: 0 });
		expect(stub.calls.getCredentials).toEqual([]);
		// Both binaries were streamed from the store.
		expect(store.streamed).toEqual(
			expect.arrayContaining([item.binary?.data.id, item.binary?.signature.id]),
		);
	});

	it('says valid: false with the reason for a changed FI, and fails when asked to', async () => {
		const store = new BinaryStore();
		const item = await signed(store);
		const tampered = Buffer.from(LF_CONTENT);
		tampered[10] ^= 1;
		const changed: INodeExecutionData = {
			json: {},
			binary: { ...item.binary, data: store.filesystem(tampered, FI_NAME) },
		};

		const [output] = await run(stubFor({ operation: 'verify' }, [changed], { store }));
		expect(output.json.verification).toMatchObject({
			valid: false,
			reason: expect.stringMatching(/\w{5}/),
		});

		const error = await failure(
			stubFor({ operation: 'verify', verifyOptions: { failWhenInvalid: true } }, [item, changed], {
				store,
			}),
		);
		expect(error.message).toMatch(new RegExp(`${FS_NAME.replace(/\./g, '\\.')} does not match`));
		expect(error.context.itemIndex).toBe(1);
		expect(error.description).toMatch(/ACRF-125/);
	});

	it('checks the issuer when trusted certificates are given', async () => {
		const store = new BinaryStore();
		const item = await signed(store);
		const own = readFileSync(credential.certificatePem, 'utf8');
		const [trusted] = await run(
			stubFor(
				{ operation: 'verify', verifyOptions: { trustedCertificatesPem: `\n${own}\n` } },
				[item],
				{ store },
			),
		);
		expect((trusted.json.verification as IDataObject).valid).toBe(true);
	});

	it('fails on an FS that is not a signature at all when "Fail When Invalid" is on, saying why', async () => {
		const store = new BinaryStore();
		const item: INodeExecutionData = {
			json: {},
			binary: {
				data: store.filesystem(LF_CONTENT, FI_NAME),
				signature: store.filesystem('bm90IGEgc2lnbmF0dXJl', FS_NAME),
			},
		};
		const error = await failure(
			stubFor({ operation: 'verify', verifyOptions: { failWhenInvalid: true } }, [item], { store }),
		);
		expect(error.message).toMatch(/does not match.*cannot be read/);
		expect(error.description).toMatch(/ACRF-125/);
	});

	// BUG (see the report): "Fail When Invalid" off promises "the item says valid: false and why", but an FS
	// that cannot be decoded stops the workflow (FS_INVALID). Poll Responses turns the same case into
	// { valid: false, reason }. Remove `.failing` once verifyItem catches it.
	it('says valid: false for an unreadable FS when "Fail When Invalid" is off', async () => {
		const store = new BinaryStore();
		const item: INodeExecutionData = {
			json: {},
			binary: {
				data: store.filesystem(LF_CONTENT, FI_NAME),
				signature: store.filesystem('bm90IGEgc2lnbmF0dXJl', FS_NAME),
			},
		};
		const [output] = await run(stubFor({ operation: 'verify' }, [item], { store }));
		expect(output.json.verification).toMatchObject({
			valid: false,
			reason: expect.stringMatching(/cannot be read/),
		});
	});
});
