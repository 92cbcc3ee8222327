/**
 * `npm run dev`: this package in a real n8n (2.8.4) in your browser, against the local sandbox.
 *
 * Starts the simulated social security (sshd sandbox + simulator, files in .sandbox/), builds, packs and
 * installs this package into a persistent n8n user folder (.n8n-dev/), imports the sandbox credential and
 * every workflow of examples/ (their channel credential pointed at the sandbox one), starts `n8n start` on
 * 127.0.0.1:5678, creates the owner account with a fixed demo login, prints the URL, the login and the
 * sandbox, and runs until Ctrl+C; then it stops n8n and the sandbox.
 *
 * Re-running reuses .n8n-dev/: the package is re-installed (your last changes), the credential is
 * re-imported (the sandbox makes new keys on every start), and an example is re-imported only when its
 * file changed (or with --reimport), so what you change in the editor survives a restart.
 * Delete .n8n-dev/ to start from nothing.
 *
 * Options: --port N (n8n; default 5678), --sandbox-port N (default: a free one), --reimport, --help.
 * The login is for this local sandbox only: n8n listens on 127.0.0.1 and the owner is a fixed demo account.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { join, relative } from 'node:path';
import { SandboxEnvironment, startSandboxEnvironment } from '../sandbox/cli';
import { freeLoopbackPort, sandboxUnavailableReason } from '../sandbox/sshdSandbox';
import {
	N8nUserFolder,
	PACKAGE_NAME,
	REPO,
	StartedN8n,
	ensureN8n,
	packPackage,
} from '../test/e2e/harness';

const VERSION = '2.8.4';
const DEV_DIR = join(REPO, '.n8n-dev');
const SANDBOX_DIR = join(REPO, '.sandbox');
const EXAMPLES_DIR = join(REPO, 'examples');
/** Files the workflows may read and write (N8N_RESTRICT_FILE_ACCESS_TO). */
const FILES_DIR = join(DEV_DIR, 'files');
/** The folder n8n's Docker image lets workflows use (~/.n8n-files); examples that write there write into FILES_DIR here. */
const DOCKER_FILES_DIR = '/home/node/.n8n-files/';
const STATE_FILE = join(DEV_DIR, 'dev-state.json');
const LOCK_FILE = join(DEV_DIR, 'dev.pid');

/** For this local sandbox only (n8n listens on 127.0.0.1). */
export const DEMO_LOGIN = {
	email: 'payroll@example.test',
	password: 'Sandbox-Only-1',
	firstName: 'Payroll',
	lastName: 'Office',
};

const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (text: string) => say(`\n» ${text}`);

interface DevArguments {
	port: number;
	sandboxPort?: number;
	reimport: boolean;
	help: boolean;
}

const USAGE = `Usage: npm run dev -- [--port N] [--sandbox-port N] [--reimport]
  --port N          n8n listens on 127.0.0.1:N (default 5678)
  --sandbox-port N  the sandbox's SFTP server listens on 127.0.0.1:N (default: a free port)
  --reimport        import every example again, even unchanged ones (overwrites your edits to them)
Runs until Ctrl+C. Needs root (the sandbox's chroot). Delete .n8n-dev/ to start from nothing.`;

export function parseDevArguments(argv: string[]): DevArguments {
	const { values } = parseArgs({
		args: argv,
		options: {
			port: { type: 'string' },
			'sandbox-port': { type: 'string' },
			reimport: { type: 'boolean', default: false },
			help: { type: 'boolean', short: 'h', default: false },
		},
	});
	const port = (flag: string, v: string) => {
		if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535)
			throw new Error(`${flag} needs a port number, got "${v}"`);
		return Number(v);
	};
	return {
		port: values.port === undefined ? 5678 : port('--port', values.port),
		...(values['sandbox-port'] !== undefined
			? { sandboxPort: port('--sandbox-port', values['sandbox-port']) }
			: {}),
		reimport: values.reimport,
		help: values.help,
	};
}

async function main(): Promise<number> {
	let args: DevArguments;
	try {
		args = parseDevArguments(process.argv.slice(2));
	} catch (error) {
		process.stderr.write(`${messageOf(error)}\n${USAGE}\n`);
		return 2;
	}
	if (args.help) {
		say(USAGE);
		return 0;
	}
	const reason = sandboxUnavailableReason();
	if (reason) {
		say(`npm run dev needs the local SFTP sandbox, which cannot start here: ${reason}.`);
		say('Run it as root on Debian with openssh-server installed (apt-get install openssh-server).');
		return 1;
	}
	mkdirSync(DEV_DIR, { recursive: true });
	const other = runningInstance();
	if (other) {
		say(
			`npm run dev is already running (process ${other}) with ${relative(REPO, DEV_DIR)}/. Stop it first (Ctrl+C in its terminal).`,
		);
		return 1;
	}
	await assertPortFree(args.port);
	writeFileSync(LOCK_FILE, `${process.pid}\n`);

	let env: SandboxEnvironment | undefined;
	let started: StartedN8n | undefined;
	// Stops whatever exists now; called again after a set-up step that was under way when Ctrl+C came.
	const stopAll = async () => {
		const [n8nToStop, sandboxToStop] = [started, env];
		started = undefined;
		env = undefined;
		if (n8nToStop) {
			say('Stopping n8n...');
			await n8nToStop.stop();
		}
		if (sandboxToStop) {
			say('Stopping the sandbox...');
			await sandboxToStop.stop();
		}
	};

	// Ctrl+C (or SIGTERM) ends the run, also during the set-up; a second one does not wait.
	let interrupted = false;
	let resolveInterrupted: (signal: NodeJS.Signals) => void = () => undefined;
	const interruption = new Promise<NodeJS.Signals>((r) => (resolveInterrupted = r));
	const onSignal = (signal: NodeJS.Signals) => {
		if (interrupted) {
			say(`${signal} again: exiting without waiting (n8n or the sandbox may still be stopping).`);
			rmSync(LOCK_FILE, { force: true });
			process.exit(130);
		}
		interrupted = true;
		say(`\n${signal}: stopping everything npm run dev started...`);
		resolveInterrupted(signal);
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);

	const setUp = async (): Promise<void> => {
		step(
			`Getting n8n ${VERSION} (the first run installs it into a cache; this takes a few minutes)...`,
		);
		const install = ensureN8n(VERSION);
		if (interrupted) return;

		step('Building and packing this package...');
		const packDir = join(DEV_DIR, 'package');
		rmSync(packDir, { recursive: true, force: true });
		mkdirSync(packDir, { recursive: true });
		const tarball = packPackage(packDir);
		if (interrupted) return;

		step(`Installing it into ${relative(REPO, DEV_DIR)}/ as n8n installs community packages...`);
		mkdirSync(FILES_DIR, { recursive: true });
		// The harness hands this process's environment on to n8n; these are for the dev instance only.
		process.env.N8N_RESTRICT_FILE_ACCESS_TO = FILES_DIR;
		process.env.GENERIC_TIMEZONE ??= 'Europe/Brussels';
		process.env.N8N_LOG_OUTPUT = 'console,file';
		process.env.N8N_LOG_FILE_LOCATION = join(DEV_DIR, 'n8n.log');
		// n8n's task broker would take 5679, which another n8n on this machine may hold.
		process.env.N8N_RUNNERS_BROKER_PORT = String(await freeLoopbackPort());
		const n8n = new N8nUserFolder(install, DEV_DIR);
		installFresh(n8n, tarball);
		if (interrupted) return;

		step(
			'Starting the simulated social security (real OpenSSH sshd + answer simulator on 127.0.0.1)...',
		);
		env = await startSandboxEnvironment({
			dir: SANDBOX_DIR,
			port: args.sandboxPort,
			logger: (line) => say(`  ${line}`),
		});
		if (interrupted) return;

		step('Importing the sandbox credential and the examples...');
		await n8n.importCredentials([env.credential]);
		say(`  credential "${env.credential.name}" (${env.credential.id}), with this run's keys`);
		await importExamples(n8n, { id: env.credential.id, name: env.credential.name }, args.reimport);
		if (interrupted) return;

		step(`Starting n8n on http://127.0.0.1:${args.port} ...`);
		started = await n8n.start(args.port);
		const login = await ensureOwner(started.base);
		if (interrupted) return;
		printReady(started.base, env, login);
		followOutput(started);
		watchHealth(started.base, () => {
			say('\nn8n stopped answering (see .n8n-dev/n8n.log); stopping everything.');
			process.kill(process.pid, 'SIGTERM');
		});
	};

	let code = 0;
	try {
		await setUp();
		if (!interrupted) await interruption;
	} catch (error) {
		if (!interrupted) {
			process.stderr.write(`\nnpm run dev failed: ${messageOf(error)}\n`);
			code = 1;
		}
	}
	try {
		await stopAll();
	} catch (error) {
		process.stderr.write(`Could not stop cleanly: ${messageOf(error)}\n`);
		code = 1;
	} finally {
		rmSync(LOCK_FILE, { force: true });
	}
	say('Everything npm run dev started has been stopped.');
	return code;
}

/**
 * Installs the tarball, and checks that n8n will load exactly what was just built: npm may keep an
 * installed package of the same name and version, so the installed dist/ is compared with ours.
 */
function installFresh(n8n: N8nUserFolder, tarball: string): void {
	const installed = join(n8n.folder, '.n8n', 'nodes', 'node_modules', PACKAGE_NAME);
	n8n.installPackage(tarball);
	if (treeHash(join(installed, 'dist')) === treeHash(join(REPO, 'dist'))) return;
	say('  npm kept the previous install; installing again from scratch...');
	rmSync(installed, { recursive: true, force: true });
	rmSync(join(n8n.folder, '.n8n', 'nodes', 'package-lock.json'), { force: true });
	n8n.installPackage(tarball);
	if (treeHash(join(installed, 'dist')) !== treeHash(join(REPO, 'dist'))) {
		throw new Error(`the package installed in ${installed} is not the one just built`);
	}
}

function treeHash(dir: string): string {
	const hash = createHash('sha256');
	if (!existsSync(dir)) return 'missing';
	const walk = (path: string) => {
		for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) =>
			a.name.localeCompare(b.name),
		)) {
			const full = join(path, entry.name);
			if (entry.isDirectory()) walk(full);
			else if (entry.isFile())
				hash.update(relative(dir, full)).update('\0').update(readFileSync(full));
		}
	};
	walk(dir);
	return hash.digest('hex');
}

interface DevState {
	/** sha256 of each example as last imported, by file name. */
	examples: Record<string, string>;
}

async function importExamples(
	n8n: N8nUserFolder,
	credential: { id: string; name: string },
	force: boolean,
): Promise<void> {
	const state: DevState = existsSync(STATE_FILE)
		? (JSON.parse(readFileSync(STATE_FILE, 'utf8')) as DevState)
		: { examples: {} };
	// A user folder without a database (first run, or deleted by hand) has none of the examples.
	const fresh = !existsSync(join(n8n.folder, '.n8n', 'database.sqlite'));
	for (const file of readdirSync(EXAMPLES_DIR)
		.filter((f) => f.endsWith('.json'))
		.sort()) {
		const text = readFileSync(join(EXAMPLES_DIR, file), 'utf8');
		const workflow = forThisMachine(JSON.parse(text) as ExampleWorkflow, credential);
		const hash = createHash('sha256').update(JSON.stringify(workflow)).digest('hex');
		if (!force && !fresh && state.examples[file] === hash) {
			say(`  ${file}: unchanged, kept as it is in n8n (--reimport to overwrite)`);
			continue;
		}
		await n8n.importWorkflow(workflow);
		state.examples[file] = hash;
		say(`  ${file}: imported as "${workflow.name}" (${workflow.id})`);
	}
	writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
	// The harness leaves the last imported workflow there.
	rmSync(join(n8n.folder, 'workflow.json'), { force: true });
}

interface ExampleWorkflow {
	id: string;
	name: string;
	nodes: Array<{
		name: string;
		type: string;
		parameters: Record<string, unknown>;
		credentials?: Record<string, { id: string; name: string }>;
	}>;
}

/** Channel credentials → the sandbox one; files under the Docker image's ~/.n8n-files → .n8n-dev/files. */
function forThisMachine(
	workflow: ExampleWorkflow,
	credential: { id: string; name: string },
): ExampleWorkflow {
	if (!workflow.id) throw new Error(`an example has no fixed "id": ${workflow.name}`);
	for (const node of workflow.nodes) {
		if (node.credentials?.belgianSocialSecuritySftpApi)
			node.credentials.belgianSocialSecuritySftpApi = { ...credential };
		const fileName = node.parameters.fileName;
		if (
			node.type === 'n8n-nodes-base.readWriteFile' &&
			typeof fileName === 'string' &&
			fileName.includes(DOCKER_FILES_DIR)
		) {
			const local = fileName.split(DOCKER_FILES_DIR).join(`${FILES_DIR}/`);
			node.parameters.fileName = local;
			// n8n's Write node does not create folders.
			const folder = /^=?(.*)\/[^/]*$/.exec(local)?.[1];
			if (folder && !folder.includes('{{')) mkdirSync(folder, { recursive: true });
		}
	}
	return workflow;
}

/** Creates the owner with the demo login, or checks that the demo login still works on an existing one. */
async function ensureOwner(base: string): Promise<{ created: boolean; works: boolean }> {
	const headers = { 'content-type': 'application/json', 'browser-id': 'npm-run-dev' };
	const setup = await fetch(`${base}/rest/owner/setup`, {
		method: 'POST',
		headers,
		body: JSON.stringify(DEMO_LOGIN),
	});
	if (setup.ok) return { created: true, works: true };
	const body = await setup.text();
	if (setup.status !== 400 || !/already/i.test(body))
		throw new Error(`n8n refused to create the owner (${setup.status}): ${body.slice(0, 300)}`);
	const login = await fetch(`${base}/rest/login`, {
		method: 'POST',
		headers,
		body: JSON.stringify({ emailOrLdapLoginId: DEMO_LOGIN.email, password: DEMO_LOGIN.password }),
	});
	return { created: false, works: login.ok };
}

function printReady(
	base: string,
	env: SandboxEnvironment,
	login: { created: boolean; works: boolean },
): void {
	const row = (label: string, value: string) => say(`  ${label.padEnd(22)}${value}`);
	say('');
	say('─'.repeat(78));
	say(`n8n ${VERSION} with ${PACKAGE_NAME} is running. Stop everything with Ctrl+C.`);
	say('');
	row('Open', `${base}/workflow/SsBeSubmitDeclaration`);
	if (login.works) {
		row('Email', DEMO_LOGIN.email);
		row('Password', `${DEMO_LOGIN.password}   (a demo login for this local sandbox only)`);
	} else {
		row(
			'Login',
			`the owner of ${relative(REPO, DEV_DIR)}/ has another password now (delete the folder to reset it)`,
		);
	}
	say('');
	say('The sandbox (a simulated Belgian social security):');
	row('SFTP', `sftp://${env.username}@${env.host}:${env.port}`);
	row('Sender number', env.sender);
	row('Host key', env.hostFingerprint);
	row('Credential in n8n', `"${env.credential.name}" (already filled in)`);
	row('Folders', `${env.root}/{IN,INTEST,INTEST-S,OUT,OUTTEST,OUTTEST-S}`);
	row('Keys and certificate', `${relative(REPO, env.dir)}/ (environment.json lists them)`);
	say('');
	row('Workflows may use', `${relative(REPO, FILES_DIR)}/ (the daily archive writes there)`);
	row('n8n log', `${relative(REPO, join(DEV_DIR, 'n8n.log'))}`);
	say(
		'The simulator answers an upload within seconds; run "Social security: sign and submit a declaration".',
	);
	say('─'.repeat(78));
}

/** Echoes what n8n prints, as it comes. */
function followOutput(started: StartedN8n): void {
	let seen = started.output().length;
	const timer = setInterval(() => {
		const text = started.output();
		if (text.length <= seen) return;
		const fresh = text.slice(seen);
		const end = fresh.lastIndexOf('\n');
		if (end < 0) return;
		for (const line of fresh.slice(0, end).split('\n')) if (line.trim()) say(`  [n8n] ${line}`);
		seen += end + 1;
	}, 500);
	timer.unref();
}

/** Calls `gone` when n8n has not answered /healthz for about 30 seconds. */
function watchHealth(base: string, gone: () => void): void {
	let failures = 0;
	const timer = setInterval(async () => {
		try {
			const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
			failures = response.ok ? 0 : failures + 1;
		} catch {
			failures++;
		}
		if (failures >= 3) {
			clearInterval(timer);
			gone();
		}
	}, 10_000);
	timer.unref();
}

function runningInstance(): number | undefined {
	if (!existsSync(LOCK_FILE)) return undefined;
	const pid = Number(readFileSync(LOCK_FILE, 'utf8').trim());
	if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
	try {
		process.kill(pid, 0);
		return pid;
	} catch {
		return undefined;
	}
}

async function assertPortFree(port: number): Promise<void> {
	const server = createServer();
	try {
		await new Promise<void>((resolvePromise, reject) => {
			server.once('error', reject);
			server.listen(port, '127.0.0.1', () => resolvePromise());
		});
	} catch (error) {
		throw new Error(
			`port ${port} on 127.0.0.1 is in use (another n8n?); choose another with --port: ${messageOf(error)}`,
		);
	}
	server.close();
	await once(server, 'close');
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

if (require.main === module) {
	main().then(
		(code) => process.exit(code),
		(error: unknown) => {
			process.stderr.write(`npm run dev failed: ${messageOf(error)}\n`);
			process.exit(1);
		},
	);
}
