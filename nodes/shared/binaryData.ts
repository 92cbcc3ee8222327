/**
 * Reading and writing n8n binaries as streams. In filesystem mode (n8n 2.x default) a binary has an id
 * and its bytes are on disk: we stream it, so a 1 GB declaration never sits in memory.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { Readable } from 'node:stream';
import { BINARY_ENCODING, IBinaryData, IExecuteFunctions, IPollFunctions } from 'n8n-workflow';
import type { Input } from '../domain/signing/cmsInput';

type WithBinaryHelpers = Pick<IExecuteFunctions, 'helpers'> | Pick<IPollFunctions, 'helpers'>;

/** Opens a binary for reading, as many times as needed (e.g. once to sign, once to upload). */
export async function openBinary(ctx: WithBinaryHelpers, binary: IBinaryData): Promise<Readable> {
	// 1 MiB chunks: with Node's 64 KiB default, hashing a large file is about a third slower.
	if (binary.id) return ctx.helpers.getBinaryStream(binary.id, 1024 * 1024);
	return Readable.from([Buffer.from(binary.data, BINARY_ENCODING)]);
}

/**
 * A binary to hash, read with the least copying its storage allows: in n8n's filesystem mode
 * (`filesystem-v2:…` ids) the file itself, which the signer reads into one reused buffer (bench/sign.ts
 * measures both); in the other modes (memory, database, S3) the stream of openBinary.
 */
export async function binaryToHash(ctx: WithBinaryHelpers, binary: IBinaryData): Promise<Input> {
	const path = await binaryFilePath(ctx, binary);
	return path ? { filePath: path } : await openBinary(ctx, binary);
}

async function binaryFilePath(
	ctx: WithBinaryHelpers,
	binary: IBinaryData,
): Promise<string | undefined> {
	const getPath = (ctx.helpers as { getBinaryPath?: (id: string) => string }).getBinaryPath;
	if (!binary.id?.startsWith('filesystem') || typeof getPath !== 'function') return undefined;
	try {
		// n8n 2.x answers the bare id when its store has no file path: only a real file on disk counts.
		const path = getPath.call(ctx.helpers, binary.id);
		if (!isAbsolute(path) || !(await stat(path)).isFile()) return undefined;
		return path;
	} catch {
		return undefined;
	}
}

/** The size in bytes; n8n's `fileSize` is a display string ("12.3 kB"), not a number. */
export async function binarySize(ctx: WithBinaryHelpers, binary: IBinaryData): Promise<number> {
	if (binary.id) return (await ctx.helpers.getBinaryMetadata(binary.id)).fileSize;
	return Buffer.byteLength(binary.data, BINARY_ENCODING);
}
