/**
 * ACRF: the acknowledgement the server sends first for every set we upload (docs/batch-channel.md §5).
 *
 * ```
 * <ACRF><Form>
 *   <Identification>ACRF001</Identification>
 *   <FormCreationDate>YYYY-MM-DD</FormCreationDate><FormCreationHour>HH:MM:SS.sss</FormCreationHour>
 *   <TypeForm>FA|PA</TypeForm>
 *   <FileReference><FileName>GO… (FI… for a set refused for a file's name)</FileName><ReferenceOrigin>2</ReferenceOrigin><ReferenceNbr>ticket</ReferenceNbr></FileReference>
 *   <ReceptionResult><ResultCode>0|1</ResultCode><ErrorID>ACRF-125</ErrorID>…</ReceptionResult>
 * </Form></ACRF>
 * ```
 * ResultCode 1 = accepted for processing (not yet: the declaration itself is judged in the NOTI).
 * The reader is tolerant: whitespace, namespaces, attributes, one or many ErrorID, missing optional
 * elements. What is odd is said in `warnings` rather than failing.
 */
import { describeError } from '../codes/describeError';
import { SocialSecurityError } from '../errors';
import { describeAcrfError, findAcrfError, normalizeAcrfCode } from './acrfErrorCodes';
import {
	SafeXmlOptions,
	XmlObject,
	childNamed,
	childrenNamed,
	findElements,
	isXmlObject,
	nonEmptyText,
	parseSafeXml,
	printable,
} from './safeXml';

export interface AcrfError {
	/** `ACRF-125` (normalised from `125`, `acrf-125`, …); an unrecognised value as given. */
	code: string;
	/** Meaning and what to do, in plain words. */
	meaning: string;
	/** Whether the code is in our table. */
	known: boolean;
	/** The annex-30 text of the number, Dutch and French as published (docs/codes.md). */
	nl?: string;
	fr?: string;
}

export interface AcrfAnswer {
	root: 'ACRF';
	/** ResultCode 1: the file was accepted for processing. */
	accepted: boolean;
	resultCode?: string;
	/** `FA` final answer, `PA` provisional answer, or what was given. */
	typeForm?: string;
	final: boolean;
	provisional: boolean;
	/** The ticket (ReferenceNbr) the server gave the file; the NOTI repeats it. */
	ticket?: string;
	referenceOrigin?: string;
	/**
	 * FileName as given: the GO we sent, or the FI (or FS) of a set refused for that file's name, or the
	 * TD of a cancellation. `answeredSet` turns it into the GO name of the set.
	 */
	answersFile?: string;
	/** FormCreationDate + FormCreationHour as ISO 8601 with the Europe/Brussels offset, wall time unchanged. */
	createdAt?: string;
	/** FormCreationDate and FormCreationHour as given, joined by a space. */
	createdAtText?: string;
	identification?: string;
	attestationStatus?: string;
	errors: AcrfError[];
	/** Oddities that did not prevent reading (missing ResultCode, several forms, …). */
	warnings: string[];
}

/** Reads an ACRF answer; throws RESPONSE_NOT_ACRF when the root is something else, RESPONSE_XML_* when unsafe or broken. */
export function parseAcrf(xml: string | Buffer, options: SafeXmlOptions = {}): AcrfAnswer {
	const doc = parseSafeXml(xml, options);
	if (doc.rootElement.toUpperCase() !== 'ACRF') {
		throw new SocialSecurityError(
			'RESPONSE_NOT_ACRF',
			`${options.sourceName ? `The answer ${printable(options.sourceName)}` : 'The answer'} is not an ACRF acknowledgement: its root element is <${printable(doc.rootElement)}>.`,
			'Read it as the type its name says (NOTI, DMNO, …) rather than as an ACRF.',
		);
	}
	return acrfFromRoot(doc.root);
}

/** Builds the ACRF view from the content of an already parsed `<ACRF>` element. */
export function acrfFromRoot(root: unknown): AcrfAnswer {
	const warnings: string[] = [];
	const forms = childrenNamed(root, 'Form');
	if (forms.length > 1)
		warnings.push(`The ACRF holds ${forms.length} forms; only the first one was read.`);
	const form: unknown = forms.length > 0 ? forms[0] : root;
	if (forms.length === 0)
		warnings.push('The ACRF has no <Form> element; its fields were read directly under <ACRF>.');

	const fileReference = childNamed(form, 'FileReference') ?? form;
	const receptionResult = childNamed(form, 'ReceptionResult') ?? form;

	const resultCode =
		nonEmptyText(childNamed(receptionResult, 'ResultCode')) ??
		nonEmptyText(findFirst(form, 'ResultCode'));
	if (resultCode === undefined)
		warnings.push('The ACRF has no ResultCode; it is treated as not accepted.');
	else if (resultCode !== '0' && resultCode !== '1')
		warnings.push(`Unexpected ResultCode "${printable(resultCode)}"; only 1 means accepted.`);

	const typeForm = nonEmptyText(childNamed(form, 'TypeForm'))?.toUpperCase();
	if (typeForm !== undefined && typeForm !== 'FA' && typeForm !== 'PA') {
		warnings.push(`Unexpected TypeForm "${printable(typeForm)}" (FA = final, PA = provisional).`);
	}

	const errors: AcrfError[] = [];
	const errorElements =
		isXmlObject(receptionResult) && receptionResult !== form
			? findElements(receptionResult, ['ErrorID'])
			: findElements(form, ['ErrorID']);
	for (const element of errorElements) {
		const value = nonEmptyText(element.value);
		if (value === undefined) {
			warnings.push('An ErrorID without a readable code was ignored.');
			continue;
		}
		const code = normalizeAcrfCode(value);
		const entry: AcrfError = {
			code: printable(code, 40),
			meaning: describeAcrfError(code),
			known: findAcrfError(code) !== undefined,
		};
		const annex = describeError(code).error;
		if (annex?.nl !== undefined) entry.nl = annex.nl;
		if (annex?.fr !== undefined) entry.fr = annex.fr;
		// A code that is not in our English table but is in annex 30 still has its published meaning.
		if (!entry.known && annex?.known) entry.meaning = `${annex.nl} / ${annex.fr}`;
		errors.push(entry);
	}

	const accepted = resultCode === '1';
	if (accepted && errors.length > 0)
		warnings.push('The ACRF says the file was accepted but also lists errors.');
	if (resultCode === '0' && errors.length === 0)
		warnings.push('The ACRF says the file was refused but gives no error code.');

	const date = nonEmptyText(childNamed(form, 'FormCreationDate'));
	const hour = nonEmptyText(childNamed(form, 'FormCreationHour'));
	const created = creationMoment(date, hour);
	if (created.warning) warnings.push(created.warning);

	const answer: AcrfAnswer = {
		root: 'ACRF',
		accepted,
		final: typeForm === 'FA',
		provisional: typeForm === 'PA',
		errors,
		warnings,
	};
	assignDefined(answer, {
		resultCode,
		typeForm,
		ticket: nonEmptyText(childNamed(fileReference, 'ReferenceNbr')),
		referenceOrigin: nonEmptyText(childNamed(fileReference, 'ReferenceOrigin')),
		answersFile: nonEmptyText(childNamed(fileReference, 'FileName')),
		createdAt: created.iso,
		createdAtText: created.text,
		identification: nonEmptyText(childNamed(form, 'Identification')),
		attestationStatus: nonEmptyText(childNamed(form, 'AttestationStatus')),
	});
	return answer;
}

function findFirst(element: unknown, name: string): unknown {
	return findElements(element, [name])[0]?.value;
}

function assignDefined<T extends object>(target: T, values: Partial<T>): void {
	for (const [key, value] of Object.entries(values)) {
		if (value !== undefined) (target as XmlObject)[key] = value;
	}
}

// ---------------------------------------------------------------------------------------------------
// Creation moment: the server writes Belgian wall time without an offset.

export interface CreationMoment {
	/** `2025-04-10T15:36:40.276+02:00`; undefined when the date or hour cannot be read. */
	iso?: string;
	/** `2025-04-10 15:36:40.276` as given. */
	text?: string;
	warning?: string;
}

/**
 * FormCreationDate (`YYYY-MM-DD`) and FormCreationHour (`HH:MM[:SS[.fff…]]`) → ISO 8601 with the
 * offset Europe/Brussels had at that wall time. The digits are kept as given (fractions beyond
 * milliseconds are cut). In the autumn hour that happens twice the summer offset is taken; a time in
 * the spring gap gets the winter offset.
 */
export function creationMoment(date: string | undefined, hour: string | undefined): CreationMoment {
	const text = [date, hour].filter((v): v is string => v !== undefined).join(' ') || undefined;
	if (date === undefined) return { text };
	const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
	if (!d || !validDate(Number(d[1]), Number(d[2]), Number(d[3]))) {
		return {
			text: text && printable(text),
			warning: `FormCreationDate "${printable(date)}" is not a YYYY-MM-DD date.`,
		};
	}
	if (hour === undefined) return { text };
	const h = /^(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?$/.exec(hour);
	if (!h || Number(h[1]) > 23 || Number(h[2]) > 59 || Number(h[3] ?? 0) > 59) {
		return {
			text: text && printable(text),
			warning: `FormCreationHour "${printable(hour)}" is not a HH:MM:SS time.`,
		};
	}
	const [year, month, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
	const [hh, mm, ss] = [Number(h[1]), Number(h[2]), Number(h[3] ?? 0)];
	const millis = h[4] === undefined ? 0 : Number(h[4].slice(0, 3).padEnd(3, '0'));
	const wallAsUtc = Date.UTC(year, month - 1, day, hh, mm, ss, millis);
	const offset = brusselsOffsetMinutes(wallAsUtc);
	const iso = `${d[1]}-${d[2]}-${d[3]}T${h[1]}:${h[2]}:${pad(ss, 2)}.${pad(millis, 3)}${formatOffset(offset)}`;
	return { iso, text };
}

const offsetFormat = new Intl.DateTimeFormat('en-GB', {
	timeZone: 'Europe/Brussels',
	timeZoneName: 'longOffset',
});

/** Offset of Europe/Brussels (minutes east of UTC) for a wall time given as if it were UTC. */
function brusselsOffsetMinutes(wallAsUtc: number): number {
	// Brussels is at +02:00 (summer) or +01:00 (winter). Keep the offset whose instant really shows this
	// wall time; summer first, so the repeated autumn hour resolves to its first (summer) occurrence.
	for (const candidate of [120, 60]) {
		if (offsetAt(wallAsUtc - candidate * 60_000) === candidate) return candidate;
	}
	return 60; // the spring gap: a wall time that does not exist
}

function offsetAt(instant: number): number {
	const name =
		offsetFormat.formatToParts(new Date(instant)).find((p) => p.type === 'timeZoneName')?.value ??
		'GMT';
	const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
	if (!m) return 0;
	const minutes = Number(m[2]) * 60 + Number(m[3]);
	return m[1] === '-' ? -minutes : minutes;
}

function formatOffset(minutes: number): string {
	const sign = minutes < 0 ? '-' : '+';
	const abs = Math.abs(minutes);
	return `${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

function pad(value: number, width: number): string {
	return String(value).padStart(width, '0');
}

function validDate(year: number, month: number, day: number): boolean {
	const t = new Date(Date.UTC(year, month - 1, day));
	return t.getUTCFullYear() === year && t.getUTCMonth() === month - 1 && t.getUTCDate() === day;
}
