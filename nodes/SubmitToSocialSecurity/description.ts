import type { INodeProperties } from 'n8n-workflow';
import { DIGEST_CHOICES, LAYOUT_CHOICES } from '../shared/signatureChoices';
import { DEFAULT_PARALLEL_SETS, MAX_PARALLEL_SETS } from '../domain/submission/uploadSet';

const signaturePolicyOptions = [
	{ name: 'Required', value: 'required', description: 'Refuse to send an FI without its FS' },
	{ name: 'Optional', value: 'optional', description: 'Send the FS files that are there' },
	{ name: 'Not Sent', value: 'omit', description: 'Never send FS files in this environment' },
];

export const submitDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Submit',
				value: 'submit',
				action: 'Submit a declaration set',
				description:
					'Check the set, upload every FI and FS, then the GO that tells the server the set is complete',
			},
			{
				name: 'Cancel',
				value: 'cancel',
				action: 'Cancel a submitted set',
				description: 'Send the TD file that asks the server to stop processing a set',
			},
		],
		default: 'submit',
	},
	{
		displayName: 'Find Files By',
		name: 'filesFrom',
		type: 'options',
		displayOptions: { show: { operation: ['submit'] } },
		options: [
			{
				name: 'Their File Names',
				value: 'fileNames',
				description:
					'Every binary of the item whose file name starts with FI. or FS. belongs to the set (what Build Filenames with "Rename Binaries" and Sign FI produce)',
			},
			{
				name: 'Binary Properties',
				value: 'properties',
				description: 'Name the binary properties that hold the FI parts and their FS files',
			},
		],
		default: 'fileNames',
	},
	{
		displayName: 'Declaration Binary Properties',
		name: 'declarationProperties',
		type: 'string',
		displayOptions: { show: { operation: ['submit'], filesFrom: ['properties'] } },
		default: 'data',
		placeholder: 'data, data2, data3',
		description:
			'The binary properties holding the FI parts, comma-separated. Their file names must be FI names.',
	},
	{
		displayName: 'Signature Binary Properties',
		name: 'signatureProperties',
		type: 'string',
		displayOptions: { show: { operation: ['submit'], filesFrom: ['properties'] } },
		default: '',
		placeholder: 'signature, signature2',
		description:
			'The binary properties holding the FS files, comma-separated. Leave empty when none are given (DmfA test, or with "Sign Missing Signatures").',
	},
	{
		displayName: 'Set Name (GO)',
		name: 'goName',
		type: 'string',
		displayOptions: { show: { operation: ['cancel'] } },
		default: '={{ $json.submission.go }}',
		placeholder: 'GO.DMFA.101380.20260110.00001.T.1',
		description:
			'The GO name of the submitted set, as the Submit operation puts it in submission.go; the TD name is made from it',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		displayOptions: { show: { operation: ['submit'] } },
		default: {},
		options: [
			{
				displayName: 'Clean Up After a Failure',
				name: 'cleanupOnFailure',
				type: 'boolean',
				default: false,
				description:
					'Whether to remove the files of this attempt from the server when the upload fails. No GO is ever sent for an incomplete set, so the server ignores them either way.',
			},
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description:
					'Whether to only check the set and show what would be sent, without connecting',
			},
			{
				displayName: 'Maximum Age of Date (Days)',
				name: 'maxAgeDays',
				type: 'number',
				default: 30,
				description:
					'How old the creation date in the names may be; the server refuses old dates (ACRF-126). 0 turns the check off.',
			},
			{
				displayName: 'Parallel Sets',
				name: 'parallelSets',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: MAX_PARALLEL_SETS },
				default: DEFAULT_PARALLEL_SETS,
				description:
					'How many items (sets) to send at the same time over the one connection. Each set is still sent FI, FS, then its GO only when the rest is complete; 1 sends them one by one.',
			},
			{
				displayName: 'Resume Interrupted Submission',
				name: 'resume',
				type: 'boolean',
				default: false,
				description:
					'Whether to keep files of this set that an interrupted attempt left on the server, after checking that their content is identical (SHA-256). Otherwise an existing name stops the submission.',
			},
			{
				displayName: 'Sign Missing Signatures',
				name: 'signWhenMissing',
				type: 'boolean',
				default: false,
				description:
					'Whether to make the FS of each FI that has none with the certificate of the credential, so a workflow can go from export to submission in one node',
			},
			{
				displayName: 'Signature Digest',
				name: 'signatureDigest',
				type: 'options',
				options: DIGEST_CHOICES,
				default: 'sha256',
				description: 'Hash algorithm of signatures made by "Sign Missing Signatures"',
			},
			{
				displayName: 'Signature File Layout',
				name: 'signatureLayout',
				type: 'options',
				options: LAYOUT_CHOICES,
				default: 'single-line',
				description: 'Layout of signatures made by "Sign Missing Signatures"',
			},
			{
				displayName: 'Signatures in DmfA Test (S)',
				name: 'signatureInDmfaTest',
				type: 'options',
				options: signaturePolicyOptions,
				default: 'omit',
				description:
					'Whether FS files are sent to INTEST-S. The DmfA declaration test does not need them.',
			},
			{
				displayName: 'Signatures in Test (T)',
				name: 'signatureInTest',
				type: 'options',
				options: signaturePolicyOptions,
				default: 'required',
				description:
					'Whether FS files are sent to INTEST. The test environment checks an FS when one is present (a bad one gives ACRF-125). Production always needs them.',
			},
		],
	},
];
