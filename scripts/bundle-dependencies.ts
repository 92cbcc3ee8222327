/**
 * Build step after `tsc`: the third-party code the package runs with is bundled into `dist/vendor/`,
 * and the compiled files load it from there. The published package then has no `dependencies`, as n8n's
 * community-node rule `no-runtime-dependencies` asks, and n8n's installer has nothing to fetch. Our own
 * code stays file for file as tsc wrote it (one copy of each module, readable stack traces); only the
 * specifiers below are rewritten. Why we bundle, with the figures: README.md, "Runtime dependencies".
 */
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const DIST = resolve(__dirname, '..', 'dist');
const VENDOR = join(DIST, 'vendor');

/** Specifier as the source writes it → the bundle that replaces it (one bundle per library). */
const BUNDLES: Record<string, string> = {
	ssh2: 'ssh2.js',
	'fast-xml-parser': 'fast-xml-parser.js',
	'hash-wasm': 'hash-wasm.js',
	yauzl: 'yauzl.js',
	// nodes/domain/signing/pkcs12.ts loads only forge's ASN.1 and RC2 (the whole library costs ~50 ms).
	'node-forge/lib/asn1': 'node-forge.js',
	'node-forge/lib/rc2': 'node-forge.js',
	'node-forge/lib/forge': 'node-forge.js',
	// nodes/domain/validation/xmllintRunner.ts finds these two by require.resolve and hands them to a
	// worker thread (docs/validation.md): the Emscripten glue of xmllint, and its WebAssembly.
	'xmllint-wasm/xmllint-node.js': 'xmllint-wasm.js',
	'xmllint-wasm/xmllint.wasm': 'xmllint.wasm',
};

/** What each bundle contains: its entry module's source. */
const ENTRIES: Record<string, string> = {
	'ssh2.js': "module.exports = require('ssh2');",
	'fast-xml-parser.js': "module.exports = require('fast-xml-parser');",
	'hash-wasm.js': "module.exports = require('hash-wasm');",
	'yauzl.js': "module.exports = require('yauzl');",
	'node-forge.js':
		"require('node-forge/lib/asn1'); require('node-forge/lib/rc2'); module.exports = require('node-forge/lib/forge');",
	'xmllint-wasm.js': "module.exports = require('xmllint-wasm/xmllint-node.js');",
};

/** Files shipped as they are, beside the bundles: bundle name → file in node_modules. */
const COPIES: Record<string, string> = {
	'xmllint.wasm': 'xmllint-wasm/xmllint.wasm',
};

/**
 * xmllint-node.js ends with the package's own worker protocol, which needs a parent port and throws
 * when the file is loaded outside a worker (n8n and our tests load every file of dist/). Our runner
 * brings its own protocol and uses only the glue above it, so the bundle leaves that part out.
 */
const XMLLINT_WORKER_TAIL = ';(function initWorker() {';

/** Packages that stay outside every bundle: n8n provides n8n-workflow; ssh2 is its own bundle. */
const EXTERNAL = ['n8n-workflow'];

/** Every package whose code went into a bundle, by its folder under node_modules. */
const bundledPackages = new Set<string>();

async function bundleLibraries(): Promise<void> {
	// Made afresh: a library no longer bundled must not stay in the package.
	rmSync(VENDOR, { recursive: true, force: true });
	for (const [file, contents] of Object.entries(ENTRIES)) {
		const result = await build({
			stdin: { contents, resolveDir: resolve(__dirname, '..'), loader: 'js' },
			bundle: true,
			platform: 'node',
			target: 'node20',
			format: 'cjs',
			outfile: join(VENDOR, file),
			legalComments: 'inline',
			logLevel: 'error',
			metafile: true,
			// ssh2's optional native add-ons: it requires them inside try/catch and falls back to JavaScript.
			external: [...EXTERNAL, 'cpu-features', '*.node'],
			plugins: [
				{
					name: 'xmllint-glue-only',
					setup(b) {
						b.onLoad({ filter: /xmllint-wasm[\\/]xmllint-node\.js$/ }, (args) => {
							const source = readFileSync(args.path, 'utf8');
							const cut = source.indexOf(XMLLINT_WORKER_TAIL);
							if (cut < 0) throw new Error(`${args.path} changed: its worker part was not found`);
							return { contents: source.slice(0, cut), loader: 'js' };
						});
					},
				},
				{
					// A bundle that requires ssh2 must drive the same ssh2 as our transport, not a second copy.
					name: 'shared-ssh2',
					setup(b) {
						if (file === 'ssh2.js') return;
						b.onResolve({ filter: /^ssh2$/ }, () => ({ path: './ssh2.js', external: true }));
					},
				},
			],
		});
		for (const warning of result.warnings) throw new Error(warning.text);
		for (const input of Object.keys(result.metafile?.inputs ?? {})) {
			const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
			if (match) bundledPackages.add(match[1]);
		}
	}
}

function copyFiles(): void {
	const root = resolve(__dirname, '..');
	for (const [file, from] of Object.entries(COPIES)) {
		const source = require.resolve(from, { paths: [root] });
		copyFileSync(source, join(VENDOR, file));
		const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(relative(root, source));
		if (match) bundledPackages.add(match[1]);
	}
}

function* compiledFiles(dir: string): Generator<string> {
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (entry.isDirectory() && path !== VENDOR) yield* compiledFiles(path);
		else if (entry.isFile() && entry.name.endsWith('.js')) yield path;
	}
}

/** Rewrites `require("ssh2")` (and pkcs12's `load('node-forge/lib/asn1')`) to the bundle's path. */
function pointAtBundles(): number {
	const specifiers = Object.keys(BUNDLES)
		.map((s) => s.replace(/[/.-]/g, '\\$&'))
		.join('|');
	const call = new RegExp(`\\((["'])(${specifiers})\\1\\)`, 'g');
	const bare = /\brequire(?:\.resolve)?\((["'])([^."'][^"']*)\1\)/g;
	let rewritten = 0;
	for (const file of compiledFiles(DIST)) {
		const source = readFileSync(file, 'utf8');
		const next = source.replace(call, (_match, quote: string, specifier: string) => {
			rewritten += 1;
			let path = relative(dirname(file), join(VENDOR, BUNDLES[specifier]));
			if (!path.startsWith('.')) path = `./${path}`;
			return `(${quote}${path}${quote})`;
		});
		// Anything else that is neither Node's own nor n8n's would be missing once n8n installs us.
		for (const [, , name] of next.matchAll(bare)) {
			if (!name.startsWith('node:') && !builtinModules.includes(name) && !EXTERNAL.includes(name)) {
				throw new Error(`${relative(DIST, file)} requires "${name}", which is not bundled.`);
			}
		}
		if (next !== source) writeFileSync(file, next);
	}
	return rewritten;
}

/** Their licences travel with their code (MIT and the like require it). */
function writeLicences(): void {
	const root = resolve(__dirname, '..');
	const parts: string[] = [];
	for (const folder of [...bundledPackages].sort()) {
		const meta = JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as {
			name: string;
			version: string;
			license?: string;
		};
		const file = readdirSync(join(root, folder)).find((f) => /^(licen[cs]e|copying)/i.test(f));
		const text = file ? readFileSync(join(root, folder, file), 'utf8').trim() : '';
		if (!text) throw new Error(`${meta.name} has no licence file to ship with its bundled code.`);
		parts.push(`${meta.name}@${meta.version} (${meta.license ?? 'see text'})\n\n${text}\n`);
	}
	writeFileSync(join(VENDOR, 'THIRD-PARTY-LICENSES.txt'), parts.join(`\n${'-'.repeat(72)}\n\n`));
}

bundleLibraries()
	.then(() => {
		copyFiles();
		writeLicences();
		const count = pointAtBundles();
		process.stdout.write(`bundled ${Object.keys(ENTRIES).length} libraries, ${count} imports\n`);
	})
	.catch((error: unknown) => {
		process.stderr.write(
			`bundle-dependencies: ${error instanceof Error ? error.message : error}\n`,
		);
		process.exit(1);
	});
