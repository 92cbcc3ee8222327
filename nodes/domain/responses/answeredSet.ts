/**
 * Which of our declaration sets an answer is about, from the name it gives (`FileName` of an ACRF or a
 * NOTI), so that an answer joins its submission record by one field: the GO name.
 *
 * The server names the GO of the set in an answer to an accepted set, but the FI when it rejects a set
 * because of a file's name (docs/answers.md, "Joining an answer to its submission"); a cancellation is
 * answered with the TD.
 * Every file of a set shares `<APP>.<SENDER>.<YYYYMMDD>.<SEQ>.<ENV>.<PARTS>`, so the GO name is the
 * named file's with its kind set to GO and an FI/FS part number dropped.
 *
 * The name is read by its structure only, not against the naming rules: a set may be rejected exactly
 * because its name breaks a rule the server applies (a date too old, …), and that answer must join too.
 */
export type AnsweredFileKind = 'GO' | 'FI' | 'FS' | 'TD';

export interface AnsweredSet {
	/** What the answer named: the GO (accepted or rejected set), an FI or an FS (rejected for that file's name), a TD (cancel). */
	kind: AnsweredFileKind;
	/** The GO name of that set: the `go` of the submission record. */
	go: string;
	/** The FI name, when the answer named an FI. */
	fi?: string;
}

const FIELD = '[A-Za-z0-9-]{1,20}';
/** `<KIND>.<APP>.<SENDER>.<DATE>.<SEQ>.<ENV>.<PARTS>` and, for FI/FS, `.<PART>`. */
const SET_FILE = new RegExp(
	`^(FI|FS|GO|TD)\\.(${FIELD}\\.${FIELD}\\.${FIELD}\\.${FIELD}\\.${FIELD}\\.\\d{1,3})(\\.\\d{1,3})?$`,
);

/** Undefined when the name is missing or not shaped like one of our names (it then joins by ticket only). */
export function answeredSet(fileName: string | undefined): AnsweredSet | undefined {
	if (typeof fileName !== 'string') return undefined;
	const name = fileName.trim();
	const match = SET_FILE.exec(name);
	if (!match) return undefined;
	const [, kind, setKey, part] = match;
	const withPart = kind === 'FI' || kind === 'FS';
	if (withPart !== (part !== undefined)) return undefined;
	// The pattern admits letters, digits, dots and dashes only: nothing to clean before it is shown.
	const result: AnsweredSet = { kind: kind as AnsweredFileKind, go: `GO.${setKey}` };
	if (kind === 'FI') result.fi = name;
	return result;
}
