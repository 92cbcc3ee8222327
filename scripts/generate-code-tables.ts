/**
 * Generates the code tables of `nodes/domain/codes/` from the social security's published reference
 * files: annex 30 (general error codes), annex 25 (digital-signature error codes), the glossaries of
 * zones and functional blocks of ACRF and NOTIFICATION, and the zone codes that annotate the elements
 * of the official XSDs. What the tables mean and how they are read: docs/codes.md.
 *
 *   npx ts-node --transpile-only scripts/generate-code-tables.ts [reference folder]
 *
 * The folder (default `$SOCIALSECURITY_REFERENCE_DIR`, else `../shared/reference` beside the
 * repository) holds `glossary/` and `xsd/` as downloaded; the files themselves are not copied into the
 * repository or the package (they are the social security's, and change every quarter): a new annex is
 * dropped there and this command is run again. `buildTables` is also used by
 * test/unit/codes/generatedTables.test.ts to check that the committed tables are what the files give.
 */
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

export const DEFAULT_REFERENCE_DIR =
	process.env.SOCIALSECURITY_REFERENCE_DIR ?? resolve(__dirname, '..', '..', 'shared', 'reference');
export const OUTPUT_DIR = resolve(__dirname, '..', 'nodes', 'domain', 'codes');

export interface Annex30Row {
	nl: string;
	fr: string;
	/** First and last quarter the code is valid, `YYYY/Q` as published. */
	validFrom: string;
	validUntil: string;
}

export interface Annex25Row {
	code: string;
	/** The table of annex 25 the code belongs to (a code is unique only within its table). */
	table: { nl: string; fr: string };
	nl: string;
	fr: string;
	category?: { nl: string; fr: string };
}

export interface ZoneRow {
	/** The XML element(s) that carry the zone, from the glossaries and the XSD annotations. */
	elements: string[];
	/** Title in the glossary (Dutch, as published). */
	title?: string;
	/** Meaning in the glossary (Dutch, as published). */
	description?: string;
	/** Allowed values in the glossary (Dutch, as published; one value a line). */
	domain?: string;
	/** Functional blocks (Dutch names) the zone appears in, per the glossary. */
	blocks?: string[];
	/** The XSDs (file name without `.xsd`) that annotate an element with this code. */
	schemas?: string[];
	/** A functional block (90xxx) rather than a data zone. */
	block?: true;
}

export interface CodeTables {
	annex30: Record<string, Annex30Row>;
	annex25: Annex25Row[];
	zones: Record<string, ZoneRow>;
	sources: string[];
}

const parser = new XMLParser({
	ignoreAttributes: true,
	parseTagValue: false,
	trimValues: true,
	processEntities: true,
	isArray: (name) =>
		['error-code', 'glossary', 'FunctionalBlock', 'Zones', 'Anomalie'].includes(name),
});

/** Whitespace runs (the files' own line wrapping) become one space. */
function oneLine(value: unknown): string {
	return text(value).replace(/\s+/g, ' ').trim();
}

function text(value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'object') return '';
	return String(value);
}

function readLatin1OrUtf8(file: string): string {
	const bytes = readFileSync(file);
	const head = bytes.subarray(0, 100).toString('latin1');
	const encoding = /encoding="ISO-8859-1"/i.test(head) ? 'latin1' : 'utf8';
	// The glossaries carry an internal DTD that only declares their elements; it holds no entities.
	return bytes
		.toString(encoding)
		.replace(/^\uFEFF/, '')
		.replace(/<!DOCTYPE[\s\S]*?\]>/, '');
}

function parse(file: string): Record<string, unknown> {
	return parser.parse(readLatin1OrUtf8(file)) as Record<string, unknown>;
}

function get(object: unknown, ...path: string[]): unknown {
	let current = object;
	for (const key of path) {
		if (current === null || typeof current !== 'object') return undefined;
		current = (current as Record<string, unknown>)[key];
	}
	return current;
}

function arrayOf(value: unknown): unknown[] {
	if (value === undefined || value === null || value === '') return [];
	return Array.isArray(value) ? value : [value];
}

function pickFile(dir: string, pattern: RegExp): string | undefined {
	const names = existsSync(dir) ? readdirSync(dir).filter((n) => pattern.test(n)) : [];
	// The newest version when several are present (names end with their version, e.g. 2022-1_30).
	names.sort();
	return names.length > 0 ? join(dir, names[names.length - 1]) : undefined;
}

/** Allowed values as one value a line. Some published domains glue a following remark to the last
 * value without a line break ("4 = TimeoutIn ACR …"); the remark is split onto its own line. */
function domainText(value: unknown): string | undefined {
	const raw = text(value)
		.replace(/\r/g, '')
		.replace(/([a-z)'.])((?:Als|In|Indien|Wanneer) )/g, '$1\n$2');
	const lines = raw
		.split('\n')
		.map((l) => l.replace(/[ \t]+/g, ' ').trim())
		.filter((l) => l.length > 0);
	return lines.length > 0 ? lines.join('\n') : undefined;
}

export function buildTables(referenceDir: string = DEFAULT_REFERENCE_DIR): CodeTables {
	const glossaryDir = join(referenceDir, 'glossary');
	const xsdDir = join(referenceDir, 'xsd');
	const sources: string[] = [];

	const annex30File = pickFile(glossaryDir, /^ErrorCodes.*_30\.xml$/);
	if (!annex30File) throw new Error(`No annex 30 (ErrorCodes…_30.xml) in ${glossaryDir}`);
	sources.push(basename(annex30File));
	const annex30: Record<string, Annex30Row> = {};
	for (const row of arrayOf(get(parse(annex30File), 'error-codes', 'error-code'))) {
		const code = oneLine(get(row, 'code'));
		if (!/^\d{3}$/.test(code)) throw new Error(`Annex 30: unexpected code "${code}"`);
		annex30[code] = {
			nl: oneLine(get(row, 'description', 'nl')),
			fr: oneLine(get(row, 'description', 'fr')),
			validFrom: `${oneLine(get(row, 'begin-validity', 'year'))}/${oneLine(get(row, 'begin-validity', 'quarter'))}`,
			validUntil: `${oneLine(get(row, 'end-validity', 'year'))}/${oneLine(get(row, 'end-validity', 'quarter'))}`,
		};
	}

	const annex25File = pickFile(glossaryDir, /^ErrCodesDigitalSignature.*_25\.xml$/);
	if (!annex25File)
		throw new Error(`No annex 25 (ErrCodesDigitalSignature…_25.xml) in ${glossaryDir}`);
	sources.push(basename(annex25File));
	const annex25: Annex25Row[] = [];
	for (const row of arrayOf(
		get(parse(annex25File), 'error-codes-digital-signature', 'error-code'),
	)) {
		const entry: Annex25Row = {
			code: oneLine(get(row, 'code')),
			table: { nl: oneLine(get(row, 'code-type', 'nl')), fr: oneLine(get(row, 'code-type', 'fr')) },
			nl: oneLine(get(row, 'description', 'nl')),
			fr: oneLine(get(row, 'description', 'fr')),
		};
		const category = {
			nl: oneLine(get(row, 'category', 'nl')),
			fr: oneLine(get(row, 'category', 'fr')),
		};
		if (category.nl || category.fr) entry.category = category;
		annex25.push(entry);
	}

	const zones: Record<string, ZoneRow> = {};
	const zoneOf = (code: string): ZoneRow => (zones[code] ??= { elements: [] });
	const addUnique = (list: string[], value: string): void => {
		if (value && !list.includes(value)) list.push(value);
	};

	for (const file of [/^Zones_ACR.*\.xml$/, /^Zones_Notification.*\.xml$/]
		.map((p) => pickFile(glossaryDir, p))
		.filter((f): f is string => f !== undefined)) {
		sources.push(basename(file));
		for (const row of arrayOf(get(parse(file), 'List', 'glossary'))) {
			const code = oneLine(get(row, 'Code'));
			if (!/^\d{5}$/.test(code)) continue;
			const zone = zoneOf(code);
			addUnique(zone.elements, oneLine(get(row, 'XmlLabel')));
			zone.title ??= oneLine(get(row, 'Titel')) || undefined;
			zone.description ??= oneLine(get(row, 'Omschrijving')) || undefined;
			zone.domain ??= domainText(get(row, 'ToegelatenDomein'));
			const block = oneLine(get(row, 'FunctioneelBlok'));
			if (block) addUnique((zone.blocks ??= []), block);
		}
	}
	for (const file of [/^FBACR.*\.xml$/, /^FBNotification.*\.xml$/]
		.map((p) => pickFile(glossaryDir, p))
		.filter((f): f is string => f !== undefined)) {
		sources.push(basename(file));
		for (const row of arrayOf(get(parse(file), 'List', 'FunctionalBlock'))) {
			const code = oneLine(get(row, 'Code'));
			if (!/^\d{5}$/.test(code)) continue;
			const zone = zoneOf(code);
			zone.block = true;
			addUnique(zone.elements, oneLine(get(row, 'XmlLabel')));
			zone.title ??= oneLine(get(row, 'Naam')) || undefined;
			zone.description ??= oneLine(get(row, 'Omschrijving')) || undefined;
		}
	}

	const xsds = existsSync(xsdDir)
		? readdirSync(xsdDir)
				.filter((n) => n.endsWith('.xsd'))
				.sort()
		: [];
	for (const name of xsds) {
		sources.push(name);
		const xsd = readFileSync(join(xsdDir, name), 'utf8');
		// <xs:element name="X"> … <xs:documentation>00011</xs:documentation>: the zone code of element X.
		const pattern =
			/<xs:element\s+name="([A-Za-z0-9_]+)"[^>]*>\s*<xs:annotation>\s*<xs:documentation>\s*(\d{5})\s*<\/xs:documentation>/g;
		for (const match of xsd.matchAll(pattern)) {
			const zone = zoneOf(match[2]);
			addUnique(zone.elements, match[1]);
			addUnique((zone.schemas ??= []), name.replace(/\.xsd$/, ''));
			if (match[2].startsWith('9')) zone.block = true;
		}
	}

	const sortedZones: Record<string, ZoneRow> = {};
	for (const code of Object.keys(zones).sort()) {
		const zone = zones[code];
		const clean: ZoneRow = { elements: zone.elements };
		if (zone.title) clean.title = zone.title;
		if (zone.description) clean.description = zone.description;
		if (zone.domain) clean.domain = zone.domain;
		if (zone.blocks) clean.blocks = zone.blocks;
		if (zone.schemas) clean.schemas = zone.schemas;
		if (zone.block) clean.block = true;
		sortedZones[code] = clean;
	}
	return { annex30, annex25, zones: sortedZones, sources };
}

function header(what: string, sources: string[]): string {
	return [
		'/**',
		` * ${what}`,
		' *',
		' * GENERATED by scripts/generate-code-tables.ts from the published reference files',
		` * (${sources.join(', ')}); do not edit by hand: run the script again.`,
		' * Texts are as published (Dutch, French); see docs/codes.md.',
		' */',
		'',
	].join('\n');
}

/** The three generated module texts (before Prettier). */
export function renderTables(tables: CodeTables): Record<string, string> {
	const annex30Sources = tables.sources.filter((s) => /_30\.xml$/.test(s));
	const annex25Sources = tables.sources.filter((s) => /_25\.xml$/.test(s));
	const zoneSources = tables.sources.filter((s) => !/_(25|30)\.xml$/.test(s));
	return {
		'annex30.generated.ts':
			header('Annex 30: the general list of error codes (3 digits).', annex30Sources) +
			"import type { Annex30Entry } from './types';\n\n" +
			`export const ANNEX_30: Readonly<Record<string, Annex30Entry>> = ${JSON.stringify(tables.annex30)};\n`,
		'annex25.generated.ts':
			header('Annex 25: the error codes of the digital signature, per table.', annex25Sources) +
			"import type { Annex25Entry } from './types';\n\n" +
			`export const ANNEX_25: readonly Annex25Entry[] = ${JSON.stringify(tables.annex25)};\n`,
		'zones.generated.ts':
			header(
				'Zones (5-digit codes of data elements and functional blocks) of the answers and declarations.',
				zoneSources,
			) +
			"import type { ZoneEntry } from './types';\n\n" +
			`export const ZONES: Readonly<Record<string, ZoneEntry>> = ${JSON.stringify(tables.zones)};\n`,
	};
}

async function main(): Promise<void> {
	const referenceDir = resolve(process.argv[2] ?? DEFAULT_REFERENCE_DIR);
	const tables = buildTables(referenceDir);
	// Prettier is imported lazily: only this command formats, buildTables needs nothing but the parser.
	const prettier = await import('prettier');
	for (const [name, source] of Object.entries(renderTables(tables))) {
		const file = join(OUTPUT_DIR, name);
		const config = (await prettier.resolveConfig(file)) ?? {};
		writeFileSync(file, await prettier.format(source, { ...config, filepath: file }));
		console.log(`wrote ${file}`);
	}
	console.log(
		`annex 30: ${Object.keys(tables.annex30).length} codes; annex 25: ${tables.annex25.length} codes; zones: ${Object.keys(tables.zones).length}`,
	);
}

if (require.main === module) {
	main().catch((error: unknown) => {
		console.error(error instanceof Error ? error.message : error);
		process.exit(1);
	});
}
