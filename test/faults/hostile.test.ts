/**
 * A hostile server. What it lists and serves is used as data only: a name never becomes a path unless
 * it fits the strict answer pattern; links, folders and pipes named like answers are never opened;
 * archives and XML cannot make us write elsewhere, fetch anything, or use unbounded memory; a 1 GiB
 * "XML" answer streams through as a file. Nothing is written outside our temporary folder and the
 * (test's) binary store, and nothing hostile is deleted from the server.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
	chownSync,
	closeSync,
	createWriteStream,
	existsSync,
	ftruncateSync,
	lchownSync,
	mkdirSync,
	mkdtempSync,
	openSync,
	readdirSync,
	readFileSync,
	rmSync,
	symlinkSync,
	writeFileSync,
	writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pairAnswerFiles } from '../../nodes/domain/responses/answerTriplets';
import {
	collectAnswers,
	CollectOptions,
	CollectResult,
} from '../../nodes/domain/responses/collectAnswers';
import { parseSafeXml } from '../../nodes/domain/responses/safeXml';
import { SocialSecurityError } from '../../nodes/domain/errors';
import { SftpChannel, RemoteEntry } from '../../nodes/domain/transport/sftpChannel';
import { describeWithSshd } from '../helpers/sandbox';
import { buildZip, deflatedZeros } from '../helpers/zip';
import { Ledger } from './helpers/ledger';
import { expectDomainError, settle, useSandbox } from './helpers/world';

jest.setTimeout(120_000);

const ledger = new Ledger('hostile');
const REAL_TMP = os.tmpdir();
const FOLDER = 'OUTTEST';
/** The only remote paths collectAnswers may ever touch besides listing a folder. */
const STRICT_PATH =
	/^\/OUT(TEST(-S)?)?\/(FO|CO|FS|GO)\.[A-Z0-9]{4}\.\d{6}\.\d{8}\.[0-9A-Z]{5}\.[RTS](\.\d\.\d)?$/;
const MARK = `ss-pwned-${randomBytes(4).toString('hex')}`;
const PASSWD_LINE = readFileSync('/etc/passwd', 'utf8').split('\n')[0];
afterAll(() => ledger.report());

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/answers', name));
const id = (type: string, seq: string) => `${type}.999999.20260110.${seq}.T`;

/** A binary store for the test: streams each answer into its own folder, as n8n's filesystem store would. */
function binaryStore(dir: string): {
	store: CollectOptions<{ path: string; sha256: string; size: number }>['store'];
	files: () => string[];
} {
	let n = 0;
	return {
		store: async (file) => {
			const path = join(dir, `${++n}-${file.name}`);
			const hash = createHash('sha256');
			let size = 0;
			const source = file.open();
			source.on('data', (chunk: Buffer) => {
				hash.update(chunk);
				size += chunk.length;
			});
			await pipeline(source, createWriteStream(path, { mode: 0o600 }));
			return { path, sha256: hash.digest('hex'), size };
		},
		files: () => readdirSync(dir),
	};
}

/** Where the run may write: a fresh temporary folder (os.tmpdir points there) and the store's folder. */
function sandboxedLocalSide(): { temp: string; storeDir: string; cleanup: () => void } {
	const root = mkdtempSync(join(REAL_TMP, 'ss-hostile-'));
	const temp = join(root, 'tmp');
	const storeDir = join(root, 'store');
	mkdirSync(temp);
	mkdirSync(storeDir);
	jest.spyOn(os, 'tmpdir').mockReturnValue(temp);
	return { temp, storeDir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Every file name under `dir` (depth-limited), to look for anything the hostile data tried to create. */
function walk(dir: string, depth = 6): string[] {
	const out: string[] = [];
	let entries: string[] = [];
	try {
		entries = readdirSync(dir);
	} catch {
		return out;
	}
	for (const name of entries) {
		const path = join(dir, name);
		out.push(path);
		if (depth > 0) {
			try {
				out.push(...walk(path, depth - 1));
			} catch {
				// unreadable or not a folder
			}
		}
	}
	return out;
}

/** Records every remote path the collection touches, besides the folder listings. */
function recordPaths(channel: SftpChannel): string[] {
	const touched: string[] = [];
	const download = channel.download.bind(channel);
	const remove = channel.delete.bind(channel);
	const stat = channel.stat.bind(channel);
	channel.download = (path, destination) => (touched.push(path), download(path, destination));
	channel.delete = (path) => (touched.push(path), remove(path));
	channel.stat = (path) => (touched.push(path), stat(path));
	return touched;
}

function expectNothingWrittenOutside(label: string, allowedRoots: string[]): void {
	const places: Array<[string, number]> = [
		[REAL_TMP, 2],
		[process.cwd(), 1],
		['/run/n8n-socialsecurity-sandbox', 5],
		['/etc', 0],
		['/', 0],
	];
	const found = places
		.flatMap(([p, depth]) => walk(p, depth))
		.filter((p) => p.includes(MARK) && !allowedRoots.some((r) => p.startsWith(r)));
	if (found.length > 0) {
		ledger.add('unclearErrors', found.length);
		ledger.note(`${label}: written outside: ${found.join(', ')}`);
	}
	expect(found).toEqual([]);
}

describeWithSshd('A hostile server', () => {
	const world = useSandbox({}, { operationTimeoutMs: 10_000 });
	afterEach(() => jest.restoreAllMocks());

	const clearFolder = () => {
		for (const name of readdirSync(world.sandbox.pathOf(FOLDER)))
			rmSync(world.sandbox.pathOf(FOLDER, name), { recursive: true, force: true });
	};
	const own = (path: string | Buffer) => chownSync(path, world.uid, world.gid);

	it('lists odd names, links, folders and pipes named like answers: only the real answer is taken, nothing else opened or deleted', async () => {
		clearFolder();
		const dir = world.sandbox.pathOf(FOLDER);
		const suffixes = [
			'ACRF.999999.20260110.00002.T\\..\\..\\x',
			'ACRF.999999.20260110.00003.T\n',
			'ACRF.999999.20260110.00004.T\r',
			'ACRF.999999.20260110.00005.T\u001b[2J',
			'ACRF.999999.20260110.00006.T\u007f',
			'ACRF.999999.20260110.00007.T\u202e',
			'ACRF.999999.20260110.00008.T ',
			'ACRF.999999.20260110.00009.T\t',
			`ACRF.999999.20260110.00010.T${'A'.repeat(220)}`,
			'acrf.999999.20260110.00011.t',
			'ACRF.９９９９９９.20260110.00012.T',
			'ACRF.999999.20260110.00013.T.1.1.1',
			'ACRF.999999.20261340.00014.T',
			`C:\\Windows\\${MARK}`,
			`\\etc\\${MARK}`,
		];
		const hostileNames = [
			...suffixes.flatMap((s) => [`FO.${s}`, `FS.${s}`, `GO.${s}`]),
			'...',
			`..${MARK}`,
			`.FO.${id('ACRF', '00015')}`,
			`-rf ${MARK}`,
		];
		for (const name of hostileNames) {
			writeFileSync(join(dir, name), PASSWD_LINE);
			own(join(dir, name));
		}
		// Invalid UTF-8 in a name: the listing can only show it with replacement characters.
		const rawName = Buffer.concat([
			Buffer.from(`${dir}/FO.ACRF.999999.20260110.00016.`),
			Buffer.from([0xff, 0xfe, 0x80]),
		]);
		writeFileSync(rawName, 'x');
		own(rawName);
		// Answer-shaped entries that are not plain files, each with a real GO and FS beside it.
		const shaped: Array<[string, (path: string) => void]> = [
			[id('ACRF', '00091'), (p) => symlinkSync('/etc/passwd', p)],
			[id('ACRF', '00092'), (p) => symlinkSync('../../../../../../../../etc/passwd', p)],
			[id('ACRF', '00093'), (p) => (mkdirSync(p), own(p))],
			[id('ACRF', '00094'), (p) => (execFileSync('mkfifo', [p]), own(p))],
		];
		for (const [answer, make] of shaped) {
			make(join(dir, `FO.${answer}`));
			world.sandbox.writeFile(FOLDER, `FS.${answer}`, 'sig');
			world.sandbox.writeFile(FOLDER, `GO.${answer}`, '');
		}
		// A real FO whose GO is a link to a real GO elsewhere: not a plain file, so the answer is not complete.
		world.sandbox.writeFile(FOLDER, `FO.${id('ACRF', '00095')}`, fixture('acrf-accepted.xml'));
		symlinkSync(`GO.${id('ACRF', '00099')}`, join(dir, `GO.${id('ACRF', '00095')}`));
		lchownSync(join(dir, `GO.${id('ACRF', '00095')}`), world.uid, world.gid);
		// The one real answer.
		world.sandbox.writeFile(FOLDER, `FO.${id('ACRF', '00099')}`, fixture('acrf-accepted.xml'));
		world.sandbox.writeFile(FOLDER, `FS.${id('ACRF', '00099')}`, 'sig');
		world.sandbox.writeFile(FOLDER, `GO.${id('ACRF', '00099')}`, '');
		const before = readdirSync(dir).length;
		ledger.add('hostileInputs', before - 3);

		const local = sandboxedLocalSide();
		try {
			const { store, files } = binaryStore(local.storeDir);
			const channel = await world.open();
			const touched = recordPaths(channel);
			const run = await settle(
				collectAnswers(channel, { environments: ['T'], deleteAfterStore: true, store }),
				30_000,
				ledger,
				'hostile names',
			);
			await channel.close();
			expect(run.hung).toBe(false);
			const result = run.value as CollectResult<{ sha256: string }>;
			expect(result.answers.map((a) => a.answer.answerId)).toEqual([id('ACRF', '00099')]);
			expect(result.failures).toEqual([]);
			// The answer-shaped non-files make their answers incomplete; they are reported, not touched.
			expect(result.incomplete.map((i) => i.answerId).sort()).toEqual(
				[
					id('ACRF', '00091'),
					id('ACRF', '00092'),
					id('ACRF', '00093'),
					id('ACRF', '00094'),
					id('ACRF', '00095'),
				].sort(),
			);
			const badPaths = touched.filter((p) => !STRICT_PATH.test(p));
			if (badPaths.length > 0)
				ledger.note(`paths built from hostile names: ${badPaths.join(', ')}`);
			expect(badPaths).toEqual([]);
			expect(touched.some((p) => /0009[1-5]/.test(p))).toBe(false);
			// Every skipped name is shown printable and short.
			expect(result.skipped.length).toBeGreaterThanOrEqual(hostileNames.length + 1);
			for (const s of result.skipped) {
				expect(s.name).not.toMatch(/\p{Cc}/u);
				expect(s.name.length).toBeLessThanOrEqual(80);
			}
			// Only the real answer left the server; nothing of the password file travelled.
			expect(readdirSync(dir).length).toBe(before - 3);
			expect(JSON.stringify(result)).not.toContain(PASSWD_LINE);
			expect(files()).toEqual([`1-FO.${id('ACRF', '00099')}`]);
			expect(readdirSync(local.temp)).toEqual([]);
			expectNothingWrittenOutside('hostile names', [world.sandbox.root]);
		} finally {
			local.cleanup();
		}
	});

	it('refuses CO archives with traversal, absolute, backslash, extra entries and a lying bomb; keeps them; writes nothing elsewhere', async () => {
		clearFolder();
		const zips: Array<[string, Buffer]> = [
			[
				id('DMNO', '00201'),
				buildZip([{ name: `../../../../../../../../tmp/${MARK}`, data: Buffer.from('pwned') }]),
			],
			[id('DMNO', '00202'), buildZip([{ name: `/tmp/${MARK}-abs`, data: Buffer.from('pwned') }])],
			[
				id('DMNO', '00203'),
				buildZip([{ name: `..\\..\\..\\${MARK}-bs`, data: Buffer.from('pwned') }]),
			],
			[
				id('DMNO', '00204'),
				buildZip([
					{ name: `FO.${id('DMNO', '00204')}`, data: Buffer.from('ok') },
					{ name: `../${MARK}-second`, data: Buffer.from('pwned') },
				]),
			],
			[
				id('DMNO', '00205'),
				buildZip([{ name: `FO.${id('DMNO', '00205')}/`, data: Buffer.alloc(0) }]),
			],
			// Declares 1000 bytes, inflates to 256 MiB of zeros.
			[
				id('DMNO', '00206'),
				buildZip([
					{
						name: `FO.${id('DMNO', '00206')}`,
						compressed: await deflatedZeros(256 * 1024 * 1024),
						crc: 0,
						uncompressedSize: 1000,
					},
				]),
			],
		];
		for (const [answer, zip] of zips) {
			world.sandbox.writeFile(FOLDER, `CO.${answer}`, zip);
			world.sandbox.writeFile(FOLDER, `FS.${answer}`, 'sig');
			world.sandbox.writeFile(FOLDER, `GO.${answer}`, '');
		}
		// A link entry: its "content" is the link text; it must arrive as those bytes, never as a link.
		const link = id('DMNO', '00207');
		world.sandbox.writeFile(
			FOLDER,
			`CO.${link}`,
			buildZip([
				{
					name: `FO.${link}`,
					data: Buffer.from('/etc/passwd'),
					method: 0,
					externalAttributes: (0o120777 << 16) >>> 0,
				},
			]),
		);
		world.sandbox.writeFile(FOLDER, `GO.${link}`, '');
		ledger.add('hostileInputs', zips.length + 1);

		const local = sandboxedLocalSide();
		const peak = rssSampler();
		try {
			const { store, files } = binaryStore(local.storeDir);
			const channel = await world.open();
			const run = await settle(
				collectAnswers(channel, { environments: ['T'], deleteAfterStore: true, store }),
				60_000,
				ledger,
				'hostile archives',
			);
			await channel.close();
			const growth = peak.stop();
			expect(run.hung).toBe(false);
			const result = run.value as CollectResult<{ path: string }>;
			expect(result.failures.map((f) => [f.answerId, f.code])).toEqual(
				zips.map(([answer]) => [
					answer,
					expect.stringMatching(/^RESPONSE_ZIP_(UNSAFE_ENTRY|INVALID|TOO_LARGE)$/),
				]),
			);
			for (const failure of result.failures) expect(failure.message).not.toMatch(/\p{Cc}/u);
			expect(result.answers.map((a) => a.answer.answerId)).toEqual([link]);
			expect(readFileSync(result.answers[0].stored.path, 'utf8')).toBe('/etc/passwd');
			expect(files()).toEqual([`1-FO.${link}`]);
			for (const [answer] of zips)
				expect(existsSync(world.sandbox.pathOf(FOLDER, `CO.${answer}`))).toBe(true);
			expect(readdirSync(local.temp)).toEqual([]);
			expect(growth).toBeLessThan(200 * 1024 * 1024);
			expectNothingWrittenOutside('hostile archives', []);
		} finally {
			peak.stop();
			local.cleanup();
		}
	});

	it('refuses XML with external entities, parameter entities and a DTD hidden in UTF-16; fetches nothing', async () => {
		clearFolder();
		let connections = 0;
		const listener = createServer((socket) => {
			connections += 1;
			socket.destroy();
		});
		listener.listen(0, '127.0.0.1');
		await once(listener, 'listening');
		const port = (listener.address() as { port: number }).port;
		const documents: Array<[string, Buffer]> = [
			[
				id('ACRF', '00301'),
				Buffer.from(
					'<?xml version="1.0"?><!DOCTYPE ACRF [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ACRF><Form>&xxe;</Form></ACRF>',
				),
			],
			[
				id('ACRF', '00302'),
				Buffer.from(
					`<?xml version="1.0"?><!DOCTYPE ACRF [<!ENTITY % remote SYSTEM "http://127.0.0.1:${port}/x.dtd"> %remote;]><ACRF/>`,
				),
			],
			[
				id('ACRF', '00303'),
				Buffer.concat([
					Buffer.from([0xff, 0xfe]),
					Buffer.from(
						'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY a "aaaa">]><ACRF>&a;</ACRF>',
						'utf16le',
					),
				]),
			],
			[
				id('ACRF', '00304'),
				Buffer.from(
					`<?xml version="1.0"?><ACRF xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="http://127.0.0.1:${port}/x"/><xi:include href="file:///etc/passwd" parse="text"/></ACRF>`,
				),
			],
			[
				id('NOTI', '00305'),
				Buffer.from(
					`<?xml version="1.0"?><?xml-stylesheet href="http://127.0.0.1:${port}/s.xsl"?><NOTIFICATION><Form/></NOTIFICATION>`,
				),
			],
			[
				id('ACRF', '00306'),
				Buffer.from(`<ACRF>${'<a>'.repeat(50_000)}${'</a>'.repeat(50_000)}</ACRF>`),
			],
		];
		for (const [answer, xml] of documents) {
			world.sandbox.writeFile(FOLDER, `FO.${answer}`, xml);
			world.sandbox.writeFile(FOLDER, `GO.${answer}`, '');
		}
		ledger.add('hostileInputs', documents.length);
		const local = sandboxedLocalSide();
		try {
			const { store } = binaryStore(local.storeDir);
			const channel = await world.open();
			const run = await settle(
				collectAnswers(channel, { environments: ['T'], deleteAfterStore: false, store }),
				30_000,
				ledger,
				'hostile XML',
			);
			await channel.close();
			const result = run.value as CollectResult<unknown>;
			const codes = Object.fromEntries(result.failures.map((f) => [f.answerId, f.code]));
			expect(codes[id('ACRF', '00301')]).toBe('RESPONSE_XML_FORBIDDEN');
			expect(codes[id('ACRF', '00302')]).toBe('RESPONSE_XML_FORBIDDEN');
			expect(codes[id('ACRF', '00303')]).toBe('RESPONSE_XML_FORBIDDEN');
			expect(codes[id('ACRF', '00306')]).toBe('RESPONSE_XML_INVALID');
			// XInclude and a stylesheet are plain elements and instructions to us: read, never followed.
			expect(result.answers.map((a) => a.answer.answerId).sort()).toEqual([
				id('ACRF', '00304'),
				id('NOTI', '00305'),
			]);
			await new Promise((r) => setTimeout(r, 200));
			expect(connections).toBe(0);
			expect(JSON.stringify(result)).not.toContain(PASSWD_LINE);
		} finally {
			listener.close();
			local.cleanup();
		}
	});

	it('streams a 1 GiB "XML" answer (a sparse file) through as a file, with bounded memory, leaving nothing behind', async () => {
		clearFolder();
		const answer = id('ACRF', '00401');
		const path = world.sandbox.pathOf(FOLDER, `FO.${answer}`);
		const header = Buffer.from('<?xml version="1.0"?><ACRF><Form>');
		const size = 1024 * 1024 * 1024;
		const fd = openSync(path, 'w');
		writeSync(fd, header);
		ftruncateSync(fd, size);
		closeSync(fd);
		own(path);
		world.sandbox.writeFile(FOLDER, `GO.${answer}`, '');
		ledger.add('hostileInputs');
		const expected = createHash('sha256').update(header);
		const zeros = Buffer.alloc(8 * 1024 * 1024);
		for (let done = header.length; done < size; done += zeros.length)
			expected.update(zeros.subarray(0, Math.min(zeros.length, size - done)));
		const expectedSha = expected.digest('hex');

		const local = sandboxedLocalSide();
		const peak = rssSampler();
		try {
			// The store only hashes: 1 GiB more on disk proves nothing more.
			let stored = { sha256: '', size: 0 };
			const store: CollectOptions<typeof stored>['store'] = async (file) => {
				const hash = createHash('sha256');
				let n = 0;
				await pipeline(
					file.open() as Readable,
					new Writable({
						write(chunk: Buffer, _e, cb) {
							hash.update(chunk);
							n += chunk.length;
							cb();
						},
					}),
				);
				stored = { sha256: hash.digest('hex'), size: n };
				return stored;
			};
			const channel = await world.open();
			const run = await settle(
				collectAnswers(channel, { environments: ['T'], deleteAfterStore: true, store }),
				90_000,
				ledger,
				'1 GiB answer',
			);
			await channel.close();
			const growth = peak.stop();
			expect(run.hung).toBe(false);
			const result = run.value as CollectResult<typeof stored>;
			expect(result.failures).toEqual([]);
			expect(result.answers).toHaveLength(1);
			expect(result.answers[0].interpreted.format).toBe('binary');
			expect(result.answers[0].size).toBe(size);
			expect(stored).toEqual({ sha256: expectedSha, size });
			expect(result.answers[0].deleted).toBe(true);
			console.log(`1 GiB answer: RSS grew by at most ${Math.round(growth / 1024 / 1024)} MiB`);
			expect(growth).toBeLessThan(200 * 1024 * 1024);
			expect(readdirSync(local.temp)).toEqual([]);
		} finally {
			peak.stop();
			local.cleanup();
		}
	});
});

describe('A hostile listing that no real file system can hold (served by a stub server)', () => {
	const names: unknown[] = [
		'../x',
		'/etc/passwd',
		`../../${MARK}`,
		`FO.${id('ACRF', '00501')}/../../../../etc/passwd`,
		`GO.${id('ACRF', '00501')}/../../../../etc/passwd`,
		`FO.${id('ACRF', '00502')}\u0000.evil`,
		`GO.${id('ACRF', '00502')}\u0000`,
		`FO.${id('ACRF', '00503')}\u0000`,
		'\u0000',
		'',
		'.',
		'..',
		undefined,
		42,
		{ toString: () => `FO.${id('ACRF', '00504')}` },
	];

	it('never builds a path from them, and takes only the proper answer', async () => {
		const touched: string[] = [];
		const good = id('ACRF', '00599');
		const entries: Array<{ name: unknown; type?: string; size: number }> = [
			...names.map((name) => ({ name, type: 'file', size: 3 })),
			// Proper names with impossible sizes or types.
			{ name: `FO.${id('ACRF', '00505')}`, type: 'file', size: Number.NaN },
			{ name: `GO.${id('ACRF', '00505')}`, type: 'file', size: 0 },
			{ name: `FO.${id('ACRF', '00506')}`, type: 'file', size: -1 },
			{ name: `GO.${id('ACRF', '00506')}`, type: 'file', size: 0 },
			{ name: `FO.${id('ACRF', '00507')}`, type: 'socket', size: 1 },
			{ name: `GO.${id('ACRF', '00507')}`, type: 'file', size: 0 },
			// Listed twice: the first listing counts.
			{ name: `FO.${good}`, type: 'file', size: fixture('acrf-accepted.xml').length },
			{ name: `FO.${good}`, type: 'file', size: 1 },
			{ name: `GO.${good}`, type: 'file', size: 0 },
		];
		ledger.add('hostileInputs', entries.length);
		const stub = {
			list: async () => entries as RemoteEntry[],
			stat: async (path: string) => (touched.push(path), undefined),
			delete: async (path: string) => void touched.push(path),
			download: async (path: string, destination: Writable) => {
				touched.push(path);
				const bytes = path.endsWith(`FO.${good}`)
					? fixture('acrf-accepted.xml')
					: Buffer.from('pwned');
				destination.write(bytes);
				await new Promise<void>((resolve) => destination.end(() => resolve()));
				return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
			},
		};
		const received: string[] = [];
		const result = await collectAnswers(stub as unknown as SftpChannel, {
			environments: ['T'],
			deleteAfterStore: true,
			store: async (file) => (received.push(file.name), file.name),
		});
		expect(received).toEqual([`FO.${good}`]);
		expect(result.failures).toEqual([]);
		const bad = touched.filter((p) => !STRICT_PATH.test(p));
		expect(bad).toEqual([]);
		expect(touched.every((p) => p.includes(good))).toBe(true);
		for (const s of result.skipped) expect(s.name).not.toMatch(/\p{Cc}/u);
	});

	it('pairAnswerFiles skips NUL, separators and control characters however they are combined (random)', () => {
		const rand = (() => {
			let a = 0xfeed;
			return () => (a = (a * 1103515245 + 12345) >>> 0) / 2 ** 32;
		})();
		const pieces = [
			'\u0000',
			'/',
			'\\',
			'..',
			'\n',
			'\u001b',
			'\u2028',
			'\u202e',
			'\ud800',
			' ',
			'.',
			'FO.',
			'GO.',
			id('ACRF', '00601'),
		];
		for (let i = 0; i < 2000; i++) {
			const mutate = () => {
				const parts = [`${rand() < 0.5 ? 'FO' : 'GO'}.${id('ACRF', '00601')}`];
				const n = 1 + Math.floor(rand() * 3);
				for (let k = 0; k < n; k++)
					parts.splice(
						Math.floor(rand() * (parts.length + 1)),
						0,
						pieces[Math.floor(rand() * pieces.length)],
					);
				return parts.join('');
			};
			const listed = [mutate(), mutate(), mutate()].map((name) => ({ name, size: 1 }));
			const paired = pairAnswerFiles(listed, '/OUTTEST');
			for (const answer of paired.complete) {
				for (const f of [answer.content, answer.go, answer.signature].filter(Boolean))
					expect(f?.path).toMatch(STRICT_PATH);
			}
			for (const s of paired.skipped) expect(s.name).not.toMatch(/\p{Cc}/u);
		}
		ledger.add('fuzzCases', 2000);
	});
});

/** parseSafeXml on hostile documents: each ends quickly, with a result or a SocialSecurityError. */
describe('Hostile XML documents, in bounded time', () => {
	const cases: Array<[string, () => Buffer | string]> = [
		['100 000 nested elements', () => `<a>${'<b>'.repeat(100_000)}${'</b>'.repeat(100_000)}</a>`],
		[
			'200 000 attributes',
			() => `<a ${Array.from({ length: 200_000 }, (_, i) => `x${i}="1"`).join(' ')}/>`,
		],
		[
			'900 000 entity and character references',
			() => `<a>${'&amp;&lt;&#x41;'.repeat(300_000)}</a>`,
		],
		['unknown entities', () => `<a>${'&lol;'.repeat(100_000)}</a>`],
		['10 MiB of text in one element', () => `<a>${'x'.repeat(10 * 1024 * 1024 - 20)}</a>`],
		['a DOCTYPE after 5 MiB', () => `<a>${' '.repeat(5 * 1024 * 1024)}</a><!DOCTYPE a>`],
		['an unterminated comment', () => `<a><!--${'-'.repeat(1_000_000)}`],
		['an unterminated CDATA', () => `<a><![CDATA[${']'.repeat(1_000_000)}`],
		['a BOM-less UTF-16 document', () => Buffer.from('<ACRF><!DOCTYPE x></ACRF>', 'utf16le')],
		['an encoding nobody knows', () => '<?xml version="1.0" encoding="x-unknown-42"?><a/>'],
		[
			'__proto__ elements',
			() =>
				'<a><__proto__><polluted>1</polluted></__proto__><constructor><prototype>1</prototype></constructor></a>',
		],
	];
	it.each(cases)('%s', (_label, make) => {
		const input = make();
		ledger.add('hostileInputs');
		const started = Date.now();
		try {
			parseSafeXml(input);
		} catch (error) {
			expectDomainError(error, ledger, `XML: ${_label}`);
			expect(String((error as SocialSecurityError).code)).toMatch(/^RESPONSE_XML_/);
		}
		expect(Date.now() - started).toBeLessThan(5000);
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
	});
});

/** Samples the RSS; `stop()` returns the largest growth over the start. */
function rssSampler(): { stop: () => number } {
	const start = process.memoryUsage().rss;
	let peak = start;
	const timer = setInterval(() => {
		peak = Math.max(peak, process.memoryUsage().rss);
	}, 20);
	let stopped = false;
	return {
		stop: () => {
			if (!stopped) {
				stopped = true;
				clearInterval(timer);
				peak = Math.max(peak, process.memoryUsage().rss);
			}
			return peak - start;
		},
	};
}
