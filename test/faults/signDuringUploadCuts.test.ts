/**
 * A 2-part set without FS, signed while it uploads (Submit's "Sign Missing Signatures", issue 15 part 3:
 * nodes/domain/submission/signDuringUpload.ts), with the connection cut during each FI ("kill": the sshd
 * session is SIGKILLed; "stall": it is frozen until the operation timeout, then thawed). For every cut:
 * no FS is made and no FS or GO is on the server, the error says what reached it, and a retry with
 * `resume: true` signs the FI again from its upload and completes the set, GO last, with FS that verify.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { brusselsToday } from '../../nodes/domain/names/brusselsTime';
import { verifyDetached } from '../../nodes/domain/signing/cmsSignature';
import { decodeSignatureFile } from '../../nodes/domain/signing/signatureLayout';
import {
	loadSigningIdentity,
	signDeclarationDigest,
} from '../../nodes/domain/signing/declarationSigner';
import { planSubmission, type SetFile } from '../../nodes/domain/submission/declarationSet';
import { signDuringUpload } from '../../nodes/domain/submission/signDuringUpload';
import { SubmissionFailedError, submitPlannedSet } from '../../nodes/domain/submission/uploadSet';
import { makeTestCredential, type TestCredential } from '../helpers/n8nStub';
import { describeWithSshd } from '../helpers/sandbox';
import { Ledger } from './helpers/ledger';
import { onDisk, setContent, setFiles, type SetContent } from './helpers/sets';
import { expectDomainError, expectNoSessions, settle, useSandbox } from './helpers/world';

jest.setTimeout(60_000);
// A loaded machine can leave a healthy upload silent for over a second: the cuts, not the load, must fail it.

const ledger = new Ledger('signDuringUploadCuts');
const FOLDER = 'INTEST';
const today = brusselsToday();
const FI = [3 * 1024 * 1024 + 5, 2 * 1024 * 1024 + 3].map((size) => randomBytes(size));

type Mode = 'kill' | 'stall';

describeWithSshd('Signing a set while it uploads, with the connection cut during an FI', () => {
	const world = useSandbox({}, { operationTimeoutMs: 3000 });
	let credential: TestCredential;
	let scenario = 0;
	beforeAll(() => {
		credential = makeTestCredential();
	});
	afterAll(() => {
		credential?.cleanup();
		ledger.report();
	});

	/** The FI of the set, each wrapped to be signed from its upload, and the FS made from them. */
	function signedWhileSent(fi: SetFile[]) {
		const identity = loadSigningIdentity(
			credential.data.certificateP12 as string,
			credential.data.certificatePassword as string,
		);
		const pairs = fi.map((file) =>
			signDuringUpload(file, `FS.${file.name.slice(3)}`, 'sha256', (digest, size) =>
				signDeclarationDigest(digest, size, file.name, identity),
			),
		);
		return {
			fi: pairs.map((p) => p.declaration),
			fs: pairs.map((p) => p.signature),
			made: () => pairs.map((p) => p.made()),
		};
	}

	async function verifies(set: SetContent, part: number) {
		const read = (kind: string) =>
			readFileSync(world.sandbox.pathOf(FOLDER, `${kind}.${set.base}.${part}`));
		const fi = read('FI');
		const result = await verifyDetached(decodeSignatureFile(read('FS')), fi);
		return result.valid && fi.equals(set.fi[part - 1]);
	}

	const scenarios = [1, 2].flatMap((part) =>
		(['kill', 'stall'] as Mode[]).map(
			(mode) => [`during FI ${part} (${mode})`, part, mode] as const,
		),
	);

	it.each(scenarios)(
		'%s: no FS made, no FS and no GO on the server; a resume signs and completes the set',
		async (label, part, mode) => {
			const { sandbox } = world;
			scenario += 1;
			const set = setContent(
				`DMFA.000123.${today}.G${mode === 'kill' ? 'K' : 'S'}${String(scenario).padStart(3, '0')}.T.2`,
				FI,
				[],
			);
			let fired = false;
			const fire = () => {
				if (fired) return;
				fired = true;
				ledger.add('faultsInjected');
				if (mode === 'kill') sandbox.killSessions();
				else sandbox.freezeSessions();
			};
			const cut = setFiles(set, sandbox, FOLDER, { during: { role: 'FI', part, fire } });
			const signing = signedWhileSent(cut.fi);

			const channel = await world.open();
			const attempt = await settle(
				submitPlannedSet(channel, planSubmission(signing.fi, signing.fs)),
				15_000,
				ledger,
				`${label}: first attempt`,
			);
			expect(fired).toBe(true);
			expect(attempt.hung).toBe(false);
			expect(attempt.value).toBeUndefined();
			const failure = expectDomainError(attempt.error, ledger, label) as SubmissionFailedError;
			expect(failure).toBeInstanceOf(SubmissionFailedError);
			expect(failure.message).toMatch(/No GO was sent/);
			// The FS is made only from an FI that is on the server complete: none was made.
			expect(signing.made()).toEqual([undefined, undefined]);
			if (mode === 'stall') sandbox.thawSessions();
			expect((await settle(channel.close(), 5000, ledger, `${label}: close`)).hung).toBe(false);
			await expectNoSessions(sandbox, ledger, label);
			const afterCut = onDisk(sandbox, FOLDER, set);
			expect([...afterCut.keys()].filter((n) => !n.startsWith('FI.'))).toEqual([]);
			expect(failure.reached.every((r) => r.startsWith('FI.'))).toBe(true);

			// Resume: the FI already there are compared (and signed from that reading), the rest sent.
			const retrySigning = signedWhileSent(setFiles(set, sandbox, FOLDER).fi);
			const retryChannel = await world.open({ operationTimeoutMs: 10_000 });
			const retry = await settle(
				submitPlannedSet(retryChannel, planSubmission(retrySigning.fi, retrySigning.fs), {
					resume: true,
				}),
				30_000,
				ledger,
				`${label}: resume`,
			);
			await retryChannel.close();
			expect(retry.error).toBeUndefined();
			expect(retry.value?.files.map((f) => f.name)).toEqual([
				`FI.${set.base}.1`,
				`FI.${set.base}.2`,
				`FS.${set.base}.1`,
				`FS.${set.base}.2`,
				set.go,
			]);
			const final = onDisk(sandbox, FOLDER, set);
			expect(final.has(set.go)).toBe(true);
			expect(await verifies(set, 1)).toBe(true);
			expect(await verifies(set, 2)).toBe(true);
		},
	);
});
