/**
 * Items of one execution worked on several at a time, with the results in item order: Submit sends
 * the sets of an execution this way over its one connection (issue 15). No n8n import: plain promises.
 */
export type ItemOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Runs `work` for the indexes 0 … count−1, at most `limit` at once. After a failure for which
 * `stopOnFailure` says so, no new index is started; the ones already running finish (a set being sent
 * is never abandoned half-way by us). Indexes never started have no outcome.
 */
export async function runBounded<R>(
	count: number,
	limit: number,
	work: (index: number) => Promise<R>,
	stopOnFailure: (error: unknown) => boolean,
): Promise<Array<ItemOutcome<R> | undefined>> {
	const outcomes: Array<ItemOutcome<R> | undefined> = new Array(count);
	let next = 0;
	let stopped = false;
	const worker = async (): Promise<void> => {
		while (!stopped && next < count) {
			const index = next;
			next += 1;
			try {
				outcomes[index] = { ok: true, value: await work(index) };
			} catch (error) {
				outcomes[index] = { ok: false, error };
				if (stopOnFailure(error)) stopped = true;
			}
		}
	};
	const workers = Math.max(1, Math.min(count, Math.floor(limit) || 1));
	await Promise.all(Array.from({ length: workers }, () => worker()));
	return outcomes;
}
