/**
 * Checks a declaration (the content of an FI) against its XSD before it is sent. The server checks the
 * same minutes or hours later and refuses a set whose FI breaks its schema (ACRF-255/312), whose
 * schema it does not know (ACRF-088) or that is not XML (ACRF-102) — and the set's name is then spent
 * (ACRF-133), docs/batch-channel.md §5. Each finding names its line, element and rule, and the report
 * names the ACRF code the check avoids. The declaration is streamed (xmllintRunner.ts): memory stays
 * flat up to MAX_VALIDATION_BYTES, the largest size measured (docs/validation.md).
 */
import { Readable } from 'node:stream';
import { SocialSecurityError } from '../errors';
import { ChosenSchema, chooseMainSchema, closeOver, SchemaSet } from './schemaSet';
import { runXmllint, XmllintRun } from './xmllintRunner';

const MIB = 1024 * 1024;
/** The largest declaration measured (1 GiB: flat memory, about a minute); beyond it we refuse. */
export const MAX_VALIDATION_BYTES = 1024 * MIB;
/** Validations at a time in one process: each is a worker thread busy on one core. */
export const MAX_CONCURRENT_VALIDATIONS = 2;

export type AvoidedCode = 'ACRF-088' | 'ACRF-102' | 'ACRF-312';

export interface ValidationIssue {
	/** Line of the declaration (1-based), when xmllint gives one. */
	line?: number;
	/** The element concerned, when named. */
	element?: string;
	/** The rule broken, short: `maxInclusive`, `pattern`, `unexpected element`, `not XML`, … */
	rule: string;
	/** xmllint's own text. */
	message: string;
}

export interface DeclarationValidation {
	valid: boolean;
	/** The declaration's name as given (an FI name). */
	declaration: string;
	/** Its root element. */
	root: string;
	/** The XSD it was checked against, and where the set came from. */
	schema: string;
	schemaOrigin: string;
	bytes: number;
	/** The first findings (at most `maxIssues`); `issueCount` counts them all. */
	issues: ValidationIssue[];
	issueCount: number;
	/** The code the server would answer, which this check avoids; absent when valid. */
	acrfCode?: AvoidedCode;
	/** One line for a person. */
	summary: string;
	durationMs: number;
}

/** Where the XSD comes from: a set (folder, ZIP, URL; the main XSD by root element) or one chosen XSD. */
export type SchemaChoice = { set: SchemaSet } | { schema: ChosenSchema };

export interface ValidateOptions {
	/** The declaration's name, for messages (e.g. its FI name). */
	name: string;
	/** Its size when known: a declaration over the limit is refused before anything is read. */
	size?: number;
	/** Default MAX_VALIDATION_BYTES; cannot be raised beyond it. */
	maxBytes?: number;
	maxIssues?: number;
}

const ACRF_TEXT: Record<AvoidedCode, string> = {
	'ACRF-088': 'ACRF-088, schema unknown',
	'ACRF-102': 'ACRF-102, XML syntax not correct',
	'ACRF-312': 'ACRF-312 or ACRF-255, not valid against its XML schema',
};

let running = 0;
const waiting: Array<() => void> = [];
async function slot<T>(work: () => Promise<T>): Promise<T> {
	// A freed slot is handed to the next waiter directly, so a newcomer cannot take it in between.
	if (running >= MAX_CONCURRENT_VALIDATIONS) await new Promise<void>((r) => waiting.push(r));
	else running += 1;
	try {
		return await work();
	} finally {
		const next = waiting.shift();
		if (next) next();
		else running -= 1;
	}
}

function megabytes(bytes: number): string {
	return `${(bytes / MIB).toFixed(bytes < 10 * MIB ? 1 : 0)} MB`;
}

function sizeLimitError(name: string, bytes: number, limit: number, atLeast: boolean) {
	return new SocialSecurityError(
		'VALIDATION_TOO_LARGE',
		`The declaration ${name} is ${atLeast ? 'more than ' : ''}${megabytes(bytes)} (${bytes} bytes); validation before sending supports up to ${megabytes(limit)} (${limit} bytes).`,
		'Split the declaration over several files (or parts), or switch "Validate Before Sending" off for it.',
	);
}

/** The root element's name from the first bytes (XML declaration, comments, PIs and DOCTYPE skipped). */
export function rootElementOf(head: string): string | undefined {
	const text = head
		.replace(/^\uFEFF/, '')
		.replace(/<\?[\s\S]*?\?>/g, '')
		.replace(/<!--[\s\S]*?-->/g, '')
		.replace(/<!DOCTYPE[^>]*>/i, '');
	const match = /^\s*<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)[\s>/]/.exec(text);
	return match ? match[1].replace(/^.*:/, '') : undefined;
}

/** Reads the first bytes of a stream and gives back a stream of all of it. */
async function peek(stream: Readable, bytes: number): Promise<{ head: Buffer; whole: Readable }> {
	const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
	const taken: Buffer[] = [];
	let length = 0;
	let done = false;
	while (length < bytes) {
		const next = await iterator.next();
		if (next.done) {
			done = true;
			break;
		}
		const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
		taken.push(chunk);
		length += chunk.length;
	}
	async function* rest(): AsyncGenerator<Buffer> {
		yield* taken;
		if (done) return;
		for (;;) {
			const next = await iterator.next();
			if (next.done) return;
			yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
		}
	}
	const whole = Readable.from(rest(), { objectMode: false });
	whole.once('close', () => stream.destroy());
	return { head: Buffer.concat(taken).subarray(0, bytes), whole };
}

const LOCATED = /^(?:.*?):(\d+): (.*?) : (.*)$/;

/** xmllint's line → line, element, rule, text. */
export function parseIssue(line: string): ValidationIssue {
	const located = LOCATED.exec(line);
	const text = located ? located[3].trim() : line.trim();
	const kind = located ? located[2] : '';
	const element = /^Element '([^']+)'/.exec(text)?.[1]?.replace(/^\{[^}]*\}/, '');
	let rule: string;
	const facet = /\[facet '([^']+)'\]/.exec(text);
	if (/parser error/.test(kind)) rule = 'not XML';
	else if (facet) rule = facet[1];
	else if (/This element is not expected/.test(text)) rule = 'unexpected element';
	else if (/Missing child element/.test(text)) rule = 'missing element';
	else if (/No matching global declaration available for the validation root/.test(text))
		rule = 'unknown root';
	else if (/is not a valid value of the (?:local )?atomic type(?: '([^']+)')?/.test(text))
		rule = `type ${/atomic type '([^']+)'/.exec(text)?.[1] ?? '(local)'}`;
	else if (/attribute '([^']+)' is not allowed/.test(text)) rule = 'attribute not allowed';
	else if (/attribute '([^']+)' is required/.test(text)) rule = 'attribute required';
	else if (/Element content is not allowed|Character content/.test(text)) rule = 'content';
	else
		rule = text
			.replace(/^Element '[^']+'(?: \[[^\]]*\])?: /, '')
			.split(/\. /)[0]
			.slice(0, 60);
	return {
		...(located ? { line: Number(located[1]) } : {}),
		...(element ? { element } : {}),
		rule,
		message: text,
	};
}

/** The messages of a run that are findings (not xmllint's context lines or closing words). */
function issuesOf(run: XmllintRun): ValidationIssue[] {
	return run.messages.filter((m) => LOCATED.test(m)).map(parseIssue);
}

function describe(issue: ValidationIssue): string {
	const where = [
		issue.line !== undefined ? `line ${issue.line}` : undefined,
		issue.element ? `element ${issue.element}` : undefined,
		`rule ${issue.rule}`,
	]
		.filter(Boolean)
		.join(', ');
	const text = issue.message
		.replace(/^Element '[^']+'(?: \[[^\]]*\])?: /, '')
		.replace(/^\[[^\]]*\] /, '');
	return `${where}: ${text.replace(/\.$/, '')}`;
}

/**
 * Checks one declaration. `open` is called once, or twice for a document that is not well-formed (the
 * second pass, without schema, says where it breaks XML). Never throws for an invalid declaration: the
 * report says why; throws SocialSecurityError when the check cannot be made (schema missing or broken,
 * declaration over the size limit, unreadable).
 */
export async function validateDeclaration(
	open: () => Readable | Promise<Readable>,
	schemas: SchemaChoice,
	options: ValidateOptions,
): Promise<DeclarationValidation> {
	const limit = Math.min(options.maxBytes ?? MAX_VALIDATION_BYTES, MAX_VALIDATION_BYTES);
	if (options.size !== undefined && options.size > limit)
		throw sizeLimitError(options.name, options.size, limit, false);
	const started = Date.now();
	return slot(async () => {
		const { head, whole } = await Promise.resolve()
			.then(async () => await peek(await open(), 64 * 1024))
			.catch((error: unknown) => {
				throw new SocialSecurityError(
					'VALIDATION_FAILED',
					`The declaration ${options.name} could not be read for validation: ${error instanceof Error ? error.message : String(error)}.`,
					'Check that the binary of the declaration is still there (n8n keeps binaries for a limited time).',
					{ cause: error },
				);
			});
		const root = rootElementOf(head.toString('utf8')) ?? '';
		const base = {
			declaration: options.name,
			root,
			schemaOrigin: 'schema' in schemas ? schemas.schema.origin : schemas.set.origin,
		};
		const finish = (
			fields: Pick<DeclarationValidation, 'schema' | 'bytes' | 'issues' | 'issueCount'> & {
				acrfCode?: AvoidedCode;
			},
		): DeclarationValidation => {
			const valid = fields.acrfCode === undefined;
			const first = fields.issues[0];
			const more = fields.issueCount > 1 ? ` (and ${fields.issueCount - 1} more)` : '';
			return {
				valid,
				...base,
				...fields,
				summary: valid
					? `${options.name} is valid against ${fields.schema}.`
					: `${options.name} would be refused (${ACRF_TEXT[fields.acrfCode as AvoidedCode]}): ${first ? describe(first) : 'see the issues'}${more}.`,
				durationMs: Date.now() - started,
			};
		};
		const notXml = async (): Promise<DeclarationValidation> => {
			whole.destroy();
			const second = await runXmllint({
				schemas: [],
				main: undefined,
				declaration: await open(),
				declarationName: 'declaration.xml',
				maxMessages: options.maxIssues,
			});
			const issues = issuesOf(second);
			return finish({
				schema: '',
				bytes: second.bytesRead,
				issues: issues.length > 0 ? issues : [{ rule: 'not XML', message: 'not well-formed XML' }],
				issueCount: Math.max(1, issues.length),
				acrfCode: 'ACRF-102',
			});
		};
		if (!root) return notXml();

		let chosen: ChosenSchema;
		if ('schema' in schemas) chosen = schemas.schema;
		else {
			const main = schemas.set.main ?? chooseMainSchema(schemas.set, root);
			if (main === undefined) {
				whole.destroy();
				const have = schemas.set.files.map((f) => f.path).slice(0, 12);
				return finish({
					schema: '',
					bytes: 0,
					issues: [
						{
							line: undefined,
							element: root,
							rule: 'unknown root',
							message: `No XSD for the root element <${root}> in ${schemas.set.origin} (it holds ${have.length > 0 ? have.join(', ') : 'no XSD'}); XSDs are found by their name, ${root}_<version>.xsd.`,
						},
					],
					issueCount: 1,
					acrfCode: 'ACRF-088',
				});
			}
			chosen = closeOver(schemas.set, main);
		}

		let bytes = 0;
		const run = await runXmllint({
			schemas: chosen.files,
			main: chosen.main,
			declaration: whole,
			declarationName: 'declaration.xml',
			maxMessages: options.maxIssues,
			onBytes: (read) => {
				bytes = read;
				if (read > limit) throw sizeLimitError(options.name, read, limit, true);
			},
		}).catch((error: unknown) => {
			if (error instanceof SocialSecurityError) throw error;
			throw new SocialSecurityError(
				'VALIDATION_FAILED',
				`The declaration ${options.name} could not be validated: ${error instanceof Error ? error.message : String(error)}.`,
				'Check that the declaration can be read; switch "Validate Before Sending" off to send it unchecked.',
				{ cause: error },
			);
		});
		bytes = run.bytesRead;
		const schema = chosen.main;
		if (run.exitCode === 0) return finish({ schema, bytes, issues: [], issueCount: 0 });
		if (run.exitCode === 1) return notXml();
		if (run.exitCode === 3 || run.exitCode === 4) {
			const issues = issuesOf(run);
			const unknownRoot = issues.length > 0 && issues.every((i) => i.rule === 'unknown root');
			return finish({
				schema,
				bytes,
				issues,
				issueCount: Math.max(run.messageCount, issues.length),
				acrfCode: unknownRoot ? 'ACRF-088' : 'ACRF-312',
			});
		}
		const why = run.messages.slice(0, 3).join(' ').slice(0, 600);
		if (run.exitCode === 5) {
			throw new SocialSecurityError(
				'VALIDATION_SCHEMA_BROKEN',
				`The XSD ${schema} from ${chosen.origin} cannot be used: ${why || 'xmllint could not compile it'}.`,
				'Give the schema set as downloaded from the social security portal (every file it includes, unchanged).',
			);
		}
		throw new SocialSecurityError(
			'VALIDATION_FAILED',
			`The declaration ${options.name} could not be validated (xmllint status ${run.exitCode}): ${why}.`,
			'Switch "Validate Before Sending" off to send it unchecked, and report this with the XSD version.',
		);
	});
}

/** A declaration refused before sending: what is wrong, where, and the code it avoids. */
export class DeclarationInvalidError extends SocialSecurityError {
	constructor(readonly reports: DeclarationValidation[]) {
		const report = reports.find((r) => !r.valid) ?? reports[0];
		super(
			'DECLARATION_INVALID',
			`Not sent: ${report.summary}`,
			report.acrfCode === 'ACRF-102'
				? 'Fix the export so it writes well-formed XML, then run the workflow again; nothing reached the server.'
				: report.acrfCode === 'ACRF-088'
					? 'Use the XSD of the declaration you send (the right kind and a version the server accepts); nothing reached the server.'
					: 'Correct the elements named in the payroll export, then run the workflow again; nothing reached the server.',
		);
		this.name = 'DeclarationInvalidError';
		const first = report.issues[0];
		this.details = {
			acrfCode: report.acrfCode ?? '',
			schema: report.schema,
			...(first?.line !== undefined ? { line: String(first.line) } : {}),
			...(first?.element ? { element: first.element } : {}),
			...(first ? { rule: first.rule } : {}),
		};
	}
}

/** The error a refused declaration raises (see DeclarationInvalidError). */
export function invalidDeclarationError(report: DeclarationValidation): DeclarationInvalidError {
	return new DeclarationInvalidError([report]);
}
