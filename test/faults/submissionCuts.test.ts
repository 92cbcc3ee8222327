/**
 * A 3-part set (FI of 2, 5 and 8 MiB, small FS) is sent while the connection is cut at eleven points:
 * during each FI, between the files, during each FS, just before the GO and right after it. Each cut is
 * made twice: "kill" (the sshd session is SIGKILLed: a reset connection) and "stall" (the session is
 * frozen: a half-open connection, ended by the operation timeout; the server is thawed afterwards, so
 * requests it had buffered are still carried out, as a slow real server would).
 *
 * The same holds when ten one-part sets are sent four at a time over one connection (as Submit sends the
 * items of an execution) and the connection is cut during one set's FI or just before another's GO.
 *
 * For every cut: no GO is ever on the server for an incomplete set; the SubmissionFailedError says
 * what reached the server, checked against the folder itself; a retry of the same set with
 * `resume: true` completes (GO last, every file identical, one GO) or refuses with a clear reason.
 */
import { randomBytes } from 'node:crypto';
import { brusselsToday } from '../../nodes/domain/names/brusselsTime';
import { planSubmission } from '../../nodes/domain/submission/declarationSet';
import {
	SubmissionFailedError,
	sharedFolderListing,
	submitPlannedSet,
} from '../../nodes/domain/submission/uploadSet';
import { runBounded } from '../../nodes/shared/boundedItems';
import { SocialSecurityError } from '../../nodes/domain/errors';
import { SftpChannel } from '../../nodes/domain/transport/sftpChannel';
import { describeWithSshd } from '../helpers/sandbox';
import { Ledger } from './helpers/ledger';
import {
	CutHooks,
	DiskFile,
	SetContent,
	dataComplete,
	onDisk,
	reachedProblems,
	setContent,
	setFiles,
	strangers,
} from './helpers/sets';
import {
	activeHandles,
	expectDomainError,
	expectHandlesBackTo,
	expectNoSessions,
	settle,
	useSandbox,
} from './helpers/world';

jest.setTimeout(60_000);

const ledger = new Ledger('submissionCuts');
const FOLDER = 'INTEST';
const OPERATION_TIMEOUT_MS = 1000;
/** Longest a cut submission may take to fail: the operation timeout, the failure report, and slack for CI. */
const FAILURE_BOUND_MS = 15_000;

type Mode = 'kill' | 'stall';
type Cut =
	| { at: 'during'; role: 'FI' | 'FS'; part: number }
	| { at: 'before-open'; role: 'FI' | 'FS'; part: number }
	| { at: 'before-go' }
	| { at: 'after-go' };

const CUTS: Array<[string, Cut]> = [
	['during FI 1', { at: 'during', role: 'FI', part: 1 }],
	['between FI 1 and FI 2', { at: 'before-open', role: 'FI', part: 2 }],
	['during FI 2', { at: 'during', role: 'FI', part: 2 }],
	['between FI 2 and FI 3', { at: 'before-open', role: 'FI', part: 3 }],
	['during FI 3', { at: 'during', role: 'FI', part: 3 }],
	['between FI 3 and FS 1', { at: 'before-open', role: 'FS', part: 1 }],
	['during FS 1', { at: 'during', role: 'FS', part: 1 }],
	['during FS 2', { at: 'during', role: 'FS', part: 2 }],
	['during FS 3', { at: 'during', role: 'FS', part: 3 }],
	['just before the GO', { at: 'before-go' }],
	['right after the GO was created', { at: 'after-go' }],
];

const today = brusselsToday();
// One set of contents for every scenario (each scenario has its own sequence, so its own names).
const FI = [2 * 1024 * 1024 + 11, 5 * 1024 * 1024 + 7, 8 * 1024 * 1024 - 5].map((size) =>
	randomBytes(size),
);
const FS = [2900, 3100, 2711].map((size) =>
	Buffer.from(randomBytes(size).toString('base64').slice(0, size)),
);

describeWithSshd('Submitting a 3-part set while the connection is cut', () => {
	const world = useSandbox({}, { operationTimeoutMs: OPERATION_TIMEOUT_MS });
	let baselineHandles = 0;
	let scenario = 0;

	beforeAll(() => {
		baselineHandles = activeHandles();
	});
	afterAll(() => ledger.report());

	const scenarios = CUTS.flatMap(([label, cut]) =>
		(['kill', 'stall'] as Mode[]).map((mode) => [`${label} (${mode})`, cut, mode] as const),
	);

	it.each(scenarios)(
		'%s: no GO for an incomplete set, an honest report, and a safe resume',
		async (label, cut, mode) => {
			const { sandbox } = world;
			scenario += 1;
			const set = setContent(
				`DMFA.000123.${today}.${mode === 'kill' ? 'K' : 'S'}${String(scenario).padStart(4, '0')}.T.3`,
				FI,
				FS,
			);
			const problems: string[] = [];
			let fired = false;
			const fire = () => {
				if (fired) return;
				fired = true;
				ledger.add('faultsInjected');
				if (mode === 'kill') sandbox.killSessions();
				else sandbox.freezeSessions();
			};
			const hooks: CutHooks = {};
			if (cut.at === 'during') hooks.during = { role: cut.role, part: cut.part, fire };
			if (cut.at === 'before-open')
				hooks.beforeOpen = (role, part) => role === cut.role && part === cut.part && fire();
			const files = setFiles(set, sandbox, FOLDER, hooks);

			// ---- First attempt, cut ----------------------------------------------------------------------
			const channel = await world.open();
			if (cut.at === 'before-go' || cut.at === 'after-go')
				wrapGoCreation(channel, set.go, cut.at, fire);
			const attempt = await settle(
				submitPlannedSet(channel, planSubmission(files.fi, files.fs)),
				FAILURE_BOUND_MS,
				ledger,
				`${label}: first attempt`,
			);
			// The folder as it is when the error is reported (a frozen server changes nothing until thawed).
			const atFailure = onDisk(sandbox, FOLDER, set);
			expect(fired).toBe(true);
			expect(attempt.hung).toBe(false);
			if (cut.at === 'after-go') {
				// The server confirmed the GO before the cut: the set is complete and submitted, and Submit says so
				// (it does not look at the GO again: the server may take it away at once).
				expect(attempt.error).toBeUndefined();
				expect(attempt.value?.go).toBe(set.go);
				if (!(atFailure.has(set.go) && dataComplete(set, atFailure)))
					problems.push('reported success but the set is not complete on the server');
				if (mode === 'stall') sandbox.thawSessions();
				expect(
					(await settle(channel.close(), 5000, ledger, `${label}: close after the cut`)).hung,
				).toBe(false);
				await expectNoSessions(sandbox, ledger, label);
				for (const problem of problems) ledger.note(`${label}: ${problem}`);
				expect(problems).toEqual([]);
				return;
			}
			if (attempt.value) problems.push('the cut submission reported success');
			const failure = expectDomainError(attempt.error, ledger, label) as SubmissionFailedError;
			expect(failure).toBeInstanceOf(SubmissionFailedError);
			problems.push(...reportProblems(failure, set, atFailure));
			problems.push(...goProblems('at the failure', set, atFailure));

			// ---- The fault ends: a frozen server resumes (and carries out what it had buffered) ---------
			if (mode === 'stall') sandbox.thawSessions();
			const closed = await settle(channel.close(), 5000, ledger, `${label}: close after the cut`);
			expect(closed.hung).toBe(false);
			await expectNoSessions(sandbox, ledger, label);
			const beforeRetry = onDisk(sandbox, FOLDER, set);
			problems.push(...goProblems('once the server resumed', set, beforeRetry));
			// What the server did late must still fit the report ("may be there" notes allow it).
			problems.push(
				...reportProblems(failure, set, beforeRetry).map((p) => `once the server resumed: ${p}`),
			);

			// ---- Retry of the same set with resume ------------------------------------------------------
			const plain = setFiles(set, sandbox, FOLDER);
			const retryChannel = await world.open({ operationTimeoutMs: 10_000 });
			const retry = await settle(
				submitPlannedSet(retryChannel, planSubmission(plain.fi, plain.fs), { resume: true }),
				30_000,
				ledger,
				`${label}: resume`,
			);
			await retryChannel.close();
			const final = onDisk(sandbox, FOLDER, set);
			problems.push(...goProblems('after the resume', set, final));
			problems.push(...outcomeProblems(set, beforeRetry, final, retry.value, retry.error));

			for (const problem of problems) ledger.note(`${label}: ${problem}`);
			expect(problems).toEqual([]);
			await expectNoSessions(sandbox, ledger, `${label}: after the resume`);
			await expectHandlesBackTo(baselineHandles, ledger, label);
		},
	);

	// ---- Many sets in flight over one connection, as Submit sends the items of an execution ----------

	const concurrentCuts: Array<[string, 'during' | 'before-go', Mode]> = [
		['during the FI of the 4th set', 'during', 'kill'],
		['during the FI of the 4th set', 'during', 'stall'],
		['just before the GO of the 6th set', 'before-go', 'kill'],
		['just before the GO of the 6th set', 'before-go', 'stall'],
	];

	it.each(concurrentCuts)(
		'10 sets, 4 in flight, cut %s (%s, %s): no GO for an incomplete set, honest reports, and a safe resume',
		async (_label, at, mode) => {
			const { sandbox } = world;
			scenario += 1;
			const tag = `${mode === 'kill' ? 'K' : 'S'}${String(scenario).padStart(2, '0')}`;
			const sets = Array.from({ length: 10 }, (_, i) =>
				setContent(`DIMN.000123.${today}.P${tag}${i}.T.1`, [randomBytes(300 * 1024 + i)], [FS[0]]),
			);
			const problems: string[] = [];
			let fired = false;
			const fire = () => {
				if (fired) return;
				fired = true;
				ledger.add('faultsInjected');
				if (mode === 'kill') sandbox.killSessions();
				else sandbox.freezeSessions();
			};
			const channel = await world.open();
			if (at === 'before-go') wrapGoCreation(channel, sets[5].go, 'before-go', fire);
			const listing = sharedFolderListing(channel);
			const attempt = await settle(
				runBounded(
					sets.length,
					4,
					(i) => {
						const files = setFiles(
							sets[i],
							sandbox,
							FOLDER,
							at === 'during' && i === 3 ? { during: { role: 'FI', part: 1, fire } } : {},
						);
						return submitPlannedSet(channel, planSubmission(files.fi, files.fs), { listing });
					},
					() => false,
				),
				FAILURE_BOUND_MS,
				ledger,
				`concurrent ${at} ${mode}: first attempt`,
			);
			expect(fired).toBe(true);
			expect(attempt.hung).toBe(false);
			const outcomes = attempt.value ?? [];
			const atFailure = sets.map((set) => onDisk(sandbox, FOLDER, set));
			const failed: number[] = [];
			outcomes.forEach((outcome, i) => {
				problems.push(...goProblems(`set ${i} at the failure`, sets[i], atFailure[i]));
				if (outcome?.ok) {
					if (!(atFailure[i].has(sets[i].go) && dataComplete(sets[i], atFailure[i]))) {
						ledger.add('setsLost');
						problems.push(`set ${i} reported success but is not complete on the server`);
					}
					return;
				}
				failed.push(i);
				const failure = expectDomainError(
					outcome?.error,
					ledger,
					`concurrent set ${i}`,
				) as SubmissionFailedError;
				expect(failure).toBeInstanceOf(SubmissionFailedError);
				problems.push(
					...reportProblems(failure, sets[i], atFailure[i]).map((p) => `set ${i}: ${p}`),
				);
			});
			expect(failed.length).toBeGreaterThan(0);

			if (mode === 'stall') sandbox.thawSessions();
			expect((await settle(channel.close(), 5000, ledger, 'concurrent: close')).hung).toBe(false);
			await expectNoSessions(sandbox, ledger, `concurrent ${at} ${mode}`);
			const beforeRetry = sets.map((set) => onDisk(sandbox, FOLDER, set));
			sets.forEach((set, i) =>
				problems.push(...goProblems(`set ${i} once the server resumed`, set, beforeRetry[i])),
			);

			// The failed sets again, with resume, four at a time over a new connection.
			const retryChannel = await world.open({ operationTimeoutMs: 10_000 });
			const retryListing = sharedFolderListing(retryChannel);
			const retried = await settle(
				runBounded(
					failed.length,
					4,
					(k) => {
						const plain = setFiles(sets[failed[k]], sandbox, FOLDER);
						return submitPlannedSet(retryChannel, planSubmission(plain.fi, plain.fs), {
							resume: true,
							listing: retryListing,
						});
					},
					() => false,
				),
				30_000,
				ledger,
				'concurrent: resume',
			);
			await retryChannel.close();
			failed.forEach((i, k) => {
				const outcome = retried.value?.[k];
				const final = onDisk(sandbox, FOLDER, sets[i]);
				problems.push(...goProblems(`set ${i} after the resume`, sets[i], final));
				problems.push(
					...outcomeProblems(
						sets[i],
						beforeRetry[i],
						final,
						outcome?.ok ? outcome.value : undefined,
						outcome && !outcome.ok ? outcome.error : undefined,
					).map((p) => `set ${i}: ${p}`),
				);
			});
			for (const problem of problems) ledger.note(`concurrent ${at} ${mode}: ${problem}`);
			expect(problems).toEqual([]);
			await expectHandlesBackTo(baselineHandles, ledger, `concurrent ${at} ${mode}`);
		},
	);

	it('counted every cut as a fault and found nothing lost, misreported or duplicated', () => {
		expect(ledger.get('faultsInjected')).toBe(scenarios.length + concurrentCuts.length);
		for (const counter of [
			'setsLost',
			'goForIncompleteSet',
			'misreported',
			'duplicates',
			'hangs',
			'unclearErrors',
		] as const) {
			expect([counter, ledger.get(counter)]).toEqual([counter, 0]);
		}
	});
});

/** Cuts the connection when the GO is created: before its request, or once it is on the server. */
function wrapGoCreation(
	channel: SftpChannel,
	go: string,
	at: 'before-go' | 'after-go',
	fire: () => void,
): void {
	const original = channel.createEmptyExclusive.bind(channel);
	channel.createEmptyExclusive = async (remotePath: string) => {
		const isGo = remotePath.endsWith(`/${go}`);
		if (isGo && at === 'before-go') fire();
		await original(remotePath);
		if (isGo && at === 'after-go') fire();
	};
}

function goProblems(when: string, set: SetContent, files: Map<string, DiskFile>): string[] {
	if (!files.has(set.go) || dataComplete(set, files)) return [];
	ledger.add('goForIncompleteSet');
	return [
		`${when}: GO on the server with ${[...files.values()].map((f) => `${f.name}=${f.size}${f.identical ? '' : '!'}`).join(' ')}`,
	];
}

/** The error lists what is on the server, and says the truth about the GO. */
function reportProblems(
	failure: SubmissionFailedError,
	set: SetContent,
	files: Map<string, DiskFile>,
): string[] {
	const problems = reachedProblems(failure.reached, files);
	const goThere = files.has(set.go);
	if (goThere && /No GO was sent/.test(failure.message))
		problems.push('the GO is on the server but the message says "No GO was sent"');
	if (!goThere && !/No GO was sent|GO may have/.test(failure.message))
		problems.push('the message does not say whether a GO was sent');
	if (!failure.hint) problems.push('the error has no hint');
	if (problems.length > 0) {
		ledger.add('misreported');
		problems.push(`(message: ${failure.message})`);
	}
	return problems;
}

/**
 * After the resume: the whole set is on the server, each file identical, one GO written last; or the
 * resume refused because the GO was already there (the set complete). Anything else loses the set.
 */
function outcomeProblems(
	set: SetContent,
	before: Map<string, DiskFile>,
	final: Map<string, DiskFile>,
	record: Awaited<ReturnType<typeof submitPlannedSet>> | undefined,
	error: unknown,
): string[] {
	const problems: string[] = [];
	const complete = final.has(set.go) && final.get(set.go)?.size === 0 && dataComplete(set, final);
	const extra = strangers(set, final);
	if (extra.length > 0) {
		ledger.add('duplicates', extra.length);
		problems.push(`unexpected files ${extra.join(', ')}`);
	}
	if (error !== undefined) {
		const clearRefusal =
			error instanceof SocialSecurityError &&
			error.code === 'SET_ALREADY_SUBMITTED' &&
			before.has(set.go) &&
			complete;
		if (!clearRefusal) {
			ledger.add('setsLost');
			problems.push(
				`resume failed: ${error instanceof Error ? error.message : String(error)} [before: ${summary(before)}] [after: ${summary(final)}]`,
			);
		}
		return problems;
	}
	if (!complete) {
		ledger.add('setsLost');
		problems.push(`resume reported success, the server has ${summary(final)}`);
	}
	if (before.has(set.go)) {
		ledger.add('duplicates');
		problems.push('resume sent the set again although its GO was there');
	}
	const go = final.get(set.go);
	if (go && [...final.values()].some((f) => f.name !== set.go && f.mtimeNs > go.mtimeNs)) {
		ledger.add('goForIncompleteSet');
		problems.push('the GO was written before another file of the set');
	}
	// Files that were complete before the resume were checked and kept, not sent again.
	const resentComplete = (record?.files ?? []).filter(
		(f) => f.role !== 'GO' && before.get(f.name)?.identical && !f.resumed,
	);
	if (resentComplete.length > 0) {
		ledger.add('duplicates', resentComplete.length);
		problems.push(`resume sent again ${resentComplete.map((f) => f.name).join(', ')}`);
	}
	const names = record?.files.map((f) => f.name) ?? [];
	const order = [...set.expected.keys()].sort(byUploadOrder(set));
	if (JSON.stringify(names) !== JSON.stringify(order))
		problems.push(`the record lists ${names.join(', ')}`);
	return problems;
}

function summary(files: Map<string, DiskFile>): string {
	return [...files.values()]
		.map(
			(f) =>
				`${f.name.split('.').slice(0, 1).concat(f.name.split('.').slice(-2)).join('.')}=${f.size}${f.identical ? '' : '!'}`,
		)
		.join(' ');
}

function byUploadOrder(set: SetContent): (a: string, b: string) => number {
	const rank = (name: string) => (name === set.go ? 2 : name.startsWith('FS.') ? 1 : 0);
	return (a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}
