/**
 * Runs libxml2's xmllint, compiled to WebAssembly (npm `xmllint-wasm`, MIT), on a declaration against
 * a set of XSDs, without any native build: n8n installs community packages with scripts off.
 *
 * The declaration is streamed, never held whole: xmllint runs in a worker thread with `--stream`
 * (libxml2's reader, no document tree), and reads the declaration from a character device of its
 * in-memory file system whose bytes come, a slot at a time, from a SharedArrayBuffer that this thread
 * fills from the caller's stream. Memory therefore stays flat whatever the size (figures:
 * docs/validation.md). The XSDs (small) are ordinary files of that file system, under their relative
 * paths, so `xs:include` and `xs:import` with relative locations resolve as on disk.
 *
 * In dist/ the glue and the .wasm come from dist/vendor (scripts/bundle-dependencies.ts rewrites the
 * two `require.resolve` specifiers below); in the sources they come from node_modules.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';

/** Bytes handed to the worker at a time. */
const SLOT_BYTES = 1024 * 1024;
/** WebAssembly pages (64 KiB): xmllint's own heap. With --stream it stays small (schemas, one node). */
const INITIAL_PAGES = 256;
const MAX_PAGES = 8192; // 512 MiB, reserved lazily: only what libxml2 asks for is committed.
/** Messages of xmllint kept (the rest are only counted): a broken export can raise millions. */
export const DEFAULT_MAX_MESSAGES = 20;

// Control words of the shared slot.
const STATE = 0;
const LENGTH = 1;
const EMPTY = 0;
const FULL = 1;
const END = 2;
const FAILED = 3;

export interface SchemaFile {
	/** Path relative to the set's root, with `/` (e.g. `DmfAOriginal_20251.xsd`, `types/codes.xsd`). */
	path: string;
	contents: Uint8Array;
}

export interface XmllintRun {
	/** xmllint's exit status: 0 valid, 1 not well-formed, 3/4 invalid, 5 schema not usable, -1 aborted. */
	exitCode: number;
	/** The first messages of xmllint (without the closing "validates"/"fails to validate"). */
	messages: string[];
	/** How many messages there were in all. */
	messageCount: number;
	/** Bytes of the declaration read. */
	bytesRead: number;
}

export interface XmllintRunOptions {
	schemas: readonly SchemaFile[];
	/**
	 * Path (as in `schemas`) of the XSD to validate against; undefined only checks that the declaration
	 * is well-formed (in --stream mode xmllint reports where a document breaks XML only without a schema).
	 */
	main: string | undefined;
	/** The declaration; it is read once, to its end or until xmllint stops. */
	declaration: Readable;
	/** The name the messages give the declaration (`declaration.xml`). */
	declarationName?: string;
	maxMessages?: number;
	/** Called with the bytes read so far; may throw to stop (the error is rethrown). */
	onBytes?: (bytesRead: number) => void;
}

/**
 * The worker: plain JavaScript given as source (so it runs the same from ts-node, jest and dist/), that
 * loads the Emscripten glue by its absolute path.
 */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { glue, wasmModule, schemas, main, name, control, slot, maxMessages, initialPages, maxPages } = workerData;
const createXmllint = require(glue);
const ctrl = new Int32Array(control);
const shared = new Uint8Array(slot);
// Reading byte by byte from shared memory is several times slower than from a private copy.
const bytes = new Uint8Array(shared.length);
let pos = 0;
let len = 0;
let ended = false;
// One byte per call is what an Emscripten character device asks; libxml2 reads 4 KiB at a time.
function input() {
	if (pos < len) return bytes[pos++];
	if (ended) return null;
	Atomics.store(ctrl, ${STATE}, ${EMPTY});
	parentPort.postMessage({ type: 'need' });
	Atomics.wait(ctrl, ${STATE}, ${EMPTY});
	const state = Atomics.load(ctrl, ${STATE});
	if (state !== ${FULL}) {
		ended = true;
		if (state === ${FAILED}) throw new Error('the declaration could not be read');
		return null;
	}
	len = Atomics.load(ctrl, ${LENGTH});
	bytes.set(shared.subarray(0, len));
	pos = 0;
	if (len === 0) {
		ended = true;
		return null;
	}
	return bytes[pos++];
}
const messages = [];
let messageCount = 0;
let done = false;
function finish(exitCode, extra) {
	if (done) return;
	done = true;
	parentPort.postMessage({ type: 'done', exitCode, messages: extra ? messages.concat(extra) : messages, messageCount });
}
const files = schemas.map((s) => ({ fileName: 'schemas/' + s.path, contents: s.contents }));
const module = {
	// Compiled once per process by the caller: a worker only instantiates it.
	instantiateWasm(imports, receive) {
		WebAssembly.instantiate(wasmModule, imports).then(
			(instance) => receive(instance, wasmModule),
			(error) => finish(-1, 'xmllint stopped: ' + error.message),
		);
		return {};
	},
	wasmMemory: new WebAssembly.Memory({ initial: initialPages, maximum: maxPages }),
	// The glue writes inputFiles in its preRun; the device is made there too, once its file system exists.
	inputFiles: {
		forEach(write) {
			files.forEach(write);
			module.FS_createDevice('/', name, input, null);
		},
	},
	arguments: ['--noout', '--nonet', '--stream', ...(main ? ['--schema', 'schemas/' + main] : []), '/' + name],
	print() {},
	printErr(text) {
		if (/ validates$| fails to validate$/.test(text)) return;
		messageCount += 1;
		if (messages.length < maxMessages) messages.push(text);
	},
	onExit(code) { finish(code); },
	onAbort(reason) { finish(-1, 'xmllint stopped: ' + reason); },
};
createXmllint(module).catch((error) => finish(-1, 'xmllint stopped: ' + (error && error.message || error)));
`;

let located: { glue: string; wasm: string } | undefined;
let compiled: Promise<unknown> | undefined;

/** lib ES2022 has no WebAssembly types; Node has WebAssembly, so it is read from globalThis by name. */
const wasmApi: { compile(b: Uint8Array): Promise<unknown> } = Reflect.get(
	globalThis,
	'WebAssembly',
);

/** Where the Emscripten glue and the .wasm are (dist/vendor once built, node_modules in the sources). */
export function xmllintFiles(): { glue: string; wasm: string } {
	located ??= {
		glue: require.resolve('xmllint-wasm/xmllint-node.js'),
		wasm: require.resolve('xmllint-wasm/xmllint.wasm'),
	};
	return located;
}

/** Validates a streamed declaration against one XSD of a set; never rejects for an invalid document. */
export async function runXmllint(options: XmllintRunOptions): Promise<XmllintRun> {
	const { glue, wasm } = xmllintFiles();
	if (!existsSync(wasm) || !existsSync(glue))
		throw new Error(`the validator's files are missing (${wasm}); reinstall the package`);
	compiled ??= readFile(wasm).then((binary) => wasmApi.compile(binary));
	const wasmModule = await compiled.catch((error: unknown) => {
		compiled = undefined;
		throw error;
	});
	const control = new SharedArrayBuffer(8);
	const slot = new SharedArrayBuffer(SLOT_BYTES);
	const ctrl = new Int32Array(control);
	const bytes = new Uint8Array(slot);
	const name = options.declarationName ?? 'declaration.xml';
	const worker = new Worker(WORKER_SOURCE, {
		eval: true,
		workerData: {
			glue,
			wasmModule,
			schemas: options.schemas.map((s) => ({ path: s.path, contents: s.contents })),
			main: options.main,
			name,
			control,
			slot,
			maxMessages: options.maxMessages ?? DEFAULT_MAX_MESSAGES,
			initialPages: INITIAL_PAGES,
			maxPages: MAX_PAGES,
		},
		stdout: true,
		stderr: true,
	});

	const source = options.declaration[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
	let pending: Buffer | undefined;
	let bytesRead = 0;
	let readError: unknown;
	let sourceEnded = false;
	let feeding = Promise.resolve();

	const signal = (state: number, length = 0) => {
		Atomics.store(ctrl, LENGTH, length);
		Atomics.store(ctrl, STATE, state);
		Atomics.notify(ctrl, STATE);
	};
	/** Fills the slot with the next bytes of the declaration (the worker waits meanwhile). */
	const feed = async () => {
		try {
			let length = 0;
			while (length < SLOT_BYTES) {
				if (!pending || pending.length === 0) {
					if (sourceEnded) break;
					const next = await source.next();
					if (next.done) {
						sourceEnded = true;
						break;
					}
					pending = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
					continue;
				}
				const take = Math.min(pending.length, SLOT_BYTES - length);
				bytes.set(pending.subarray(0, take), length);
				pending = pending.subarray(take);
				length += take;
				// Hand over what is there rather than wait for a slow source to fill the slot.
				if (!pending.length && length > 0) break;
			}
			bytesRead += length;
			options.onBytes?.(bytesRead);
			signal(length > 0 ? FULL : END, length);
		} catch (error) {
			readError = error;
			signal(FAILED);
		}
	};

	try {
		const result = await new Promise<XmllintRun>((resolve, reject) => {
			worker.on('message', (message: { type: string } & Omit<XmllintRun, 'bytesRead'>) => {
				if (message.type === 'need') feeding = feeding.then(feed);
				else if (message.type === 'done') resolve({ ...message, bytesRead });
			});
			worker.on('error', reject);
			worker.on('exit', (code) =>
				reject(new Error(`the validator stopped before it finished (worker exit ${code})`)),
			);
		});
		await feeding;
		if (readError !== undefined) throw readError;
		return result;
	} finally {
		// Not awaited: stopping a thread whose WebAssembly V8 is still optimising took 0.5 s (measured).
		void worker.terminate().catch(() => undefined);
		options.declaration.destroy();
	}
}
