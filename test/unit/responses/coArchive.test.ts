import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
	existsSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	rmSync,
	writeFileSync,
	mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
	DEFAULT_CO_LIMITS,
	InflateGuard,
	extractCoArchive,
} from '../../../nodes/domain/responses/coArchive';
import { ZipEntrySpec, buildZip, deflatedZeros } from '../../helpers/zip';

// ---------------------------------------------------------------------------------------------------

const FO_NAME = 'FO.NOTI.999999.20250410.00021.T';
const CO_NAME = 'CO.NOTI.999999.20250410.00021.T';
const GiB = 1024 * 1024 * 1024;
const content = readFileSync(join(__dirname, '../../fixtures/answers/noti-anomalies.xml'));

let root: string;
let outDir: string;
beforeEach(() => {
	root = mkdtempSync(join(tmpdir(), 'co-archive-'));
	mkdirSync(join(root, 'work'));
	outDir = join(root, 'work', 'out');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function writeZip(entries: ZipEntrySpec[], name = CO_NAME): string {
	const path = join(root, name);
	writeFileSync(path, buildZip(entries));
	return path;
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
	try {
		await promise;
	} catch (error) {
		return error as { code: string; message: string };
	}
	throw new Error('expected the extraction to fail');
}

const outputFiles = () => (existsSync(outDir) ? readdirSync(outDir) : []);

describe('extracting a CO archive', () => {
	it('has the documented default limits', () => {
		expect(DEFAULT_CO_LIMITS).toEqual({
			maxUncompressedBytes: 512 * 1024 * 1024,
			maxEntries: 1,
			maxRatio: 200,
		});
	});

	it('extracts the single FO under a fixed name derived from the CO name', async () => {
		const zip = writeZip([{ name: FO_NAME, data: content }]);
		const result = await extractCoArchive(zip, outDir);
		expect(result).toEqual({
			entryName: FO_NAME,
			path: join(outDir, FO_NAME),
			size: content.length,
			sha256: createHash('sha256').update(content).digest('hex'),
		});
		expect(readFileSync(result.path).equals(content)).toBe(true);
		expect(outputFiles()).toEqual([FO_NAME]);
	});

	it('never uses the entry name as the output name', async () => {
		const zip = writeZip(
			[{ name: 'whatever-the-server-calls-it.xml', data: content }],
			'archive.zip',
		);
		const result = await extractCoArchive(zip, outDir);
		expect(result.entryName).toBe('whatever-the-server-calls-it.xml');
		expect(result.path).toBe(join(outDir, 'content'));
		const named = await extractCoArchive(zip, outDir, { outputName: 'answer.xml' });
		expect(named.path).toBe(join(outDir, 'answer.xml'));
		await expect(extractCoArchive(zip, outDir, { outputName: '../escape' })).rejects.toMatchObject({
			code: 'RESPONSE_ZIP_OUTPUT_NAME_INVALID',
		});
	});

	it('reads a stored (uncompressed) entry and replaces an older output', async () => {
		mkdirSync(outDir, { recursive: true });
		writeFileSync(join(outDir, FO_NAME), 'old');
		const zip = writeZip([{ name: FO_NAME, data: content, method: 0 }]);
		const result = await extractCoArchive(zip, outDir);
		expect(readFileSync(result.path).equals(content)).toBe(true);
		expect(outputFiles()).toEqual([FO_NAME]);
	});

	it('reports a folder it cannot write to as a write failure, leaving no partial file', async () => {
		const zip = writeZip([{ name: FO_NAME, data: content }]);
		writeFileSync(outDir, 'a file where the folder should be');
		expect(await failure(extractCoArchive(zip, outDir))).toMatchObject({
			code: 'RESPONSE_ZIP_WRITE_FAILED',
		});
		rmSync(outDir);
		mkdirSync(join(outDir, FO_NAME), { recursive: true }); // a directory where the output should go
		expect(await failure(extractCoArchive(zip, outDir))).toMatchObject({
			code: 'RESPONSE_ZIP_WRITE_FAILED',
		});
		expect(outputFiles()).toEqual([FO_NAME]);
	});

	const zipCli = (() => {
		try {
			execFileSync('zip', ['-v'], { stdio: 'ignore' });
			return true;
		} catch {
			return false;
		}
	})();
	(zipCli ? it : it.skip)('reads an archive made by the zip tool', async () => {
		const src = join(root, 'src');
		mkdirSync(src);
		writeFileSync(join(src, FO_NAME), content);
		execFileSync('zip', ['-q', '-j', '-X', join(root, CO_NAME), join(src, FO_NAME)]);
		const result = await extractCoArchive(join(root, CO_NAME), outDir);
		expect(readFileSync(result.path).equals(content)).toBe(true);
	});

	it.each([
		['../../x', /unsafe name/],
		['/etc/cron.d/x', /unsafe name/],
		['C:/Windows/x', /unsafe name/],
		['a\\..\\..\\x', /unsafe name/],
		['sub/FO.NOTI.999999.20250410.00021.T', /with a path/],
		['FO/', /directory/],
		['FO\u0007.x', /control characters/],
		['', /empty name/],
	])('refuses the entry %j and writes nothing anywhere', async (name, message) => {
		const zip = writeZip([{ name, data: Buffer.from('pwned') }]);
		const error = await failure(extractCoArchive(zip, outDir));
		expect(error.code).toBe('RESPONSE_ZIP_UNSAFE_ENTRY');
		expect(error.message).toMatch(message);
		expect(error.message).not.toMatch(/\p{Cc}/u);
		expect(outputFiles()).toEqual([]);
		expect(existsSync(join(root, 'x'))).toBe(false);
		expect(existsSync(join(root, 'work', 'x'))).toBe(false);
	});

	it('refuses an archive with two entries before reading any of them', async () => {
		const zip = writeZip([
			{ name: FO_NAME, data: content },
			{ name: 'FO.ACRF.999999.20250410.00020.T', data: content },
		]);
		const error = await failure(extractCoArchive(zip, outDir));
		expect(error).toMatchObject({
			code: 'RESPONSE_ZIP_UNSAFE_ENTRY',
			message: expect.stringMatching(/holds 2 entries/),
		});
		expect(outputFiles()).toEqual([]);
		// Even when more entries are allowed, a CO yields exactly one file.
		const again = await failure(extractCoArchive(zip, outDir, { maxEntries: 5 }));
		expect(again).toMatchObject({
			code: 'RESPONSE_ZIP_UNSAFE_ENTRY',
			message: expect.stringMatching(/holds 2 files/),
		});
	});

	it('refuses an archive whose declared size is over the limit, before inflating', async () => {
		const zip = writeZip([{ name: FO_NAME, data: content }]);
		const error = await failure(extractCoArchive(zip, outDir, { maxUncompressedBytes: 1000 }));
		expect(error).toMatchObject({
			code: 'RESPONSE_ZIP_TOO_LARGE',
			message: expect.stringMatching(/more than the limit of 1000 bytes/),
		});
		expect(outputFiles()).toEqual([]);
	});

	describe('zip bombs', () => {
		let bomb: Buffer; // 1 GiB of zeros, deflated: about 4.5 MB
		beforeAll(async () => {
			bomb = await deflatedZeros(GiB);
		}, 30_000);

		it('refuses an honest 1 GiB bomb from its header, at once', async () => {
			const zip = writeZip([{ name: FO_NAME, compressed: bomb, uncompressedSize: GiB, crc: 0 }]);
			const started = Date.now();
			const error = await failure(extractCoArchive(zip, outDir));
			expect(error.code).toBe('RESPONSE_ZIP_TOO_LARGE');
			expect(Date.now() - started).toBeLessThan(1000);
			expect(outputFiles()).toEqual([]);
		});

		it('refuses a bomb under the size limit by its compression ratio', async () => {
			const zip = writeZip([{ name: FO_NAME, compressed: bomb, uncompressedSize: GiB, crc: 0 }]);
			const error = await failure(extractCoArchive(zip, outDir, { maxUncompressedBytes: 2 * GiB }));
			expect(error).toMatchObject({
				code: 'RESPONSE_ZIP_TOO_LARGE',
				message: expect.stringMatching(/compression ratio .* zip bomb/),
			});
			expect(outputFiles()).toEqual([]);
		});

		it('stops a bomb that lies about its size early, with bounded memory, leaving nothing behind', async () => {
			// The directory claims 4 MiB of content; the data inflates to 1 GiB.
			const zip = writeZip([
				{ name: FO_NAME, compressed: bomb, uncompressedSize: 4 * 1024 * 1024, crc: 0 },
			]);
			global.gc?.();
			const before = process.memoryUsage().rss;
			const started = Date.now();
			const error = await failure(extractCoArchive(zip, outDir));
			const grew = process.memoryUsage().rss - before;
			expect(error).toMatchObject({
				code: 'RESPONSE_ZIP_INVALID',
				message: expect.stringMatching(/more data than it declares/),
			});
			expect(Date.now() - started).toBeLessThan(3000);
			expect(grew).toBeLessThan(128 * 1024 * 1024);
			expect(outputFiles()).toEqual([]);
		});
	});

	it('counts bytes while inflating and stops at the first byte over the limit (guard on its own)', async () => {
		let produced = 0;
		const zeros = Readable.from(
			(function* () {
				const chunk = Buffer.alloc(64 * 1024);
				while (produced < GiB) {
					produced += chunk.length;
					yield chunk;
				}
			})(),
		);
		const sink = new Writable({ write: (_c, _e, cb) => cb() });
		const guard = new InflateGuard({
			archive: 'CO.x',
			maxBytes: 8 * 1024 * 1024,
			maxRatio: 200,
			ratioFloor: 1024 * 1024,
			compressedSize: GiB,
		});
		await expect(pipeline(zeros, guard, sink)).rejects.toMatchObject({
			code: 'RESPONSE_ZIP_TOO_LARGE',
			message: expect.stringMatching(/grew over the limit/),
		});
		expect(produced).toBeLessThan(16 * 1024 * 1024);

		produced = 0;
		const ratioGuard = new InflateGuard({
			archive: 'CO.x',
			maxBytes: GiB,
			maxRatio: 200,
			ratioFloor: 1024 * 1024,
			compressedSize: 10_000,
		});
		await expect(
			pipeline(
				Readable.from(
					(function* () {
						const chunk = Buffer.alloc(64 * 1024);
						while (produced < GiB) {
							produced += chunk.length;
							yield chunk;
						}
					})(),
				),
				ratioGuard,
				new Writable({ write: (_c, _e, cb) => cb() }),
			),
		).rejects.toMatchObject({
			code: 'RESPONSE_ZIP_TOO_LARGE',
			message: expect.stringMatching(/zip bomb/),
		});
		expect(produced).toBeLessThan(4 * 1024 * 1024);
	});

	describe('damaged archives', () => {
		it.each([
			['garbage', () => Buffer.from('this is not a zip file at all, just text'.repeat(10))],
			['an empty file', () => Buffer.alloc(0)],
			['a truncated archive', () => buildZip([{ name: FO_NAME, data: content }]).subarray(0, 200)],
			[
				'an archive cut before its end record',
				() => {
					const whole = buildZip([{ name: FO_NAME, data: content }]);
					return whole.subarray(0, whole.length - 10);
				},
			],
			['an archive without entries', () => buildZip([])],
		])('refuses %s as RESPONSE_ZIP_INVALID', async (_label, bytes) => {
			const zip = join(root, CO_NAME);
			writeFileSync(zip, bytes());
			const error = await failure(extractCoArchive(zip, outDir));
			expect(error.code).toBe('RESPONSE_ZIP_INVALID');
			expect(outputFiles()).toEqual([]);
		});

		it('refuses content whose checksum does not match, removing the partial output', async () => {
			const zip = writeZip([{ name: FO_NAME, data: content, crc: 0x12345678 }]);
			const error = await failure(extractCoArchive(zip, outDir));
			expect(error).toMatchObject({
				code: 'RESPONSE_ZIP_INVALID',
				message: expect.stringMatching(/CRC-32/),
			});
			expect(outputFiles()).toEqual([]);
		});

		it('refuses corrupt compressed data and content shorter than declared', async () => {
			const corrupt = writeZip([
				{
					name: FO_NAME,
					data: content,
					compressed: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x13]),
				},
			]);
			expect((await failure(extractCoArchive(corrupt, outDir))).code).toBe('RESPONSE_ZIP_INVALID');
			const short = writeZip(
				[{ name: FO_NAME, data: content, uncompressedSize: content.length + 10 }],
				'CO.NOTI.999999.20250410.00022.T',
			);
			expect(await failure(extractCoArchive(short, outDir))).toMatchObject({
				code: 'RESPONSE_ZIP_INVALID',
				message: expect.stringMatching(/less data/),
			});
			expect(outputFiles()).toEqual([]);
		});

		it('refuses encrypted entries and unknown compression methods', async () => {
			const encrypted = writeZip([{ name: FO_NAME, data: content, flags: 0x1 }]);
			expect(await failure(extractCoArchive(encrypted, outDir))).toMatchObject({
				code: 'RESPONSE_ZIP_INVALID',
				message: expect.stringMatching(/encrypted/),
			});
			const bzip2 = writeZip(
				[{ name: FO_NAME, data: content, method: 12, compressed: Buffer.from('BZh9') }],
				'CO.NOTI.999999.20250410.00023.T',
			);
			expect(await failure(extractCoArchive(bzip2, outDir))).toMatchObject({
				code: 'RESPONSE_ZIP_INVALID',
				message: expect.stringMatching(/method 12/),
			});
		});

		it('refuses a missing archive', async () => {
			expect((await failure(extractCoArchive(join(root, 'nope.zip'), outDir))).code).toBe(
				'RESPONSE_ZIP_INVALID',
			);
		});
	});
});
