/**
 * The whole flow in real n8n, for each supported n8n version: the packed package installed as n8n
 * installs community packages, the example workflow run headless against the simulated social
 * security (real sshd + simulator that checks signatures with openssl), every node's output checked.
 *
 * N8N_E2E_VERSIONS=2.8.4 limits the versions (default: all of N8N_VERSIONS).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandboxEnvironment, SandboxEnvironment } from '../../sandbox/cli';
import { freeLoopbackPort, sandboxUnavailableReason } from '../../sandbox/sshdSandbox';
import { brusselsToday } from '../../nodes/domain/names/brusselsTime';
import {
	N8N_VERSIONS,
	N8nUserFolder,
	N8nVersion,
	PACKAGE_NAME,
	REPO,
	ensureN8n,
	exampleWorkflow,
	packPackage,
} from './harness';
import { cleanNpmEnvironment } from './communityPackageInstall';

jest.setTimeout(30 * 60_000);

const versions = (process.env.N8N_E2E_VERSIONS?.split(',').map((v) => v.trim()) ?? [
	...N8N_VERSIONS,
]) as N8nVersion[];
const reason = sandboxUnavailableReason();
if (reason) {
	if (process.env.CI === 'true') throw new Error(`CI=true but the sandbox cannot start: ${reason}`);
	console.warn(`Skipping the end-to-end tests: ${reason}`);
}
const describeE2e = reason ? describe.skip : describe;

let work: string;
let tarball: string;
beforeAll(() => {
	work = mkdtempSync(join(tmpdir(), 'ss-e2e-'));
	if (!reason) tarball = packPackage(work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describeE2e('the packed package', () => {
	it('holds in dist/ every node and credential its n8n block lists, and lists every one it holds', () => {
		const files = execFileSync('tar', ['-tzf', tarball])
			.toString()
			.trim()
			.split('\n')
			.map((f) => f.replace(/^package\//, ''));
		const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
			n8n: { nodes: string[]; credentials: string[] };
		};
		const listed = [...manifest.n8n.nodes, ...manifest.n8n.credentials].sort();
		const shipped = files.filter((f) => /\.(node|credentials)\.js$/.test(f)).sort();
		expect(shipped).toEqual(listed);
		// Every node and the credential point at the one pair of icons (gulpfile.js, test/unit/nodes/icons.test.ts).
		expect(files).toEqual(
			expect.arrayContaining([
				'dist/icons/socialsecurity.svg',
				'dist/icons/socialsecurity.dark.svg',
			]),
		);
		// Nothing but dist/ and the package's own metadata is shipped: no tests, no keys, no sources.
		expect(
			files.filter(
				(f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f),
			),
		).toEqual([]);
	});
	it('runs its key-pair command with npx from the tarball, as the README says', () => {
		const cwd = mkdtempSync(join(work, 'npx-'));
		const out = join(cwd, 'keys');
		// The README's command names the package; here the tarball stands in for the registry's copy.
		execFileSync(
			'npx',
			['--yes', '-p', tarball, 'socialsecurity-ssh-pair', '--bits', '2048', '--out', out],
			{ cwd, env: cleanNpmEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] },
		);
		expect(statSync(join(out, 'socialsecurity_rsa')).mode & 0o777).toBe(0o600);
		const fingerprint = execFileSync('ssh-keygen', [
			'-l',
			'-f',
			join(out, 'socialsecurity_rsa.pub'),
		])
			.toString()
			.trim();
		expect(fingerprint).toMatch(/^2048 SHA256:\S+ .*\(RSA\)$/);
	});
});

describeE2e.each(versions)('n8n %s', (version) => {
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

	const credential = () => ({ id: env.credential.id, name: env.credential.name });

	it('builds the names, signs, verifies, submits, and reads back the accepted ACRF joined to the submission; every item keeps the fields of the export', async () => {
		await n8n.importWorkflow(
			exampleWorkflow('submit-declaration.json', 'SsBeE2eAccepted', credential()),
		);
		const run = await n8n.execute('SsBeE2eAccepted');
		expect(run.error).toBeUndefined();

		// The export item: its own fields (set by the payroll software) and the declaration file.
		const [exported] = run.items('Payroll export');
		expect(exported).toEqual({
			employer: '0123456789',
			quarter: '20263',
			batchId: 'HR-2026-Q3-0042',
			hrReference: 'PAYROLL-7731',
		});

		// Each node keeps them unchanged and puts its result beside them under one key (docs/items.md).
		const [named] = run.items('Build Filenames');
		expect(Object.keys(named)).toEqual([...Object.keys(exported), 'names']);
		expect(named).toMatchObject(exported);
		const names = named.names as { go: string; set: Record<string, unknown> };
		const go = names.go;
		expect(go).toMatch(/^GO\.DMFA\.000123\.\d{8}\.[0-9A-Z]{5}\.T\.1$/);
		expect(names).toMatchObject({ uploadFolder: 'INTEST', responseFolder: 'OUTTEST' });
		expect(run.binaries('Build Filenames')[0]?.data).toMatchObject({
			fileName: `FI.${go.slice(3)}.1`,
		});

		const [signed] = run.items('Sign FI');
		expect(signed).toMatchObject({ ...exported, names });
		expect(signed.signature).toMatchObject({
			fi: `FI.${go.slice(3)}.1`,
			fs: `FS.${go.slice(3)}.1`,
			digestAlgorithm: 'sha256',
			layout: 'single-line',
		});
		expect(run.binaries('Sign FI')[0]?.signature).toMatchObject({
			fileName: `FS.${go.slice(3)}.1`,
		});
		const [checked] = run.items('Check the signature');
		expect(checked.verification).toMatchObject({ valid: true, digestAlgorithm: 'sha256' });

		const [submitted] = run.items('Submit to Social Security');
		expect(submitted).toMatchObject({
			...exported,
			names,
			signature: signed.signature,
			verification: checked.verification,
		});
		const submission = submitted.submission as Record<string, unknown>;
		expect(submission).toMatchObject({
			status: 'submitted',
			go,
			folder: 'INTEST',
			serverFingerprint: env.hostFingerprint,
			set: names.set,
		});
		expect((submission.files as Array<{ role: string }>).map((f) => f.role)).toEqual([
			'FI',
			'FS',
			'GO',
		]);

		// Poll joins the answer to the submission it answers: the export's fields are on the answer item.
		const answers = run.items('Poll Social Security Responses');
		const acrf = answers.find((a) => (a.answer as { answersGo?: string }).answersGo === go);
		expect(acrf).toMatchObject({
			...exported,
			names: { go },
			submission: { go, status: 'submitted' },
			answer: {
				type: 'ACRF',
				status: 'accepted',
				answersGo: go,
				final: true,
				errors: [],
				deletedFromServer: true,
			},
		});
		expect((acrf?.answer as { ticket: string }).ticket).toMatch(/^[0-9A-Z]{13}$/);
		const index = answers.indexOf(acrf as Record<string, unknown>);
		expect(run.binaries('Poll Social Security Responses')[index]?.data).toMatchObject({
			mimeType: 'application/xml',
		});
		const [summary] = run.items('Poll Social Security Responses', 1);
		expect(summary.summary).toMatchObject({ failed: 0, rejected: 0, inputsWithoutAnswer: [] });
		// The simulator (which checks the FS with openssl, not with our code) saw the same set.
		expect(env.simulator.processed.find((p) => p.name === go)).toMatchObject({
			accepted: true,
			errors: [],
		});
	});

	it('under "Continue (using error output)", a refused item goes to the error output with the fields of the export', async () => {
		const workflow = exampleWorkflow(
			'submit-declaration.json',
			'SsBeE2eErrorOutput',
			credential(),
			(nodes) => {
				const build = nodes.find((n) => n.name === 'Build Filenames') as {
					parameters: Record<string, unknown>;
					onError?: string;
				};
				build.parameters.sender = '12345';
				build.onError = 'continueErrorOutput';
			},
		);
		await n8n.importWorkflow(workflow);

		const run = await n8n.execute('SsBeE2eErrorOutput');
		expect(run.error).toBeUndefined();
		expect(run.items('Build Filenames', 0)).toEqual([]);
		const [refused] = run.items('Build Filenames', 1);
		expect(refused).toMatchObject({
			employer: '0123456789',
			batchId: 'HR-2026-Q3-0042',
			error: { code: 'NAME_INVALID', message: expect.stringMatching(/ACRF-108/) },
		});
		// The declaration file stays on the item, so it can be corrected and sent again.
		expect(run.binaries('Build Filenames', 1)[0]?.data).toMatchObject({
			fileName: 'payroll-export.xml',
		});
	});

	it('gets ACRF-125 back when the declaration changed after it was signed', async () => {
		const workflow = exampleWorkflow(
			'submit-declaration.json',
			'SsBeE2eTampered',
			credential(),
			(nodes) => {
				const submit = nodes.find((n) => n.name === 'Submit to Social Security') as {
					parameters: Record<string, unknown>;
				};
				submit.parameters = {
					operation: 'submit',
					filesFrom: 'properties',
					declarationProperties: 'data',
					signatureProperties: 'signature',
					options: {},
				};
			},
		) as { nodes: Array<Record<string, unknown>>; connections: Record<string, unknown> };
		// After signing, the line endings of the FI are changed (as Notepad would): the FS no longer matches.
		workflow.nodes.push({
			parameters: {
				operation: 'sign',
				binaryPropertyName: 'data',
				signaturePropertyName: 'discarded',
				signOptions: { convertToCrlf: true },
			},
			id: '5b0a3c0e-0001-4c4e-9d51-0000000000aa',
			name: 'Change line endings after signing',
			type: 'n8n-nodes-socialsecurity-be.signFi',
			typeVersion: 1,
			position: [1210, 200],
			credentials: { belgianSocialSecuritySftpApi: credential() },
		});
		workflow.connections['Check the signature'] = {
			main: [[{ node: 'Change line endings after signing', type: 'main', index: 0 }]],
		};
		workflow.connections['Change line endings after signing'] = {
			main: [[{ node: 'Submit to Social Security', type: 'main', index: 0 }]],
		};
		await n8n.importWorkflow(workflow);

		const run = await n8n.execute('SsBeE2eTampered');
		expect(run.error).toBeUndefined();
		const [submitted] = run.items('Submit to Social Security');
		const submission = submitted.submission as { status: string; go: string };
		expect(submission.status).toBe('submitted');
		const acrf = run
			.items('Poll Social Security Responses')
			.find((a) => (a.answer as { answersGo?: string }).answersGo === submission.go);
		expect(acrf).toMatchObject({
			batchId: 'HR-2026-Q3-0042',
			answer: { type: 'ACRF', status: 'rejected' },
		});
		const errors = (acrf?.answer as { errors: Array<{ code: string; meaning: string }> }).errors;
		expect(errors.map((e) => e.code)).toContain('ACRF-125');
		expect(errors[0].meaning).toMatch(/signature/i);
	});

	it('daily archive: writes every answer to disk, then deletes it; a failed write deletes nothing', async () => {
		const today = brusselsToday();
		const fixture = (name: string) => readFileSync(join(REPO, 'test', 'fixtures', 'answers', name));
		const put = (seq: string) => {
			const id = `ACRF.999999.${today}.${seq}.T`;
			env.sandbox.writeFile('OUTTEST', `FO.${id}`, fixture('acrf-rejected-3-errors.xml'));
			env.sandbox.writeFile('OUTTEST', `FS.${id}`, 'signature');
			env.sandbox.writeFile('OUTTEST', `GO.${id}`, '');
			return id;
		};
		const archive = join(n8n.folder, 'files', 'archive');
		const workflow = exampleWorkflow(
			'daily-archive.json',
			'SsBeE2eArchive',
			credential(),
			(nodes) => {
				const trigger = nodes.find((n) => n.name === 'Every day at 07:00') as unknown as Record<
					string,
					unknown
				>;
				Object.assign(trigger, {
					type: 'n8n-nodes-base.manualTrigger',
					typeVersion: 1,
					parameters: {},
				});
				const write = nodes.find((n) => n.name === 'Write the answer to the archive') as {
					parameters: Record<string, unknown>;
				};
				write.parameters.fileName = `=${archive}/{{ $binary.data.fileName }}`;
			},
		);
		await n8n.importWorkflow(workflow);

		// The folder does not exist: every write fails, and no answer may leave the server.
		const first = put('ZZ001');
		const failed = await n8n.execute('SsBeE2eArchive');
		expect(failed.error).toBeDefined();
		expect(readdirSync(env.sandbox.pathOf('OUTTEST'))).toEqual(
			expect.arrayContaining([`FO.${first}`, `GO.${first}`]),
		);

		mkdirSync(archive, { recursive: true });
		const second = put('ZZ002');
		const run = await n8n.execute('SsBeE2eArchive');
		expect(run.error).toBeUndefined();
		const deleted = run
			.items('Delete the archived answer from the server')
			.map((d) => d.deletion as { answerId: string; deletedFromServer: boolean });
		expect(deleted.map((d) => d.answerId)).toEqual(expect.arrayContaining([first, second]));
		expect(deleted.every((d) => d.deletedFromServer === true)).toBe(true);
		for (const id of [first, second]) {
			expect(
				readFileSync(join(archive, `FO.${id}.xml`)).equals(fixture('acrf-rejected-3-errors.xml')),
			).toBe(true);
			expect(readdirSync(env.sandbox.pathOf('OUTTEST')).filter((n) => n.includes(id))).toEqual([]);
		}
	});

	it("lists the five nodes and the credential, passes n8n's credential test through its REST API, and keeps both after a restart", async () => {
		const headers = { 'content-type': 'application/json', 'browser-id': 'e2e-browser' };
		const owner = { email: 'owner@example.test', password: 'E2e-Owner-Password-1' };
		const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
			n8n: { nodes: string[]; credentials: string[] };
		};
		// n8n names a community node type `<package>.<name of its class, first letter lower-case>`.
		const expectedNodes = manifest.n8n.nodes
			.map((file) => file.split('/').pop()!.replace('.node.js', ''))
			.map((name) => `${PACKAGE_NAME}.${name[0].toLowerCase()}${name.slice(1)}`)
			.sort();

		const check = async (base: string, cookie: string) => {
			// After a restart n8n rewrites its types files (<user folder>/.cache/n8n/public/types) while it
			// already serves the old ones: seen twice on 2.41.1, a body cut mid-write. Such a body is asked again.
			const get = async (path: string) => {
				for (let attempt = 1; ; attempt += 1) {
					const response = await fetch(`${base}${path}`, { headers: { ...headers, cookie } });
					expect(response.status).toBe(200);
					const body = await response.text();
					try {
						return JSON.parse(body) as Array<{ name: string }>;
					} catch {
						if (attempt >= 30) throw new Error(`${path} is not JSON: ${body.slice(0, 200)}`);
						await new Promise((r) => setTimeout(r, 1000));
					}
				}
			};
			const nodeTypes = await get('/types/nodes.json');
			const nodes = nodeTypes.map((t) => t.name);
			// Nodes usable as AI tools are listed a second time, as `<name>Tool`.
			const ours = nodes.filter((name) => name.startsWith(`${PACKAGE_NAME}.`));
			expect([...new Set(ours.map((name) => name.replace(/Tool$/, '')))].sort()).toEqual(
				expectedNodes,
			);
			const credentialTypes = await get('/types/credentials.json');
			const credentials = credentialTypes.map((t) => t.name);
			expect(credentials).toContain(env.credential.type);
			// The editor loads each icon from the URL n8n gives: all of ours are served, as SVG.
			const iconUrls = [
				...nodeTypes.filter((t) => ours.includes(t.name)),
				...credentialTypes.filter((t) => t.name === env.credential.type),
			].flatMap((t) => Object.values((t as { iconUrl?: Record<string, string> }).iconUrl ?? {}));
			expect(iconUrls.length).toBe(2 * (ours.length + 1));
			for (const url of new Set(iconUrls)) {
				const response = await fetch(`${base}/${url}`, { headers: { ...headers, cookie } });
				expect([url, response.status]).toEqual([url, 200]);
				expect(await response.text()).toContain('<svg');
			}

			const test = async (data: Record<string, unknown>) => {
				const response = await fetch(`${base}/rest/credentials/test`, {
					method: 'POST',
					headers: { ...headers, cookie },
					body: JSON.stringify({
						credentials: {
							id: env.credential.id,
							name: env.credential.name,
							type: env.credential.type,
							data,
						},
					}),
				});
				expect(response.status).toBe(200);
				return ((await response.json()) as { data: { status: string; message: string } }).data;
			};
			const ok = await test({ ...env.credential.data });
			expect(ok.status).toBe('OK');
			expect(ok.message).toContain('all six folders');
			expect(ok.message).toContain(env.hostFingerprint);
			return test;
		};
		const cookieOf = (response: Response) =>
			(response.headers.get('set-cookie') ?? '').split(';')[0];

		const port = await freeLoopbackPort();
		let started = await n8n.start(port);
		try {
			const setup = await fetch(`${started.base}/rest/owner/setup`, {
				method: 'POST',
				headers,
				body: JSON.stringify({ ...owner, firstName: 'Payroll', lastName: 'Office' }),
			});
			expect(setup.status).toBe(200);
			const test = await check(started.base, cookieOf(setup));
			const unpinned = await test({ ...env.credential.data, hostFingerprint: '' });
			expect(unpinned.status).toBe('Error');
			expect(unpinned.message).toContain(env.hostFingerprint);
			expect(unpinned.message).toMatch(/paste it/);
		} finally {
			await started.stop();
		}

		// A restart loads the package again from ~/.n8n/nodes, as after an n8n upgrade or a reboot.
		started = await n8n.start(port);
		try {
			const login = await fetch(`${started.base}/rest/login`, {
				method: 'POST',
				headers,
				body: JSON.stringify({ emailOrLdapLoginId: owner.email, password: owner.password }),
			});
			expect(login.status).toBe(200);
			await check(started.base, cookieOf(login));
		} finally {
			await started.stop();
		}
	});

	it("installed by n8n's steps, the package needs nothing but n8n: every file of dist/ loads", () => {
		const installed = join(n8n.folder, '.n8n', 'nodes', 'node_modules', PACKAGE_NAME);
		// No dependency was fetched: the libraries are bundled in dist/vendor (README, "Runtime dependencies").
		expect(readdirSync(installed).sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json']);
		const files = execFileSync('find', [join(installed, 'dist'), '-name', '*.js'])
			.toString()
			.trim()
			.split('\n');
		expect(files.length).toBeGreaterThan(50);
		// n8n-workflow, the one peer, comes from the n8n that loads us.
		const n8nModules = join(n8n.install.n8n, '..', '..', '..');
		const script = `for (const f of ${JSON.stringify(files)}) if (!f.endsWith('generate-key-pair.js')) require(f);`;
		execFileSync(n8n.install.node, ['-e', script], {
			env: { ...process.env, NODE_PATH: n8nModules },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
	});

	it('keeps every secret of the credential out of the run data and the n8n database in clear', () => {
		const data = env.credential.data;
		const secrets = [
			data.certificatePassword,
			data.privateKey.split('\n')[1],
			data.certificateP12.slice(40, 100),
		];
		for (const secret of secrets) {
			expect(secret.length).toBeGreaterThan(10);
			expect(n8n.filesContaining(secret)).toEqual([]);
		}
	});
});
