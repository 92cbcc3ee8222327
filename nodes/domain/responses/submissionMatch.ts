/**
 * Which submission an answer is about, among the GO names of submission records (docs/answers.md,
 * "Joining an answer to its submission"): by the GO name the answer gives (`answersGo`), else by the
 * set's identity `<APP>.<SENDER>.<DATE>.<SEQ>.<ENV>` — the part count left out — so that an ACRF naming
 * a stray FI of another part count (`FI.<set>.3.1` beside a 1-part set) still finds the set that was
 * sent: a sender's sequence numbers a set once a day, so the identity names one submission. By ticket
 * is the caller's third way (an answer that names no file).
 */
import { answeredSet } from './answeredSet';

/** `DMFA.000123.20260110.00002.T` for any GO, FI, FS or TD name of that set; undefined for other names. */
export function setIdentity(name: string | undefined): string | undefined {
	const go = answeredSet(name)?.go;
	return go === undefined ? undefined : go.slice(3).split('.').slice(0, 5).join('.');
}

export interface SubmissionIndex {
	byGo: Map<string, number>;
	bySet: Map<string, number>;
}

/** Indexes the GO names of submissions by position; the first of equal GOs or identities wins. */
export function indexSubmissions(gos: ReadonlyArray<string | undefined>): SubmissionIndex {
	const index: SubmissionIndex = { byGo: new Map(), bySet: new Map() };
	gos.forEach((go, position) => {
		if (go === undefined) return;
		if (!index.byGo.has(go)) index.byGo.set(go, position);
		const identity = setIdentity(go);
		if (identity !== undefined && !index.bySet.has(identity)) index.bySet.set(identity, position);
	});
	return index;
}

export interface SubmissionMatch {
	/** The position of the submission in the list indexed. */
	position: number;
	/** `go`: the answer's GO is the submission's; `set`: the same set, named with another part count. */
	by: 'go' | 'set';
}

/** The submission an answer is about, from the GO it names or the file it names. */
export function findSubmission(
	index: SubmissionIndex,
	answer: { answersGo?: string; answersFile?: string },
): SubmissionMatch | undefined {
	const byGo = answer.answersGo === undefined ? undefined : index.byGo.get(answer.answersGo);
	if (byGo !== undefined) return { position: byGo, by: 'go' };
	const identity = setIdentity(answer.answersFile) ?? setIdentity(answer.answersGo);
	const bySet = identity === undefined ? undefined : index.bySet.get(identity);
	return bySet === undefined ? undefined : { position: bySet, by: 'set' };
}
