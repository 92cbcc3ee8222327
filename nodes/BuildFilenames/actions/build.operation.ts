/** Build: the FI, FS, GO and TD names of one declaration set, with a sequence never handed out twice. */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	INodePropertyOptions,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { sendingApplicationCodes } from '../../domain/names/applicationCodes';
import { brusselsToday } from '../../domain/names/brusselsTime';
import { ENVIRONMENTS, Environment } from '../../domain/names/environments';
import {
	DEFAULT_MAX_AGE_DAYS,
	DeclarationSetId,
	declarationSetNames,
	namesError,
	validateDeclarationSet,
} from '../../domain/names/fileNames';
import { resolveCreationDate } from '../../domain/names/sequence';
import { resultItem } from '../../shared/itemResult';
import { binaryList, checkBinaries, renamedBinaries } from '../helpers/binaries';
import { takeSequence } from '../helpers/sequence';

const CUSTOM_APPLICATION = 'custom';

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

interface BuildOptions {
	keepInputFields?: boolean;
	maxAgeDays?: number;
	knownApplicationsOnly?: boolean;
	renameBinaries?: string;
	sequenceFolder?: string;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData> {
	const item = this.getInputData()[itemIndex];
	const chosen = this.getNodeParameter('options', itemIndex, {}) as BuildOptions;
	const now = new Date();
	const applicationChoice = this.getNodeParameter('application', itemIndex) as string;
	const mode = this.getNodeParameter('sequenceMode', itemIndex) as string;
	const fixedValue =
		mode === 'fixed' ? this.getNodeParameter('sequence', itemIndex, '') : undefined;
	const partsValue = this.getNodeParameter('parts', itemIndex, 1);
	const draft: DeclarationSetId = {
		application:
			applicationChoice === CUSTOM_APPLICATION
				? String(this.getNodeParameter('customApplication', itemIndex, '')).trim()
				: applicationChoice,
		sender: String(this.getNodeParameter('sender', itemIndex, '')).trim(),
		date: resolveCreationDate(this.getNodeParameter('creationDate', itemIndex, ''), now),
		sequence: mode === 'fixed' ? String(fixedValue ?? '').trim() : '00001',
		environment: String(this.getNodeParameter('environment', itemIndex)) as Environment,
		parts: typeof partsValue === 'number' ? partsValue : Number(String(partsValue).trim()),
	};

	// Every rule and the binaries are checked before a sequence is taken, so a typo does not use up a value.
	const violations = validateDeclarationSet(draft, {
		today: brusselsToday(now),
		maxAgeDays: Number(chosen.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS),
		knownApplicationsOnly: chosen.knownApplicationsOnly === true,
	});
	if (violations.length > 0) throw namesError(violations);
	const renameList = binaryList(chosen.renameBinaries);
	if (renameList.length > 0) checkBinaries(item, renameList, draft.parts);

	const { sequence, warnings } = await takeSequence(this, {
		mode,
		fixedValue,
		date: draft.date,
		environment: draft.environment,
		folder: chosen.sequenceFolder,
	});
	const set: DeclarationSetId = { ...draft, sequence };
	const names = declarationSetNames(set);
	const result: IDataObject = {
		fi: names.fi,
		fs: names.fs,
		go: names.go,
		td: names.td,
		set: { ...set },
		uploadFolder: names.uploadFolder,
		responseFolder: names.responseFolder,
		environmentLabel: ENVIRONMENTS[set.environment].label,
		warnings,
	};
	return resultItem(item, itemIndex, 'names', result, {
		keepInputFields: chosen.keepInputFields !== false,
		binary: renamedBinaries(item.binary, renameList, names.fi),
	});
}

/** The options collection of Build: a new option goes here and into BuildOptions. */
const options: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
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
				"Folder where each sequence handed out is recorded, so that n8n processes never hand out the same one. Empty: the SOCIALSECURITY_SEQUENCE_DIR environment variable, else socialsecurity-sequences in the n8n data folder ($N8N_USER_FOLDER/.n8n, by default ~/.n8n). In queue mode (main and workers) sequences are kept in n8n's own Redis instead and this folder is not used.",
		},
	],
};

const properties: INodeProperties[] = [
	{
		displayName: 'Application',
		name: 'application',
		type: 'options',
		options: applicationOptions,
		default: 'DMFA',
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
		displayOptions: { show: { application: [CUSTOM_APPLICATION] } },
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
		description:
			'The 6-digit sender number (afzendernummer / numéro d’expéditeur) that the social security gave your company or payroll office for this batch channel. You find it on the portal socialsecurity.be where the channel is managed, in the credential of the channel, or in the names of files sent before. Keep the leading zeros (012345). Another sender’s number is refused (ACRF-108).',
	},
	{
		displayName: 'Creation Date',
		name: 'creationDate',
		type: 'string',
		default: '',
		placeholder: '20260115 (empty = today)',
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
		description:
			'Where the declaration goes. The letter is part of the name and decides the folders: a file in the wrong folder is refused (ACRF-117, ACRF-118, ACRF-119). Starts on Test so that nothing reaches production by mistake.',
	},
	{
		displayName: 'Number of Parts',
		name: 'parts',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 9, numberPrecision: 0 },
		default: 1,
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
		displayOptions: { show: { sequenceMode: ['fixed'] } },
		description:
			'Exactly 5 characters from 0-9 and A-Z in upper case, not 00000 (ACRF-112, ACRF-113, ACRF-127, ACRF-367). Nothing is added or changed: 1 is refused, write 00001. Never reuse a value for the same date and environment (ACRF-133).',
	},
	options,
];

export const description = updateDisplayOptions({ show: { operation: ['build'] } }, properties);
