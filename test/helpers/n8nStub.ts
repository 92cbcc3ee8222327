/**
 * Hand-made stand-ins for what n8n gives a node at run time, for unit tests of the nodes' wiring:
 *
 * - `executeFunctions()` / `pollFunctions()`: IExecuteFunctions / IPollFunctions with parameters (filled with
 *   the defaults of the node description, as n8n stores them), input items, continueOnFail, the node,
 *   credentials, static data, the mode, and the binary helpers;
 * - `BinaryStore`: n8n's binary data store in memory. In "filesystem" mode (the n8n 2.x default) a binary
 *   carries only an `id` and its `data` is the mode name, not the bytes, so a node that reads `data`
 *   instead of streaming gets garbage, as it would in n8n; in "default" mode the bytes are inline base64;
 * - `FakeChannel`: an in-memory SFTP channel with the methods of `SftpChannel` the domain uses, logging
 *   every call, to be returned by a `jest.spyOn(SftpChannel, 'open')` (see `useFakeChannel`);
 * - `makeTestCredential()`: a channel credential with a real SSH key and a real .p12 made by openssl.
 *
 * Behaviour follows n8n-workflow 2.8 / n8n-core where a node can observe it (getNodeParameter without a
 * value nor fallback throws, assertBinaryData throws NodeOperationError with the item index, …).
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { extname, basename, dirname, posix } from 'node:path';
import { Readable, Writable } from 'node:stream';

import type {
	IBinaryData,
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeProperties,
	INodeTypeDescription,
	IPollFunctions,
	WorkflowActivateMode,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { SocialSecurityError } from '../../nodes/domain/errors';
import {
	SftpChannel,
	type RemoteEntry,
	type TransferResult,
} from '../../nodes/domain/transport/sftpChannel';
import { makeRsaKeyPair } from './keys';
import { exportP12, selfSigned, tempDir } from './certificates';

// ---------------------------------------------------------------------------------------------------------
// Binary data
// ---------------------------------------------------------------------------------------------------------

export type BinaryMode = 'filesystem' | 'default';

/** What n8n 2.x writes in `data` of a binary kept on disk. */
export const FILESYSTEM_MODE = 'filesystem-v2';

const MIME_BY_EXTENSION: Record<string, string> = {
	xml: 'application/xml',
	pdf: 'application/pdf',
	json: 'application/json',
	txt: 'text/plain',
	zip: 'application/zip',
};

interface StoredBinary {
	bytes: Buffer;
	fileName?: string;
	mimeType: string;
}

function prettyBytes(bytes: number): string {
	if (bytes < 1000) return `${bytes} B`;
	if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
	return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

async function readAll(source: Buffer | Readable): Promise<Buffer> {
	if (Buffer.isBuffer(source)) return source;
	const chunks: Buffer[] = [];
	for await (const chunk of source)
		chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
	return Buffer.concat(chunks);
}

/** n8n's binary data store, in memory, with a record of how nodes used it. */
export class BinaryStore {
	private readonly files = new Map<string, StoredBinary>();
	private counter = 0;
	/** Ids opened with getBinaryStream, in order. */
	readonly streamed: string[] = [];
	/** Ids whose metadata was read with getBinaryMetadata. */
	readonly metadataRead: string[] = [];
	/** What prepareBinaryData returned, in order. */
	readonly prepared: IBinaryData[] = [];
	/**
	 * Largest chunk getBinaryStream yields, whatever the node asks for: set it small to make a node's
	 * streaming code cross many chunk boundaries.
	 */
	maxChunkSize = Number.POSITIVE_INFINITY;

	/** `mode` is how prepareBinaryData stores what a node produces. */
	constructor(readonly mode: BinaryMode = 'filesystem') {}

	/** A binary kept on "disk": only its id and metadata are in the item, as n8n 2.x does by default. */
	filesystem(content: Buffer | string, fileName?: string, mimeType?: string): IBinaryData {
		return this.add(Buffer.from(content), fileName, mimeType, 'filesystem');
	}

	/** A binary with its bytes inline in `data` (base64), as n8n's "default" mode and pinned data have them. */
	inline(content: Buffer | string, fileName?: string, mimeType?: string): IBinaryData {
		return this.add(Buffer.from(content), fileName, mimeType, 'default');
	}

	/** The bytes of a binary, from the store (id) or from `data`. */
	bytesOf(binary: IBinaryData | undefined): Buffer {
		if (!binary) throw new Error('no binary given');
		if (binary.id) return this.get(binary.id).bytes;
		return Buffer.from(binary.data, 'base64');
	}

	has(id: string): boolean {
		return this.files.has(id);
	}

	/** n8n's prepareBinaryData: the file name is the base of `filePath`, the MIME type guessed from it if not given. */
	async prepare(
		data: Buffer | Readable,
		filePath?: string,
		mimeType?: string,
	): Promise<IBinaryData> {
		const bytes = await readAll(data);
		const extension = filePath ? extname(filePath).slice(1) : '';
		const binary = this.add(
			bytes,
			filePath ? basename(filePath) : undefined,
			mimeType ?? MIME_BY_EXTENSION[extension.toLowerCase()] ?? 'text/plain',
			this.mode,
		);
		if (filePath && dirname(filePath) !== '.') binary.directory = dirname(filePath);
		this.prepared.push(binary);
		return binary;
	}

	stream(id: string, chunkSize = 64 * 1024): Readable {
		this.streamed.push(id);
		const { bytes } = this.get(id);
		const size = Math.max(1, Math.min(chunkSize, this.maxChunkSize));
		const chunks: Buffer[] = [];
		for (let offset = 0; offset < bytes.length; offset += size)
			chunks.push(bytes.subarray(offset, offset + size));
		return Readable.from(chunks);
	}

	metadata(id: string): { fileName?: string; mimeType?: string; fileSize: number } {
		this.metadataRead.push(id);
		const stored = this.get(id);
		return { fileName: stored.fileName, mimeType: stored.mimeType, fileSize: stored.bytes.length };
	}

	private get(id: string): StoredBinary {
		const stored = this.files.get(id);
		// n8n-core throws a FileNotFoundError; a plain error is enough to fail the node the same way.
		if (!stored) throw new Error(`Binary data ${id} does not exist`);
		return stored;
	}

	private add(
		bytes: Buffer,
		fileName: string | undefined,
		mimeType: string | undefined,
		mode: BinaryMode,
	): IBinaryData {
		const type = mimeType ?? 'application/octet-stream';
		const extension = fileName ? extname(fileName).slice(1) : '';
		const binary: IBinaryData = {
			mimeType: type,
			fileSize: prettyBytes(bytes.length),
			bytes: bytes.length,
			data: mode === 'filesystem' ? FILESYSTEM_MODE : bytes.toString('base64'),
			...(fileName !== undefined ? { fileName } : {}),
			...(extension ? { fileExtension: extension } : {}),
		};
		if (mode === 'filesystem') {
			this.counter += 1;
			const id = `${FILESYSTEM_MODE}:workflows/stub/executions/1/binary_data/${String(this.counter).padStart(6, '0')}`;
			this.files.set(id, { bytes: Buffer.from(bytes), fileName, mimeType: type });
			binary.id = id;
		}
		return binary;
	}
}

// ---------------------------------------------------------------------------------------------------------
// Node context
// ---------------------------------------------------------------------------------------------------------

export type Params = Record<string, unknown>;

/**
 * A parameter value that is a function is called with the item index when the node reads it: a test can
 * make an "expression" fail (throw an ExpressionError) or depend on the item.
 */
export type ParamValue = unknown | ((itemIndex: number) => unknown);

export interface StubOptions {
	/** The node's description: its properties give the defaults, its name and version the INode. */
	description?: INodeTypeDescription;
	node?: Partial<INode>;
	/** Parameters set on the node, for every item or per item index; the rest come from the defaults. */
	params?: Params | ((itemIndex: number) => Params);
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
	/** Credentials by type name, as n8n hands them to the node (decrypted). */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** The node's static data (`getWorkflowStaticData('node')`); kept and changed in place. */
	staticData?: IDataObject;
	mode?: WorkflowExecuteMode;
	activationMode?: WorkflowActivateMode;
	/** Shared with the test to make input binaries and read what the node stored. */
	store?: BinaryStore;
}

export interface StubCalls {
	getNodeParameter: Array<{ name: string; itemIndex: number }>;
	getCredentials: string[];
	getWorkflowStaticData: string[];
	logs: Array<{ level: string; message: string }>;
}

export interface Stub<T> {
	ctx: T;
	store: BinaryStore;
	staticData: IDataObject;
	globalStaticData: IDataObject;
	node: INode;
	calls: StubCalls;
}

function nodeFor(options: StubOptions): INode {
	const description = options.description;
	return {
		id: 'stub-node-1',
		name: description?.defaults.name ?? 'Stub Node',
		type: `n8n-nodes-socialsecurity-be.${description?.name ?? 'stub'}`,
		typeVersion: Array.isArray(description?.version)
			? Math.max(...description.version)
			: (description?.version ?? 1),
		position: [0, 0],
		parameters: {},
		...options.node,
	};
}

/** Whether a property is shown for these values (what n8n keeps in node.parameters). Simple `show`/`hide` only. */
function isShown(property: INodeProperties, values: Params, typeVersion: number): boolean {
	const valueOf = (key: string) => (key === '@version' ? typeVersion : values[key]);
	for (const [key, allowed] of Object.entries(property.displayOptions?.show ?? {})) {
		if (!Array.isArray(allowed) || !allowed.includes(valueOf(key) as never)) return false;
	}
	for (const [key, hidden] of Object.entries(property.displayOptions?.hide ?? {})) {
		if (Array.isArray(hidden) && hidden.includes(valueOf(key) as never)) return false;
	}
	return true;
}

/** The node's parameters as n8n stores them: the ones set, plus the defaults of the other visible ones. */
export function withDefaults(
	description: INodeTypeDescription | undefined,
	given: Params,
	typeVersion = 1,
): Params {
	const values: Params = { ...given };
	if (!description) return values;
	// Two passes: a property may be shown by the default of one that comes after it.
	for (let pass = 0; pass < 2; pass += 1) {
		for (const property of description.properties) {
			if (property.name in given || property.name in values) continue;
			if (isShown(property, values, typeVersion)) values[property.name] = property.default;
		}
	}
	return values;
}

function lookup(values: Params, path: string): unknown {
	if (path in values) return values[path];
	let current: unknown = values;
	for (const part of path.split('.')) {
		if (current === null || typeof current !== 'object' || !(part in (current as object)))
			return undefined;
		current = (current as Record<string, unknown>)[part];
	}
	return current;
}

/** n8n evaluates `={{ … }}`; the stub knows only `={{ $json.a.b }}`, enough for defaults like Cancel's GO name. */
function evaluate(value: unknown, item: INodeExecutionData | undefined, name: string): unknown {
	if (typeof value !== 'string' || !value.startsWith('=')) return value;
	const match = /^=\{\{\s*\$json\.([\w.]+)\s*\}\}$/.exec(value);
	if (!match || !item)
		throw new Error(`The stub cannot evaluate the expression of parameter "${name}": ${value}`);
	return lookup(item.json as Params, match[1]);
}

function clone<T>(value: T): T {
	return value !== null && typeof value === 'object' ? structuredClone(value) : value;
}

interface Base {
	node: INode;
	store: BinaryStore;
	staticData: IDataObject;
	globalStaticData: IDataObject;
	calls: StubCalls;
	parameter: (name: string, itemIndex: number, fallback: unknown) => unknown;
	common: Record<string, unknown>;
	binaryHelpers: Pick<
		IExecuteFunctions['helpers'],
		| 'prepareBinaryData'
		| 'getBinaryStream'
		| 'getBinaryMetadata'
		| 'binaryToBuffer'
		| 'binaryToString'
	>;
}

function base(options: StubOptions, defaultMode: WorkflowExecuteMode): Base {
	const node = nodeFor(options);
	const store = options.store ?? new BinaryStore();
	const staticData = options.staticData ?? {};
	const globalStaticData: IDataObject = {};
	const items: INodeExecutionData[] = options.items ?? [{ json: {} }];
	const calls: StubCalls = {
		getNodeParameter: [],
		getCredentials: [],
		getWorkflowStaticData: [],
		logs: [],
	};
	const params = options.params ?? {};

	const parameter = (name: string, itemIndex: number, fallback: unknown): unknown => {
		calls.getNodeParameter.push({ name, itemIndex });
		const given = typeof params === 'function' ? params(itemIndex) : params;
		const values = withDefaults(options.description, given, node.typeVersion);
		let value = lookup(values, name);
		if (typeof value === 'function') value = (value as (i: number) => unknown)(itemIndex);
		value = evaluate(value, items[itemIndex], name);
		if (value === undefined) value = fallback;
		// n8n-core: "Could not get parameter" when there is neither a value nor a fallback.
		if (value === undefined) throw new Error(`Could not get parameter "${name}"`);
		return clone(value);
	};

	const log = (level: string) => (message: string) => calls.logs.push({ level, message });
	const common: Record<string, unknown> = {
		getNode: () => node,
		getMode: () => options.mode ?? defaultMode,
		getActivationMode: () => options.activationMode ?? 'activate',
		getCredentials: async (type: string) => {
			calls.getCredentials.push(type);
			const credential = options.credentials?.[type];
			if (!credential)
				throw new NodeOperationError(node, 'Node does not have any credentials set', {
					level: 'warning',
				});
			return clone(credential);
		},
		getWorkflowStaticData: (type: string) => {
			calls.getWorkflowStaticData.push(type);
			return type === 'node' ? staticData : globalStaticData;
		},
		getTimezone: () => 'Europe/Brussels',
		logger: {
			debug: log('debug'),
			info: log('info'),
			warn: log('warn'),
			error: log('error'),
			verbose: log('verbose'),
		},
	};

	const binaryHelpers: Base['binaryHelpers'] = {
		prepareBinaryData: async (data, filePath, mimeType) => store.prepare(data, filePath, mimeType),
		getBinaryStream: async (id, chunkSize) => store.stream(id, chunkSize),
		getBinaryMetadata: async (id) => store.metadata(id),
		binaryToBuffer: async (body) => readAll(body),
		binaryToString: async (body, encoding) => (await readAll(body)).toString(encoding),
	};

	return { node, store, staticData, globalStaticData, calls, parameter, common, binaryHelpers };
}

/** An IExecuteFunctions for `node.execute.call(stub.ctx)`. */
export function executeFunctions(options: StubOptions = {}): Stub<IExecuteFunctions> {
	const b = base(options, 'manual');
	const items: INodeExecutionData[] = options.items ?? [{ json: {} }];
	const helpers: Pick<
		IExecuteFunctions['helpers'],
		'assertBinaryData' | keyof Base['binaryHelpers']
	> = {
		...b.binaryHelpers,
		// n8n-core's assertBinaryData, with its messages.
		assertBinaryData: (itemIndex, parameterData) => {
			if (typeof parameterData === 'object') return parameterData;
			const binary = items[itemIndex]?.binary;
			if (binary === undefined) {
				throw new NodeOperationError(
					b.node,
					`This operation expects the node's input data to contain a binary file '${parameterData}', but none was found [item ${itemIndex}]`,
					{ itemIndex, description: 'Make sure that the previous node outputs a binary file' },
				);
			}
			const data = binary[parameterData];
			if (data === undefined) {
				throw new NodeOperationError(
					b.node,
					`The item has no binary field '${parameterData}' [item ${itemIndex}]`,
					{
						itemIndex,
						description:
							'Check that the parameter where you specified the input binary field name is correct, and that it matches a field in the binary input',
					},
				);
			}
			return data;
		},
	};
	const ctx = {
		...b.common,
		getInputData: (inputIndex = 0) => {
			if (inputIndex !== 0) throw new Error(`the stub has one input, not input ${inputIndex}`);
			return items;
		},
		getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) =>
			b.parameter(name, itemIndex, fallback),
		continueOnFail: () => options.continueOnFail ?? false,
		helpers,
	} as unknown as IExecuteFunctions;
	return {
		ctx,
		store: b.store,
		staticData: b.staticData,
		globalStaticData: b.globalStaticData,
		node: b.node,
		calls: b.calls,
	};
}

/** An IPollFunctions for `node.poll.call(stub.ctx)`; mode 'trigger' is an active workflow, 'manual' a test run. */
export function pollFunctions(options: StubOptions = {}): Stub<IPollFunctions> {
	const b = base({ ...options, items: options.items ?? [{ json: {} }] }, 'trigger');
	const ctx = {
		...b.common,
		// A poll has no items: n8n's IPollFunctions.getNodeParameter(name, fallback).
		getNodeParameter: (name: string, fallback?: unknown) => b.parameter(name, 0, fallback),
		helpers: b.binaryHelpers,
		__emit: () => {
			throw new Error('a polling node returns its items; it does not emit them');
		},
		__emitError: () => {
			throw new Error('a polling node throws its errors; it does not emit them');
		},
	} as unknown as IPollFunctions;
	return {
		ctx,
		store: b.store,
		staticData: b.staticData,
		globalStaticData: b.globalStaticData,
		node: b.node,
		calls: b.calls,
	};
}

// ---------------------------------------------------------------------------------------------------------
// Channel
// ---------------------------------------------------------------------------------------------------------

export const CHANNEL_FOLDERS = ['IN', 'INTEST', 'INTEST-S', 'OUT', 'OUTTEST', 'OUTTEST-S'];

export type FakeOperation = 'list' | 'stat' | 'upload' | 'create' | 'download' | 'delete' | 'close';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * The public methods of SftpChannel over an in-memory folder tree. Every call is logged as
 * "<operation> <path>" ("close" alone) in `log`, in order; failures can be injected per call.
 */
export class FakeChannel {
	readonly presentedFingerprint: string;
	readonly files = new Map<string, { bytes: Buffer; modifyTime: number }>();
	readonly log: string[] = [];
	private readonly folders = new Set(CHANNEL_FOLDERS.map((f) => `/${f}`));
	private readonly failures: Array<{
		operation: FakeOperation;
		path: string | RegExp;
		error: Error;
		times: number;
		partial?: number;
	}> = [];

	constructor(presentedFingerprint = 'SHA256:stubstubstubstubstubstubstubstubstubstubstu') {
		this.presentedFingerprint = presentedFingerprint;
	}

	/** Puts a file on the "server". */
	put(path: string, content: Buffer | string): this {
		this.files.set(path, {
			bytes: Buffer.from(content),
			modifyTime: 1_700_000_000_000 + this.files.size * 1000,
		});
		return this;
	}

	bytes(path: string): Buffer | undefined {
		return this.files.get(path)?.bytes;
	}

	/** The paths in a folder, sorted. */
	namesIn(folder: string): string[] {
		return [...this.files.keys()]
			.filter((p) => posix.dirname(p) === folder)
			.map((p) => posix.basename(p))
			.sort();
	}

	/** The log entries of these operations only. */
	calls(...operations: FakeOperation[]): string[] {
		return this.log.filter((entry) => operations.includes(entry.split(' ')[0] as FakeOperation));
	}

	/**
	 * The next `times` calls of `operation` on a matching path fail with `error`. For an upload, `partial`
	 * bytes are left on the server first, as a transfer cut in the middle does.
	 */
	failOn(
		operation: FakeOperation,
		path: string | RegExp,
		error: Error,
		options: { times?: number; partial?: number } = {},
	): this {
		this.failures.push({
			operation,
			path,
			error,
			times: options.times ?? 1,
			partial: options.partial,
		});
		return this;
	}

	async list(folder: string): Promise<RemoteEntry[]> {
		const failure = this.record('list', folder);
		if (failure) throw failure.error;
		if (!this.folders.has(folder)) throw notFound('Listing', folder);
		return this.namesIn(folder).map((name) => {
			const file = this.files.get(posix.join(folder, name)) as {
				bytes: Buffer;
				modifyTime: number;
			};
			return { name, type: 'file', size: file.bytes.length, modifyTime: file.modifyTime };
		});
	}

	async stat(path: string): Promise<RemoteEntry | undefined> {
		const failure = this.record('stat', path);
		if (failure) throw failure.error;
		const file = this.files.get(path);
		if (file)
			return {
				name: posix.basename(path),
				type: 'file',
				size: file.bytes.length,
				modifyTime: file.modifyTime,
			};
		return this.folders.has(path)
			? { name: posix.basename(path), type: 'dir', size: 0, modifyTime: 0 }
			: undefined;
	}

	async uploadExclusive(source: Readable, path: string): Promise<TransferResult> {
		const failure = this.record('upload', path);
		this.assertCanCreate(path);
		const bytes = await readAll(source);
		if (failure) {
			if (failure.partial !== undefined) this.put(path, bytes.subarray(0, failure.partial));
			throw failure.error;
		}
		this.put(path, bytes);
		return { size: bytes.length, sha256: sha256(bytes) };
	}

	async createEmptyExclusive(path: string): Promise<void> {
		const failure = this.record('create', path);
		this.assertCanCreate(path);
		if (failure) throw failure.error;
		this.put(path, Buffer.alloc(0));
	}

	async download(path: string, destination: Writable): Promise<TransferResult> {
		const failure = this.record('download', path);
		if (failure) throw failure.error;
		const file = this.files.get(path);
		if (!file) throw notFound('Opening', path);
		await new Promise<void>((resolve, reject) => {
			destination.once('error', reject);
			destination.write(file.bytes);
			destination.end(() => resolve());
		});
		return { size: file.bytes.length, sha256: sha256(file.bytes) };
	}

	async delete(path: string): Promise<void> {
		const failure = this.record('delete', path);
		if (failure) throw failure.error;
		if (!this.files.delete(path)) throw notFound('Deleting', path);
	}

	async close(): Promise<void> {
		this.log.push('close');
	}

	private record(
		operation: FakeOperation,
		path: string,
	): { error: Error; partial?: number } | undefined {
		this.log.push(`${operation} ${path}`);
		const index = this.failures.findIndex(
			(f) =>
				f.operation === operation &&
				f.times > 0 &&
				(typeof f.path === 'string' ? f.path === path : f.path.test(path)),
		);
		if (index < 0) return undefined;
		const failure = this.failures[index];
		failure.times -= 1;
		return failure;
	}

	private assertCanCreate(path: string): void {
		if (!this.folders.has(posix.dirname(path))) throw notFound('Creating', path);
		if (this.files.has(path)) {
			throw new SocialSecurityError(
				'REMOTE_EXISTS',
				`${path} already exists on the server; it was not overwritten.`,
				'A name can be used only once (ACRF-133).',
			);
		}
	}
}

function notFound(operation: string, path: string): SocialSecurityError {
	return new SocialSecurityError(
		'REMOTE_NOT_FOUND',
		`${operation} ${path}: it does not exist on the server.`,
	);
}

/** Makes `SftpChannel.open` resolve to the fake (restore with jest.restoreAllMocks). */
export function useFakeChannel(fake: FakeChannel): jest.SpyInstance {
	return jest
		.spyOn(SftpChannel, 'open')
		.mockImplementation(async () => fake as unknown as SftpChannel);
}

// ---------------------------------------------------------------------------------------------------------
// Credential
// ---------------------------------------------------------------------------------------------------------

export const CREDENTIAL_TYPE = 'belgianSocialSecuritySftpApi';

export interface TestCredential {
	/** The decrypted credential, for `credentials: { [CREDENTIAL_TYPE]: data }`. */
	data: ICredentialDataDecryptedObject;
	/** Folder with `signer.pem` (the certificate in the .p12) and `signer.key`. */
	dir: string;
	certificatePem: string;
	hostFingerprint: string;
	cleanup: () => void;
}

/**
 * A channel credential with a real RSA SSH key (ssh-keygen), a pinned (made-up) host fingerprint and a
 * real .p12 signing certificate (openssl), self-signed with `subject`.
 */
export function makeTestCredential(
	options: { subject?: string; password?: string; sender?: string; withCertificate?: boolean } = {},
): TestCredential {
	const { dir, cleanup: removeDir } = tempDir('n8n-stub-credential');
	const password = options.password ?? 'p12 pass';
	const key = makeRsaKeyPair(2048);
	const cleanup = () => {
		removeDir();
		rmSync(dirname(key.path), { recursive: true, force: true });
	};
	const hostFingerprint = `SHA256:${createHash('sha256').update('the fake server host key').digest('base64').replace(/=+$/, '')}`;
	const data: ICredentialDataDecryptedObject = {
		host: 'sftp.example.invalid',
		port: 8022,
		username: 'EXP12345',
		sender: options.sender ?? '101380',
		privateKey: key.privateKey,
		passphrase: '',
		hostFingerprint,
		certificateP12: '',
		certificatePassword: '',
		advanced: {},
	};
	let certificatePem = '';
	if (options.withCertificate !== false) {
		const signer = selfSigned(
			dir,
			'signer',
			'rsa2048',
			options.subject ?? '/C=BE/O=Test Payroll/CN=Test Signer',
		);
		data.certificateP12 = exportP12(dir, 'signer', password, [
			'-in',
			signer.cert,
			'-inkey',
			signer.key,
		]).toString('base64');
		data.certificatePassword = password;
		certificatePem = posix.join(dir, signer.cert);
	}
	return { data, dir, certificatePem, hostFingerprint, cleanup };
}
