/**
 * `npm run sandbox`: a local Belgian social security to try the nodes against, with no real account.
 *
 * Starts the chrooted sshd sandbox (sandbox/sshdSandbox.ts) and the simulator (sandbox/simulator.ts),
 * and makes, at run time (nothing is committed), everything a channel needs:
 *   id_rsa / id_rsa.pub          an RSA 3072 SSH key pair (OpenSSH format) allowed to log in;
 *   signing-cert.pem / -key.pem  a self-signed signing certificate, registered with the simulator;
 *   signing.p12 / signing.p12.b64  the same as PKCS#12 (and its base64), with a random password;
 *   credential.json              the n8n credential, for `n8n import:credentials --input=…`;
 *   environment.json             everything printed (the same JSON as `--once` prints);
 *   social-security-cert.pem     the certificate that signs the answers' FS.
 * in `--dir` (default `.sandbox/` in the current directory; mode 0700, files 0600).
 *
 * Options: --port N (fixed port; default a free one), --dir PATH, --sender NNNNNN (default 000123),
 * --legacy-ssh-rsa (accept only the ssh-rsa login signature, as the real server is reported to),
 * --once (print one JSON line on stdout instead of the text; logs go to stderr).
 * Runs until SIGINT/SIGTERM/SIGHUP, then stops everything. Needs root (the sandbox's chroot). However
 * it ends, even by SIGKILL, the sandbox's supervisor removes sshd and its files (sandbox/supervisor.js).
 *
 * `startSandboxEnvironment(options)` does the same in-process, for the demo and the e2e tests.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SshdSandbox, startSshdSandbox } from './sshdSandbox';
import { DEFAULT_SANDBOX_SENDER, Simulator, SimulatorOptions, startSimulator } from './simulator';

export const CREDENTIAL_TYPE = 'belgianSocialSecuritySftpApi';
export const SANDBOX_CREDENTIAL_ID = 'SsBeSandboxCred1';
export const SANDBOX_CREDENTIAL_NAME = 'Belgian Social Security (local sandbox)';

export interface SandboxEnvironmentOptions {
	/** Where the keys, certificate and credential are written. Default `.sandbox` in the current directory. */
	dir?: string;
	/** A fixed port on 127.0.0.1; default a free one. */
	port?: number;
	/** The 6-digit sender number of the simulated account. Default 000123. */
	sender?: string;
	/** Accept only the legacy ssh-rsa (SHA-1) login signature. Default false. */
	legacySshRsa?: boolean;
	/** Options passed on to the simulator. */
	simulator?: Omit<Partial<SimulatorOptions>, 'sandbox' | 'registeredCertificatePem' | 'sender'>;
	/** Receives the simulator's log lines. */
	logger?: (line: string) => void;
}

/** The fields of the n8n credential "Belgian Social Security SFTP API". */
export interface SandboxCredentialData {
	host: string;
	port: number;
	username: string;
	sender: string;
	privateKey: string;
	passphrase: string;
	hostFingerprint: string;
	certificateP12: string;
	certificatePassword: string;
	advanced: { legacySshRsa?: boolean };
}

export interface SandboxCredential {
	id: string;
	name: string;
	type: typeof CREDENTIAL_TYPE;
	data: SandboxCredentialData;
}

export interface SandboxEnvironmentInfo {
	host: string;
	port: number;
	username: string;
	sender: string;
	/** SHA256:… of the RSA host key. */
	hostFingerprint: string;
	dir: string;
	privateKeyPath: string;
	publicKeyPath: string;
	certificatePath: string;
	certificateKeyPath: string;
	p12Path: string;
	p12Base64Path: string;
	certificatePassword: string;
	credentialFile: string;
	socialSecurityCertificatePath: string;
	/** Directory on this machine that the login sees as `/` (IN, OUT, … are in it). */
	root: string;
}

export interface SandboxEnvironment extends SandboxEnvironmentInfo {
	/** The plain data above (what environment.json holds and `--once` prints). */
	info: SandboxEnvironmentInfo;
	sandbox: SshdSandbox;
	simulator: Simulator;
	credential: SandboxCredential;
	/** PEM of the registered signing certificate. */
	certificatePem: string;
	/** Stops the simulator, then the sshd sandbox. The files in `dir` stay. */
	stop(): Promise<void>;
}

export async function startSandboxEnvironment(
	options: SandboxEnvironmentOptions = {},
): Promise<SandboxEnvironment> {
	const dir = resolve(options.dir ?? join(process.cwd(), '.sandbox'));
	const sender = options.sender ?? DEFAULT_SANDBOX_SENDER;
	if (!/^\d{6}$/.test(sender))
		throw new Error(`The sender number must be exactly 6 digits, got "${sender}"`);
	if (options.port !== undefined) {
		if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)
			throw new Error(`Invalid port ${options.port}`);
		await assertPortFree(options.port);
	}
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	chmodSync(dir, 0o700);

	// The SSH login key.
	const privateKeyPath = join(dir, 'id_rsa');
	const publicKeyPath = join(dir, 'id_rsa.pub');
	rmSync(privateKeyPath, { force: true });
	rmSync(publicKeyPath, { force: true });
	execFileSync('ssh-keygen', [
		'-q',
		'-t',
		'rsa',
		'-b',
		'3072',
		'-N',
		'',
		'-C',
		'n8n-socialsecurity-sandbox',
		'-f',
		privateKeyPath,
	]);
	chmodSync(privateKeyPath, 0o600);
	chmodSync(publicKeyPath, 0o600);
	const privateKey = readFileSync(privateKeyPath, 'utf8');
	const publicKey = readFileSync(publicKeyPath, 'utf8').trim();

	// The signing certificate registered on the channel.
	const certificatePath = join(dir, 'signing-cert.pem');
	const certificateKeyPath = join(dir, 'signing-key.pem');
	const p12Path = join(dir, 'signing.p12');
	const p12Base64Path = join(dir, 'signing.p12.b64');
	const certificatePassword = randomBytes(12).toString('base64url');
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'rsa:3072',
			'-nodes',
			'-sha256',
			'-days',
			'365',
			'-subj',
			`/C=BE/O=Sandbox employer ${sender}/CN=Sandbox signer ${sender}`,
			'-addext',
			'keyUsage=critical,digitalSignature,nonRepudiation',
			'-keyout',
			certificateKeyPath,
			'-out',
			certificatePath,
		],
		{ stdio: ['ignore', 'ignore', 'pipe'] },
	);
	execFileSync(
		'openssl',
		[
			'pkcs12',
			'-export',
			'-in',
			certificatePath,
			'-inkey',
			certificateKeyPath,
			'-name',
			`Sandbox signer ${sender}`,
			'-out',
			p12Path,
			'-passout',
			'env:SANDBOX_P12_PASSWORD',
		],
		{
			env: { ...process.env, SANDBOX_P12_PASSWORD: certificatePassword },
			stdio: ['ignore', 'ignore', 'pipe'],
		},
	);
	const certificateP12 = readFileSync(p12Path).toString('base64');
	writeSecret(p12Base64Path, certificateP12);
	for (const file of [certificatePath, certificateKeyPath, p12Path]) chmodSync(file, 0o600);
	const certificatePem = readFileSync(certificatePath, 'utf8');

	const sandbox = await startSshdSandbox({
		hostKeyTypes: ['rsa'],
		authorizedKeys: [publicKey],
		onlyLegacySshRsa: options.legacySshRsa === true,
		extraConfig: options.port !== undefined ? [`ListenAddress 127.0.0.1:${options.port}`] : [],
	});
	let simulator: Simulator;
	try {
		const port = options.port ?? sandbox.port;
		if (options.port !== undefined) await waitForPort(options.port, 5000);
		simulator = await startSimulator({
			...options.simulator,
			logger: options.simulator?.logger ?? options.logger,
			sandbox,
			registeredCertificatePem: certificatePem,
			sender,
		});
		const hostKey = sandbox.hostKeys.find((k) => k.type === 'rsa') ?? sandbox.hostKeys[0];
		const socialSecurityCertificatePath = join(dir, 'social-security-cert.pem');
		writeSecret(socialSecurityCertificatePath, simulator.sandboxSocialSecurityCertificatePem);

		const credential: SandboxCredential = {
			id: SANDBOX_CREDENTIAL_ID,
			name: SANDBOX_CREDENTIAL_NAME,
			type: CREDENTIAL_TYPE,
			data: {
				host: sandbox.host,
				port,
				username: sandbox.username,
				sender,
				privateKey,
				passphrase: '',
				hostFingerprint: hostKey.fingerprint,
				certificateP12,
				certificatePassword,
				advanced: options.legacySshRsa ? { legacySshRsa: true } : {},
			},
		};
		const credentialFile = join(dir, 'credential.json');
		writeSecret(credentialFile, `${JSON.stringify([credential], null, 2)}\n`);

		const info: SandboxEnvironmentInfo = {
			host: sandbox.host,
			port,
			username: sandbox.username,
			sender,
			hostFingerprint: hostKey.fingerprint,
			dir,
			privateKeyPath,
			publicKeyPath,
			certificatePath,
			certificateKeyPath,
			p12Path,
			p12Base64Path,
			certificatePassword,
			credentialFile,
			socialSecurityCertificatePath,
			root: sandbox.root,
		};
		writeSecret(join(dir, 'environment.json'), `${JSON.stringify(info, null, 2)}\n`);

		let stopping: Promise<void> | undefined;
		return {
			...info,
			info,
			sandbox,
			simulator,
			credential,
			certificatePem,
			stop: () => {
				stopping ??= (async () => {
					await simulator.stop();
					await sandbox.stop();
				})();
				return stopping;
			},
		};
	} catch (error) {
		await sandbox.stop();
		throw error;
	}
}

/** The text printed by `npm run sandbox`. */
export function describeEnvironment(env: SandboxEnvironmentInfo): string {
	const row = (label: string, value: string) => `  ${label.padEnd(38)}${value}`;
	return [
		'',
		'Belgian social security sandbox is running. Stop it with Ctrl+C.',
		'',
		'Fill in the n8n credential "Belgian Social Security SFTP API":',
		row('Host', env.host),
		row('Port', String(env.port)),
		row('Technical User', env.username),
		row('Sender Number', env.sender),
		row('SSH Private Key', `the contents of ${env.privateKeyPath}`),
		row('SSH Key Passphrase', '(empty)'),
		row('Server Host Key Fingerprint', env.hostFingerprint),
		row('Signing Certificate (.p12, Base64)', `the contents of ${env.p12Base64Path}`),
		row('Signing Certificate Password', env.certificatePassword),
		'',
		`Or import it:  n8n import:credentials --input=${env.credentialFile}`,
		'(127.0.0.1 is this machine: n8n in a container needs host networking to reach it.)',
		'',
		`Upload folders IN / INTEST / INTEST-S and answer folders OUT / OUTTEST / OUTTEST-S are in ${env.root}`,
		`The answers are signed by ${env.socialSecurityCertificatePath}`,
		`Everything above is also in ${join(env.dir, 'environment.json')}`,
		'',
	].join('\n');
}

export interface CliArguments {
	port?: number;
	dir?: string;
	sender?: string;
	once: boolean;
	legacySshRsa: boolean;
	help: boolean;
}

export function parseCliArguments(argv: string[]): CliArguments {
	const { values } = parseArgs({
		args: argv,
		strict: true,
		allowPositionals: false,
		options: {
			port: { type: 'string' },
			dir: { type: 'string' },
			sender: { type: 'string' },
			once: { type: 'boolean', default: false },
			'legacy-ssh-rsa': { type: 'boolean', default: false },
			help: { type: 'boolean', short: 'h', default: false },
		},
	});
	const nonEmpty = (flag: string, v: string | undefined) => {
		if (v === '') throw new Error(`${flag} needs a value`);
		return v;
	};
	const port = nonEmpty('--port', values.port);
	if (port !== undefined && !/^\d+$/.test(port))
		throw new Error(`--port needs a number, got "${port}"`);
	return {
		port: port === undefined ? undefined : Number(port),
		dir: nonEmpty('--dir', values.dir),
		sender: nonEmpty('--sender', values.sender),
		once: values.once,
		legacySshRsa: values['legacy-ssh-rsa'],
		help: values.help,
	};
}

const USAGE = `Usage: npm run sandbox -- [--port N] [--dir PATH] [--sender NNNNNN] [--legacy-ssh-rsa] [--once]
  --port N          listen on 127.0.0.1:N (default: a free port)
  --dir PATH        where keys, certificate and credential.json are written (default: .sandbox)
  --sender NNNNNN   the sender number of the simulated account (default: ${DEFAULT_SANDBOX_SENDER})
  --legacy-ssh-rsa  accept only the ssh-rsa (SHA-1) login signature, as the real server is reported to
  --once            print one JSON line with everything on stdout (logs on stderr), keep running
Runs until Ctrl+C / SIGTERM. Needs root.`;

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
	let args: CliArguments;
	try {
		args = parseCliArguments(argv);
	} catch (error) {
		process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
		process.exitCode = 2;
		return;
	}
	if (args.help) {
		process.stdout.write(`${USAGE}\n`);
		return;
	}
	const env = await startSandboxEnvironment({
		dir: args.dir,
		port: args.port,
		sender: args.sender,
		legacySshRsa: args.legacySshRsa,
		logger: (line) => process.stderr.write(`${line}\n`),
	});
	if (args.once) process.stdout.write(`${JSON.stringify(env.info)}\n`);
	else process.stdout.write(describeEnvironment(env.info));

	let stopping = false;
	const shutdown = (signal: NodeJS.Signals) => {
		if (stopping) return;
		stopping = true;
		process.stderr.write(`${signal}: stopping the sandbox\n`);
		env.stop().then(
			() => process.exit(0),
			(error: unknown) => {
				process.stderr.write(
					`could not stop cleanly: ${error instanceof Error ? error.message : String(error)}\n`,
				);
				process.exit(1);
			},
		);
	};
	process.on('SIGINT', shutdown);
	process.on('SIGTERM', shutdown);
	// A closed terminal: stop as cleanly as on Ctrl+C (the supervisor would clean up anyway).
	process.on('SIGHUP', shutdown);
}

function writeSecret(file: string, content: string): void {
	writeFileSync(file, content, { mode: 0o600 });
	chmodSync(file, 0o600);
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
			`Port ${port} on 127.0.0.1 is not free: ${error instanceof Error ? error.message : String(error)}`,
		);
	}
	server.close();
	await once(server, 'close');
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const ok = await new Promise<boolean>((resolvePromise) => {
			const socket = new Socket();
			socket.once('connect', () => {
				socket.destroy();
				resolvePromise(true);
			});
			socket.once('error', () => resolvePromise(false));
			socket.connect(port, '127.0.0.1');
		});
		if (ok) return;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error(`sshd does not listen on 127.0.0.1:${port}`);
}

if (require.main === module) {
	main().catch((error: unknown) => {
		process.stderr.write(
			`The sandbox could not start: ${error instanceof Error ? error.message : String(error)}\n`,
		);
		process.exit(1);
	});
}
