/**
 * The simulated social security (sandbox/simulator/) on a real sshd, with signatures made and
 * checked by the real openssl command — no code of the package's signer is involved.
 */
import { execFileSync } from 'node:child_process';
import {
	existsSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	statSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import { brusselsToday } from '../../nodes/domain/names/brusselsTime';
import { startSandboxEnvironment, SandboxEnvironment, CREDENTIAL_TYPE } from '../../sandbox/cli';
import { startSshdSandbox, SshdSandbox } from '../../sandbox/sshdSandbox';
import {
	AnswerRecord,
	Simulator,
	SimulatorOptions,
	decodeSignatureText,
	startSimulator,
	wrongFolderCode,
} from '../../sandbox/simulator';
import { interpretAnswer } from '../../nodes/domain/responses/answerContent';
import { extractCoArchive } from '../../nodes/domain/responses/coArchive';
import { parseNoti } from '../../nodes/domain/responses/noti';
import { makeRsaKeyPair } from '../helpers/keys';
import { XSD_DIR, officialXsdUnavailable, validateOfficial } from '../helpers/officialXsd';
import { describeWithSshd, fingerprintHex } from '../helpers/sandbox';

jest.setTimeout(60_000);

const SENDER = '000123';
const xsdMissing = officialXsdUnavailable();
if (xsdMissing)
	console.warn(`The simulator's answers are not checked against the official XSDs: ${xsdMissing}.`);
/** An answer the simulator wrote validates against its official XSD (skipped, with the reason above, without xmllint or the XSDs). */
const expectOfficial = (xml: string | Buffer): void => {
	if (xsdMissing) return;
	const check = validateOfficial(xml);
	expect(check.errors).toBe('');
	expect(check.valid).toBe(true);
};
const TODAY = brusselsToday();
const work = mkdtempSync(join(tmpdir(), 'simulator-test-'));

interface Signer {
	cert: string;
	key: string;
	pem: string;
}

function makeSigner(name: string): Signer {
	const cert = join(work, `${name}.pem`);
	const key = join(work, `${name}.key`);
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-sha256',
			'-days',
			'30',
			'-subj',
			`/C=BE/CN=${name}`,
			'-keyout',
			key,
			'-out',
			cert,
		],
		{ stdio: 'ignore' },
	);
	return { cert, key, pem: readFileSync(cert, 'utf8') };
}

let fileCounter = 0;
/** Detached CMS signature of the exact bytes, DER, as base64 on a single line (openssl, not our code). */
function sign(content: Buffer, signer: Signer): string {
	const n = ++fileCounter;
	const input = join(work, `in-${n}`);
	const der = join(work, `sig-${n}.der`);
	writeFileSync(input, content);
	execFileSync('openssl', [
		'cms',
		'-sign',
		'-binary',
		'-in',
		input,
		'-signer',
		signer.cert,
		'-inkey',
		signer.key,
		'-md',
		'sha256',
		'-outform',
		'DER',
		'-out',
		der,
	]);
	return readFileSync(der).toString('base64');
}

function opensslVerifies(fsText: string, content: Buffer, caPem: string): boolean {
	const n = ++fileCounter;
	const der = decodeSignatureText(Buffer.from(fsText));
	if (!der) return false;
	writeFileSync(join(work, `v-${n}.der`), der);
	writeFileSync(join(work, `v-${n}.content`), content);
	writeFileSync(join(work, `v-${n}.ca`), caPem);
	try {
		execFileSync(
			'openssl',
			[
				'cms',
				'-verify',
				'-binary',
				'-inform',
				'DER',
				'-in',
				join(work, `v-${n}.der`),
				'-content',
				join(work, `v-${n}.content`),
				'-CAfile',
				join(work, `v-${n}.ca`),
				'-out',
				'/dev/null',
			],
			{ stdio: 'ignore' },
		);
		return true;
	} catch {
		return false;
	}
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const tags = (xml: string, name: string) =>
	[...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

let seq = 0;
function names(
	env: 'R' | 'T' | 'S',
	parts = 1,
	options: { sender?: string; sequence?: string; application?: string } = {},
) {
	const sequence = options.sequence ?? String(++seq).padStart(5, '0');
	const key = `${options.application ?? 'DMFA'}.${options.sender ?? SENDER}.${TODAY}.${sequence}.${env}.${parts}`;
	return {
		key,
		go: `GO.${key}`,
		td: `TD.${key}`,
		fi: (p: number) => `FI.${key}.${p}`,
		fs: (p: number) => `FS.${key}.${p}`,
	};
}

const declaration = (text: string) =>
	Buffer.from(
		`<?xml version="1.0" encoding="UTF-8"?>\n<DmfAOriginal><Quarter>${text}</Quarter></DmfAOriginal>\n`,
	);

describeWithSshd('Simulated social security (sshd sandbox + openssl)', () => {
	let sandbox: SshdSandbox;
	let simulator: Simulator;
	let registered: Signer;
	let other: Signer;
	let privateKey: string;

	/** Writes a set as a client would: every FI, every FS, then GO. */
	function put(folder: string, files: Array<[string, Buffer | string]>): void {
		for (const [name, content] of files) sandbox.writeFile(folder, name, content);
	}

	function signedSet(
		folder: string,
		n: ReturnType<typeof names>,
		parts: Buffer[],
		signer: Signer = registered,
	): void {
		put(folder, [
			...parts.map((c, i): [string, Buffer] => [n.fi(i + 1), c]),
			...parts.map((c, i): [string, string] => [n.fs(i + 1), sign(c, signer)]),
			[n.go, ''],
		]);
	}

	async function rejected(goName: string, folder = 'OUTTEST'): Promise<AnswerRecord> {
		const acrf = await simulator.waitForAnswer(goName, 'ACRF', 15_000);
		expect(acrf.folder).toBe(folder);
		expect(tag(acrf.xml, 'ResultCode')).toBe('0');
		expect(tag(acrf.xml, 'FileName')).toBe(goName);
		return acrf;
	}

	const baseOptions = (): SimulatorOptions => ({
		sandbox,
		registeredCertificatePem: registered.pem,
		sender: SENDER,
		pollIntervalMs: 50,
		notiDelayMs: 200,
	});
	/** Stops the simulator and starts it again on the same sandbox with these options. */
	async function restart(options: Partial<SimulatorOptions>): Promise<void> {
		await simulator.stop();
		simulator = await startSimulator({ ...baseOptions(), ...options });
	}

	const connect = async (): Promise<SftpClient> => {
		const client = new SftpClient();
		await client.connect({
			host: sandbox.host,
			port: sandbox.port,
			username: sandbox.username,
			privateKey,
			hostHash: 'sha256',
			hostVerifier: (hash: string) => hash === fingerprintHex(sandbox.hostKeys[0].fingerprint),
			readyTimeout: 10_000,
		} as SftpClient.ConnectOptions);
		return client;
	};

	beforeAll(async () => {
		const key = makeRsaKeyPair(2048);
		privateKey = key.privateKey;
		registered = makeSigner('registered');
		other = makeSigner('other');
		sandbox = await startSshdSandbox({ hostKeyTypes: ['rsa'], authorizedKeys: [key.publicKey] });
		simulator = await startSimulator({
			...baseOptions(),
			contentAnomalies: (fi) =>
				fi.includes('EVERY-CLASS')
					? ['P', 'NP', 'D', 'W', 'I', 'NB'].map((anomalyClass) => ({
							errorId: '00024-152',
							anomalyClass,
						}))
					: [],
		});
	});
	afterAll(async () => {
		await simulator?.stop();
		await sandbox?.stop();
	});

	it('accepts a valid set uploaded over SFTP: signed ACRF in OUTTEST, then a NOTI with the same ticket', async () => {
		const n = names('T');
		const fi = declaration('20261');
		const client = await connect();
		try {
			await client.put(fi, `/INTEST/${n.fi(1)}`);
			await client.put(Buffer.from(sign(fi, registered)), `/INTEST/${n.fs(1)}`);
			await client.put(Buffer.alloc(0), `/INTEST/${n.go}`);

			const acrf = await simulator.waitForAnswer(n.go, 'ACRF', 15_000);
			expect(acrf.folder).toBe('OUTTEST');
			expect(acrf.foName).toMatch(
				new RegExp(`^FO\\.ACRF\\.999999\\.${brusselsToday()}\\.[0-9A-Z]{5}\\.T$`),
			);
			expect(acrf.fsName).toBe(`FS.${acrf.foName.slice(3)}`);
			expect(acrf.goName).toBe(`GO.${acrf.foName.slice(3)}`);

			// What the client sees: the triplet, readable and signed by the sandbox social security.
			const listed = (await client.list('/OUTTEST')).map((e) => e.name).sort();
			expect(listed).toEqual(expect.arrayContaining([acrf.foName, acrf.fsName, acrf.goName]));
			const fo = (await client.get(`/OUTTEST/${acrf.foName}`)) as Buffer;
			const fsText = ((await client.get(`/OUTTEST/${acrf.fsName}`)) as Buffer).toString('latin1');
			const go = (await client.get(`/OUTTEST/${acrf.goName}`)) as Buffer;
			expect(go.length).toBe(0);
			expect(fsText).toMatch(/^[A-Za-z0-9+/]+=*$/); // one line
			expect(opensslVerifies(fsText, fo, simulator.sandboxSocialSecurityCertificatePem)).toBe(true);
			expect(
				opensslVerifies(
					fsText,
					Buffer.concat([fo, Buffer.from(' ')]),
					simulator.sandboxSocialSecurityCertificatePem,
				),
			).toBe(false);
			expect(opensslVerifies(fsText, fo, registered.pem)).toBe(false);

			const xml = fo.toString('utf8');
			expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
			expect(tag(xml, 'Identification')).toBe('ACRF001');
			expect(tag(xml, 'TypeForm')).toBe('FA');
			expect(tag(xml, 'FormCreationDate')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
			expect(tag(xml, 'FormCreationHour')).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3}$/);
			expect(tag(xml, 'FileName')).toBe(n.go);
			expect(tag(xml, 'ReferenceOrigin')).toBe('2');
			expect(tag(xml, 'ReferenceNbr')).toMatch(/^[0-9A-Z]{13}$/);
			expect(tag(xml, 'ResultCode')).toBe('1');
			expect(tags(xml, 'ErrorID')).toEqual([]);

			// The inputs are gone.
			expect(await client.list('/INTEST')).toEqual([]);

			const noti = await simulator.waitForAnswer(n.go, 'NOTI', 15_000);
			expect(noti.foName).toMatch(/^FO\.NOTI\.999999\.\d{8}\.[0-9A-Z]{5}\.T$/);
			expect(noti.foName.slice(8)).not.toBe(acrf.foName.slice(8));
			const notiXml = ((await client.get(`/OUTTEST/${noti.foName}`)) as Buffer).toString('utf8');
			expect(notiXml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<NOTIFICATION /);
			expect(tags(notiXml, 'ReferenceNbr')).toEqual([
				tag(xml, 'ReferenceNbr'),
				tag(xml, 'ReferenceNbr'),
			]);
			expect(tag(notiXml, 'FileName')).toBe(n.go);
			expect(tag(notiXml, 'ResultCode')).toBe('1');
			expectOfficial(xml);
			expectOfficial(notiXml);
			const notiFs = ((await client.get(`/OUTTEST/${noti.fsName}`)) as Buffer).toString('latin1');
			expect(
				opensslVerifies(
					notiFs,
					Buffer.from(notiXml, 'utf8'),
					simulator.sandboxSocialSecurityCertificatePem,
				),
			).toBe(true);
			expect(await client.exists(`/OUTTEST/${noti.goName}`)).toBe('-');

			// The client may delete the answers, as the guide asks.
			for (const name of [
				acrf.foName,
				acrf.fsName,
				acrf.goName,
				noti.foName,
				noti.fsName,
				noti.goName,
			])
				await client.delete(`/OUTTEST/${name}`);
			expect(await client.list('/OUTTEST')).toEqual([]);
		} finally {
			await client.end();
		}
		const record = simulator.processed.find((p) => p.name === n.go);
		expect(record).toMatchObject({ accepted: true, folder: 'INTEST', errors: [] });
		expect(record?.removed.sort()).toEqual([n.fi(1), n.fs(1), n.go].sort());
	});

	it('answers a declaration that breaks a content rule with a NOTIFICATION carrying its anomalies, every class', async () => {
		const refused = names('T');
		signedSet('INTEST', refused, [
			Buffer.from(
				'<?xml version="1.0" encoding="UTF-8"?>\n<DmfAOriginal>\n<NOSSRegistrationNbr>42</NOSSRegistrationNbr>\n</DmfAOriginal>\n',
			),
		]);
		expect(tag((await simulator.waitForAnswer(refused.go, 'ACRF', 15_000)).xml, 'ResultCode')).toBe(
			'1',
		);
		const noti = await simulator.waitForAnswer(refused.go, 'NOTI', 15_000);
		expectOfficial(noti.xml);
		const read = parseNoti(noti.xml);
		expect(read).toMatchObject({
			accepted: false,
			resultCode: '0',
			diagnoses: [{ code: '3', meaning: 'Declaration refused: blocking anomalies.' }],
			hasBlockingAnomalies: true,
			fileName: refused.go,
		});
		expect(read.anomalies).toEqual([
			expect.objectContaining({
				code: '00011-008',
				class: 'B',
				severity: 'blocking',
				tagName: 'NOSSRegistrationNbr',
				value: '42',
				lineNbr: '3',
				zone: expect.objectContaining({ element: 'NOSSRegistrationNbr' }),
				error: expect.objectContaining({ nl: 'Niet in het toegelaten domein' }),
			}),
		]);

		const warned = names('T');
		signedSet('INTEST', warned, [declaration('EVERY-CLASS')]);
		const second = await simulator.waitForAnswer(warned.go, 'NOTI', 15_000);
		expectOfficial(second.xml);
		const classes = parseNoti(second.xml);
		expect(classes).toMatchObject({ accepted: true, diagnoses: [{ code: '7' }] });
		expect(classes.anomalies.map((a) => [a.class, a.severity])).toEqual([
			['P', 'warning'],
			['NP', 'warning'],
			['D', 'warning'],
			['W', 'warning'],
			['I', 'info'],
			['NB', 'warning'],
		]);
	});

	it('refuses a tampered FI (ACRF-125) and removes the inputs', async () => {
		const n = names('T');
		const fi = declaration('20262');
		const tampered = Buffer.from(fi);
		tampered[tampered.length - 3] ^= 1;
		put('INTEST', [
			[n.fi(1), tampered],
			[n.fs(1), sign(fi, registered)],
			[n.go, ''],
		]);
		const acrf = await rejected(n.go);
		expect(tags(acrf.xml, 'ErrorID')).toEqual(['ACRF-125']);
		expect(tag(acrf.xml, 'ReferenceNbr')).toMatch(/^[0-9A-Z]{13}$/);
		expect(readdirSync(sandbox.pathOf('INTEST'))).toEqual([]);
	});

	it('refuses an FS made by a certificate that is not the registered one (ACRF-153)', async () => {
		const n = names('T');
		signedSet('INTEST', n, [declaration('20263')], other);
		expect(tags((await rejected(n.go)).xml, 'ErrorID')).toEqual(['ACRF-153']);
	});

	it('refuses a production set without FS (ACRF-122), answered in OUT', async () => {
		const n = names('R');
		put('IN', [
			[n.fi(1), declaration('20264')],
			[n.go, ''],
		]);
		expect(tags((await rejected(n.go, 'OUT')).xml, 'ErrorID')).toEqual(['ACRF-122']);
	});

	it('refuses a set whose part 2 of 3 is missing (ACRF-120)', async () => {
		const n = names('T', 3);
		const p1 = declaration('a');
		const p3 = declaration('c');
		put('INTEST', [
			[n.fi(1), p1],
			[n.fi(3), p3],
			[n.fs(1), sign(p1, registered)],
			[n.fs(3), sign(p3, registered)],
			[n.go, ''],
		]);
		const errors = tags((await rejected(n.go)).xml, 'ErrorID');
		expect(errors).toContain('ACRF-120');
		expect(errors).not.toContain('ACRF-125');
	});

	it('lists several ErrorIDs in one ACRF: an FI and its FS missing (ACRF-120, ACRF-122)', async () => {
		const n = names('T', 2);
		const p1 = declaration('two errors');
		put('INTEST', [
			[n.fi(1), p1],
			[n.fs(1), sign(p1, registered)],
			[n.fs(2), sign(p1, registered)],
			[n.go, ''],
		]);
		const acrf = await rejected(n.go);
		expect(tags(acrf.xml, 'ErrorID')).toEqual(['ACRF-120']);
		const m = names('T', 2);
		put('INTEST', [
			[m.fi(1), p1],
			[m.fs(1), sign(p1, registered)],
			[m.go, ''],
		]);
		const both = await rejected(m.go);
		expect(tags(both.xml, 'ErrorID')).toEqual(['ACRF-120', 'ACRF-122']);
		expectOfficial(both.xml);
	});

	it('refuses a set with a misnamed FI (ACRF-123) and, like the real server, names that FI in FileName', async () => {
		const n = names('T');
		const fi = declaration('misnamed');
		// Part 2 of a 1-part set: an FI of this set by its name, but not one it may have.
		const stray = `FI.${n.key}.2`;
		put('INTEST', [[stray, fi]]);
		signedSet('INTEST', n, [fi]);
		const acrf = await simulator.waitForAnswer(stray, 'ACRF', 15_000);
		expect(tag(acrf.xml, 'FileName')).toBe(stray);
		expect(tag(acrf.xml, 'ResultCode')).toBe('0');
		expect(tags(acrf.xml, 'ErrorID')).toEqual(['ACRF-123']);
		expect(simulator.processed.find((p) => p.name === n.go)?.acrf).toBe(acrf);
	});

	it('refuses a test set put in the production folder (ACRF-118), answered in OUT', async () => {
		const n = names('T');
		signedSet('IN', n, [declaration('20265')]);
		const acrf = await rejected(n.go, 'OUT');
		expect(tags(acrf.xml, 'ErrorID')).toEqual(['ACRF-118']);
		expect(acrf.foName).toMatch(/\.R$/);
		expect(readdirSync(sandbox.pathOf('IN'))).toEqual([]);
		expect(wrongFolderCode('R', 'INTEST')).toBe('ACRF-119');
		expect(wrongFolderCode('S', 'INTEST')).toBe('ACRF-257');
	});

	it('refuses a name already used, even after a rejection (ACRF-133)', async () => {
		const n = names('T');
		const fi = declaration('first');
		signedSet('INTEST', n, [fi]);
		expect(tag((await simulator.waitForAnswer(n.go, 'ACRF', 15_000)).xml, 'ResultCode')).toBe('1');
		// Same names again, whatever the content.
		const before = simulator.answers.length;
		signedSet('INTEST', n, [declaration('second')]);
		await waitUntil(() =>
			simulator.answers.slice(before).some((a) => a.type === 'ACRF' && a.fileName === n.go),
		);
		const second = simulator.answers
			.slice(before)
			.find((a) => a.type === 'ACRF' && a.fileName === n.go) as AnswerRecord;
		expect(tag(second.xml, 'ResultCode')).toBe('0');
		expect(tags(second.xml, 'ErrorID')).toEqual(['ACRF-133']);
	});

	it('refuses a set whose sender is not the account (ACRF-108)', async () => {
		const n = names('T', 1, { sender: '999998' });
		signedSet('INTEST', n, [declaration('20266')]);
		expect(tags((await rejected(n.go)).xml, 'ErrorID')).toEqual(['ACRF-108']);
	});

	it('refuses an empty FI (ACRF-134) and a malformed GO name (ACRF-107)', async () => {
		const n = names('T');
		put('INTEST', [
			[n.fi(1), ''],
			[n.go, ''],
		]);
		expect(tags((await rejected(n.go)).xml, 'ErrorID')).toEqual(['ACRF-134']);
		const malformed = `GO.DMFA.${SENDER}.${TODAY}.00999.T`;
		put('INTEST', [[malformed, '']]);
		expect(tags((await rejected(malformed)).xml, 'ErrorID')).toEqual(['ACRF-107']);
	});

	it('accepts an S set of 3 parts without FS, and the CR / PEM-body layouts of an FS', async () => {
		const s = names('S', 3);
		put('INTEST-S', [
			[s.fi(1), declaration('1')],
			[s.fi(2), declaration('2')],
			[s.fi(3), declaration('3')],
			[s.go, ''],
		]);
		const acrf = await simulator.waitForAnswer(s.go, 'ACRF', 15_000);
		expect(acrf.folder).toBe('OUTTEST-S');
		expect(tag(acrf.xml, 'ResultCode')).toBe('1');

		const t = names('T', 2);
		const p1 = declaration('cr');
		const p2 = declaration('pem');
		const oneLine1 = sign(p1, registered);
		const oneLine2 = sign(p2, registered);
		put('INTEST', [
			[t.fi(1), p1],
			[t.fi(2), p2],
			[t.fs(1), oneLine1.match(/.{1,76}/g)?.join('\r') ?? ''],
			[t.fs(2), `${oneLine2.match(/.{1,64}/g)?.join('\r\n')}\r\n`],
			[t.go, ''],
		]);
		const second = await simulator.waitForAnswer(t.go, 'ACRF', 15_000);
		expect(tags(second.xml, 'ErrorID')).toEqual([]);
		expect(tag(second.xml, 'ResultCode')).toBe('1');

		// Armour lines are not part of the layout.
		const u = names('T');
		const p = declaration('armour');
		put('INTEST', [
			[u.fi(1), p],
			[u.fs(1), `-----BEGIN PKCS7-----\n${sign(p, registered)}\n-----END PKCS7-----\n`],
			[u.go, ''],
		]);
		expect(tags((await rejected(u.go)).xml, 'ErrorID')).toEqual(['ACRF-125']);
	});

	it('leaves a set without GO, and files with odd names, alone', async () => {
		const n = names('T');
		const fi = declaration('waiting');
		put('INTEST', [
			[n.fi(1), fi],
			[n.fs(1), sign(fi, registered)],
			['readme.txt', 'hello'],
			['GO', ''],
		]);
		const processedBefore = simulator.processed.length;
		for (let i = 0; i < 6; i++) await simulator.pollNow();
		await new Promise((r) => setTimeout(r, 300));
		expect(readdirSync(sandbox.pathOf('INTEST')).sort()).toEqual(
			['GO', n.fi(1), n.fs(1), 'readme.txt'].sort(),
		);
		expect(simulator.processed.length).toBe(processedBefore);

		// Then the GO comes: the set is processed; the odd files stay.
		put('INTEST', [[n.go, '']]);
		expect(tag((await simulator.waitForAnswer(n.go, 'ACRF', 15_000)).xml, 'ResultCode')).toBe('1');
		expect(readdirSync(sandbox.pathOf('INTEST')).sort()).toEqual(['GO', 'readme.txt']);
		for (const name of ['GO', 'readme.txt'])
			execFileSync('rm', ['-f', sandbox.pathOf('INTEST', name)]);
	});

	it('a TD cancels a set that waits for its GO; a TD after processing is only removed', async () => {
		const n = names('T');
		const fi = declaration('cancel me');
		put('INTEST', [
			[n.fi(1), fi],
			[n.fs(1), sign(fi, registered)],
			[n.td, ''],
		]);
		const acrf = await simulator.waitForAnswer(n.td, 'ACRF', 15_000);
		expect(tag(acrf.xml, 'ResultCode')).toBe('0');
		expect(tag(acrf.xml, 'FileName')).toBe(n.td);
		expect(tags(acrf.xml, 'ErrorID')).toEqual([]);
		expect(readdirSync(sandbox.pathOf('INTEST'))).toEqual([]);
		expect(simulator.processed.find((p) => p.name === n.td)).toMatchObject({
			trigger: 'TD',
			cancelled: true,
		});

		// The cancelled names are burnt.
		signedSet('INTEST', n, [fi]);
		expect(tags((await rejected(n.go)).xml, 'ErrorID')).toEqual(['ACRF-133']);

		// A TD for a set already processed is removed without an answer.
		const answersBefore = simulator.answers.length;
		put('INTEST', [[n.td, '']]);
		await waitUntil(() => !existsSync(sandbox.pathOf('INTEST', n.td)));
		await new Promise((r) => setTimeout(r, 200));
		expect(simulator.answers.length).toBe(answersBefore);
	});

	it('remembers the used names after a restart on the same sandbox', async () => {
		const n = names('T');
		signedSet('INTEST', n, [declaration('before restart')]);
		await simulator.waitForAnswer(n.go, 'ACRF', 15_000);
		await simulator.stop();
		expect(JSON.parse(readFileSync(simulator.stateFile, 'utf8')).usedNames).toContain(n.go);

		await restart({ signatureInTest: 'required', signatureInDmfaTest: 'omit' });
		signedSet('INTEST', n, [declaration('after restart')]);
		expect(tags((await rejected(n.go)).xml, 'ErrorID')).toEqual(['ACRF-133']);

		// The signature policies are settings: FS required in T, refused in S.
		const t = names('T');
		put('INTEST', [
			[t.fi(1), declaration('no FS in T')],
			[t.go, ''],
		]);
		expect(tags((await rejected(t.go)).xml, 'ErrorID')).toEqual(['ACRF-122']);
		const s = names('S');
		signedSet('INTEST-S', s, [declaration('FS in S')]);
		expect(tags((await rejected(s.go, 'OUTTEST-S')).xml, 'ErrorID')).toEqual(['ACRF-121']);

		// Answer names stay unique across the restart.
		const all = readdirSync(sandbox.pathOf('OUTTEST')).filter((f) => f.startsWith('FO.'));
		expect(new Set(all.map((f) => f.split('.')[4])).size).toBe(all.length);
	});

	it('with provisionalAcrf, coAboveBytes and answerNameSuffix: a PA then an FA, a CO above the size, names ending in .1.1; a DMWA gets a DMNO joined by its ticket', async () => {
		await restart({ provisionalAcrf: true, coAboveBytes: 1200, answerNameSuffix: true });
		const n = names('T', 1, { application: 'DMWA' });
		signedSet('INTEST', n, [
			Buffer.from(
				'<?xml version="1.0" encoding="UTF-8"?>\n<DmfAUpdate><Quarter>20251</Quarter><NOSSRegistrationNbr>199999934</NOSSRegistrationNbr><CompanyID>0123456749</CompanyID><INSS>85073100123</INSS><INSS>90010100234</INSS></DmfAUpdate>\n',
			),
		]);
		const dmno = await simulator.waitForAnswer(n.go, 'DMNO', 15_000);
		const acrfs = simulator.answers.filter((a) => a.fileName === n.go && a.type === 'ACRF');
		expect(acrfs.map((a) => [a.typeForm, tag(a.xml, 'TypeForm'), a.resultCode])).toEqual([
			['PA', 'PA', 1],
			['FA', 'FA', 1],
		]);
		expect(simulator.processed.find((p) => p.name === n.go)?.acrf).toBe(acrfs[1]);
		const noti = await simulator.waitForAnswer(n.go, 'NOTI', 1);
		for (const answer of [...acrfs, noti, dmno]) {
			expectOfficial(answer.xml);
			expect(answer.foName).toMatch(/^FO\.(ACRF|NOTI|DMNO)\.999999\.\d{8}\.[0-9A-Z]{5}\.T\.1\.1$/);
			expect(answer.goName).toBe(`GO.${answer.foName.slice(3)}`);
			const zipped = Buffer.byteLength(answer.xml) > 1200;
			expect([answer.foName, answer.coName]).toEqual([
				answer.foName,
				zipped ? `CO.${answer.foName.slice(3)}` : undefined,
			]);
			const listed = readdirSync(sandbox.pathOf('OUTTEST'));
			expect(listed).toEqual(
				expect.arrayContaining([answer.coName ?? answer.foName, answer.fsName, answer.goName]),
			);
		}
		// The DMNO is large enough to be a CO: the ZIP holds the FO, and the FS signs the ZIP.
		expect(dmno.coName).toBeDefined();
		const zipPath = sandbox.pathOf('OUTTEST', dmno.coName as string);
		const out = mkdtempSync(join(work, 'co-'));
		const extracted = await extractCoArchive(zipPath, out, { outputName: dmno.foName });
		const fo = readFileSync(extracted.path);
		expect(fo.toString('utf8')).toBe(dmno.xml);
		const fsText = readFileSync(sandbox.pathOf('OUTTEST', dmno.fsName), 'latin1');
		const pem = simulator.sandboxSocialSecurityCertificatePem;
		expect(opensslVerifies(fsText, readFileSync(zipPath), pem)).toBe(true);
		expect(opensslVerifies(fsText, fo, pem)).toBe(false);

		// Read back: the update of the DMWA set's ticket, the workers of the FI.
		const read = interpretAnswer({ type: 'DMNO', contentName: dmno.foName, bytes: fo }).dmno;
		expect(read).toMatchObject({
			ticket: acrfs[1].ticket,
			declaration: {
				quarter: '20251',
				nossRegistrationNbr: '199999934',
				companyId: '0123456749',
				action: '7',
			},
			warnings: [],
		});
		expect(read?.naturalPersons.map((p) => [p.inss, p.action])).toEqual([
			['85073100123', '1'],
			['90010100234', '1'],
		]);
		// A DmfA original gets no DMNO; a refused set no PA.
		const original = names('T');
		signedSet('INTEST', original, [declaration('20252')]);
		await simulator.waitForAnswer(original.go, 'NOTI', 15_000);
		const refused = names('T', 1, { sender: '999998' });
		signedSet('INTEST', refused, [declaration('20253')]);
		await rejected(refused.go);
		await new Promise((r) => setTimeout(r, 600));
		expect(simulator.answers.filter((a) => a.fileName === original.go).map((a) => a.type)).toEqual([
			'ACRF',
			'ACRF',
			'NOTI',
		]);
		expect(
			simulator.answers.filter((a) => a.fileName === refused.go).map((a) => a.typeForm),
		).toEqual(['FA']);
	});

	(xsdMissing ? it.skip : it)(
		'wrote only answers that validate against their official XSD',
		async () => {
			let checked = 0;
			for (const folder of ['OUT', 'OUTTEST', 'OUTTEST-S']) {
				for (const name of readdirSync(sandbox.pathOf(folder))) {
					let content: Buffer;
					if (name.startsWith('FO.')) content = readFileSync(sandbox.pathOf(folder, name));
					else if (name.startsWith('CO.')) {
						const out = mkdtempSync(join(work, 'co-'));
						const fo = `FO.${name.slice(3)}`;
						const zip = sandbox.pathOf(folder, name);
						content = readFileSync((await extractCoArchive(zip, out, { outputName: fo })).path);
					} else continue;
					const check = validateOfficial(content);
					expect({ name, errors: check.errors }).toEqual({ name, errors: '' });
					checked++;
				}
			}
			expect(checked).toBeGreaterThan(10);
		},
	);

	(xsdMissing ? it.skip : it)(
		'with a folder of declaration XSDs: refuses an FI that breaks its XSD (ACRF-312), has no XSD (ACRF-088) or is not XML (ACRF-102)',
		async () => {
			await restart({ declarationSchemaDir: XSD_DIR });
			const dimona = readFileSync(join(__dirname, '../fixtures/declarations/dimona-cancel.xml'));
			const valid = names('T', 1, { application: 'DIMN' });
			signedSet('INTEST', valid, [dimona]);
			expect(tag((await simulator.waitForAnswer(valid.go, 'ACRF', 15_000)).xml, 'ResultCode')).toBe(
				'1',
			);

			const cases: Array<[Buffer, string]> = [
				[
					Buffer.from(
						dimona
							.toString()
							.replace('<DimonaPeriodId>500012345678<', '<DimonaPeriodId>not-a-number<'),
					),
					'ACRF-312',
				],
				[declaration('20261'), 'ACRF-312'],
				[Buffer.from('<?xml version="1.0"?>\n<SomethingElse/>\n'), 'ACRF-088'],
				[Buffer.from('<Dimona><Form></Dimona>'), 'ACRF-102'],
			];
			for (const [content, code] of cases) {
				const n = names('T', 1, { application: 'DIMN' });
				signedSet('INTEST', n, [content]);
				expect(tags((await rejected(n.go)).xml, 'ErrorID')).toEqual([code]);
			}
			expect(simulator.messages.join('\n')).toMatch(
				/FI breaks Dimona_20231\.xsd: .*DimonaPeriodId/,
			);
		},
	);
});

describeWithSshd('startSandboxEnvironment (what `npm run sandbox` starts)', () => {
	let env: SandboxEnvironment;
	const dir = join(work, 'env');

	beforeAll(async () => {
		env = await startSandboxEnvironment({
			dir,
			sender: '012345',
			simulator: { pollIntervalMs: 50, notiDelayMs: 100 },
		});
	});
	afterAll(async () => env?.stop());

	it('writes its files privately and a credential.json in n8n import format', () => {
		expect(statSync(dir).mode & 0o777).toBe(0o700);
		for (const file of readdirSync(dir))
			expect([file, statSync(join(dir, file)).mode & 0o777]).toEqual([file, 0o600]);
		const credentials = JSON.parse(readFileSync(join(dir, 'credential.json'), 'utf8'));
		expect(credentials).toHaveLength(1);
		expect(credentials[0]).toMatchObject({
			id: expect.stringMatching(/^[A-Za-z0-9]{16}$/),
			name: expect.any(String),
			type: CREDENTIAL_TYPE,
		});
		expect(Object.keys(credentials[0].data).sort()).toEqual(
			[
				'advanced',
				'certificateP12',
				'certificatePassword',
				'host',
				'hostFingerprint',
				'passphrase',
				'port',
				'privateKey',
				'sender',
				'username',
			].sort(),
		);
		expect(credentials[0].data).toMatchObject({
			host: '127.0.0.1',
			port: env.port,
			username: env.username,
			sender: '012345',
			passphrase: '',
		});
		expect(credentials[0].data.hostFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
		expect(credentials[0].data.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
		expect(execFileSync('ssh-keygen', ['-l', '-f', env.publicKeyPath]).toString()).toMatch(
			/^3072 .*\(RSA\)/,
		);
		expect(JSON.parse(readFileSync(join(dir, 'environment.json'), 'utf8'))).toEqual(env.info);

		// The .p12 opens with the password and holds the registered certificate.
		const p12 = join(work, 'from-credential.p12');
		writeFileSync(p12, Buffer.from(credentials[0].data.certificateP12, 'base64'));
		const certs = execFileSync('openssl', ['pkcs12', '-in', p12, '-nokeys', '-passin', 'env:PW'], {
			env: { ...process.env, PW: credentials[0].data.certificatePassword },
		}).toString();
		const pem = (text: string) =>
			/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
		expect(pem(certs)).toBe(pem(env.certificatePem));
	});

	it('lets ssh2-sftp-client log in with the credential and the pinned fingerprint, and a set signed with its certificate is accepted', async () => {
		const { data } = JSON.parse(readFileSync(env.credentialFile, 'utf8'))[0];
		const client = new SftpClient();
		await client.connect({
			host: data.host,
			port: data.port,
			username: data.username,
			privateKey: data.privateKey,
			hostHash: 'sha256',
			hostVerifier: (hash: string) => hash === fingerprintHex(data.hostFingerprint),
			readyTimeout: 10_000,
		} as SftpClient.ConnectOptions);
		try {
			expect((await client.list('/')).map((e) => e.name).sort()).toEqual([
				'IN',
				'INTEST',
				'INTEST-S',
				'OUT',
				'OUTTEST',
				'OUTTEST-S',
			]);
			const key = `DIMN.012345.${brusselsToday()}.00001.T.1`;
			const fi = declaration('dimona');
			const signer: Signer = {
				cert: env.certificatePath,
				key: env.certificateKeyPath,
				pem: env.certificatePem,
			};
			await client.put(fi, `/INTEST/FI.${key}.1`);
			await client.put(Buffer.from(sign(fi, signer)), `/INTEST/FS.${key}.1`);
			await client.put(Buffer.alloc(0), `/INTEST/GO.${key}`);
			const acrf = await env.simulator.waitForAnswer(`GO.${key}`, 'ACRF', 15_000);
			expect(tags(acrf.xml, 'ErrorID')).toEqual([]);
			expect(tag(acrf.xml, 'ResultCode')).toBe('1');
			const fsText = ((await client.get(`/OUTTEST/${acrf.fsName}`)) as Buffer).toString('latin1');
			const fo = (await client.get(`/OUTTEST/${acrf.foName}`)) as Buffer;
			expect(
				opensslVerifies(fsText, fo, readFileSync(env.socialSecurityCertificatePath, 'utf8')),
			).toBe(true);
		} finally {
			await client.end();
		}
	});

	it('stops the sshd and the simulator', async () => {
		const root = env.root;
		await env.stop();
		expect(existsSync(root)).toBe(false);
		const stillRunning = execFileSync('ps', ['-eo', 'args'])
			.toString()
			.split('\n')
			.filter((l) => l.includes(root));
		expect(stillRunning).toEqual([]);
	});
});

async function waitUntil(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error('condition not met in time');
		await new Promise((r) => setTimeout(r, 25));
	}
}
