/**
 * `npm run bench`: the signing benchmark (bench/sign.ts), the upload benchmark (bench/upload.ts), the
 * answer collection benchmark (bench/poll.ts), the many-sets benchmark (bench/sets.ts) and the validation benchmark (bench/validate.ts), one after the other, each against its reference tool
 * (openssl, OpenSSH sftp, Debian's xmllint) in the same run.
 *
 *   npm run bench                       100 MiB and 1 GiB, 3 runs each (upload: ~5-10 min)
 *   npm run bench -- --quick            100 MiB only, 1 run
 *   npm run bench -- --sizes 100M,1G    other sizes (MiB/GiB), --runs N to change the repeats
 *   --answers N                         answer triplets of the poll part (default 1000; --quick: 100)
 *   --sets N                            one-part sets of the sets part (default 500; --quick: 100)
 *   --validate-sizes 1M,10M,100M        declaration sizes of the validation part (default; --quick: 1M,10M)
 *   --only queue [--queue-size 200M]    a worker of n8n 2.41.1 in queue mode (bench/queue.ts; only when asked:
 *                                       it needs n8n 2.41.1, Postgres and Redis)
 *   --only n8n [--items 500]            500 items through Build Filenames → Sign FI → Submit and Poll collecting
 *                                       1000 answers in n8n 2.41.1: wall time, n8n's peak RSS (bench/n8n.ts; only when asked)
 *   --only signedSubmit                 Submit of a 1 GiB FI signing it while it uploads vs with its FS given
 *                                       (bench/signedSubmit.ts; only when asked; --sizes takes the first size)
 *   other flags: --only sign|upload|poll|sets|validate|queue|n8n|signedSubmit, --latency auto|netns|proxy|off, --delay MS (one way),
 *                --depths 1,16,64 (empty: no sweep), --sparse (sign only), --strict (exit 1 when a target is missed:
 *                sign at 1 GiB ≤ 1.1× openssl and ≤ 128 MiB; upload ≥ sftp throughput, ≤ 128 MiB, flat;
 *                poll ≥ 3× sftp on loopback, ≥ 10× over the round trip; sets ≥ 2× and ≥ 5×; ≤ 128 MiB)
 *
 * The signing part needs openssl only. The upload, poll and sets parts need root (the sandbox sshd chroots its login)
 * and /usr/sbin/sshd; without them it is skipped with the reason, and the signing part still runs.
 */
import { sandboxUnavailableReason } from '../sandbox/sshdSandbox';
import { runSignBench, SignBenchResult } from './sign';
import { benchArgs, choice, count, counts, formatSize, median, parseSize, sizes } from './cli';
import {
	DEFAULT_DEPTH,
	LATENCY_MODES,
	LatencyMode,
	runUploadBench,
	UploadBenchResult,
} from './upload';
import { PollBenchResult, runPollBench } from './poll';
import { runSetsBench, SetsBenchResult } from './sets';
import { runValidateBench, ValidateBenchResult } from './validate';
import { runQueueBench } from './queue';
import { runN8nBench } from './n8n';
import { runSignedSubmitBench } from './signedSubmit';

const MIB = 1024 * 1024;

interface Args {
	sizes?: number[];
	runs?: number;
	only?: Part;
	answers?: number;
	sets?: number;
	validateSizes?: number[];
	queueSize?: number;
	items?: number;
	latency?: LatencyMode;
	oneWayDelayMs?: number;
	depths?: number[];
	sparse: boolean;
	strict: boolean;
}

const PARTS = [
	'sign',
	'upload',
	'poll',
	'sets',
	'validate',
	'queue',
	'n8n',
	'signedSubmit',
] as const;
type Part = (typeof PARTS)[number];

function parseArgs(argv: string[]): Args {
	const { values } = benchArgs(
		[
			'sizes',
			'runs',
			'only',
			'items',
			'queue-size',
			'validate-sizes',
			'sets',
			'answers',
			'latency',
			'delay',
			'depths',
		],
		['quick', 'sparse', 'strict'],
		argv,
	);
	const queueSize = values['queue-size'];
	const args: Args = {
		sizes: sizes(values.sizes),
		runs: count(values.runs, 'runs'),
		only: choice(values.only, 'only', PARTS),
		items: count(values.items, 'items'),
		queueSize: typeof queueSize === 'string' ? parseSize(queueSize) : undefined,
		validateSizes: sizes(values['validate-sizes']),
		sets: count(values.sets, 'sets'),
		answers: count(values.answers, 'answers'),
		latency: choice(values.latency, 'latency', LATENCY_MODES),
		oneWayDelayMs: count(values.delay, 'delay'),
		depths: counts(values.depths, 'depths'),
		sparse: values.sparse === true,
		strict: values.strict === true,
	};
	if (values.quick === true) {
		args.sizes ??= [100 * MIB];
		args.runs ??= 1;
		args.answers ??= 100;
		args.sets ??= 100;
		args.validateSizes ??= [MIB, 10 * MIB];
	}
	return args;
}

async function main(): Promise<number> {
	const args = parseArgs(process.argv.slice(2));
	const log = (line: string) => console.error(`  ${line}`);
	let sign: SignBenchResult | undefined;
	let upload: UploadBenchResult | undefined;
	let uploadSkipped: string | undefined;

	let poll: PollBenchResult | undefined;
	let sets: SetsBenchResult | undefined;
	let validation: ValidateBenchResult | undefined;
	const want = (part: Part) => args.only === undefined || args.only === part;

	if (args.only === 'n8n') {
		console.error('n8n benchmark…');
		console.log((await runN8nBench({ items: args.items, log })).table);
		return 0;
	}
	if (args.only === 'signedSubmit') {
		console.error('Submit signing while uploading vs FS given…');
		const size = args.sizes?.[0];
		console.log((await runSignedSubmitBench({ size, runs: args.runs, log })).table);
		return 0;
	}
	if (args.only === 'queue') {
		console.error('Queue-mode benchmark…');
		const queue = await runQueueBench({ sizeBytes: args.queueSize, runs: args.runs, log });
		console.log(queue.table);
		return 0;
	}

	if (want('sign')) {
		console.error('Signing benchmark…');
		sign = await runSignBench({ sizes: args.sizes, runs: args.runs, sparse: args.sparse, log });
		console.log(`${sign.table}\n`);
	}
	if (want('upload') || want('poll') || want('sets')) uploadSkipped = sandboxUnavailableReason();
	if (want('upload')) {
		if (uploadSkipped) {
			console.log(
				`Upload benchmark SKIPPED: ${uploadSkipped}. Run it as root (e.g. sudo npm run bench) with openssh-server installed.\n`,
			);
		} else {
			console.error('Upload benchmark…');
			upload = await runUploadBench({
				sizes: args.sizes,
				runs: args.runs,
				depths: args.depths,
				latency: args.latency,
				oneWayDelayMs: args.oneWayDelayMs,
				log,
			});
			console.log(`${upload.table}\n`);
		}
	}

	if (want('poll') && !uploadSkipped) {
		console.error('Poll benchmark…');
		poll = await runPollBench({
			answers: args.answers,
			runs: args.runs,
			latency: args.latency === 'off' ? 'off' : 'proxy',
			oneWayDelayMs: args.oneWayDelayMs,
			log,
		});
		console.log(`${poll.table}\n`);
	}

	if (want('sets') && !uploadSkipped) {
		console.error('Sets benchmark…');
		sets = await runSetsBench({
			sets: args.sets,
			runs: args.runs,
			latency: args.latency === 'off' ? 'off' : 'proxy',
			oneWayDelayMs: args.oneWayDelayMs,
			log,
		});
		console.log(`${sets.table}\n`);
	}

	if (want('validate')) {
		console.error('Validation benchmark…');
		validation = await runValidateBench({
			sizes: args.validateSizes,
			runs: args.runs === undefined ? undefined : Math.max(5, args.runs),
			log,
		});
		console.log(`${validation.table}\n`);
	}

	const summary: string[] = ['Summary (ratio > 1 means ours is faster):'];
	for (const r of sign?.ratios ?? []) {
		summary.push(
			`  sign ${formatSize(r.sizeBytes)}: openssl/ours time ${(1 / r.wallRatio).toFixed(2)}× (process), ${(1 / r.signRatio).toFixed(2)}× (signing only)`,
		);
	}
	for (const c of upload?.cases ?? []) {
		if (c.network === 'loopback' && c.depth !== DEFAULT_DEPTH) continue;
		summary.push(
			`  upload ${formatSize(c.sizeBytes)}, ${c.network}, depth ${c.depth}: throughput ours/sftp ${median(c.pairedRatios).toFixed(2)}× (process wall), ` +
				`${median(c.pairedTransferRatios).toFixed(2)}× (transfer only); peak RSS ${c.ours.peakRssMiB.toFixed(0)} MiB`,
		);
	}
	for (const c of [
		...(poll?.cases ?? []),
		...(sets?.cases ?? []).map((c) => ({ ...c, what: 'sets' })),
	]) {
		const ratios = [...c.ratios].sort((a, b) => a - b);
		summary.push(
			`  ${c.what} ${c.count}, ${c.network}: time sftp/ours ${median(ratios).toFixed(2)}× (${ratios[0].toFixed(2)}–${ratios[ratios.length - 1].toFixed(2)}); our peak RSS ${Math.max(...c.ours.map((m) => m.peakRssMiB)).toFixed(0)} MiB`,
		);
	}
	for (const c of validation?.cases ?? []) {
		const ours = median(c.ours.map((m) => m.wallMs));
		summary.push(
			`  validate ${formatSize(c.sizeBytes)}: ${(ours / 1000).toFixed(2)} s, peak RSS ${median(c.ours.map((m) => m.peakRssMiB)).toFixed(0)} MiB` +
				(c.native.length > 0
					? `; time ours/xmllint ${(ours / median(c.native.map((m) => m.wallMs))).toFixed(2)}×`
					: ''),
		);
	}
	if (uploadSkipped) summary.push(`  upload, poll and sets: skipped (${uploadSkipped})`);
	console.log(summary.join('\n'));

	const gib = sign?.ratios.find((r) => r.sizeBytes === 1024 * MIB);
	const signRss = Math.max(
		0,
		...(sign?.rows
			.filter((r) => r.sizeBytes === 1024 * MIB && r.tool !== 'openssl')
			.map((r) => r.peakRssMiB) ?? []),
	);
	const signMissed = gib ? gib.wallRatio > 1.1 || signRss > 128 : false;
	const uploadMissed = upload
		? !upload.targets.throughputMet || !upload.targets.rssMet || !upload.targets.rssFlat
		: false;
	const pollMissed = poll
		? poll.targets.loopbackMet === false ||
			poll.targets.delayedMet === false ||
			!poll.targets.rssMet
		: false;
	const setsMissed = sets
		? sets.targets.loopbackMet === false ||
			sets.targets.delayedMet === false ||
			!sets.targets.rssMet
		: false;
	const missed = signMissed || uploadMissed || pollMissed || setsMissed;
	return args.strict && missed ? 1 : 0;
}

main()
	.then((code) => {
		process.exitCode = code;
	})
	.catch((error: unknown) => {
		console.error(error instanceof Error ? error.message : error);
		process.exitCode = 1;
	});
