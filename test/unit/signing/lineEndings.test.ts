import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import {
	convertToCrlf,
	createCrlfTransform,
	hasOnlyCrlf,
} from '../../../nodes/domain/signing/lineEndings';
import { prng } from '../../helpers/random';

/** Reference: every CRLF, lone CR and lone LF becomes CRLF (latin1 keeps bytes 1:1). */
function reference(buf: Buffer): Buffer {
	return Buffer.from(buf.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
}

/** Runs the transform over `chunks` (empty chunks included) and collects the output. */
async function transform(chunks: Buffer[]): Promise<Buffer> {
	const out: Buffer[] = [];
	await pipeline(
		Readable.from(chunks, { objectMode: false }),
		createCrlfTransform(),
		async (source: AsyncIterable<Buffer>) => {
			for await (const chunk of source) out.push(chunk);
		},
	);
	return Buffer.concat(out);
}

/** Random content biased towards line-ending bytes, NUL and high bytes. */
function randomContent(random: () => number, length: number): Buffer {
	const alphabet = [0x0d, 0x0a, 0x0d, 0x0a, 0x41, 0x42, 0x20, 0x00, 0xff, 0xc3];
	const out = Buffer.alloc(length);
	for (let i = 0; i < length; i++) out[i] = alphabet[Math.floor(random() * alphabet.length)];
	return out;
}

/** Splits at random points; sometimes 1-byte chunks, sometimes empty ones. */
function randomChunks(random: () => number, buf: Buffer): Buffer[] {
	const chunks: Buffer[] = [];
	let pos = 0;
	while (pos < buf.length) {
		const mode = random();
		const size = mode < 0.2 ? 1 : mode < 0.3 ? 0 : 1 + Math.floor(random() * 64);
		chunks.push(buf.subarray(pos, pos + size));
		pos += size;
	}
	return chunks;
}

describe('CRLF transform', () => {
	test.each([
		['LF', 'a\nb\n', 'a\r\nb\r\n'],
		['CR', 'a\rb\r', 'a\r\nb\r\n'],
		['CRLF stays', 'a\r\nb\r\n', 'a\r\nb\r\n'],
		['mixed', 'a\r\n\nb\r\rc\n\rd', 'a\r\n\r\nb\r\n\r\nc\r\n\r\nd'],
		['LF CR is two endings', '\n\r', '\r\n\r\n'],
		['no endings', 'abc', 'abc'],
		['empty', '', ''],
	])('%s', async (_label, input, expected) => {
		expect((await transform([Buffer.from(input, 'latin1')])).toString('latin1')).toBe(expected);
		expect(convertToCrlf(Buffer.from(input, 'latin1')).toString('latin1')).toBe(expected);
	});

	test('a CR ending one chunk and a LF starting the next give one CRLF', async () => {
		expect((await transform([Buffer.from('a\r'), Buffer.from('\nb')])).toString()).toBe('a\r\nb');
		expect(
			(await transform([Buffer.from('a\r'), Buffer.alloc(0), Buffer.from('\nb')])).toString(),
		).toBe('a\r\nb');
		expect(
			(
				await transform([
					Buffer.from('\r'),
					Buffer.from('\n'),
					Buffer.from('\r'),
					Buffer.from('\r'),
					Buffer.from('\n'),
				])
			).toString(),
		).toBe('\r\n\r\n\r\n');
		expect((await transform([Buffer.from('a\r'), Buffer.from('b')])).toString()).toBe('a\r\nb');
		expect((await transform([Buffer.from('a\r')])).toString()).toBe('a\r\n');
	});

	test('property: any content, any chunking, equals the reference conversion', async () => {
		const random = prng(20250101);
		for (let run = 0; run < 400; run++) {
			const content = randomContent(random, Math.floor(random() * 300));
			const expected = reference(content);
			const output = await transform(randomChunks(random, content));
			if (!output.equals(expected)) {
				throw new Error(
					`run ${run}: ${JSON.stringify(content.toString('latin1'))} → ${JSON.stringify(output.toString('latin1'))}`,
				);
			}
			expect(convertToCrlf(content).equals(expected)).toBe(true);
			// Idempotent, and the result has only CRLF endings.
			expect(convertToCrlf(expected).equals(expected)).toBe(true);
			expect(hasOnlyCrlf(expected)).toBe(true);
			expect(hasOnlyCrlf(content)).toBe(content.equals(expected));
		}
	});

	test('one-byte chunks over a larger file', async () => {
		const random = prng(7);
		const content = randomContent(random, 5000);
		const chunks = Array.from({ length: content.length }, (_, i) => content.subarray(i, i + 1));
		expect((await transform(chunks)).equals(reference(content))).toBe(true);
	});

	test('a chunk without line endings is passed on as is (no copy)', () => {
		const chunk = Buffer.from('no line ending here');
		expect(convertToCrlf(chunk)).toBe(chunk);
	});

	test('written chunk by chunk: CR | empty | LF is still one CRLF', async () => {
		const t = createCrlfTransform();
		const out: Buffer[] = [];
		t.on('data', (d: Buffer) => out.push(d));
		for (const piece of ['x\r', '', '\ny\r', '\r', '\n']) t.write(Buffer.from(piece));
		t.end();
		await new Promise((resolve) => t.on('end', resolve));
		expect(Buffer.concat(out).toString()).toBe('x\r\ny\r\n\r\n');
	});

	test('string chunks are converted as bytes', async () => {
		const t = createCrlfTransform();
		const out: Buffer[] = [];
		t.on('data', (d: Buffer) => out.push(d));
		t.write('é\n', 'utf8');
		t.end();
		await new Promise((resolve) => t.on('end', resolve));
		expect(Buffer.concat(out).equals(Buffer.from('é\r\n', 'utf8'))).toBe(true);
	});
});
