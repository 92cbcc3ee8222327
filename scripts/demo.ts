/**
 * `npm run demo`: the whole flow on this machine, end to end, in a real n8n.
 * Starts the simulated social security (a real sshd + simulator), installs this package into an isolated
 * n8n (2.8.4, which runs on this Node 20; installed once into a cache, with progress), runs the example
 * workflow headless, prints what happened, copies the files into ./demo-output, and stops all it started.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandboxEnvironment, SandboxEnvironment } from '../sandbox/cli';
import { sandboxUnavailableReason } from '../sandbox/sshdSandbox';
import {
	N8nUserFolder,
	REPO,
	WorkflowRun,
	ensureN8n,
	exampleWorkflow,
	packPackage,
} from '../test/e2e/harness';

const VERSION = '2.8.4';
const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (n: number, text: string) => say(`\n[${n}/6] ${text}`);

async function main(): Promise<number> {
	say(
		'[0/6] Checking the system programs the sandbox needs (sshd, openssl); installing what is missing...',
	);
	try {
		execFileSync('bash', [join(REPO, 'scripts', 'ensure-system-deps.sh'), 'demo'], {
			stdio: ['ignore', 'inherit', 'inherit'],
		});
	} catch {
		return 1; // The script said what to install.
	}
	const reason = sandboxUnavailableReason();
	if (reason) {
		say(`The demo needs the local SFTP sandbox, which cannot start here: ${reason}.`);
		say('Run it as root on Debian with openssh-server installed (apt-get install openssh-server).');
		return 1;
	}
	const work = mkdtempSync(join(tmpdir(), 'ss-demo-'));
	let env: SandboxEnvironment | undefined;
	let n8n: N8nUserFolder | undefined;
	try {
		step(
			1,
			`Getting n8n ${VERSION} (the first run installs it into a cache; this takes a few minutes)...`,
		);
		const install = ensureN8n(VERSION);
		say(`      n8n ${VERSION} ready.`);

		step(2, 'Building and packing this package...');
		const tarball = packPackage(work);
		say(`      ${tarball}`);

		step(
			3,
			'Starting the simulated social security (real OpenSSH sshd + answer simulator on 127.0.0.1)...',
		);
		env = await startSandboxEnvironment({ dir: join(work, 'sandbox'), logger: () => undefined });
		say(
			`      sftp://${env.username}@${env.host}:${env.port}  host key ${env.hostFingerprint}  sender ${env.sender}`,
		);

		step(
			4,
			'Installing the package into an isolated n8n user folder, as n8n installs community packages...',
		);
		n8n = new N8nUserFolder(install, join(work, 'n8n'));
		n8n.installPackage(tarball);
		await n8n.importCredentials([env.credential]);
		await n8n.importWorkflow(
			exampleWorkflow('submit-declaration.json', 'SsBeDemo', {
				id: env.credential.id,
				name: env.credential.name,
			}),
		);

		step(
			5,
			'Running the example workflow: export → Build Filenames → Sign FI → check → Submit → wait → Poll Responses...',
		);
		const run = await n8n.execute('SsBeDemo');
		if (run.error) {
			say(`      The workflow failed: ${run.error}`);
			return 1;
		}

		step(6, 'Result');
		return report(run, n8n, env);
	} finally {
		await env?.stop();
		rmSync(work, { recursive: true, force: true });
		say('\nEverything the demo started has been stopped.');
	}
}

function report(run: WorkflowRun, n8n: N8nUserFolder, env: SandboxEnvironment): number {
	// Each node keeps the item's fields and puts its result under one key (docs/items.md).
	const [submittedItem] = run.items('Submit to Social Security');
	const submitted = submittedItem.submission as Record<string, unknown>;
	const files = submitted.files as Array<{
		name: string;
		role: string;
		size: number;
		sha256: string;
	}>;
	say(`      Sent to ${String(submitted.folder)} (the test environment):`);
	for (const f of files)
		say(
			`        ${f.role}  ${f.name}  ${f.size} bytes${f.role === 'GO' ? '' : `  sha256 ${f.sha256.slice(0, 16)}…`}`,
		);
	const answers = run.items('Poll Social Security Responses');
	// Poll joined the ACRF to the submission item: it carries the export's fields beside `answer`.
	const acrfItem = answers.find(
		(a) => (a.answer as { answersGo?: string } | undefined)?.answersGo === submitted.go,
	);
	const acrf = acrfItem?.answer as Record<string, unknown> | undefined;
	if (!acrfItem || !acrf) {
		say('      No acknowledgement (ACRF) came back in time.');
		return 1;
	}
	const errors = (acrf.errors as Array<{ code: string; meaning: string }>) ?? [];
	say(
		`      Acknowledgement ${String(acrf.answerName)}: ${String(acrf.status).toUpperCase()}, ticket ${String(acrf.ticket)}`,
	);
	say(
		`      for export batch ${String(acrfItem.batchId)} of employer ${String(acrfItem.employer)} (fields the export item brought, kept by every node)`,
	);
	for (const e of errors) say(`        ${e.code}: ${e.meaning}`);

	const out = join(REPO, 'demo-output');
	rmSync(out, { recursive: true, force: true });
	mkdirSync(out);
	const saved: string[] = [];
	const keep = (node: string, property: string, index = 0) => {
		const binary = run.binaries(node)[index]?.[property] as
			| { id?: string; fileName?: string }
			| undefined;
		const path = binary?.id ? n8n.binaryPath(binary.id) : undefined;
		if (path && existsSync(path) && binary?.fileName) {
			copyFileSync(path, join(out, binary.fileName));
			saved.push(binary.fileName);
		}
	};
	keep('Sign FI', 'data');
	keep('Sign FI', 'signature');
	keep('Poll Social Security Responses', 'data', answers.indexOf(acrfItem));
	writeFileSync(join(out, 'submission.json'), `${JSON.stringify(submittedItem, null, 2)}\n`);
	writeFileSync(join(out, 'acrf.json'), `${JSON.stringify(acrfItem, null, 2)}\n`);
	say(`      Files kept in ${out}: ${[...saved, 'submission.json', 'acrf.json'].join(', ')}`);
	say(
		`      The simulator checked the signature with openssl against the registered certificate (${env.credential.name}).`,
	);
	return acrf.status === 'accepted' ? 0 : 1;
}

main().then(
	(code) => process.exit(code),
	(error: unknown) => {
		process.stderr.write(
			`The demo failed: ${error instanceof Error ? error.message : String(error)}\n`,
		);
		process.exit(1);
	},
);
