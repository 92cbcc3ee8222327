/**
 * Reading and writing n8n binaries as streams. In filesystem mode (n8n 2.x default) a binary has an id
 * and its bytes are on disk: we stream it, so a 1 GB declaration never sits in memory.
 */
import { Readable } from 'node:stream';
import { BINARY_ENCODING, IBinaryData, IExecuteFunctions, IPollFunctions } from 'n8n-workflow';

type WithBinaryHelpers = Pick<IExecuteFunctions, 'helpers'> | Pick<IPollFunctions, 'helpers'>;

/** Opens a binary for reading, as many times as needed (e.g. once to sign, once to upload). */
export async function openBinary(ctx: WithBinaryHelpers, binary: IBinaryData): Promise<Readable> {
	// 1 MiB chunks: with Node's 64 KiB default, hashing a large file is about a third slower.
	if (binary.id) return ctx.helpers.getBinaryStream(binary.id, 1024 * 1024);
	return Readable.from([Buffer.from(binary.data, BINARY_ENCODING)]);
}

/** The size in bytes; n8n's `fileSize` is a display string ("12.3 kB"), not a number. */
export async function binarySize(ctx: WithBinaryHelpers, binary: IBinaryData): Promise<number> {
	if (binary.id) return (await ctx.helpers.getBinaryMetadata(binary.id)).fileSize;
	return Buffer.byteLength(binary.data, BINARY_ENCODING);
}
