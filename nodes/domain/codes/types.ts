/** Shapes of the generated code tables (scripts/generate-code-tables.ts; docs/codes.md). */

export interface Annex30Entry {
	/** Dutch text as published. */
	nl: string;
	/** French text as published. */
	fr: string;
	/** First and last quarter the code is valid, `YYYY/Q`. */
	validFrom: string;
	validUntil: string;
}

export interface Annex25Entry {
	code: string;
	/** The table of annex 25 the code belongs to; a code is unique only within its table. */
	table: { nl: string; fr: string };
	nl: string;
	fr: string;
	category?: { nl: string; fr: string };
}

export interface ZoneEntry {
	/** The XML element(s) that carry the zone. */
	elements: string[];
	/** Title in the glossary (Dutch). */
	title?: string;
	/** Meaning in the glossary (Dutch). */
	description?: string;
	/** Allowed values in the glossary (Dutch; one value a line). */
	domain?: string;
	/** Functional blocks (Dutch names) the zone appears in. */
	blocks?: string[];
	/** The XSDs that annotate an element with this code. */
	schemas?: string[];
	/** A functional block (90xxx) rather than a data zone. */
	block?: true;
}
