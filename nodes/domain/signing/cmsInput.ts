/** The content of a signature, streamed chunk by chunk into hashes: never buffered whole. */
import { SocialSecurityError } from '../errors';

export type Input = NodeJS.ReadableStream | Buffer;

export interface Sink {
	update(data: Buffer): unknown;
}

/** Feeds the input to every sink chunk by chunk; returns the byte count. Never buffers the input. */
export async function consume(input: Input, sinks: Sink[]): Promise<number> {
	if (Buffer.isBuffer(input)) {
		for (const sink of sinks) sink.update(input);
		return input.length;
	}
	if (!input || typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') {
		throw new SocialSecurityError(
			'SIGN_INPUT_INVALID',
			'The file to sign must be binary data (a Buffer or a readable stream).',
		);
	}
	let size = 0;
	try {
		for await (const chunk of input as AsyncIterable<unknown>) {
			if (!Buffer.isBuffer(chunk) && !(chunk instanceof Uint8Array)) {
				throw new SocialSecurityError(
					'SIGN_INPUT_INVALID',
					'The file to sign was read as text; it must be read as bytes (no stream encoding).',
				);
			}
			const buf = Buffer.isBuffer(chunk)
				? chunk
				: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
			for (const sink of sinks) sink.update(buf);
			size += buf.length;
		}
	} catch (error) {
		throw readError(error);
	}
	return size;
}

function readError(error: unknown): SocialSecurityError {
	if (error instanceof SocialSecurityError) return error;
	return new SocialSecurityError(
		'SIGN_INPUT_UNREADABLE',
		`The file could not be read: ${error instanceof Error ? error.message : String(error)}`,
		undefined,
		{ cause: error },
	);
}

/** Releases a stream we will not read; a late error (e.g. a failed open) must not go unhandled. */
export function dispose(input: Input): void {
	const stream = input as {
		destroy?: () => void;
		on?: (event: string, listener: () => void) => void;
	};
	if (Buffer.isBuffer(input) || typeof stream.destroy !== 'function') return;
	stream.on?.('error', () => undefined);
	stream.destroy();
}
