/** Parse: any file name, ours or an answer's, split into its parts with every rule it breaks. */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';
import { ENVIRONMENTS } from '../../domain/names/environments';
import {
	DEFAULT_MAX_AGE_DAYS,
	NameRuleViolation,
	namesError,
	parseFileName,
} from '../../domain/names/fileNames';
import { resultItem } from '../../shared/itemResult';

interface ParseOptions {
	expectedSender?: string;
	failOnInvalid?: boolean;
	keepInputFields?: boolean;
	maxAgeDays?: number;
	knownApplicationsOnly?: boolean;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData> {
	const item = this.getInputData()[itemIndex];
	const rawName = this.getNodeParameter('name', itemIndex, '');
	const name = typeof rawName === 'string' ? rawName.trim() : String(rawName ?? '');
	const chosen = this.getNodeParameter('parseOptions', itemIndex, {}) as ParseOptions;
	const parsed = parseFileName(name, {
		maxAgeDays: Number(chosen.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS),
		knownApplicationsOnly: chosen.knownApplicationsOnly === true,
		expectedSender:
			typeof chosen.expectedSender === 'string' ? chosen.expectedSender.trim() : undefined,
	});
	let result: IDataObject;
	if (parsed.valid) {
		const value = parsed.value;
		const environmentLabel = ENVIRONMENTS[value.environment].label;
		result = { ...value, name, valid: true, environmentLabel, violations: [] };
	} else if (chosen.failOnInvalid === true) {
		// The node's own choice to fail, not a domain error: no code, the hint names the option.
		throw new NodeOperationError(this.getNode(), namesError(parsed.violations).message, {
			itemIndex,
			description:
				'Correct the name, or turn off "Fail on Invalid Name" to let invalid names through with valid = false and route them with an IF node.',
		});
	} else {
		const violations = parsed.violations.map(violationJson);
		result = { name, valid: false, direction: guessDirection(name), violations };
	}
	const keepInputFields = chosen.keepInputFields !== false;
	return resultItem(item, itemIndex, 'parsedName', result, { keepInputFields });
}

/** For an invalid name: answers start with FO./CO. or carry the sender 999999 of the social security. */
function guessDirection(name: string): 'submission' | 'response' {
	return /^(FO|CO)\./.test(name) || name.split('.')[2] === '999999' ? 'response' : 'submission';
}

function violationJson(violation: NameRuleViolation): IDataObject {
	return { rule: violation.rule, acrf: violation.acrf ?? null, message: violation.message };
}

/** The options collection of Parse: a new option goes here and into ParseOptions. */
const options: INodeProperties = {
	displayName: 'Options',
	name: 'parseOptions',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Expected Sender Number',
			name: 'expectedSender',
			type: 'string',
			default: '',
			placeholder: '101380',
			description:
				'The 6-digit sender number of your channel; a name with another sender is reported (ACRF-108)',
		},
		{
			displayName: 'Fail on Invalid Name',
			name: 'failOnInvalid',
			type: 'boolean',
			default: false,
			description:
				'Whether to stop the workflow when the name breaks a rule. Off: the item comes out with parsedName.valid = false and the list of violations, so an IF node can route it.',
		},
		{
			displayName: 'Keep Input Fields',
			name: 'keepInputFields',
			type: 'boolean',
			default: true,
			description:
				'Whether the item keeps the fields it came with, with the result beside them under "parsedName". Off: the item holds only "parsedName" and its files.',
		},
		{
			displayName: 'Maximum Age of Date (Days)',
			name: 'maxAgeDays',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: DEFAULT_MAX_AGE_DAYS,
			description:
				'How many days old the date in a name may be before it is reported as too old (ACRF-126); 0 turns this check off',
		},
		{
			displayName: 'Only Known Application Codes',
			name: 'knownApplicationsOnly',
			type: 'boolean',
			default: false,
			description:
				'Whether to report application codes that are not known sending codes (ACRF-154)',
		},
	],
};

const properties: INodeProperties[] = [
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'FI.DMFA.101380.20260115.00001.T.1.1',
		description:
			'The file name to check, usually an expression that points to a name in the incoming item, such as {{ $binary.data.fileName }}. Names we send (FI, FS, GO, TD) and answers of the social security (FO, CO, FS, GO) are both understood.',
	},
	options,
];

export const description = updateDisplayOptions({ show: { operation: ['parse'] } }, properties);
