/**
 * "Sign Missing Signatures" in one pass (issue 15 part 3), against a real sshd and the simulator: the
 * Submit node (n8n stubbed, test/helpers/n8nStub.ts) uploads each FI once, makes its FS from the digest
 * of that upload and sends it after the FIs, then the GO. The files on the server verify with the real
 * `openssl cms -verify`, and the simulator, which checks every FS against the registered certificate
 * with openssl too, accepts the set.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IDataObject } from 'n8n-workflow';
import { SubmitToSocialSecurity } from '../../../nodes/SubmitToSocialSecurity/SubmitToSocialSecurity.node';
import { brusselsToday } from '../../../nodes/domain/names/brusselsTime';
import { startSimulator, type Simulator } from '../../../sandbox/simulator';
import type { SshdSandbox } from '../../../sandbox/sshdSandbox';
import {
	BinaryStore,
	CREDENTIAL_TYPE,
	executeFunctions,
	makeTestCredential,
	type TestCredential,
} from '../../helpers/n8nStub';
import { describeWithSshd, startSandboxFor } from '../../helpers/sandbox';

const today = brusselsToday();
const opensslOk = (dir: string, args: string[]) => {
	const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
	return { ok: result.status === 0, stderr: result.stderr };
};
const SENDER = '101380';
let sequence = 0;
const nextSet = (parts: number) =>
	`DMFA.${SENDER}.${today}.U${String(++sequence).padStart(4, '0')}.T.${parts}`;

describeWithSshd('Submit signs each FI while it uploads it (real sshd, simulator)', () => {
	let sandbox: SshdSandbox;
	let simulator: Simulator | undefined;
	let credential: TestCredential;
	const description = new SubmitToSocialSecurity().description;

	beforeAll(async () => {
		credential = makeTestCredential({ sender: SENDER });
		sandbox = await startSandboxFor(credential);
	}, 60_000);
	afterAll(async () => {
		await simulator?.stop();
		await sandbox?.stop();
		credential?.cleanup();
	});

	async function submitUnsigned(set: string, contents: Buffer[], digest: 'sha256' | 'sha1') {
		const store = new BinaryStore();
		// Chunks of 64 KiB: the upload crosses many chunk boundaries.
		store.maxChunkSize = 64 * 1024;
		const binary = Object.fromEntries(
			contents.map((c, i) => [`part${i + 1}`, store.filesystem(c, `FI.${set}.${i + 1}`)]),
		);
		const stub = executeFunctions({
			description,
			params: { operation: 'submit', options: { signWhenMissing: true, signatureDigest: digest } },
			items: [{ json: {}, binary }],
			store,
			credentials: { [CREDENTIAL_TYPE]: credential.data },
		});
		const [[item]] = await new SubmitToSocialSecurity().execute.call(stub.ctx);
		return { submission: item.json.submission as IDataObject, store, binary };
	}

	const inTest = (set: string) =>
		readdirSync(sandbox.pathOf('INTEST'))
			.filter((n) => n.includes(set))
			.map((n) => ({ n, t: statSync(sandbox.pathOf('INTEST', n), { bigint: true }).mtimeNs }))
			.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0))
			.map((e) => e.n);

	it.each(['sha256', 'sha1'] as const)(
		'sends FI, FI, FS, FS, GO with FS made from the uploads (%s); openssl verifies them and the simulator accepts the set',
		async (digest) => {
			const set = nextSet(2);
			const contents = [randomBytes(3 * 1024 * 1024 + 17), randomBytes(700_001)];
			const { submission, store, binary } = await submitUnsigned(set, contents, digest);

			expect(submission.status).toBe('submitted');
			// Each FI was opened once: for its upload; no reading of its own to sign it.
			expect(store.streamed).toEqual([binary.part1.id, binary.part2.id]);
			expect(submission.signaturesMade).toEqual(
				contents.map((c, i) => ({
					name: `FS.${set}.${i + 1}`,
					digest: createHash(digest).update(c).digest('hex'),
					signer: expect.stringMatching(/CN=Test Signer/),
				})),
			);
			// The simulator is not running yet: the set is on the server as sent, in the order it was written.
			expect(inTest(set)).toEqual([
				`FI.${set}.1`,
				`FI.${set}.2`,
				`FS.${set}.1`,
				`FS.${set}.2`,
				`GO.${set}`,
			]);
			for (const part of [1, 2]) {
				const fs = readFileSync(sandbox.pathOf('INTEST', `FS.${set}.${part}`));
				writeFileSync(join(credential.dir, 'upload.fs.der'), Buffer.from(fs.toString(), 'base64'));
				writeFileSync(
					join(credential.dir, 'upload.fi'),
					readFileSync(sandbox.pathOf('INTEST', `FI.${set}.${part}`)),
				);
				const verified = opensslOk(credential.dir, [
					...['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'upload.fs.der'],
					...['-content', 'upload.fi', '-CAfile', credential.certificatePem],
					...['-purpose', 'any', '-out', '/dev/null'],
				]);
				expect(verified).toEqual({
					ok: true,
					stderr: expect.stringMatching(/Verification successful/),
				});
			}

			simulator ??= await startSimulator({
				sandbox,
				registeredCertificatePem: readFileSync(credential.certificatePem, 'utf8'),
				sender: SENDER,
				pollIntervalMs: 50,
				notiDelayMs: -1,
			});
			const acrf = await simulator.waitForAnswer(`GO.${set}`, 'ACRF', 15_000);
			expect({ resultCode: acrf.resultCode, errors: acrf.errors }).toEqual({
				resultCode: 1,
				errors: [],
			});
			await simulator.stop();
			simulator = undefined;
		},
		60_000,
	);
});
