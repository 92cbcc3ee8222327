/**
 * An AnomalyReport (functional block 90176), as NOTIFICATION_20223.xsd, DmfAUpdateNotification_20223.xsd
 * and DmfAConsultationAnswer_20224.xsd lay it out: ErrorID `<zone>-<error>`, TagName, Value,
 * AnomalyClass, AnomalyLabel, SystemCorrection, AnomalyLocation, Path, AnomalyComplInformation. Every
 * code is explained from the generated tables (docs/codes.md); what is read: docs/answers.md, "What the
 * readers read".
 */
import { CodeLanguage, describeError } from '../codes/describeError';
import {
	ATTRIBUTE_PREFIX,
	TEXT_KEY,
	childNamed,
	childrenNamed,
	isXmlObject,
	nonEmptyText,
	printable,
	textOf,
} from './safeXml';

const text = (element: unknown, name: string): string | undefined =>
	nonEmptyText(childNamed(element, name));

export type AnomalySeverity = 'blocking' | 'warning' | 'info' | 'unknown';

/**
 * AnomalyClass (zone 00497). B, P, NP, D, W, I are the glossary's values, NB is seen at peers
 * (docs/answers.md, "What the readers read"). Meanings in our words; `severity` is how a workflow
 * should treat them.
 */
export const ANOMALY_CLASSES: Readonly<
	Record<string, { severity: AnomalySeverity; meaning: string }>
> = {
	B: {
		severity: 'blocking',
		meaning:
			'Blocking anomaly: the declaration (or this part of it) is refused and must be corrected.',
	},
	P: {
		severity: 'warning',
		meaning:
			'Percentage anomaly: counted; the declaration is refused when these exceed the allowed share (Diagnosis 4).',
	},
	NP: {
		severity: 'warning',
		meaning: 'Non-percentage anomaly: recorded, does not count towards refusing the declaration.',
	},
	D: {
		severity: 'warning',
		meaning:
			'Anomaly about the right to a reduction of contributions: the reduction may be refused, the declaration is not.',
	},
	W: { severity: 'warning', meaning: 'Warning: the declaration is not refused; check the data.' },
	I: {
		severity: 'info',
		meaning: 'Investigation: the social security will look into this; nothing is refused now.',
	},
	NB: {
		severity: 'warning',
		meaning:
			'Non-blocking anomaly: the declaration is not refused, but the data should be corrected.',
	},
};

export interface AnswerAnomaly {
	/** ErrorID as given: `<zone>-<error>`, e.g. `00011-155`. */
	code?: string;
	/** The zone: its 5-digit code, the XML element, its title in the glossary (Dutch). */
	zone?: { code: string; element?: string; title?: string; block: boolean; known: boolean };
	/** The annex-30 error: code and its texts. */
	error?: { code: string; nl?: string; fr?: string; en?: string; known: boolean };
	/** One line: the zone and the error, in the language asked for. */
	explanation?: string;
	/** AnomalyClass as given (B, P, NP, D, W, I, NB). */
	class?: string;
	severity: AnomalySeverity;
	/** Meaning of the class in plain words, when known. */
	classMeaning?: string;
	/** AnomalyLabel: the server's own text, when given. */
	description?: string;
	/** TagName: the element of the declaration concerned. */
	tagName?: string;
	/** Value: the value found in the declaration. */
	value?: string;
	/** AnomalyLocation as one text: `Location` (e.g. `1,1,7,2`) or `line L, column C`. */
	location?: string;
	lineNbr?: string;
	columnNbr?: string;
	/** SystemCorrection is present: the social security corrected the data itself. */
	systemCorrection?: boolean;
	/** Path: the identifying fields given (Quarter, NOSSRegistrationNbr, INSS, …), element → text. */
	path?: Record<string, string>;
	/** AnomalyComplInformation/DimonaPeriod/DimonaPeriodId: the Dimona periods concerned (e.g. 90373-333/334). */
	dimonaPeriodIds?: string[];
}

/** Every AnomalyReport child of an element, explained. */
export function readAnomalies(element: unknown, language: CodeLanguage): AnswerAnomaly[] {
	return childrenNamed(element, 'AnomalyReport')
		.map((report) => readAnomaly(report, language))
		.filter((a): a is AnswerAnomaly => a !== undefined);
}

/** One AnomalyReport element; undefined when it is not an element. */
export function readAnomaly(report: unknown, language: CodeLanguage): AnswerAnomaly | undefined {
	if (!isXmlObject(report)) return undefined;
	const code = text(report, 'ErrorID');
	const klass = text(report, 'AnomalyClass');
	const known =
		klass !== undefined &&
		Object.prototype.hasOwnProperty.call(ANOMALY_CLASSES, klass.toUpperCase())
			? ANOMALY_CLASSES[klass.toUpperCase()]
			: undefined;
	const anomaly: AnswerAnomaly = { severity: known?.severity ?? 'unknown' };
	if (code !== undefined) {
		anomaly.code = printable(code, 40);
		const explained = describeError(code, { language });
		if (explained.kind === 'anomaly' && explained.zone && explained.error) {
			const { zone, error } = explained;
			anomaly.zone = { code: zone.code, block: zone.block, known: zone.known };
			if (zone.element !== undefined) anomaly.zone.element = zone.element;
			if (zone.title !== undefined) anomaly.zone.title = zone.title;
			anomaly.error = { code: error.code, known: error.known };
			if (error.nl !== undefined) anomaly.error.nl = error.nl;
			if (error.fr !== undefined) anomaly.error.fr = error.fr;
			if (error.en !== undefined) anomaly.error.en = error.en;
		}
		anomaly.explanation = explained.text;
	}
	if (klass !== undefined) anomaly.class = klass;
	if (known) anomaly.classMeaning = known.meaning;
	const label = text(report, 'AnomalyLabel');
	if (label !== undefined) anomaly.description = label;
	const tagName = text(report, 'TagName');
	if (tagName !== undefined) anomaly.tagName = tagName;
	const shown = childNamed(report, 'Value');
	if (shown !== undefined && textOf(shown) !== undefined) anomaly.value = textOf(shown);
	if (childNamed(report, 'SystemCorrection') !== undefined) anomaly.systemCorrection = true;

	const location = childNamed(report, 'AnomalyLocation');
	const lineNbr = text(location, 'LineNbr');
	const columnNbr = text(location, 'ColumnNbr');
	const where = text(location, 'Location');
	if (lineNbr !== undefined) anomaly.lineNbr = lineNbr;
	if (columnNbr !== undefined) anomaly.columnNbr = columnNbr;
	const parts = [
		where,
		lineNbr !== undefined ? `line ${lineNbr}` : undefined,
		columnNbr !== undefined ? `column ${columnNbr}` : undefined,
	].filter((p): p is string => p !== undefined);
	if (parts.length > 0) anomaly.location = parts.join(', ');

	const path = pathFields(childNamed(report, 'Path'));
	if (path !== undefined) anomaly.path = path;

	const periods = childrenNamed(childNamed(report, 'AnomalyComplInformation'), 'DimonaPeriod')
		.map((period) => text(period, 'DimonaPeriodId'))
		.filter((id): id is string => id !== undefined);
	if (periods.length > 0) anomaly.dimonaPeriodIds = periods;
	return anomaly;
}

/** Path → its leaf fields (the PathType of the XSD is flat: Quarter, NOSSRegistrationNbr, INSS, …). */
function pathFields(element: unknown): Record<string, string> | undefined {
	if (!isXmlObject(element)) return undefined;
	const fields: Record<string, string> = {};
	for (const [name, value] of leaves(element)) {
		// Repeated names keep every value.
		fields[name] = name in fields ? `${fields[name]}, ${value}` : value;
	}
	return Object.keys(fields).length > 0 ? fields : undefined;
}

function leaves(element: unknown, depth = 0): Array<[string, string]> {
	if (!isXmlObject(element) || depth > 20) return [];
	const out: Array<[string, string]> = [];
	for (const [key, child] of Object.entries(element)) {
		if (key.startsWith(ATTRIBUTE_PREFIX) || key === TEXT_KEY) continue;
		for (const item of Array.isArray(child) ? child : [child]) {
			const value = isXmlObject(item) ? undefined : textOf(item);
			if (value !== undefined) out.push([key, value]);
			else out.push(...leaves(item, depth + 1));
		}
	}
	return out;
}
