import type {
	IBinaryKeyData,
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodePropertyOptions,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { isSocialSecurityError } from '../domain/errors';
import { errorItem, withResult } from '../shared/itemResult';
import { sendingApplicationCodes } from '../domain/names/applicationCodes';
import { brusselsToday } from '../domain/names/brusselsTime';
import { ENVIRONMENTS, Environment } from '../domain/names/environments';
import {
	DEFAULT_MAX_AGE_DAYS,
	DeclarationSetId,
	NameRuleViolation,
	declarationSetNames,
	namesError,
	parseFileName,
	validateDeclarationSet,
} from '../domain/names/fileNames';
import {
	allocateDailyCounter,
	fixedSequence,
	recordFixedSequence,
	resolveCreationDate,
	sharedTimeSequenceGenerator,
} from '../domain/names/sequence';

const CUSTOM_APPLICATION = 'custom';
const COUNTER_STATE_KEY = 'dailyCounter';

/** One option per sending code of the table in applicationCodes.ts, so a new code needs no change here. */
const applicationOptions: INodePropertyOptions[] = [
	...sendingApplicationCodes()
		.map((entry) => ({ name: `${entry.code} – ${entry.label}`, value: entry.code }))
		.sort((a, b) => a.name.localeCompare(b.name)),
	{
		name: 'Custom Code',
		value: CUSTOM_APPLICATION,
		description: 'An application code that is not in this list yet',
	},
];

/**
 * Builds the names of a declaration set (FI, FS, GO, TD) with a sequence that is never handed out twice, and
 * checks a name against every rule the server applies. The work is in nodes/domain/names.
 */
export class BuildFilenames implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Build Filenames',
		name: 'buildFilenames',
		icon: { light: 'file:socialsecurity.svg', dark: 'file:socialsecurity.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] === "parse" ? "Parse a name" : "Build names"}}',
		description:
			'Build and check the file names of the Belgian social security batch channel (FI, FS, GO, TD) before anything is sent',
		defaults: { name: 'Build Filenames' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		// Pure computation on a few strings: an AI agent can safely ask it for names or to check one.
		usableAsTool: true,
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Build',
						value: 'build',
						description:
							'Make the FI, FS, GO and TD names of one declaration set with a new sequence',
						action: 'Build the names of a declaration set',
					},
					{
						name: 'Parse',
						value: 'parse',
						description: 'Split a file name into its parts and list every rule it breaks',
						action: 'Parse and check a file name',
					},
				],
				default: 'build',
			},

			// ----------------------------------------------------------------------------------- Build
			{
				displayName: 'Application',
				name: 'application',
				type: 'options',
				options: applicationOptions,
				default: 'DMFA',
				displayOptions: { show: { operation: ['build'] } },
				description:
					'The kind of declaration in the file: its 4-letter application code opens every name. Choose the one your payroll software made the file for. A code your sender may not use is refused (ACRF-154).',
			},
			{
				displayName: 'Custom Application Code',
				name: 'customApplication',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'DMFA',
				displayOptions: { show: { operation: ['build'], application: [CUSTOM_APPLICATION] } },
				description:
					'Exactly 4 upper-case letters, as the social security documentation of the declaration gives it. Anything else is refused (ACRF-158).',
			},
			{
				displayName: 'Sender Number',
				name: 'sender',
				type: 'string',
				default: '',
				required: true,
				placeholder: '101380',
				displayOptions: { show: { operation: ['build'] } },
				description:
					'The 6-digit sender number (afzendernummer / numéro d’expéditeur) that the social security gave your company or payroll office for this batch channel. You find it on the portal socialsecurity.be where the channel is managed, in the credential of the channel, or in the names of files sent before. Keep the leading zeros (012345). Another sender’s number is refused (ACRF-108).',
			},
			{
				displayName: 'Creation Date',
				name: 'creationDate',
				type: 'string',
				default: '',
				placeholder: '20260115 (empty = today)',
				displayOptions: { show: { operation: ['build'] } },
				description:
					'The date in the names, normally the day the file is sent. Leave empty for today in Belgium (Brussels time, also when n8n runs elsewhere). Accepts 20260115, 2026-01-15 or a date-time such as {{ $now }}, which is turned into the calendar day in Brussels. The server refuses a date in the future (ACRF-111) or too old (ACRF-126).',
			},
			{
				displayName: 'Environment',
				name: 'environment',
				type: 'options',
				options: [
					{
						name: 'DmfA Declaration Test (S)',
						value: 'S',
						description:
							'Trial of DmfA declarations, nothing is processed. Files go to INTEST-S, answers come in OUTTEST-S.',
					},
					{
						name: 'Production (R)',
						value: 'R',
						description: 'Real declarations that count. Files go to IN, answers come in OUT.',
					},
					{
						name: 'Test / Simulation (T)',
						value: 'T',
						description:
							'Circuit test: the file is checked as in production but not processed. Files go to INTEST, answers come in OUTTEST.',
					},
				],
				default: 'T',
				displayOptions: { show: { operation: ['build'] } },
				description:
					'Where the declaration goes. The letter is part of the name and decides the folders: a file in the wrong folder is refused (ACRF-117, ACRF-118, ACRF-119). Starts on Test so that nothing reaches production by mistake.',
			},
			{
				displayName: 'Number of Parts',
				name: 'parts',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 9, numberPrecision: 0 },
				default: 1,
				displayOptions: { show: { operation: ['build'] } },
				description:
					'How many FI files make up this declaration. Most declarations are one file; a large one can be split in up to 9 parts, each with its own signature (FS) and one GO for the whole set. A wrong count is refused (ACRF-114, ACRF-115, ACRF-120).',
			},
			{
				displayName: 'Sequence',
				name: 'sequenceMode',
				type: 'options',
				options: [
					{
						name: 'Automatic (Time-Based, Unique Without Storage)',
						value: 'automatic',
						description:
							'A new value on every run, made from the time of day in Brussels (e.g. 0B7KQ). Unique across workflows, parallel runs and n8n processes of this machine, without a database. For creation dates less than 7 days old.',
					},
					{
						name: 'Daily Counter Kept in This Workflow',
						value: 'dailyCounter',
						description:
							'00001, 00002, … starting again every day. n8n saves the counter only for active (production) workflows; manual test runs do not advance it, but values already used on this machine are skipped.',
					},
					{
						name: 'Fixed Value or Expression',
						value: 'fixed',
						description: 'You give the value, for example the one your payroll software chose',
					},
				],
				default: 'automatic',
				displayOptions: { show: { operation: ['build'] } },
				description:
					'The 5-character serial number of the set. The server accepts a name only once per creation date and environment, even after a rejection (ACRF-133), so each set needs a new one.',
			},
			{
				displayName: 'Sequence Value',
				name: 'sequence',
				type: 'string',
				default: '',
				required: true,
				placeholder: '00001',
				displayOptions: { show: { operation: ['build'], sequenceMode: ['fixed'] } },
				description:
					'Exactly 5 characters from 0-9 and A-Z in upper case, not 00000 (ACRF-112, ACRF-113, ACRF-127, ACRF-367). Nothing is added or changed: 1 is refused, write 00001. Never reuse a value for the same date and environment (ACRF-133).',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				displayOptions: { show: { operation: ['build'] } },
				options: [
					{
						displayName: 'Keep Input Fields',
						name: 'keepInputFields',
						type: 'boolean',
						default: true,
						description:
							'Whether the item keeps the fields it came with, with the names beside them under "names". Off: the item holds only "names" and its files, e.g. to leave a bulky export behind.',
					},
					{
						displayName: 'Maximum Age of Date (Days)',
						name: 'maxAgeDays',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: DEFAULT_MAX_AGE_DAYS,
						description:
							'How many days old the creation date may be. The server refuses old dates (ACRF-126) without publishing the limit; 0 turns this check off.',
					},
					{
						displayName: 'Only Known Application Codes',
						name: 'knownApplicationsOnly',
						type: 'boolean',
						default: false,
						description:
							'Whether to refuse a custom application code that is not in the list of this node, to catch a typing mistake before the server does (ACRF-154)',
					},
					{
						displayName: 'Rename Binaries to FI Names',
						name: 'renameBinaries',
						type: 'string',
						default: '',
						placeholder: 'data or data,data2,data3',
						description:
							'The binary properties that hold the declaration files, one per part in part order, separated by commas. Each gets the FI name of its part as file name, ready for upload. The count must equal the number of parts.',
					},
					{
						displayName: 'Sequence Folder',
						name: 'sequenceFolder',
						type: 'string',
						default: '',
						placeholder: '/data/n8n-socialsecurity-sequences',
						description:
							'Folder where each sequence handed out is recorded, so that n8n processes never hand out the same one. Empty: the SOCIALSECURITY_SEQUENCE_DIR environment variable, else the temporary folder of the system. With several n8n workers, use a folder they all share.',
					},
				],
			},

			// ----------------------------------------------------------------------------------- Parse
			{
				displayName: 'Name',
				name: 'name',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'FI.DMFA.101380.20260115.00001.T.1.1',
				displayOptions: { show: { operation: ['parse'] } },
				description:
					'The file name to check, usually an expression that points to a name in the incoming item, such as {{ $binary.data.fileName }}. Names we send (FI, FS, GO, TD) and answers of the social security (FO, CO, FS, GO) are both understood.',
			},
			{
				displayName: 'Options',
				name: 'parseOptions',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				displayOptions: { show: { operation: ['parse'] } },
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
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const operation = this.getNodeParameter('operation', itemIndex) as string;
				const item = items[itemIndex];
				const result =
					operation === 'parse'
						? parseName(this, itemIndex, item)
						: buildNames(this, itemIndex, item);
				const options = this.getNodeParameter(
					operation === 'parse' ? 'parseOptions' : 'options',
					itemIndex,
					{},
				) as IDataObject;
				const json = withResult(item, result.key, result.value, options.keepInputFields !== false);
				const output: INodeExecutionData = { json, pairedItem: { item: itemIndex } };
				if (result.binary) output.binary = result.binary;
				returnData.push(output);
			} catch (error) {
				const nodeError = new NodeOperationError(this.getNode(), error as Error, {
					itemIndex,
					description: isSocialSecurityError(error) ? error.hint : undefined,
				});
				if (this.continueOnFail()) {
					returnData.push(errorItem(this.getNode(), items[itemIndex], error, itemIndex));
					continue;
				}
				throw nodeError;
			}
		}
		return [returnData];
	}
}

/** The node's result for one item, under `key` in the output (docs/items.md), and the item's files. */
interface ItemResult {
	key: 'names' | 'parsedName';
	value: IDataObject;
	binary?: IBinaryKeyData;
}

function buildNames(
	ctx: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData,
): ItemResult {
	const node = ctx.getNode();
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const now = new Date();
	const today = brusselsToday(now);
	const maxAgeDays = Number(options.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS);
	const knownApplicationsOnly = options.knownApplicationsOnly === true;

	const applicationChoice = ctx.getNodeParameter('application', itemIndex) as string;
	const application =
		applicationChoice === CUSTOM_APPLICATION
			? String(ctx.getNodeParameter('customApplication', itemIndex, '')).trim()
			: applicationChoice;
	const sender = String(ctx.getNodeParameter('sender', itemIndex, '')).trim();
	const date = resolveCreationDate(ctx.getNodeParameter('creationDate', itemIndex, ''), now);
	const environment = String(ctx.getNodeParameter('environment', itemIndex)) as Environment;
	const partsValue = ctx.getNodeParameter('parts', itemIndex, 1);
	const parts = typeof partsValue === 'number' ? partsValue : Number(String(partsValue).trim());
	const mode = ctx.getNodeParameter('sequenceMode', itemIndex) as string;
	const fixedValue = mode === 'fixed' ? ctx.getNodeParameter('sequence', itemIndex, '') : undefined;

	// Every rule is checked before a sequence is taken, so a typo does not use up a value.
	const draft: DeclarationSetId = {
		application,
		sender,
		date,
		sequence: mode === 'fixed' ? String(fixedValue ?? '').trim() : '00001',
		environment,
		parts,
	};
	const violations = validateDeclarationSet(draft, { today, maxAgeDays, knownApplicationsOnly });
	if (violations.length > 0) throw namesError(violations);

	// Binaries are checked before the sequence is taken, for the same reason.
	const renameList = parseBinaryList(options.renameBinaries);
	if (renameList.length > 0) checkBinaries(node, itemIndex, item, renameList, parts);

	const generator = sharedTimeSequenceGenerator(
		typeof options.sequenceFolder === 'string' ? options.sequenceFolder : undefined,
	);
	const warnings: string[] = [];
	let sequence: string;
	if (mode === 'fixed') {
		sequence = fixedSequence(fixedValue);
		try {
			if (generator.store && !recordFixedSequence(generator.store, date, environment, sequence)) {
				warnings.push(
					`Sequence ${sequence} was already handed out on this machine for ${date} in environment ${environment}: if a set with it was sent, the server refuses this one (ACRF-133)`,
				);
			}
		} catch (error) {
			// A fixed value does not depend on the folder; say that the other modes cannot see it.
			warnings.push(
				`The sequence could not be recorded for the other modes: ${(error as Error).message}`,
			);
		}
	} else if (mode === 'dailyCounter') {
		const staticData = ctx.getWorkflowStaticData('node');
		const result = allocateDailyCounter(
			staticData[COUNTER_STATE_KEY],
			date,
			environment,
			generator.store,
		);
		staticData[COUNTER_STATE_KEY] = result.state as unknown as IDataObject;
		sequence = result.sequence;
	} else if (mode === 'automatic') {
		sequence = generator.next({ date, environment });
	} else {
		throw new NodeOperationError(node, `Unknown sequence mode "${mode}"`, { itemIndex });
	}

	const set: DeclarationSetId = { ...draft, sequence };
	const names = declarationSetNames(set);
	const value: IDataObject = {
		fi: names.fi,
		fs: names.fs,
		go: names.go,
		td: names.td,
		set: { ...set },
		uploadFolder: names.uploadFolder,
		responseFolder: names.responseFolder,
		environmentLabel: ENVIRONMENTS[environment].label,
		warnings,
	};

	const source = item.binary;
	if (renameList.length === 0 || !source) return { key: 'names', value, binary: source };
	const binary: IBinaryKeyData = { ...source };
	renameList.forEach((property, part) => {
		binary[property] = { ...source[property], fileName: names.fi[part] };
	});
	return { key: 'names', value, binary };
}

function parseBinaryList(value: unknown): string[] {
	if (typeof value !== 'string') return [];
	return value
		.split(',')
		.map((entry) => entry.trim())
		.filter((entry) => entry !== '');
}

function checkBinaries(
	node: INode,
	itemIndex: number,
	item: INodeExecutionData,
	list: string[],
	parts: number,
): void {
	if (list.length !== parts) {
		throw new NodeOperationError(
			node,
			`"Rename Binaries to FI Names" lists ${list.length} binary propert${list.length === 1 ? 'y' : 'ies'} but the set has ${parts} part${parts === 1 ? '' : 's'}`,
			{
				itemIndex,
				description:
					'List one binary property per part, in part order, separated by commas (e.g. data,data2,data3), or change the number of parts.',
			},
		);
	}
	const duplicate = list.find((entry, index) => list.indexOf(entry) !== index);
	if (duplicate !== undefined) {
		throw new NodeOperationError(
			node,
			`The binary property "${duplicate}" is listed twice in "Rename Binaries to FI Names"`,
			{
				itemIndex,
				description: 'Each part needs its own file: list each binary property once.',
			},
		);
	}
	const available = Object.keys(item.binary ?? {});
	const missing = list.filter((entry) => !available.includes(entry));
	if (missing.length > 0) {
		throw new NodeOperationError(
			node,
			`The input item has no binary property ${missing.map((m) => `"${m}"`).join(', ')}`,
			{
				itemIndex,
				description:
					available.length > 0
						? `Binary properties of this item: ${available.join(', ')}. Use these names in "Rename Binaries to FI Names".`
						: 'This item has no file at all: read the declaration files first (e.g. with Read/Write Files from Disk) or remove the option.',
			},
		);
	}
}

function parseName(
	ctx: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData,
): ItemResult {
	const rawName = ctx.getNodeParameter('name', itemIndex, '');
	const name = typeof rawName === 'string' ? rawName.trim() : String(rawName ?? '');
	const options = ctx.getNodeParameter('parseOptions', itemIndex, {}) as IDataObject;
	const result = parseFileName(name, {
		maxAgeDays: Number(options.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS),
		knownApplicationsOnly: options.knownApplicationsOnly === true,
		expectedSender:
			typeof options.expectedSender === 'string' ? options.expectedSender.trim() : undefined,
	});
	if (result.valid) {
		const value = result.value;
		return {
			key: 'parsedName',
			value: {
				...value,
				name,
				valid: true,
				environmentLabel: ENVIRONMENTS[value.environment].label,
				violations: [],
			},
			binary: item.binary,
		};
	}
	if (options.failOnInvalid === true) {
		throw new NodeOperationError(ctx.getNode(), namesError(result.violations).message, {
			itemIndex,
			description:
				'Correct the name, or turn off "Fail on Invalid Name" to let invalid names through with valid = false and route them with an IF node.',
		});
	}
	return {
		key: 'parsedName',
		value: {
			name,
			valid: false,
			direction: guessDirection(name),
			violations: result.violations.map(violationJson),
		},
		binary: item.binary,
	};
}

/** For an invalid name: answers start with FO./CO. or carry the sender 999999 of the social security. */
function guessDirection(name: string): 'submission' | 'response' {
	return /^(FO|CO)\./.test(name) || name.split('.')[2] === '999999' ? 'response' : 'submission';
}

function violationJson(violation: NameRuleViolation): IDataObject {
	return { rule: violation.rule, acrf: violation.acrf ?? null, message: violation.message };
}
