/**
 * Declarations for the validation tests and bench: a DmfA (root DmfAOriginal) that validates against
 * the official DmfAOriginal_20223.xsd, of any size (one NaturalPerson after another, written as a
 * stream), and ways to break it on purpose. Numbers are invented.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { XSD_DIR } from './officialXsd';

export const DMFA_XSD = 'DmfAOriginal_20223.xsd';
export const DIMONA_XSD = 'Dimona_20231.xsd';

const HEAD = `<?xml version="1.0" encoding="UTF-8"?>
<DmfAOriginal>
  <Form>
    <Identification>DMFA</Identification>
    <FormCreationDate>2025-04-10</FormCreationDate>
    <FormCreationHour>09:30:00.000</FormCreationHour>
    <AttestationStatus>0</AttestationStatus>
    <TypeForm>SU</TypeForm>
    <EmployerDeclaration>
      <Quarter>20251</Quarter>
      <NOSSRegistrationNbr>123456789</NOSSRegistrationNbr>
      <Trusteeship>0</Trusteeship>
      <CompanyID>0123456749</CompanyID>
      <NetOwedAmount>263550</NetOwedAmount>
`;
const TAIL = `    </EmployerDeclaration>
  </Form>
</DmfAOriginal>
`;

/** Lines of HEAD: the first NaturalPerson starts on the next line. */
export const DMFA_HEAD_LINES = HEAD.split('\n').length - 1;

/** One worker (about 1.6 kB); `border` lets a test break one value (the XSD allows 0 or 1). */
export function naturalPerson(sequence: number, border = '0'): string {
	const inss = String(85010100000 + (sequence % 9_000_000)).padStart(11, '0');
	return `      <NaturalPerson>
        <NaturalPersonSequenceNbr>${sequence}</NaturalPersonSequenceNbr>
        <INSS>${inss}</INSS>
        <WorkerRecord>
          <EmployerClass>000</EmployerClass>
          <WorkerCode>015</WorkerCode>
          <NOSSQuarterStartingDate>2025-01-01</NOSSQuarterStartingDate>
          <NOSSQuarterEndingDate>2025-03-31</NOSSQuarterEndingDate>
          <Border>${border}</Border>
          <Occupation>
            <OccupationSequenceNbr>1</OccupationSequenceNbr>
            <JointCommissionNbr>200</JointCommissionNbr>
            <WorkingDaysSystem>500</WorkingDaysSystem>
            <ContractType>0</ContractType>
            <RefMeanWorkingHours>3800</RefMeanWorkingHours>
            <MeanWorkingHours>3800</MeanWorkingHours>
            <Retired>0</Retired>
            <Service>
              <ServiceSequenceNbr>1</ServiceSequenceNbr>
              <ServiceCode>1</ServiceCode>
              <ServiceNbrDays>65</ServiceNbrDays>
              <ServiceNbrHours>49400</ServiceNbrHours>
            </Service>
            <Remun>
              <RemunSequenceNbr>1</RemunSequenceNbr>
              <RemunCode>1</RemunCode>
              <RemunAmount>1050000</RemunAmount>
            </Remun>
          </Occupation>
          <WorkerContribution>
            <ContributionWorkerCode>015</ContributionWorkerCode>
            <ContributionType>0</ContributionType>
            <ContributionCalculationBasis>1050000</ContributionCalculationBasis>
            <ContributionAmount>263550</ContributionAmount>
          </WorkerContribution>
        </WorkerRecord>
      </NaturalPerson>
`;
}

/** Lines of one NaturalPerson, and the line of its Border within it (1-based). */
export const PERSON_LINES = naturalPerson(1).split('\n').length - 1;
export const BORDER_LINE_IN_PERSON = 9;

/** A small DmfA with `persons` workers; `breakPerson` gets Border 7 (a maxInclusive violation). */
export function smallDmfa(persons = 2, breakPerson?: number): string {
	let body = '';
	for (let i = 1; i <= persons; i++) body += naturalPerson(i, i === breakPerson ? '7' : '0');
	return HEAD + body + TAIL;
}

/** Writes a valid DmfA of at least `bytes` to `path`, streamed; returns its size and workers. */
export async function writeDmfa(
	path: string,
	bytes: number,
): Promise<{ bytes: number; persons: number }> {
	const out = createWriteStream(path, { highWaterMark: 1 << 20 });
	let size = HEAD.length + TAIL.length;
	let persons = 0;
	const write = async (text: string) => {
		if (!out.write(text)) await once(out, 'drain');
	};
	await write(HEAD);
	while (size < bytes) {
		const person = naturalPerson(++persons);
		size += person.length;
		await write(person);
	}
	out.end(TAIL);
	await once(out, 'finish');
	return { bytes: size, persons };
}

/** The Dimona fixture that validates (test/fixtures/declarations/dimona-cancel.xml). */
export function validDimona(): string {
	return readFileSync(
		join(__dirname, '..', 'fixtures', 'declarations', 'dimona-cancel.xml'),
		'utf8',
	);
}

/** The same Dimona with a period id that is not a number (line 10, DimonaPeriodId). */
export function invalidDimona(): string {
	return validDimona().replace('500012345678', 'ABC');
}

/** The official XSD as text (the tests skip when the reference files are absent). */
export function officialXsd(name: string): string {
	return readFileSync(join(XSD_DIR, name), 'utf8');
}

/**
 * The official DmfA XSD split into a set with includes, as the portal's sets are: the main file keeps
 * the root element and includes `types/DmfAElements.xsd`, which holds every other declaration and
 * includes `../common/Form.xsd` for the Form element.
 */
export function splitDmfaSchema(): Record<string, string> {
	const xsd = officialXsd(DMFA_XSD).replace(/^\uFEFF/, '');
	const open = /<xs:schema[^>]*>/.exec(xsd);
	if (!open) throw new Error('no xs:schema');
	const header = xsd.slice(0, open.index + open[0].length);
	const body = xsd.slice(open.index + open[0].length, xsd.lastIndexOf('</xs:schema>'));
	const take = (name: string, from: string) => {
		const start = from.indexOf(`<xs:element name="${name}"`);
		const end = from.indexOf('</xs:element>', start) + '</xs:element>'.length;
		if (start < 0) throw new Error(`no ${name}`);
		return { element: from.slice(start, end), rest: from.slice(0, start) + from.slice(end) };
	};
	const root = take('DmfAOriginal', body);
	const form = take('Form', root.rest);
	return {
		'DmfAOriginal_20223.xsd': `${header}\n<xs:include schemaLocation="types/DmfAElements.xsd"/>\n${root.element}\n</xs:schema>\n`,
		'types/DmfAElements.xsd': `${header}\n<xs:include schemaLocation="../common/Form.xsd"/>\n${form.rest}\n</xs:schema>\n`,
		'common/Form.xsd': `${header}\n${form.element}\n</xs:schema>\n`,
	};
}
