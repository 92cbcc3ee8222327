/**
 * Validation against the XSD, as the Validate operation and Submit's "Validate Before Sending" use it:
 * where the XSDs come from (the same two fields in both), loaded once per execution, and each FI of an
 * item checked. The work is in nodes/domain/validation (docs/validation.md).
 */
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { SetFile } from '../../domain/submission/declarationSet';
import {
	defaultSchemaLocation,
	DeclarationValidation,
	SchemaSet,
	schemasFrom,
	schemaSetFromBytes,
	validateDeclaration,
} from '../../domain/validation';
import { DEFAULT_MAX_MESSAGES } from '../../domain/validation/xmllintRunner';
import { openBinary } from '../../shared/binaryData';

/** The two fields that say where the XSDs are; `extra` is merged into each (display options). */
export function schemaSourceProperties(extra: Partial<INodeProperties> = {}): INodeProperties[] {
	return [
		{
			displayName: 'XSD Location',
			name: 'xsdLocation',
			type: 'string',
			default: '',
			placeholder: '/data/xsd/2025-1',
			description:
				'Where the declaration schemas are, as downloaded from the social security portal: a folder (the XSD is chosen by the root element of each declaration, e.g. DmfAOriginal_20251.xsd, newest version), one XSD file with the files it includes beside it, a ZIP of XSDs, or an http(s) URL of an XSD or ZIP (fetched once, then kept for a day in the n8n data folder). Paths are on the machine n8n runs on. Empty: the folder in the SOCIALSECURITY_XSD_DIR environment variable.',
			...extra,
		},
		{
			displayName: 'XSD Binary Property',
			name: 'xsdBinaryProperty',
			type: 'string',
			default: '',
			placeholder: 'xsd',
			description:
				'Instead of a location: the binary property of the item that holds the XSD, or a ZIP of the schema set (e.g. from an HTTP Request or Read File node)',
			...extra,
		},
	];
}

export interface SchemaSource {
	xsdLocation?: string;
	xsdBinaryProperty?: string;
}

export type ValidationMode = 'off' | 'ifConfigured' | 'always';

/** Submit's "Validate Before Sending". */
export const VALIDATION_MODES: Array<{ name: string; value: ValidationMode; description: string }> =
	[
		{ name: 'Off', value: 'off', description: 'Send without checking the FI against its XSD' },
		{
			name: 'If XSDs Are Set Up',
			value: 'ifConfigured',
			description:
				'Check when an XSD location, an XSD binary or SOCIALSECURITY_XSD_DIR is given; otherwise send, and say on the item that the check was skipped',
		},
		{
			name: 'Always',
			value: 'always',
			description: 'Check every FI; without any XSD the set is refused',
		},
	];

/** Whether the workflow or the n8n instance says where the XSDs are. */
export function schemaSourceConfigured(source: SchemaSource): boolean {
	return Boolean(
		source.xsdBinaryProperty?.trim() || source.xsdLocation?.trim() || defaultSchemaLocation(),
	);
}

/** Schema sets of one execution, by where they come from: read (or fetched) once for all its items. */
const loaded = new WeakMap<object, Map<string, Promise<SchemaSet>>>();

export async function loadSchemas(
	this: IExecuteFunctions,
	itemIndex: number,
	source: SchemaSource,
	execution: object,
): Promise<SchemaSet> {
	const property = source.xsdBinaryProperty?.trim();
	if (property) {
		const binary = this.helpers.assertBinaryData(itemIndex, property);
		const bytes = await this.helpers.binaryToBuffer(await openBinary(this, binary));
		return await schemaSetFromBytes(
			bytes,
			binary.fileName ?? 'schema.xsd',
			`the binary "${property}"`,
		);
	}
	const location = source.xsdLocation?.trim() ?? '';
	let byLocation = loaded.get(execution);
	if (!byLocation) {
		byLocation = new Map();
		loaded.set(execution, byLocation);
	}
	let set = byLocation.get(location);
	if (!set) {
		set = schemasFrom(location, {
			// n8n's HTTP client, so a proxy configured for n8n applies.
			fetch: async (url) =>
				Buffer.from(
					(await this.helpers.httpRequest({
						url,
						encoding: 'arraybuffer',
						returnFullResponse: false,
						timeout: 60_000,
					})) as ArrayBuffer,
				),
		});
		byLocation.set(location, set);
		set.catch(() => byLocation?.delete(location));
	}
	return await set;
}

/** Checks every FI; the reports in the order of the files. */
export async function validateFiles(
	files: readonly SetFile[],
	schemas: SchemaSet,
	maxIssues = DEFAULT_MAX_MESSAGES,
): Promise<DeclarationValidation[]> {
	return await Promise.all(
		files.map(
			async (file) =>
				await validateDeclaration(
					file.open,
					{ set: schemas },
					{
						name: file.name,
						size: file.size,
						maxIssues,
					},
				),
		),
	);
}

/** A report as item JSON. */
export function reportJson(report: DeclarationValidation): IDataObject {
	return { ...report, issues: report.issues.map((issue) => ({ ...issue })) };
}
