/**
 * "Validate Before Sending" against the real sandbox: a real sshd on loopback, the simulator checking
 * each FI against the official XSDs with Debian's xmllint (declarationSchemaDir), the Submit node run
 * with n8n stubbed (test/helpers/n8nStub.ts). An invalid DmfA and an invalid Dimona are refused before
 * connecting — the sshd log shows no login and nothing reaches INTEST — while a valid one is sent and
 * accepted, and the same invalid DmfA sent unchecked comes back as ACRF-312, the code the check avoids.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { SubmitToSocialSecurity } from '../../nodes/SubmitToSocialSecurity/SubmitToSocialSecurity.node';
import { brusselsToday } from '../../nodes/domain/names/brusselsTime';
import { startSimulator, type Simulator } from '../../sandbox/simulator';
import type { SshdSandbox } from '../../sandbox/sshdSandbox';
import { invalidDimona, smallDmfa, validDimona } from '../helpers/declarations';
import {
	BinaryStore,
	CREDENTIAL_TYPE,
	executeFunctions,
	makeTestCredential,
	type TestCredential,
} from '../helpers/n8nStub';
import { officialXsdUnavailable, XSD_DIR } from '../helpers/officialXsd';
import { describeWithSshd, startSandboxFor } from '../helpers/sandbox';

const xsdMissing = officialXsdUnavailable();
if (xsdMissing) console.warn(`validation before sending (integration) skipped: ${xsdMissing}`);
const describeIf = xsdMissing ? describe.skip : describeWithSshd;

const today = brusselsToday();
const SENDER = '101380';
let sequence = 0;
const nextSet = (application: string) =>
	`${application}.${SENDER}.${today}.V${String(++sequence).padStart(4, '0')}.T.1`;

describeIf('Validate Before Sending, against a real sshd and the simulator', () => {
	let sandbox: SshdSandbox;
	let simulator: Simulator;
	let credential: TestCredential;
	const description = new SubmitToSocialSecurity().description;

	beforeAll(async () => {
		credential = makeTestCredential({ sender: SENDER });
		sandbox = await startSandboxFor(credential);
		simulator = await startSimulator({
			sandbox,
			registeredCertificatePem: readFileSync(credential.certificatePem, 'utf8'),
			sender: SENDER,
			pollIntervalMs: 50,
			notiDelayMs: -1,
			declarationSchemaDir: XSD_DIR,
		});
	}, 60_000);
	afterAll(async () => {
		await simulator?.stop();
		await sandbox?.stop();
		credential?.cleanup();
	});

	const logins = () =>
		sandbox
			.log()
			.split('\n')
			.filter((l) => l.includes('Accepted publickey')).length;
	const onServer = (set: string) =>
		['INTEST', 'OUTTEST'].flatMap((f) =>
			readdirSync(sandbox.pathOf(f)).filter((n) => n.includes(set)),
		);

	async function submit(
		set: string,
		xml: string,
		validate: boolean,
	): Promise<INodeExecutionData[]> {
		const store = new BinaryStore();
		const stub = executeFunctions({
			description,
			params: {
				operation: 'submit',
				options: {
					signWhenMissing: true,
					validateBeforeSending: validate ? 'always' : 'off',
					xsdLocation: XSD_DIR,
				},
			},
			items: [
				{ json: {}, binary: { data: store.filesystem(xml, `FI.${set}.1`, 'application/xml') } },
			],
			store,
			credentials: { [CREDENTIAL_TYPE]: credential.data },
		});
		const [output] = await new SubmitToSocialSecurity().execute.call(stub.ctx);
		return output;
	}

	async function refused(set: string, xml: string): Promise<NodeOperationError> {
		const before = logins();
		const error = await submit(set, xml, true).then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		// Nothing reached the server: no login at all, no file of the set, no answer.
		expect(logins()).toBe(before);
		expect(onServer(set)).toEqual([]);
		expect(simulator.processed.filter((p) => p.name.includes(set))).toEqual([]);
		return error as NodeOperationError;
	}

	it('refuses an invalid DmfA before connecting, with line, element and rule', async () => {
		const set = nextSet('DMFA');
		const error = await refused(set, smallDmfa(3, 3));
		expect(error.message).toMatch(
			/^Not sent: FI\.DMFA\.\S+ would be refused \(ACRF-312 or ACRF-255, not valid against its XML schema\): line \d+, element Border, rule maxInclusive: /,
		);
	});

	it('refuses an invalid Dimona before connecting, with line, element and rule', async () => {
		const set = nextSet('DIMN');
		const error = await refused(set, invalidDimona());
		expect(error.message).toContain('line 10, element DimonaPeriodId, rule type (local)');
	});

	it('sends a valid DmfA and a valid Dimona, which the server accepts', async () => {
		for (const [set, xml] of [
			[nextSet('DMFA'), smallDmfa(3)],
			[nextSet('DIMN'), validDimona()],
		]) {
			const before = logins();
			const [item] = await submit(set, xml, true);
			const submission = item.json.submission as IDataObject;
			expect(submission).toMatchObject({ status: 'submitted', go: `GO.${set}` });
			expect(submission.validation).toEqual([expect.objectContaining({ valid: true })]);
			expect(logins()).toBe(before + 1);
			const acrf = await simulator.waitForAnswer(`GO.${set}`, 'ACRF', 15_000);
			expect({ resultCode: acrf.resultCode, errors: acrf.errors }).toEqual({
				resultCode: 1,
				errors: [],
			});
		}
	});

	it('without the check, the same invalid DmfA is sent and refused by the server with ACRF-312', async () => {
		const set = nextSet('DMFA');
		await submit(set, smallDmfa(3, 3), false);
		const acrf = await simulator.waitForAnswer(`GO.${set}`, 'ACRF', 15_000);
		expect({ resultCode: acrf.resultCode, errors: acrf.errors }).toEqual({
			resultCode: 0,
			errors: ['ACRF-312'],
		});
	});
});
