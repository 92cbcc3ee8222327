/**
 * Signing benchmark: our signDetached against `openssl cms -sign -binary -outform DER` on the same
 * files, in the same run: reading the file path into one reused 4 MiB buffer (what Sign FI does with a
 * binary n8n keeps on disk, nodes/shared/binaryData.ts), and through createReadStream with 1 MiB and
 * 64 KiB chunks (what the other binary modes give). Each measurement runs in its own child process so peak RSS is that of the
 * signer alone (read with /usr/bin/time -v when present, else the child's own VmHWM).
 *
 *   npx ts-node --transpile-only bench/sign.ts [sizes…] [--sparse] [--runs N]
 *   sizes like 100M, 1G, 250MiB or a byte count; default 100M 1G (MiB/GiB).
 *
 * Our modules are transpiled to plain JS for the child: running them through ts-node would add the
 * TypeScript compiler (~100 MiB) to the measured RSS.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
	closeSync,
	existsSync,
	readdirSync,
	mkdtempSync,
	openSync,
	rmSync,
	writeFileSync,
	writeSync,
	ftruncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { makeBenchSigner, ROOT, transpileInto } from './benchFixtures';
import { benchArgs, count, formatSize, median, parseSize, runAsScript } from './cli';

/** Everything the signer imports: the domain's modules (no n8n import there). */
const MODULE_DIRS = ['nodes/domain'];
const TIME = '/usr/bin/time';
const MIB = 1024 * 1024;

export interface SignBenchOptions {
	/** File sizes in bytes. Default 100 MiB and 1 GiB. */
	sizes?: number[];
	/** Sparse files (holes read as zeros, no disk I/O) instead of random-filled ones. */
	sparse?: boolean;
	/** Runs per tool and size; the median is reported. Default 3. */
	runs?: number;
	log?: (line: string) => void;
}

export interface SignBenchRow {
	sizeBytes: number;
	/**
	 * 'ours-file' reads the path into one reused buffer; 'ours' through a stream of 1 MiB chunks,
	 * 'ours-64k' with the fs default (what an unconfigured stream gives).
	 */
	tool: 'openssl' | OursTool;
	/** Median wall time of the whole process (start, key loading, hashing, signing, exit). */
	wallMs: number;
	/** Ours only: median time of signDetached itself (stream + hash + sign). */
	signMs?: number;
	/** Fastest and slowest run (whole process). */
	spreadMs: [number, number];
	/** Highest peak RSS over the runs. */
	peakRssMiB: number;
}

export interface SignBenchResult {
	rows: SignBenchRow[];
	/** Per size: ours reading the file (reused buffer) / openssl wall time. */
	ratios: Array<{ sizeBytes: number; wallRatio: number; signRatio: number }>;
	table: string;
}

type OursTool = 'ours-file' | 'ours' | 'ours-64k';
const OURS: OursTool[] = ['ours-file', 'ours', 'ours-64k'];
/** The child's read mode per tool: a chunk size, or 'file' for the path itself. */
const READ_MODE: Record<OursTool, string> = {
	'ours-file': 'file',
	ours: String(1024 * 1024),
	'ours-64k': String(64 * 1024),
};

interface Measured {
	wallMs: number;
	peakRssKiB: number;
	stdout: string;
}

function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Measured> {
	const useTime = existsSync(TIME);
	const [file, argv] = useTime ? [TIME, ['-v', command, ...args]] : [command, args];
	return new Promise((resolve, reject) => {
		const start = process.hrtime.bigint();
		const child = spawn(file, argv, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
		child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
		child.on('error', reject);
		child.on('close', (code) => {
			const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
			if (code !== 0)
				return reject(new Error(`${command} exited with ${code}: ${stderr.slice(-2000)}`));
			const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
			resolve({ wallMs, peakRssKiB: rss ? Number(rss[1]) : Number.NaN, stdout });
		});
	});
}

function sourcesUnder(dir: string): string[] {
	return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) return sourcesUnder(path);
		return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
	});
}

/** Transpiles the domain modules into `outDir`, keeping their relative layout. */
function buildChild(outDir: string): string {
	transpileInto(outDir, MODULE_DIRS.flatMap(sourcesUnder));
	const child = join(outDir, 'child.js');
	writeFileSync(
		child,
		`'use strict';
const fs = require('node:fs');
const { loadPkcs12 } = require('./${relative(outDir, join(outDir, 'nodes/domain/signing/pkcs12.js'))}');
const { signDetached } = require('./${relative(outDir, join(outDir, 'nodes/domain/signing/cmsSignature.js'))}');
const [p12File, password, input, output, chunk] = process.argv.slice(2);
(async () => {
	const identity = loadPkcs12(fs.readFileSync(p12File), password);
	const start = process.hrtime.bigint();
	const source = chunk === 'file' ? { filePath: input } : fs.createReadStream(input, { highWaterMark: Number(chunk) });
	const result = await signDetached(source, identity);
	const signMs = Number(process.hrtime.bigint() - start) / 1e6;
	fs.writeFileSync(output, result.der);
	// VmHWM, not resourceUsage().maxRSS: on Linux a child's maxRSS carries its parent's RSS over from the fork.
	const hwm = /VmHWM:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
	process.stdout.write(JSON.stringify({ signMs, size: result.size, maxRssKiB: hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS }));
})().catch((error) => { console.error(error); process.exit(1); });
`,
	);
	return child;
}

/** A file of `size` bytes: sparse, or filled with a repeated 1 MiB random block (incompressible enough, cheap to write). */
export function makeFile(path: string, size: number, sparse = false): void {
	const fd = openSync(path, 'w');
	try {
		if (sparse) {
			ftruncateSync(fd, size);
			return;
		}
		const block = randomFillSync(Buffer.alloc(MIB));
		for (let written = 0; written < size; ) {
			const n = Math.min(block.length, size - written);
			writeSync(fd, block, 0, n);
			written += n;
		}
	} finally {
		closeSync(fd);
	}
}

function spread(runs: Measured[]): [number, number] {
	const walls = runs.map((m) => m.wallMs);
	return [Math.min(...walls), Math.max(...walls)];
}

/** Runs the benchmark and returns the rows, the ratios and a printable table. */
export async function runSignBench(options: SignBenchOptions = {}): Promise<SignBenchResult> {
	const sizes = options.sizes ?? [100 * MIB, 1024 * MIB];
	const runs = options.runs ?? 3;
	const log = options.log ?? (() => undefined);
	const dir = mkdtempSync(join(tmpdir(), 'sign-bench-'));
	try {
		const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
		makeBenchSigner(dir);
		const child = buildChild(join(dir, 'build'));
		const env = { ...process.env, NODE_PATH: join(ROOT, 'node_modules') };

		const rows: SignBenchRow[] = [];
		const ratios: SignBenchResult['ratios'] = [];
		for (const size of sizes) {
			const input = join(dir, `fi-${size}.bin`);
			makeFile(input, size, options.sparse ?? false);
			// Warm the page cache once so neither tool pays for the first disk read.
			await run('openssl', ['dgst', '-sha256', '-out', '/dev/null', input]);
			const ossl: Measured[] = [];
			const ours: Record<OursTool, Array<Measured & { signMs: number; childRssKiB: number }>> = {
				'ours-file': [],
				ours: [],
				'ours-64k': [],
			};
			const runOurs = async (tool: OursTool) => {
				const m = await run(
					process.execPath,
					[child, join(dir, 'signer.p12'), 'bench', input, join(dir, 'ours.der'), READ_MODE[tool]],
					env,
				);
				const reported = JSON.parse(m.stdout) as {
					signMs: number;
					size: number;
					maxRssKiB: number;
				};
				if (reported.size !== size)
					throw new Error(`signed ${reported.size} bytes instead of ${size}`);
				return { ...m, signMs: reported.signMs, childRssKiB: reported.maxRssKiB };
			};
			for (let i = 0; i < runs; i++) {
				// Interleaved, so that a busy machine slows all three alike.
				ossl.push(
					await run('openssl', [
						'cms',
						'-sign',
						'-binary',
						'-in',
						input,
						'-signer',
						join(dir, 'cert.pem'),
						'-inkey',
						join(dir, 'key.pem'),
						'-outform',
						'DER',
						'-out',
						join(dir, 'ossl.der'),
					]),
				);
				for (const tool of OURS) ours[tool].push(await runOurs(tool));
			}
			// The FS must be right, not only fast.
			openssl([
				'cms',
				'-verify',
				'-binary',
				'-inform',
				'DER',
				'-in',
				'ours.der',
				'-content',
				input,
				'-CAfile',
				'cert.pem',
				'-out',
				'/dev/null',
			]);
			const osslRow: SignBenchRow = {
				sizeBytes: size,
				tool: 'openssl',
				wallMs: median(ossl.map((m) => m.wallMs)),
				spreadMs: spread(ossl),
				peakRssMiB: Math.max(...ossl.map((m) => m.peakRssKiB)) / 1024,
			};
			const oursRows = OURS.map(
				(tool): SignBenchRow => ({
					sizeBytes: size,
					tool,
					wallMs: median(ours[tool].map((m) => m.wallMs)),
					spreadMs: spread(ours[tool]),
					signMs: median(ours[tool].map((m) => m.signMs)),
					peakRssMiB:
						Math.max(
							...ours[tool].map((m) => (Number.isNaN(m.peakRssKiB) ? m.childRssKiB : m.peakRssKiB)),
						) / 1024,
				}),
			);
			const [oursRow] = oursRows;
			rows.push(osslRow, ...oursRows);
			ratios.push({
				sizeBytes: size,
				wallRatio: oursRow.wallMs / osslRow.wallMs,
				signRatio: (oursRow.signMs as number) / osslRow.wallMs,
			});
			log(
				`${formatSize(size)}: openssl ${osslRow.wallMs.toFixed(0)} ms, ours ${oursRow.wallMs.toFixed(0)} ms`,
			);
			rmSync(input, { force: true });
		}
		return { rows, ratios, table: formatTable(rows, ratios, runs, options.sparse ?? false) };
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

function formatTable(
	rows: SignBenchRow[],
	ratios: SignBenchResult['ratios'],
	runs: number,
	sparse: boolean,
): string {
	const lines = [
		`Signing benchmark (${sparse ? 'sparse' : 'random-filled'} files, median of ${runs} runs, RSA-2048, SHA-256, node ${process.version})`,
		'',
		'| size | tool | process wall (min–max) | signDetached only | peak RSS | ours/openssl (wall) | ours/openssl (sign only) |',
		'|---|---|---|---|---|---|---|',
	];
	for (const ratio of ratios) {
		const [ossl, file, ours, ours64] = rows.filter((r) => r.sizeBytes === ratio.sizeBytes);
		const size = formatSize(ratio.sizeBytes);
		const wall = (row: SignBenchRow) =>
			`${(row.wallMs / 1000).toFixed(3)} s (${(row.spreadMs[0] / 1000).toFixed(2)}–${(row.spreadMs[1] / 1000).toFixed(2)})`;
		lines.push(
			`| ${size} | openssl cms -sign -binary | ${wall(ossl)} | | ${ossl.peakRssMiB.toFixed(1)} MiB | | |`,
		);
		for (const [label, row] of [
			['file path, one reused 4 MiB buffer', file],
			['stream, 1 MiB chunks', ours],
			['stream, 64 KiB chunks', ours64],
		] as const) {
			lines.push(
				`| ${size} | signDetached, ${label} | ${wall(row)} | ${((row.signMs as number) / 1000).toFixed(3)} s | ${row.peakRssMiB.toFixed(1)} MiB | ${(row.wallMs / ossl.wallMs).toFixed(2)}× | ${((row.signMs as number) / ossl.wallMs).toFixed(2)}× |`,
			);
		}
	}
	const gib = ratios.find((r) => r.sizeBytes === 1024 * MIB);
	if (gib) {
		const rss = (tool: SignBenchRow['tool']) =>
			(rows.find((r) => r.sizeBytes === gib.sizeBytes && r.tool === tool) as SignBenchRow)
				.peakRssMiB;
		const worst = Math.max(...OURS.map(rss));
		lines.push(
			'',
			`Targets at 1 GiB: time ≤ 1.1× openssl → ${gib.wallRatio <= 1.1 ? 'met' : 'NOT met'} (${gib.wallRatio.toFixed(2)}× process reading the file, ${gib.signRatio.toFixed(2)}× sign only); ` +
				`peak RSS ≤ 128 MiB → ${worst <= 128 ? 'met' : 'NOT met'} (${OURS.map((tool) => `${tool} ${rss(tool).toFixed(1)} MiB`).join(', ')})`,
		);
	}
	return lines.join('\n');
}

if (require.main === module) {
	runAsScript(() => {
		// Sizes as positionals: `bench/sign.ts 100M 1G --runs 5`.
		const { values, positionals } = benchArgs(['runs'], ['sparse']);
		return runSignBench({
			sizes: positionals.length ? positionals.map(parseSize) : undefined,
			sparse: values.sparse === true,
			runs: count(values.runs, 'runs'),
			log: (line) => console.error(line),
		});
	});
}
