/**
 * Validation benchmark: validateDeclaration (xmllint as WebAssembly, the declaration streamed) on
 * valid DmfA declarations of 1, 10 and 100 MiB generated here, against the official
 * DmfAOriginal_20223.xsd; Debian's native `xmllint --stream --schema` on the same files in the same
 * run, as reference, when it is installed. Each measurement is its own child process, interleaved
 * with the reference; peak RSS is the child's VmHWM (the worker thread is in the same process).
 *
 *   npx ts-node --transpile-only bench/validate.ts [sizes…] [--runs N]
 *   sizes like 1M, 10M, 100M, 1G (MiB/GiB); default 1M 10M 100M; runs default 5.
 *
 * Needs the reference XSDs ($SOCIALSECURITY_REFERENCE_DIR, default ../shared/reference).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, transpileInto } from './benchFixtures';
import { writeDmfa, DMFA_XSD } from '../test/helpers/declarations';
import { XSD_DIR } from '../test/helpers/officialXsd';
import { benchArgs, count, formatSize, parseSize, runAsScript } from './cli';

const MODULES = [
	'nodes/domain/errors.ts',
	'nodes/domain/validation/index.ts',
	'nodes/domain/validation/validateDeclaration.ts',
	'nodes/domain/validation/schemaSet.ts',
	'nodes/domain/validation/xmllintRunner.ts',
];
const MIB = 1024 * 1024;

export interface ValidateBenchOptions {
	sizes?: number[];
	runs?: number;
	log?: (line: string) => void;
}

interface Sample {
	wallMs: number;
	/** Ours: validateDeclaration alone (schema read, worker, stream, verdict). */
	validateMs?: number;
	peakRssMiB: number;
}

export interface ValidateBenchCase {
	sizeBytes: number;
	ours: Sample[];
	native: Sample[];
}

export interface ValidateBenchResult {
	cases: ValidateBenchCase[];
	table: string;
	skipped?: string;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

function spread(values: number[], digits: number, unit: string): string {
	const sorted = [...values].sort((a, b) => a - b);
	return `${median(values).toFixed(digits)} ${unit} (${sorted[0].toFixed(digits)}–${sorted[sorted.length - 1].toFixed(digits)})`;
}

function buildChild(outDir: string): string {
	transpileInto(outDir, MODULES);
	const child = join(outDir, 'child.js');
	writeFileSync(
		child,
		`'use strict';
const fs = require('node:fs');
const v = require('./nodes/domain/validation/index.js');
const [xsdDir, input] = process.argv.slice(2);
(async () => {
	const set = await v.schemaSetFromFolder(xsdDir);
	const start = process.hrtime.bigint();
	const report = await v.validateDeclaration(() => fs.createReadStream(input, { highWaterMark: 1 << 20 }), { set }, { name: input, size: fs.statSync(input).size });
	const validateMs = Number(process.hrtime.bigint() - start) / 1e6;
	// VmHWM, not resourceUsage().maxRSS: on Linux a child's maxRSS carries its parent's RSS over from the fork.
	const hwm = /VmHWM:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
	process.stdout.write(JSON.stringify({ validateMs, valid: report.valid, summary: report.summary, hwmKiB: Number(hwm[1]) }));
})().catch((error) => { console.error(error); process.exit(1); });
`,
	);
	return child;
}

function measure(
	command: string,
	args: string[],
	env: NodeJS.ProcessEnv,
): Promise<{ wallMs: number; stdout: string; stderr: string; code: number | null }> {
	return new Promise((resolve, reject) => {
		const start = process.hrtime.bigint();
		const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
		child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
		child.on('error', reject);
		child.on('close', (code) =>
			resolve({ wallMs: Number(process.hrtime.bigint() - start) / 1e6, stdout, stderr, code }),
		);
	});
}

export async function runValidateBench(
	options: ValidateBenchOptions = {},
): Promise<ValidateBenchResult> {
	const sizes = options.sizes ?? [MIB, 10 * MIB, 100 * MIB];
	const runs = options.runs ?? 5;
	const log = options.log ?? (() => undefined);
	if (!existsSync(join(XSD_DIR, DMFA_XSD))) {
		const skipped = `the official XSDs are not in ${XSD_DIR} (set SOCIALSECURITY_REFERENCE_DIR)`;
		return { cases: [], table: `Validation benchmark SKIPPED: ${skipped}`, skipped };
	}
	const native = !spawnSync('xmllint', ['--version']).error && existsSync('/usr/bin/time');
	const dir = mkdtempSync(join(tmpdir(), 'validate-bench-'));
	const cases: ValidateBenchCase[] = [];
	try {
		const child = buildChild(join(dir, 'build'));
		const env = { ...process.env, NODE_PATH: join(ROOT, 'node_modules') };
		for (const size of sizes) {
			const input = join(dir, `dmfa-${size}.xml`);
			const made = await writeDmfa(input, size);
			log(`${formatSize(size)}: DmfA of ${made.persons} workers (${made.bytes} bytes)`);
			const result: ValidateBenchCase = { sizeBytes: size, ours: [], native: [] };
			for (let i = 0; i < runs; i++) {
				const ours = await measure(process.execPath, [child, XSD_DIR, input], env);
				if (ours.code !== 0)
					throw new Error(`validation child failed: ${ours.stderr.slice(-2000)}`);
				const out = JSON.parse(ours.stdout) as {
					validateMs: number;
					valid: boolean;
					summary: string;
					hwmKiB: number;
				};
				if (!out.valid) throw new Error(`the generated DmfA should be valid: ${out.summary}`);
				result.ours.push({
					wallMs: ours.wallMs,
					validateMs: out.validateMs,
					peakRssMiB: out.hwmKiB / 1024,
				});
				if (native) {
					const ref = await measure(
						'/usr/bin/time',
						['-v', 'xmllint', '--noout', '--stream', '--schema', join(XSD_DIR, DMFA_XSD), input],
						env,
					);
					if (ref.code !== 0) throw new Error(`xmllint failed: ${ref.stderr.slice(-2000)}`);
					const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(ref.stderr);
					result.native.push({ wallMs: ref.wallMs, peakRssMiB: Number(rss?.[1] ?? NaN) / 1024 });
				}
				log(
					`  run ${i + 1}: ours ${(out.validateMs / 1000).toFixed(2)} s, ${(out.hwmKiB / 1024).toFixed(0)} MiB` +
						(native ? `; xmllint ${(result.native[i].wallMs / 1000).toFixed(2)} s` : ''),
				);
			}
			rmSync(input, { force: true });
			cases.push(result);
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
	const lines = [
		`Validation of a valid DmfA against ${DMFA_XSD}, median of ${runs} (min–max)`,
		'',
		'| size | ours, whole process | ours, validateDeclaration | ours, peak RSS | native xmllint --stream | native peak RSS | time ours/native |',
		'| --- | --- | --- | --- | --- | --- | --- |',
	];
	for (const c of cases) {
		const nat = c.native.length > 0;
		lines.push(
			`| ${formatSize(c.sizeBytes)} | ${spread(
				c.ours.map((s) => s.wallMs / 1000),
				2,
				's',
			)} | ${spread(
				c.ours.map((s) => (s.validateMs as number) / 1000),
				2,
				's',
			)} | ${spread(
				c.ours.map((s) => s.peakRssMiB),
				0,
				'MiB',
			)} | ${
				nat
					? spread(
							c.native.map((s) => s.wallMs / 1000),
							2,
							's',
						)
					: 'not installed'
			} | ${
				nat
					? spread(
							c.native.map((s) => s.peakRssMiB),
							0,
							'MiB',
						)
					: ''
			} | ${
				nat
					? `${(median(c.ours.map((s) => s.wallMs)) / median(c.native.map((s) => s.wallMs))).toFixed(2)}×`
					: ''
			} |`,
		);
	}
	return { cases, table: lines.join('\n') };
}

if (require.main === module) {
	runAsScript(() => {
		const { values, positionals } = benchArgs(['runs']);
		return runValidateBench({
			sizes: positionals.length > 0 ? positionals.map(parseSize) : undefined,
			runs: count(values.runs, 'runs'),
			log: (line) => console.error(`  ${line}`),
		});
	});
}
