/** The answers the simulator wrote, in order, and the waits of tests for one of them. */
import type { AnswerRecord, AnswerType } from './types';

export function createAnswerBoard(messages: string[]) {
	const answers: AnswerRecord[] = [];
	const waiters: Array<{ fileName: string; type: AnswerType; resolve: (a: AnswerRecord) => void }> =
		[];

	/** Makes an answer visible to `answers` and `waitForAnswer` (after its `processed` record, if any). */
	const publish = (record: AnswerRecord) => {
		answers.push(record);
		for (const waiter of [...waiters]) {
			if (waiter.fileName === record.fileName && waiter.type === record.type) {
				waiters.splice(waiters.indexOf(waiter), 1);
				waiter.resolve(record);
			}
		}
	};

	/** Resolves with the answer of that type about that name; rejects after timeoutMs with what came. */
	const waitForAnswer = (fileName: string, type: AnswerType, timeoutMs = 10_000) => {
		const found = answers.find((a) => a.fileName === fileName && a.type === type);
		if (found) return Promise.resolve(found);
		return new Promise<AnswerRecord>((resolve, reject) => {
			const waiter = {
				fileName,
				type,
				resolve: (a: AnswerRecord) => {
					clearTimeout(t);
					resolve(a);
				},
			};
			const t = setTimeout(() => {
				const index = waiters.indexOf(waiter);
				if (index >= 0) waiters.splice(index, 1);
				const so = answers.map((a) => `${a.type}:${a.fileName}`).join(', ') || 'none';
				reject(
					new Error(
						`No ${type} about ${fileName} within ${timeoutMs} ms. Answers so far: ${so}. Log: ${messages.slice(-10).join(' | ')}`,
					),
				);
			}, timeoutMs);
			waiters.push(waiter);
		});
	};

	return { answers, publish, waitForAnswer };
}
