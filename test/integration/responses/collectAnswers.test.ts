import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { collectAnswers, CollectOptions } from '../../../nodes/domain/responses/collectAnswers';
import { answerStatus, summarizeAnswer } from '../../../nodes/domain/responses/answerSummary';
import { SftpChannel, SftpChannelOptions } from '../../../nodes/domain/transport/sftpChannel';
import { startSshdSandbox, SshdSandbox } from '../../../sandbox/sshdSandbox';
import { describeWithSshd, sandboxChannelOptions } from '../../helpers/sandbox';
import { makeRsaKeyPair } from '../../helpers/keys';
import { buildZip, deflatedZeros } from '../../helpers/zip';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/answers', name));
const id = (type: string, seq: string, env = 'T') => `${type}.999999.20260110.${seq}.${env}`;

describeWithSshd('Collecting answers from a real sshd', () => {
	let sandbox: SshdSandbox;
	let options: SftpChannelOptions;
	const key = makeRsaKeyPair();

	beforeAll(async () => {
		sandbox = await startSshdSandbox({ authorizedKeys: [key.publicKey], hostKeyTypes: ['rsa'] });
		options = sandboxChannelOptions(sandbox, key.privateKey, { operationTimeoutMs: 3000 });
	});
	afterAll(async () => sandbox?.stop());

	const triplet = (
		folder: string,
		answerId: string,
		content: Buffer,
		kind = 'FO',
		withGo = true,
	) => {
		sandbox.writeFile(folder, `${kind}.${answerId}`, content);
		sandbox.writeFile(folder, `FS.${answerId}`, 'signature');
		if (withGo) sandbox.writeFile(folder, `GO.${answerId}`, '');
	};
	const stored: Array<{ name: string; bytes: Buffer }> = [];
	const store: CollectOptions<number>['store'] = async (file) => {
		const chunks: Buffer[] = [];
		for await (const chunk of file.open() as Readable) chunks.push(chunk as Buffer);
		stored.push({ name: file.name, bytes: Buffer.concat(chunks) });
		return stored.length - 1;
	};
	const run = async (extra: Partial<CollectOptions<number>> = {}) => {
		const channel = await SftpChannel.open(options);
		try {
			return await collectAnswers(channel, {
				environments: ['T'],
				deleteAfterStore: true,
				store,
				...extra,
			});
		} finally {
			await channel.close();
		}
	};
	const outtest = () => readdirSync(sandbox.pathOf('OUTTEST')).sort();
	beforeEach(() => {
		stored.length = 0;
		for (const name of outtest())
			rmSync(sandbox.pathOf('OUTTEST', name), { recursive: true, force: true });
	});

	it('delivers complete answers, understands them, deletes them, and leaves an answer without GO alone', async () => {
		triplet('OUTTEST', id('ACRF', '00011'), fixture('acrf-accepted.xml'));
		triplet('OUTTEST', id('ACRF', '00012'), fixture('acrf-rejected-3-errors.xml'));
		triplet('OUTTEST', id('NOTI', '00021'), fixture('noti-accepted.xml'));
		triplet('OUTTEST', id('ACRF', '00013'), fixture('acrf-accepted.xml'), 'FO', false);
		const result = await run();
		const summaries = result.answers.map(summarizeAnswer);
		expect(summaries.map((s) => [s.type, s.status, s.answerId])).toEqual([
			['ACRF', 'accepted', id('ACRF', '00011')],
			['ACRF', 'rejected', id('ACRF', '00012')],
			['NOTI', 'accepted', id('NOTI', '00021')],
		]);
		expect(summaries[0]).toMatchObject({
			ticket: '03804KX7M2P4Z',
			answersFile: 'GO.DMFA.012345.20250410.00001.T.1',
			final: true,
		});
		expect(
			(summaries[1].errors as Array<{ code: string; meaning: string }>).map((e) => e.code),
		).toEqual(['ACRF-125', 'ACRF-158', 'ACRF-312']);
		for (const e of summaries[1].errors as Array<{ meaning: string }>)
			expect(e.meaning.length).toBeGreaterThan(20);
		expect(stored.map((s) => s.name)).toEqual([
			`FO.${id('ACRF', '00011')}`,
			`FO.${id('ACRF', '00012')}`,
			`FO.${id('NOTI', '00021')}`,
		]);
		expect(stored[0].bytes.equals(fixture('acrf-accepted.xml'))).toBe(true);
		// An FO is delivered as it was on the server: its figures are the file's, and there is no ZIP.
		expect(summaries[0]).toMatchObject({
			size: stored[0].bytes.length,
			sha256: createHash('sha256').update(stored[0].bytes).digest('hex'),
		});
		expect(summaries[0]).not.toHaveProperty('zipSha256');
		expect(result.incomplete).toEqual([
			expect.objectContaining({ answerId: id('ACRF', '00013'), missing: ['GO'] }),
		]);
		expect(outtest()).toEqual([`FO.${id('ACRF', '00013')}`, `FS.${id('ACRF', '00013')}`]);
	});

	it('unpacks a CO answer; size and SHA-256 are those of the FO delivered, the ZIP has its own', async () => {
		const zip = buildZip([
			{ name: `FO.${id('NOTI', '00031')}`, data: fixture('noti-anomalies.xml') },
		]);
		triplet('OUTTEST', id('NOTI', '00031'), zip, 'CO');
		const result = await run();
		expect(result.failures).toEqual([]);
		const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
		expect(summarizeAnswer(result.answers[0])).toMatchObject({
			type: 'NOTI',
			status: 'rejected',
			answerName: `FO.${id('NOTI', '00031')}`,
			size: stored[0].bytes.length,
			sha256: sha256(stored[0].bytes),
			zipName: `CO.${id('NOTI', '00031')}`,
			zipSize: zip.length,
			zipSha256: sha256(zip),
		});
		expect(stored[0].bytes.equals(fixture('noti-anomalies.xml'))).toBe(true);
		expect(outtest()).toEqual([]);
	});

	it('skips and reports a hostile name, and refuses an XML bomb and a zip bomb without deleting them', async () => {
		sandbox.writeFile('OUTTEST', 'FO.ACRF.999999.20260110.00041.T;rm -rf', 'x');
		sandbox.writeFile('OUTTEST', 'GO.ACRF.999999.20260110.00041.T;rm -rf', '');
		const bomb = Buffer.from(
			`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><ACRF>&lol2;</ACRF>`,
		);
		triplet('OUTTEST', id('ACRF', '00042'), bomb);
		const zipBomb = buildZip([
			{
				name: `FO.${id('NOTI', '00043')}`,
				compressed: await deflatedZeros(64 * 1024 * 1024),
				crc: 0,
				uncompressedSize: 64 * 1024 * 1024,
			},
		]);
		triplet('OUTTEST', id('NOTI', '00043'), zipBomb, 'CO');
		const result = await run();
		expect(result.answers).toEqual([]);
		expect(result.failures.map((f) => [f.answerId, f.code])).toEqual([
			[id('ACRF', '00042'), 'RESPONSE_XML_FORBIDDEN'],
			[id('NOTI', '00043'), expect.stringMatching(/^RESPONSE_ZIP_/)],
		]);
		expect(result.skipped.map((s) => s.code)).toEqual(['not-an-answer-name', 'not-an-answer-name']);
		expect(outtest()).toContain(`FO.${id('ACRF', '00042')}`);
		expect(outtest()).toContain(`CO.${id('NOTI', '00043')}`);
		// Nothing was written outside our own temporary folder.
		expect(readdirSync(tmpdir()).filter((n) => n.includes('rm -rf'))).toEqual([]);
	});

	it('delivers an unreadable answer of another type as its file with the reason, and keeps an unreadable ACRF', async () => {
		const broken = Buffer.from('<?xml version="1.0"?><DmfAUpdateNotification><Form>');
		triplet('OUTTEST', id('DMNO', '00044'), broken);
		const withDtd = Buffer.from(
			'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><IDFLUX>&e;</IDFLUX>',
		);
		triplet('OUTTEST', id('IDFL', '00045'), withDtd);
		triplet('OUTTEST', id('ACRF', '00046'), Buffer.from('<ACRF><Form>'));
		const result = await run();
		expect(result.failures.map((f) => [f.answerId, f.code])).toEqual([
			[id('ACRF', '00046'), 'RESPONSE_XML_INVALID'],
		]);
		const delivered = Object.fromEntries(result.answers.map((a) => [a.answer.answerId, a]));
		expect(Object.keys(delivered).sort()).toEqual([id('DMNO', '00044'), id('IDFL', '00045')]);
		expect(delivered[id('DMNO', '00044')].interpreted).toEqual({
			format: 'xml',
			note: expect.stringMatching(
				/^not read \(RESPONSE_XML_INVALID: .*\); delivered as a file, not parsed$/,
			),
		});
		expect(delivered[id('IDFL', '00045')].interpreted).toEqual({
			format: 'xml',
			note: expect.stringMatching(/^not read \(RESPONSE_XML_FORBIDDEN: /),
		});
		// The bytes as the server wrote them, then deleted; the ACRF stays for a person to read.
		expect(stored.map((s) => s.bytes.toString()).sort()).toEqual(
			[broken.toString(), withDtd.toString()].sort(),
		);
		expect(result.answers.every((a) => a.deleted)).toBe(true);
		expect(outtest()).toEqual(['FO', 'FS', 'GO'].map((k) => `${k}.${id('ACRF', '00046')}`).sort());
	});

	it('deletes nothing that was not delivered when the connection drops in the middle of a download', async () => {
		triplet('OUTTEST', id('DMNO', '00051'), Buffer.alloc(200 * 1024 * 1024, 'x'));
		triplet('OUTTEST', id('ACRF', '00052'), fixture('acrf-accepted.xml'));
		// Kill the connection as soon as the first bytes of the big answer arrive.
		const watcher = setInterval(() => {
			for (const dir of readdirSync(tmpdir()).filter((n) => n.startsWith('ss-answers-'))) {
				const file = join(tmpdir(), dir, `${id('DMNO', '00051')}.download`);
				if (existsSync(file) && statSync(file).size > 0) {
					sandbox.killSessions();
					clearInterval(watcher);
				}
			}
		}, 2);
		const result = await run({ maxXmlBytes: 1024 });
		clearInterval(watcher);
		expect(result.answers).toEqual([]);
		expect(result.failures.map((f) => f.code)).toEqual([
			expect.stringMatching(/CONNECTION_LOST|OPERATION_TIMEOUT/),
		]);
		expect(outtest()).toEqual(
			expect.arrayContaining([
				`FO.${id('DMNO', '00051')}`,
				`GO.${id('DMNO', '00051')}`,
				`GO.${id('ACRF', '00052')}`,
			]),
		);

		// The next run picks up where it left off: both answers, each once.
		const next = await run({ maxXmlBytes: 1024 });
		expect(next.answers.map((a) => a.answer.answerId)).toEqual([
			id('DMNO', '00051'),
			id('ACRF', '00052'),
		]);
		expect(next.answers[0].size).toBe(200 * 1024 * 1024);
		expect(outtest()).toEqual([]);
	});

	it('never delivers twice what a trigger remembers, and cleans up its leftovers', async () => {
		triplet('OUTTEST', id('ACRF', '00061'), fixture('acrf-accepted.xml'));
		const first = await run({ deleteAfterStore: false });
		expect(first.answers).toHaveLength(1);
		const delivered = new Set(first.answers.map((a) => a.answer.answerId));
		const second = await run({ alreadyDelivered: delivered });
		expect(second.answers).toEqual([]);
		expect(second.cleanedUp).toEqual([id('ACRF', '00061')]);
		expect(outtest()).toEqual([]);
	});

	it('keeps an answer on the server when storing it in n8n fails', async () => {
		triplet('OUTTEST', id('ACRF', '00071'), fixture('acrf-accepted.xml'));
		const result = await run({
			store: async () => {
				throw new Error('ENOSPC: no space left on device');
			},
		});
		expect(result.answers).toEqual([]);
		expect(result.failures).toHaveLength(1);
		expect(outtest()).toHaveLength(3);
	});

	it('with 8 answers in flight: the listing order, never more than max, answers not accepted do not use it up', async () => {
		const ids = Array.from({ length: 30 }, (_, i) => id('ACRF', String(100 + i).padStart(5, '0')));
		ids.forEach((answerId, i) =>
			triplet(
				'OUTTEST',
				answerId,
				fixture(i % 2 === 0 ? 'acrf-accepted.xml' : 'acrf-rejected-3-errors.xml'),
			),
		);
		const rejected = ids.filter((_, i) => i % 2 === 1);
		const result = await run({
			parallel: 8,
			max: 10,
			accept: (interpreted) => answerStatus(interpreted) !== 'accepted',
		});
		expect(result.answers.map((a) => a.answer.answerId)).toEqual(rejected.slice(0, 10));
		expect(result.answers.every((a) => a.deleted)).toBe(true);
		// Accepted answers read on the way stay on the server; nothing after the tenth delivery was taken.
		expect(result.notAccepted.every((answerId) => !rejected.includes(answerId))).toBe(true);
		expect(stored.map((s) => s.name).sort()).toEqual(rejected.slice(0, 10).map((r) => `FO.${r}`));
		expect(outtest()).toHaveLength((30 - 10) * 3);
		expect(result.remaining).toBe(30 - result.answers.length - result.notAccepted.length);
	});

	it('lists a folder of 2000 entries completely over pipelined READDIRs', async () => {
		for (let i = 0; i < 1000; i++) {
			const answerId = id('NOTI', String(10000 + i));
			sandbox.writeFile('OUTTEST', `FO.${answerId}`, 'x');
			sandbox.writeFile('OUTTEST', `FS.${answerId}`, 'y');
		}
		const channel = await SftpChannel.open(options);
		try {
			const names = (await channel.list('/OUTTEST')).map((e) => e.name).sort();
			expect(names).toEqual(outtest());
			expect(names).toHaveLength(2000);
		} finally {
			await channel.close();
		}
	});
});
