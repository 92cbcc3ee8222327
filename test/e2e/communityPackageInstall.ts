/**
 * Installs a packed community package into an n8n user folder by n8n's own steps, and runs the nested
 * npm commands that the end-to-end tests and the demo need, immune to the caller's npm settings.
 *
 * n8n's steps, read from packages/cli/src/modules/community-packages/community-packages.service.ts of
 * n8n 2.8.4 and 2.41.1 (docs/testing.md says more): in `~/.n8n/nodes` run `npm pack <pkg>@<version>
 * --registry=R --quiet`, extract the tarball into `node_modules/<pkg>` with `tar --strip-components=1`,
 * drop devDependencies, peerDependencies and optionalDependencies from its package.json, run
 * `npm install` with the flags below in that folder, and record the package in `~/.n8n/nodes/package.json`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** n8n's NPM_COMMON_ARGS and NPM_INSTALL_ARGS (same in 2.8.4 and 2.41.1). */
export const N8N_NPM_INSTALL_ARGS = [
	'--audit=false',
	'--fund=false',
	'--bin-links=false',
	'--install-strategy=shallow',
	'--ignore-scripts=true',
	'--package-lock=false',
];

/**
 * The environment for a nested npm: without any `npm_config_*` variable. `npm run` hands the project's
 * configuration (here `ignore-scripts=true` from .npmrc) to its children that way, and an install of n8n
 * run under `npm test` would silently skip building sqlite3. Each nested call states what it relies on.
 */
export function cleanNpmEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [name, value] of Object.entries(base)) {
		if (!/^npm_config_/i.test(name)) env[name] = value;
	}
	return env;
}

let registryCache: string | undefined;

/** The registry the user's npm uses: an explicit setting wins, else what npm's config files say. */
export function npmRegistry(): string {
	registryCache ??=
		process.env.npm_config_registry ||
		execFileSync('npm', ['config', 'get', 'registry'], { env: cleanNpmEnvironment() })
			.toString()
			.trim();
	return registryCache;
}

/** Runs npm in `cwd` with a clean environment; returns its standard output. */
export function npm(args: string[], cwd: string): string {
	return execFileSync('npm', [...args, '--loglevel=error'], {
		cwd,
		env: cleanNpmEnvironment(),
		stdio: ['ignore', 'pipe', 'inherit'],
	}).toString();
}

export interface InstalledPackage {
	name: string;
	version: string;
	/** `<user folder>/.n8n/nodes/node_modules/<name>` */
	directory: string;
}

/** n8n's downloadPackage + updatePackageJsonDependency, with `spec` a tarball path or `name@version`. */
export function installCommunityPackage(n8nUserFolder: string, spec: string): InstalledPackage {
	const nodes = join(n8nUserFolder, '.n8n', 'nodes');
	mkdirSync(nodes, { recursive: true });
	const manifest = join(nodes, 'package.json');
	if (!existsSync(manifest)) {
		writeFileSync(manifest, JSON.stringify({ name: 'installed-nodes', private: true }, null, 2));
	}
	const registry = `--registry=${npmRegistry()}`;
	const tarballName = npm(['pack', spec, registry, '--quiet'], nodes).trim().split('\n').pop();
	if (!tarballName) throw new Error(`npm pack ${spec} printed no tarball name`);
	try {
		const packed = JSON.parse(
			execFileSync('tar', ['-xzOf', tarballName, 'package/package.json'], {
				cwd: nodes,
			}).toString(),
		) as { name: string; version: string };
		const directory = join(nodes, 'node_modules', packed.name);
		rmSync(directory, { recursive: true, force: true });
		mkdirSync(directory, { recursive: true });
		execFileSync('tar', ['-xzf', tarballName, '-C', directory, '--strip-components=1'], {
			cwd: nodes,
		});
		const packageJsonPath = join(directory, 'package.json');
		const packageJson = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as Record<
			string,
			unknown
		>;
		delete packageJson.devDependencies;
		delete packageJson.peerDependencies;
		delete packageJson.optionalDependencies;
		writeFileSync(packageJsonPath, JSON.stringify(packageJson, null, 2), 'utf8');
		npm(['install', ...N8N_NPM_INSTALL_ARGS, registry], directory);

		const installed = JSON.parse(readFileSync(manifest, 'utf8')) as {
			dependencies?: Record<string, string>;
		};
		installed.dependencies = { ...installed.dependencies, [packed.name]: packed.version };
		writeFileSync(manifest, JSON.stringify(installed, null, 2), 'utf8');
		return { name: packed.name, version: packed.version, directory };
	} finally {
		rmSync(join(nodes, tarballName), { force: true });
	}
}
