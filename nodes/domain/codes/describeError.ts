/**
 * Every code of an answer in plain words (docs/codes.md):
 * - `ACRF-125`: a transport error of an ACRF; the number is an annex-30 code, and for the codes our
 *   transport rules use (`../responses/acrfErrorCodes.ts`) there is an English line and what to do.
 * - `00011-155`: an anomaly of a NOTIFICATION: zone `00011` (the data element, from the XSD
 *   annotations and the glossary: `NOSSRegistrationNbr`, "RSZ-NUMMER") and error `155` of annex 30.
 * - `155`: an annex-30 code alone.
 * The tables are generated from the published files (scripts/generate-code-tables.ts); Dutch and
 * French are as published, English exists only where we wrote it.
 */
import { ACRF_ERROR_CODES, AcrfErrorCode } from '../responses/acrfErrorCodes';
import { ANNEX_25 } from './annex25.generated';
import { ANNEX_30 } from './annex30.generated';
import type { Annex25Entry, ZoneEntry } from './types';
import { ZONES } from './zones.generated';

export type CodeLanguage = 'nl' | 'fr' | 'en';
export const CODE_LANGUAGES: readonly CodeLanguage[] = ['nl', 'fr', 'en'];

export interface ZoneExplanation {
	/** 5 digits, e.g. `00011`. */
	code: string;
	/** The XML element that carries it, e.g. `NOSSRegistrationNbr` (the first when several). */
	element?: string;
	/** Every XML element annotated with this code. */
	elements: string[];
	/** Title in the glossary (Dutch), e.g. `RSZ-NUMMER`. */
	title?: string;
	/** Meaning in the glossary (Dutch). */
	description?: string;
	/** A functional block (a group of zones) rather than one data element. */
	block: boolean;
	known: boolean;
}

export interface ErrorCodeExplanation {
	/** 3 digits, e.g. `155`. */
	code: string;
	nl?: string;
	fr?: string;
	/** English, only for the transport codes we explain ourselves. */
	en?: string;
	/** The text in the language asked for (see `describeError`). */
	text: string;
	known: boolean;
}

export interface ErrorExplanation {
	/** The code as read: `ACRF-125`, `00011-155`, `155`, or the input trimmed when it is none of these. */
	code: string;
	kind: 'transport' | 'anomaly' | 'error' | 'unknown';
	zone?: ZoneExplanation;
	error?: ErrorCodeExplanation;
	/** For transport codes in our table: what to do (English). */
	action?: string;
	/** One line in the language asked for: the zone, then the error. */
	text: string;
	known: boolean;
}

export interface DescribeOptions {
	/** Language of `text`: `nl`, `fr` or `en` (default). English falls back to Dutch / French. */
	language?: CodeLanguage;
}

const hasOwn = (object: object, key: string): boolean =>
	Object.prototype.hasOwnProperty.call(object, key);

/** The zone of a 5-digit code, from the generated tables; `known: false` when not there. */
export function describeZone(code: string): ZoneExplanation {
	const entry: ZoneEntry | undefined = hasOwn(ZONES, code) ? ZONES[code] : undefined;
	const zone: ZoneExplanation = {
		code,
		elements: entry ? [...entry.elements] : [],
		block: entry?.block === true || code.startsWith('9'),
		known: entry !== undefined,
	};
	if (entry?.elements[0] !== undefined) zone.element = entry.elements[0];
	if (entry?.title !== undefined) zone.title = entry.title;
	if (entry?.description !== undefined) zone.description = entry.description;
	return zone;
}

/** An annex-30 code (`155`, `1`, `088`) in the language asked for. */
export function describeAnnex30(
	code: string,
	language: CodeLanguage = 'en',
	english?: string,
): ErrorCodeExplanation {
	const key = /^\d{1,3}$/.test(code) ? code.padStart(3, '0') : code;
	const entry = hasOwn(ANNEX_30, key) ? ANNEX_30[key] : undefined;
	const explanation: ErrorCodeExplanation = {
		code: key,
		text: '',
		known: entry !== undefined,
	};
	if (entry) {
		explanation.nl = entry.nl;
		explanation.fr = entry.fr;
	}
	if (english !== undefined) explanation.en = english;
	explanation.text = pick(explanation, language) ?? `error ${key} (not in annex 30)`;
	return explanation;
}

function pick(
	texts: { nl?: string; fr?: string; en?: string },
	language: CodeLanguage,
): string | undefined {
	if (language === 'nl') return texts.nl ?? texts.fr ?? texts.en;
	if (language === 'fr') return texts.fr ?? texts.nl ?? texts.en;
	if (texts.en !== undefined) return texts.en;
	if (texts.nl !== undefined && texts.fr !== undefined) return `${texts.nl} / ${texts.fr}`;
	return texts.nl ?? texts.fr;
}

function zoneLabel(zone: ZoneExplanation): string {
	const name = zone.element ?? 'unknown element';
	return `zone ${zone.code} ${name}${zone.title ? ` (${zone.title})` : ''}`;
}

/**
 * `describeError('00011-155')`, `describeError('ACRF-125')`, `describeError('155')`. Never throws; an
 * unreadable or unknown code gives `known: false` and a text that says so.
 */
export function describeError(code: string, options: DescribeOptions = {}): ErrorExplanation {
	const language = options.language ?? 'en';
	const input = String(code ?? '')
		.trim()
		.replace(/\p{Cc}/gu, '?')
		.slice(0, 40);

	const anomaly = /^(\d{5})[-_ ]?(\d{3})$/.exec(input);
	if (anomaly) {
		const zone = describeZone(anomaly[1]);
		const error = describeAnnex30(anomaly[2], language);
		return {
			code: `${anomaly[1]}-${anomaly[2]}`,
			kind: 'anomaly',
			zone,
			error,
			text: `${capitalise(zoneLabel(zone))}: ${error.text}`,
			known: zone.known && error.known,
		};
	}

	const transport = /^(?:ACRF[-_ ]?)(\d{1,3})$/i.exec(input);
	if (transport) {
		const key = `ACRF-${transport[1].padStart(3, '0')}`;
		const ours: AcrfErrorCode | undefined = hasOwn(ACRF_ERROR_CODES, key)
			? ACRF_ERROR_CODES[key]
			: undefined;
		const error = describeAnnex30(transport[1], language, ours?.meaning);
		const explanation: ErrorExplanation = {
			code: key,
			kind: 'transport',
			error,
			text: error.text,
			known: error.known || ours !== undefined,
		};
		if (ours?.action !== undefined) {
			explanation.action = ours.action;
			if (language === 'en') explanation.text = `${error.text} ${ours.action}`;
		}
		return explanation;
	}

	if (/^\d{1,3}$/.test(input)) {
		const error = describeAnnex30(input, language);
		return { code: error.code, kind: 'error', error, text: error.text, known: error.known };
	}

	return {
		code: input,
		kind: 'unknown',
		text: `Unknown code ${input || '(empty)'}: neither ACRF-nnn nor a zone-error code nnnnn-nnn.`,
		known: false,
	};
}

/** Annex 25 (digital signature): every entry with this code, one per table of the annex. */
export function describeSignatureError(code: string | number): Annex25Entry[] {
	const key = String(code).trim();
	return ANNEX_25.filter((entry) => entry.code === key);
}

/** The allowed values of a zone as published, `value → text` (Dutch), e.g. ResultCode 3 → "Tijdelijk antwoord". */
export function zoneValues(zoneCode: string): Record<string, string> {
	const domain = hasOwn(ZONES, zoneCode) ? ZONES[zoneCode].domain : undefined;
	const values: Record<string, string> = {};
	for (const line of (domain ?? '').split('\n')) {
		const match = /^([A-Z0-9]{1,3})\s*[:=]\s*(.+)$/.exec(line.trim());
		if (match && !hasOwn(values, match[1])) values[match[1]] = match[2].trim();
	}
	return values;
}

function capitalise(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}
