/**
 * Validate: check declarations against their XSD without connecting, so a workflow can branch on the
 * result (or stop) long before anything is sent. Submit's option "Validate Before Sending" runs the
 * same check on the FI files of a set. Why here and not in a node of its own: docs/validation.md.
 */
import type {
	IBinaryData,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { SocialSecurityError } from '../../domain/errors';
import type { SetFile } from '../../domain/submission/declarationSet';
import { DeclarationInvalidError, MAX_CONCURRENT_VALIDATIONS } from '../../domain/validation';
import { DEFAULT_MAX_MESSAGES } from '../../domain/validation/xmllintRunner';
import { binarySize, openBinary } from '../../shared/binaryData';
import type { ChannelSession } from '../../shared/channelSession';
import { resultItem } from '../../shared/itemResult';
import {
	loadSchemas,
	reportJson,
	SchemaSource,
	schemaSourceProperties,
	validateFiles,
} from '../helpers/validation';

interface ValidateOptions {
	failWhenInvalid?: boolean;
	maxIssues?: number;
}

/** Each validation keeps a core busy: as many items at a time as the domain runs validations. */
export function parallelism(): number {
	return MAX_CONCURRENT_VALIDATIONS;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ChannelSession,
): Promise<INodeExecutionData> {
	const options = this.getNodeParameter('options', itemIndex, {}) as ValidateOptions;
	const source: SchemaSource = {
		xsdLocation: this.getNodeParameter('xsdLocation', itemIndex, '') as string,
		xsdBinaryProperty: this.getNodeParameter('xsdBinaryProperty', itemIndex, '') as string,
	};
	const files = await declarationsOf.call(this, itemIndex);
	// The session object stands for this execution: the XSDs are read once for all its items.
	const schemas = await loadSchemas.call(this, itemIndex, source, session);
	const reports = await validateFiles(files, schemas, options.maxIssues ?? DEFAULT_MAX_MESSAGES);
	if (options.failWhenInvalid && reports.some((r) => !r.valid))
		throw new DeclarationInvalidError(reports);
	const validation: IDataObject = {
		valid: reports.every((r) => r.valid),
		declarations: reports.map(reportJson),
	};
	return resultItem(this.getInputData()[itemIndex], itemIndex, 'validation', validation);
}

/** The binaries to check: those named, else every binary whose file name is an FI name. */
async function declarationsOf(this: IExecuteFunctions, itemIndex: number): Promise<SetFile[]> {
	const named = String(this.getNodeParameter('declarationBinaries', itemIndex, ''))
		.split(',')
		.map((p) => p.trim())
		.filter(Boolean);
	const binaries = this.getInputData()[itemIndex].binary ?? {};
	const chosen: Array<[string, IBinaryData]> =
		named.length > 0
			? named.map((p) => [p, this.helpers.assertBinaryData(itemIndex, p)])
			: Object.entries(binaries).filter(([, b]) => (b.fileName ?? '').startsWith('FI.'));
	if (chosen.length === 0) {
		throw new SocialSecurityError(
			'VALIDATION_NO_DECLARATION',
			'The item has no binary whose file name starts with FI., so there is nothing to validate.',
			'Name the binary properties that hold the declarations in "Declaration Binary Properties" (e.g. data).',
		);
	}
	return await Promise.all(
		chosen.map(async ([property, binary]) => ({
			name: binary.fileName ?? property,
			size: await binarySize(this, binary),
			open: async () => await openBinary(this, binary),
		})),
	);
}

const properties: INodeProperties[] = [
	{
		displayName: 'Declaration Binary Properties',
		name: 'declarationBinaries',
		type: 'string',
		default: '',
		placeholder: 'data',
		description:
			'The binary properties holding the declarations (XML), comma-separated. Empty: every binary whose file name starts with FI.',
	},
	...schemaSourceProperties(),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Fail When Invalid',
				name: 'failWhenInvalid',
				type: 'boolean',
				default: false,
				description:
					'Whether an invalid declaration fails the item (as "Validate Before Sending" does) instead of coming out with validation.valid false',
			},
			{
				displayName: 'Maximum Findings',
				name: 'maxIssues',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 1000 },
				default: DEFAULT_MAX_MESSAGES,
				description:
					'How many findings of each declaration to list; all of them are counted in issueCount',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { operation: ['validate'] } }, properties);
