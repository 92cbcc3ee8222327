/**
 * Converts any mix of LF, CR and CRLF line endings to CRLF, as a stream (for "convert FI to CRLF").
 * Done before signing, so the FS covers exactly the bytes that are uploaded.
 */
import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from([CR, LF]);

export class CrlfTransform extends Transform {
	/** The previous chunk ended with a CR (already written as CRLF): drop a LF that starts this chunk. */
	private afterCr = false;

	constructor() {
		super();
	}

	override _transform(
		chunk: Buffer | string,
		encoding: BufferEncoding,
		callback: TransformCallback,
	): void {
		const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding);
		if (buf.length > 0) {
			const { output, endsWithCr } = convert(buf, this.afterCr);
			this.afterCr = endsWithCr;
			if (output.length > 0) this.push(output);
		}
		callback();
	}
}

function convert(buf: Buffer, afterCr: boolean): { output: Buffer; endsWithCr: boolean } {
	const pieces: Buffer[] = [];
	let start = afterCr && buf[0] === LF ? 1 : 0;
	let pos = start;
	let nextCr = buf.indexOf(CR, pos);
	let nextLf = buf.indexOf(LF, pos);
	while (nextCr >= 0 || nextLf >= 0) {
		const at = nextCr < 0 ? nextLf : nextLf < 0 ? nextCr : Math.min(nextCr, nextLf);
		pieces.push(buf.subarray(start, at), CRLF);
		// A CR followed by LF is one line ending.
		pos = buf[at] === CR && buf[at + 1] === LF ? at + 2 : at + 1;
		start = pos;
		if (nextCr >= 0 && nextCr < pos) nextCr = buf.indexOf(CR, pos);
		if (nextLf >= 0 && nextLf < pos) nextLf = buf.indexOf(LF, pos);
	}
	if (start === 0) return { output: buf, endsWithCr: false };
	pieces.push(buf.subarray(start));
	return { output: Buffer.concat(pieces), endsWithCr: buf[buf.length - 1] === CR };
}

export function createCrlfTransform(): CrlfTransform {
	return new CrlfTransform();
}

/** The same conversion for a whole buffer. */
export function convertToCrlf(buf: Buffer): Buffer {
	return convert(buf, false).output;
}

/** True when every CR and LF in `buf` is part of a CRLF pair (nothing to convert). */
export function hasOnlyCrlf(buf: Buffer): boolean {
	for (let i = buf.indexOf(LF); i >= 0; i = buf.indexOf(LF, i + 1))
		if (i === 0 || buf[i - 1] !== CR) return false;
	for (let i = buf.indexOf(CR); i >= 0; i = buf.indexOf(CR, i + 1))
		if (buf[i + 1] !== LF) return false;
	return true;
}
