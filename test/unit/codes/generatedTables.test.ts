/**
 * The committed code tables are exactly what scripts/generate-code-tables.ts makes from the published
 * reference files (when they are at hand: `$SOCIALSECURITY_REFERENCE_DIR` or ../shared/reference), and
 * every code of annex 30 and annex 25 resolves through describeError / describeSignatureError.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { DEFAULT_REFERENCE_DIR, buildTables } from '../../../scripts/generate-code-tables';
import { ANNEX_25 } from '../../../nodes/domain/codes/annex25.generated';
import { ANNEX_30 } from '../../../nodes/domain/codes/annex30.generated';
import { ZONES } from '../../../nodes/domain/codes/zones.generated';
import { describeError, describeSignatureError } from '../../../nodes/domain/codes/describeError';

const haveReference = existsSync(join(DEFAULT_REFERENCE_DIR, 'glossary'));
const withReference = haveReference ? describe : describe.skip;
if (!haveReference && process.env.CI === 'true')
	throw new Error(`CI=true but the reference files are not in ${DEFAULT_REFERENCE_DIR}`);
if (!haveReference) {
	console.warn(
		`Reference files not found in ${DEFAULT_REFERENCE_DIR}: the comparison with them is skipped.`,
	);
}

describe('generated code tables', () => {
	it('hold all 493 codes of annex 30, each with its Dutch and French text', () => {
		const codes = Object.keys(ANNEX_30);
		expect(codes).toHaveLength(493);
		for (const code of codes) {
			const explained = describeError(code, { language: 'nl' });
			expect(explained.known).toBe(true);
			expect(explained.error?.nl).toBe(ANNEX_30[code].nl);
			expect(explained.error?.fr).toBe(ANNEX_30[code].fr);
			expect(ANNEX_30[code].nl.length).toBeGreaterThan(0);
			expect(ANNEX_30[code].fr.length).toBeGreaterThan(0);
		}
	});

	it('hold every code of annex 25, each found by its code', () => {
		expect(ANNEX_25.length).toBe(116);
		for (const entry of ANNEX_25) {
			expect(describeSignatureError(entry.code)).toContainEqual(entry);
		}
	});

	it('know the zones of the answers and of the declarations', () => {
		expect(ZONES['00011'].elements).toContain('NOSSRegistrationNbr');
		expect(ZONES['00108'].elements).toEqual(['ErrorID']);
		expect(ZONES['00497'].elements).toEqual(['AnomalyClass']);
		expect(ZONES['90007'].block).toBe(true);
	});
});

withReference('generated code tables against the published files', () => {
	const tables = haveReference ? buildTables(DEFAULT_REFERENCE_DIR) : undefined;

	it('are what the generator makes from them (run scripts/generate-code-tables.ts after a new annex)', () => {
		expect(ANNEX_30).toEqual(tables!.annex30);
		expect(ANNEX_25).toEqual(tables!.annex25);
		expect(ZONES).toEqual(tables!.zones);
	});

	it('give every code of annex 30 with the texts of the file, read by a second parser', () => {
		const file = readFileSync(
			join(DEFAULT_REFERENCE_DIR, 'glossary', 'ErrorCodes2022-1_30.xml'),
			'utf8',
		);
		const rows = new XMLParser({ parseTagValue: false, isArray: (n) => n === 'error-code' }).parse(
			file,
		)['error-codes']['error-code'] as Array<{
			code: string;
			description: { nl: string; fr: string };
		}>;
		expect(rows).toHaveLength(493);
		for (const row of rows) {
			const explained = describeError(String(row.code));
			expect(explained.error?.nl).toBe(String(row.description.nl).replace(/\s+/g, ' ').trim());
			expect(explained.error?.fr).toBe(String(row.description.fr).replace(/\s+/g, ' ').trim());
		}
	});

	it('read every zone code that annotates an element of the official XSDs', () => {
		for (const name of [
			'NOTIFICATION_20223.xsd',
			'ACRF_20231.xsd',
			'DmfAOriginal_20223.xsd',
			'Dimona_20231.xsd',
		]) {
			const xsd = readFileSync(join(DEFAULT_REFERENCE_DIR, 'xsd', name), 'utf8');
			const annotated = [
				...xsd.matchAll(
					/<xs:element\s+name="(\w+)"[^>]*>\s*<xs:annotation>\s*<xs:documentation>(\d{5})</g,
				),
			];
			expect(annotated.length).toBeGreaterThan(10);
			for (const [, element, code] of annotated) expect(ZONES[code].elements).toContain(element);
		}
	});
});
