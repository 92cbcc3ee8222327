/**
 * Submit with "Sign Missing Signatures" against Submit of the same FI with its FS given (issue 15
 * part 3: "no more than ~1.05×"). The same 1 GiB FI is sent to a real sandbox sshd on loopback, both
 * ways alternately (given first on odd runs), each time as a new set: the FS made from the digest of
 * the upload (nodes/domain/submission/signDuringUpload.ts) or a ready FS. The FI is read with 1 MiB
 * chunks, as n8n's getBinaryStream gives it to Submit (nodes/shared/binaryData.ts). Times are of
 * submitPlannedSet (listing, FI, FS, size checks, GO), in this process.
 *
 *   npx ts-node --transpile-only bench/signedSubmit.ts [size, default 1G] [--runs N, default 5]
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { makeBenchSigner } from './benchFixtures';
import { brusselsToday } from '../nodes/domain/names/brusselsTime';
import {
	loadSigningIdentity,
	signDeclaration,
	signDeclarationDigest,
} from '../nodes/domain/signing/declarationSigner';
import { planSubmission, type SetFile } from '../nodes/domain/submission/declarationSet';
import { signDuringUpload } from '../nodes/domain/submission/signDuringUpload';
import { submitPlannedSet } from '../nodes/domain/submission/uploadSet';
import { SftpChannel } from '../nodes/domain/transport/sftpChannel';
import { startSshdSandbox } from '../sandbox/sshdSandbox';
import { makeRsaKeyPair } from '../test/helpers/keys';
import { sandboxChannelOptions } from '../test/helpers/sandbox';
import { makeFile } from './sign';
import { benchArgs, count, median, parseSize, runAsScript, spread } from './cli';

export async function runSignedSubmitBench(
	options: { size?: number; runs?: number; log?: (line: string) => void } = {},
): Promise<{ table: string; ratio: number; cpuRatio: number }> {
	const size = options.size ?? 1024 * 1024 * 1024;
	const runs = options.runs ?? 5;
	const log = options.log ?? (() => undefined);
	const dir = mkdtempSync(join(tmpdir(), 'signed-submit-bench-'));
	const key = makeRsaKeyPair();
	const sandbox = await startSshdSandbox({
		authorizedKeys: [key.publicKey],
		hostKeyTypes: ['rsa'],
	});
	try {
		makeBenchSigner(dir);
		const identity = loadSigningIdentity(
			execFileSync('base64', ['-w0', join(dir, 'signer.p12')]).toString(),
			'bench',
		);
		const input = join(dir, 'fi.bin');
		makeFile(input, size);
		const today = brusselsToday();
		const fi = (name: string): SetFile => ({
			name,
			size: statSync(input).size,
			open: () => createReadStream(input, { highWaterMark: 1024 * 1024 }),
		});
		// The ready FS of the "given" runs (the FS content does not depend on the name).
		const given = await signDeclaration(createReadStream(input), undefined, identity);
		const channel = await SftpChannel.open(sandboxChannelOptions(sandbox, key.privateKey));
		const times: Record<'given' | 'signed', number[]> = { given: [], signed: [] };
		// This process's CPU (user + system) per submit: the server's work is the same bytes both ways, so
		// the difference in what the client spends is the cost of signing while uploading, without the
		// loopback transfer's ±20 % wall-time noise.
		const cpu: Record<'given' | 'signed', number[]> = { given: [], signed: [] };
		let sequence = 0;
		const once = async (way: 'given' | 'signed') => {
			const base = `DMFA.000123.${today}.B${String(++sequence).padStart(4, '0')}.T.1`;
			let files: { fi: SetFile[]; fs: SetFile[] };
			if (way === 'given') {
				const content = given.content;
				files = {
					fi: [fi(`FI.${base}.1`)],
					fs: [{ name: `FS.${base}.1`, size: content.length, open: () => bufferStream(content) }],
				};
			} else {
				const pair = signDuringUpload(fi(`FI.${base}.1`), `FS.${base}.1`, 'sha256', (d, n) =>
					signDeclarationDigest(d, n, `FI.${base}.1`, identity),
				);
				files = { fi: [pair.declaration], fs: [pair.signature] };
			}
			const started = process.hrtime.bigint();
			const cpuBefore = process.cpuUsage();
			await submitPlannedSet(channel, planSubmission(files.fi, files.fs));
			const cpuSpent = process.cpuUsage(cpuBefore);
			times[way].push(Number(process.hrtime.bigint() - started) / 1e6);
			cpu[way].push((cpuSpent.user + cpuSpent.system) / 1000);
			for (const name of readdirSync(sandbox.pathOf('INTEST')))
				if (name.includes(base)) rmSync(sandbox.pathOf('INTEST', name));
		};
		// Warm the page cache and the connection once.
		await once('given');
		times.given.length = 0;
		cpu.given.length = 0;
		const pairs: number[] = [];
		const cpuPairs: number[] = [];
		for (let i = 0; i < runs; i++) {
			const order: Array<'given' | 'signed'> =
				i % 2 === 0 ? ['given', 'signed'] : ['signed', 'given'];
			for (const way of order) await once(way);
			pairs.push(times.signed[i] / times.given[i]);
			cpuPairs.push(cpu.signed[i] / cpu.given[i]);
			log(
				`run ${i + 1}: given ${times.given[i].toFixed(0)} ms (CPU ${cpu.given[i].toFixed(0)} ms), signed while uploading ${times.signed[i].toFixed(0)} ms (CPU ${cpu.signed[i].toFixed(0)} ms)`,
			);
		}
		await channel.close();
		const fmt = (ms: number[]) => `${spread(ms.map((v) => v / 1000))} s`;
		const ratio = median(pairs);
		const table = [
			`Submit of a ${(size / 1024 / 1024).toFixed(0)} MiB FI on loopback, median of ${runs} (min–max), node ${process.version}`,
			'',
			'| FS | submitPlannedSet, wall | our CPU |',
			'|---|---|---|',
			`| given (made beforehand) | ${fmt(times.given)} | ${fmt(cpu.given)} |`,
			`| made from the upload's digest | ${fmt(times.signed)} | ${fmt(cpu.signed)} |`,
			'',
			`signed/given, median of per-run pairs: wall ${spread(pairs, 3)}×, CPU ${spread(cpuPairs, 3)}×; target ≤ ~1.05×`,
		].join('\n');
		return { table, ratio, cpuRatio: median(cpuPairs) };
	} finally {
		await sandbox.stop();
		rmSync(dir, { recursive: true, force: true });
	}
}

function bufferStream(content: Buffer): Readable {
	return Readable.from([content]);
}

if (require.main === module) {
	runAsScript(() => {
		const { values, positionals } = benchArgs(['runs']);
		return runSignedSubmitBench({
			size: positionals[0] ? parseSize(positionals[0]) : undefined,
			runs: count(values.runs, 'runs'),
			log: (l) => console.error(l),
		});
	});
}
