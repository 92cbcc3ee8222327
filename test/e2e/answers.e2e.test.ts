/**
 * What an answer item says, in real n8n (issue 17, from an independent acceptance run):
 * - a CO answer: `size` and `sha256` are those of the binary the item holds (the FO taken out of the
 *   ZIP), and the ZIP's own name, size and SHA-256 are there too, each compared with real bytes: the
 *   binary as n8n's own Write File node writes it to disk, and the file as it was on the server;
 * - an ACRF that names an FI (the set was refused for a file's name) joins the submission whose GO was
 *   sent: `answer.answersGo` equals `submission.go` of the Submit node's item, and Poll joins the two;
 * - an alert on a rejected NOTI carries the explained anomaly;
 * - a DmfA modification (DMWA) sent from n8n: the simulator's DMNO is polled, read field by field and
 *   joined to the submission by its ticket.
 *
 * N8N_E2E_VERSIONS=2.8.4 limits the versions (default: all of N8N_VERSIONS).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandboxEnvironment, SandboxEnvironment } from '../../sandbox/cli';
import { sandboxUnavailableReason } from '../../sandbox/sshdSandbox';
import { brusselsToday } from '../../nodes/domain/names/brusselsTime';
import {
	N8N_VERSIONS,
	N8nUserFolder,
	N8nVersion,
	REPO,
	ensureN8n,
	exampleWorkflow,
	packPackage,
} from './harness';
import { AnswerSigner, chainWorkflow, makeAnswerSigner, putCoAnswer, sha256 } from './answers';

jest.setTimeout(30 * 60_000);

const versions = (process.env.N8N_E2E_VERSIONS?.split(',').map((v) => v.trim()) ?? [
	...N8N_VERSIONS,
]) as N8nVersion[];
const reason = sandboxUnavailableReason();
if (reason) {
	if (process.env.CI === 'true') throw new Error(`CI=true but the sandbox cannot start: ${reason}`);
	console.warn(`Skipping the end-to-end answer tests: ${reason}`);
}
const describeE2e = reason ? describe.skip : describe;

let work: string;
let tarball: string;
let signer: AnswerSigner;
beforeAll(() => {
	work = mkdtempSync(join(tmpdir(), 'ss-e2e-answers-'));
	if (!reason) {
		tarball = packPackage(work);
		signer = makeAnswerSigner(work);
	}
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describeE2e.each(versions)('answer items in n8n %s', (version) => {
	let env: SandboxEnvironment;
	let n8n: N8nUserFolder;

	beforeAll(async () => {
		const install = ensureN8n(version);
		env = await startSandboxEnvironment({
			dir: join(work, `sandbox-${version}`),
			logger: () => undefined,
		});
		n8n = new N8nUserFolder(install);
		n8n.installPackage(tarball);
		await n8n.importCredentials([env.credential]);
	});
	afterAll(async () => {
		await env?.stop();
		n8n?.remove();
	});

	const credentials = () => ({
		belgianSocialSecuritySftpApi: { id: env.credential.id, name: env.credential.name },
	});

	it('a CO answer: size and sha256 describe the binary delivered; the ZIP on the server keeps its own', async () => {
		const answerId = `NOTI.999999.${brusselsToday()}.C0001.T`;
		const fo = readFileSync(join(REPO, 'test', 'fixtures', 'answers', 'noti-anomalies.xml'));
		const zip = putCoAnswer(env.sandbox, 'OUTTEST', answerId, fo, signer);
		expect(zip.equals(fo)).toBe(false);
		const written = join(n8n.folder, 'files', 'co');
		mkdirSync(written, { recursive: true });
		await n8n.importWorkflow(
			chainWorkflow('SsBeE2eCoAnswer', [
				{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', parameters: {} },
				{
					name: 'Poll Social Security Responses',
					type: 'n8n-nodes-socialsecurity-be.pollResponses',
					parameters: {
						operation: 'collect',
						environments: ['T'],
						options: {
							types: ['NOTI'],
							deleteAfterDownload: true,
							verifySignature: true,
							trustedCertificatesPem: signer.certificatePem,
						},
					},
					credentials: credentials(),
				},
				{
					name: 'Write the binary',
					type: 'n8n-nodes-base.readWriteFile',
					typeVersion: 1.1,
					parameters: {
						operation: 'write',
						fileName: `=${written}/{{ $binary.data.fileName }}`,
						dataPropertyName: 'data',
						options: {},
					},
				},
			]),
		);

		const run = await n8n.execute('SsBeE2eCoAnswer');
		expect(run.error).toBeUndefined();
		// The answer is under `answer`, beside any input fields (docs/items.md).
		const item = run.items('Poll Social Security Responses')[0].answer as Record<string, unknown>;
		const binaryFile = join(written, `FO.${answerId}.xml`);
		expect(readdirSync(written)).toEqual([`FO.${answerId}.xml`]);
		const binary = readFileSync(binaryFile);
		expect(binary.equals(fo)).toBe(true);

		// Every figure of the item about the delivered content matches the binary it holds...
		expect(item).toMatchObject({
			type: 'NOTI',
			answerName: `FO.${answerId}`,
			size: binary.length,
			sha256: sha256(binary),
			deletedFromServer: true,
		});
		// ...and the ZIP's own figures, under names that say so, match the file that was on the server.
		expect(item).toMatchObject({
			zipName: `CO.${answerId}`,
			zipSize: zip.length,
			zipSha256: sha256(zip),
		});
		expect(item.sha256).not.toBe(item.zipSha256);
		// The FS signs the ZIP as sent: it verifies.
		expect(item.signatureValid).toBe(true);
		expect(readdirSync(env.sandbox.pathOf('OUTTEST')).filter((n) => n.includes(answerId))).toEqual(
			[],
		);
	});

	it('an alert on a rejected NOTI carries the explained anomaly (the e-mail text of examples/alert-on-rejection.json)', async () => {
		const answerId = `NOTI.999999.${brusselsToday()}.C0002.T`;
		const fo = readFileSync(join(REPO, 'test', 'fixtures', 'answers', 'noti-anomalies.xml'));
		env.sandbox.writeFile('OUTTEST', `FO.${answerId}`, fo);
		env.sandbox.writeFile('OUTTEST', `FS.${answerId}`, signer.sign(fo));
		env.sandbox.writeFile('OUTTEST', `GO.${answerId}`, '');
		// The example starts with the trigger (a poll every 5 minutes); here Poll Responses takes the
		// answer and a Set node evaluates the example's own e-mail text, so the test reads what is sent.
		const example = JSON.parse(
			readFileSync(join(REPO, 'examples', 'alert-on-rejection.json'), 'utf8'),
		) as { nodes: Array<{ name: string; parameters: Record<string, unknown> }> };
		const emailText = example.nodes.find((n) => n.name === 'Email the rejection')?.parameters
			.text as string;
		await n8n.importWorkflow(
			chainWorkflow('SsBeE2eAlertNoti', [
				{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', parameters: {} },
				{
					name: 'Poll Social Security Responses',
					type: 'n8n-nodes-socialsecurity-be.pollResponses',
					parameters: {
						operation: 'collect',
						environments: ['T'],
						options: { types: ['NOTI'], deleteAfterDownload: true },
					},
					credentials: credentials(),
				},
				{
					name: 'Compose the alert',
					type: 'n8n-nodes-base.set',
					typeVersion: 3.4,
					parameters: {
						mode: 'manual',
						assignments: {
							assignments: [{ id: 'alert', name: 'alert', value: emailText, type: 'string' }],
						},
						includeOtherFields: true,
						options: {},
					},
				},
			]),
		);

		const run = await n8n.execute('SsBeE2eAlertNoti');
		expect(run.error).toBeUndefined();
		const item = run
			.items('Compose the alert')
			.find((i) => (i.answer as { answerName?: string }).answerName === `FO.${answerId}`);
		expect(item?.answer).toMatchObject({
			type: 'NOTI',
			status: 'rejected',
			ticket: '03804LA9F3H6Z',
		});
		const [first] = (item?.answer as { anomalies: Array<Record<string, unknown>> }).anomalies;
		expect(first).toMatchObject({
			code: '00011-155',
			zone: { code: '00011', element: 'NOSSRegistrationNbr', title: 'RSZ-NUMMER' },
			error: { code: '155', nl: 'Geen of vervallen mandaat', fr: 'Pas ou plus de mandat' },
			class: 'B',
		});
		const alert = String(item?.alert);
		expect(alert).toContain('- 00011-155 (class B: Blocking anomaly');
		expect(alert).toContain(
			'Zone 00011 NOSSRegistrationNbr (RSZ-NUMMER): Geen of vervallen mandaat / Pas ou plus de mandat',
		);
		expect(alert).toContain('Value: 199990008');
		expect(alert).toContain('Location: 1,1,7,2');
	});

	it('an ACRF that names the FI of a set refused for a file name joins the submission by its GO', async () => {
		const sequence = 'E2EF1';
		const key = `DMFA.${env.sender}.${brusselsToday()}.${sequence}.T.1`;
		// A file of this set by its name that the set may not have (part 2 of 1), as a cut upload of an
		// earlier attempt could leave: the server refuses the set and names that FI, not the GO.
		const stray = `FI.${key}.2`;
		env.sandbox.writeFile('INTEST', stray, '<DmfAOriginal/>\n');
		await n8n.importWorkflow(
			exampleWorkflow(
				'submit-declaration.json',
				'SsBeE2eFiNamed',
				credentials().belgianSocialSecuritySftpApi,
				(nodes) => {
					const build = nodes.find((n) => n.name === 'Build Filenames') as {
						parameters: Record<string, unknown>;
					};
					build.parameters.sequenceMode = 'fixed';
					build.parameters.sequence = sequence;
				},
			),
		);

		const run = await n8n.execute('SsBeE2eFiNamed');
		expect(run.error).toBeUndefined();
		const submitted = run.items('Submit to Social Security')[0].submission as { go: string };
		expect(submitted).toMatchObject({ status: 'submitted', go: `GO.${key}` });
		expect(env.simulator.processed.find((p) => p.name === submitted.go)?.acrf.fileName).toBe(stray);

		const answers = run.items('Poll Social Security Responses');
		const joined = answers.find(
			(a) => (a.answer as { answersGo?: string }).answersGo === submitted.go,
		);
		// Poll joined it to the submission item: that item's record is beside the answer.
		expect(joined?.submission).toMatchObject({ go: submitted.go });
		const acrf = joined?.answer as Record<string, unknown>;
		expect(acrf).toMatchObject({
			type: 'ACRF',
			status: 'rejected',
			answersFile: stray,
			answersFi: stray,
			answersFileKind: 'FI',
			answersGo: submitted.go,
		});
		expect((acrf.errors as Array<{ code: string }>).map((e) => e.code)).toEqual(['ACRF-123']);
	});

	it('a DmfA modification (DMWA): its DMNO is read and joined to the submission by its ticket', async () => {
		const sequence = 'E2EM1';
		const key = `DMWA.${env.sender}.${brusselsToday()}.${sequence}.T.1`;
		const modification =
			'<?xml version="1.0" encoding="UTF-8"?>\n<DmfAUpdate><Quarter>20263</Quarter><NOSSRegistrationNbr>199999934</NOSSRegistrationNbr><CompanyID>0123456749</CompanyID><INSS>85073100123</INSS></DmfAUpdate>\n';
		await n8n.importWorkflow(
			exampleWorkflow(
				'submit-declaration.json',
				'SsBeE2eDmno',
				credentials().belgianSocialSecuritySftpApi,
				(nodes) => {
					const byName = (name: string) =>
						nodes.find((n) => n.name === name) as { parameters: Record<string, unknown> };
					const build = byName('Build Filenames').parameters;
					Object.assign(build, { application: 'DMWA', sequenceMode: 'fixed', sequence });
					const sample = byName('Sample declaration').parameters as {
						assignments: { assignments: Array<{ value: string }> };
					};
					sample.assignments.assignments[0].value = modification;
					byName('Give the server time to answer').parameters.amount = 5;
					byName('Poll Social Security Responses').parameters.options = {
						types: ['ACRF', 'NOTI', 'DMNO'],
					};
				},
			),
		);

		const run = await n8n.execute('SsBeE2eDmno');
		expect(run.error).toBeUndefined();
		const submitted = run.items('Submit to Social Security')[0].submission as { go: string };
		expect(submitted).toMatchObject({ status: 'submitted', go: `GO.${key}` });
		const ticket = env.simulator.processed.find((p) => p.name === submitted.go)?.ticket;

		const answers = run.items('Poll Social Security Responses');
		const dmno = answers.find((a) => (a.answer as { type?: string }).type === 'DMNO');
		expect(dmno?.answer).toMatchObject({
			type: 'DMNO',
			ticket,
			answersGo: submitted.go,
			answersGoBy: 'ticket',
			dmno: {
				identification: 'DMFANOT',
				ticket,
				declaration: {
					quarter: '20263',
					nossRegistrationNbr: '199999934',
					companyId: '0123456749',
					action: '7',
				},
				naturalPersons: [{ inss: '85073100123', action: '1' }],
				rectification: { debitAmount: '0' },
			},
		});
		// Poll put it beside the submission it is about.
		expect(dmno?.submission).toMatchObject({ go: submitted.go });
	});
});
