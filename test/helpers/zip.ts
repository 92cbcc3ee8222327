import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

// ---- A tiny ZIP writer: local headers, central directory, end record (APPNOTE 4.3) -------------------
// Hand-made so that tests can also write what no honest tool writes: lying sizes, `../` names, …

export interface ZipEntrySpec {
	name: string;
	/** Uncompressed content (used for the CRC and, unless `compressed` is given, compressed here). */
	data?: Buffer;
	method?: number;
	/** Ready compressed bytes (for bombs built by streaming). */
	compressed?: Buffer;
	crc?: number;
	/** Declared sizes; default: the real ones. */
	uncompressedSize?: number;
	compressedSize?: number;
	flags?: number;
	externalAttributes?: number;
}

export function buildZip(entries: ZipEntrySpec[]): Buffer {
	const locals: Buffer[] = [];
	const centrals: Buffer[] = [];
	let offset = 0;
	for (const spec of entries) {
		const name = Buffer.from(spec.name, 'utf8');
		const data = spec.data ?? Buffer.alloc(0);
		const method = spec.method ?? 8;
		const body = spec.compressed ?? (method === 8 ? deflateRawSync(data) : data);
		const crc = spec.crc ?? crc32(data);
		const uncompressedSize = spec.uncompressedSize ?? data.length;
		const compressedSize = spec.compressedSize ?? body.length;
		const flags = (spec.flags ?? 0) | 0x0800; // UTF-8 names

		const local = Buffer.alloc(30);
		local.writeUInt32LE(0x04034b50, 0);
		local.writeUInt16LE(20, 4);
		local.writeUInt16LE(flags, 6);
		local.writeUInt16LE(method, 8);
		local.writeUInt16LE(0x6000, 10); // 12:00
		local.writeUInt16LE(0x5a8a, 12); // 2025-04-10
		local.writeUInt32LE(crc >>> 0, 14);
		local.writeUInt32LE(compressedSize, 18);
		local.writeUInt32LE(uncompressedSize, 22);
		local.writeUInt16LE(name.length, 26);
		local.writeUInt16LE(0, 28);
		locals.push(local, name, body);

		const central = Buffer.alloc(46);
		central.writeUInt32LE(0x02014b50, 0);
		central.writeUInt16LE(0x031e, 4); // made by: Unix, 3.0
		central.writeUInt16LE(20, 6);
		central.writeUInt16LE(flags, 8);
		central.writeUInt16LE(method, 10);
		central.writeUInt16LE(0x6000, 12);
		central.writeUInt16LE(0x5a8a, 14);
		central.writeUInt32LE(crc >>> 0, 16);
		central.writeUInt32LE(compressedSize, 20);
		central.writeUInt32LE(uncompressedSize, 24);
		central.writeUInt16LE(name.length, 28);
		central.writeUInt16LE(0, 30); // extra
		central.writeUInt16LE(0, 32); // comment
		central.writeUInt16LE(0, 34); // disk
		central.writeUInt16LE(0, 36); // internal attributes
		central.writeUInt32LE(spec.externalAttributes ?? (0o100644 << 16) >>> 0, 38);
		central.writeUInt32LE(offset, 42);
		centrals.push(central, name);
		offset += local.length + name.length + body.length;
	}
	const directory = Buffer.concat(centrals);
	const end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50, 0);
	end.writeUInt16LE(entries.length, 8);
	end.writeUInt16LE(entries.length, 10);
	end.writeUInt32LE(directory.length, 12);
	end.writeUInt32LE(offset, 16);
	return Buffer.concat([...locals, directory, end]);
}

/** Raw deflate of `size` zero bytes, streamed: the input never exists in memory. */
export async function deflatedZeros(size: number): Promise<Buffer> {
	const chunk = Buffer.alloc(1024 * 1024);
	const out: Buffer[] = [];
	const deflate = createDeflateRaw({ level: 1, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
	deflate.on('data', (c: Buffer) => out.push(c));
	await pipeline(
		Readable.from(
			(function* () {
				for (let done = 0; done < size; done += chunk.length)
					yield done + chunk.length <= size ? chunk : chunk.subarray(0, size - done);
			})(),
		),
		deflate,
	);
	return Buffer.concat(out);
}
