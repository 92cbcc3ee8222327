/** The parameters Poll Responses and the trigger both show for choosing answers (read by answerQuery.ts). */
import type { INodeProperties } from 'n8n-workflow';
import { DEFAULT_PARALLEL, MAX_PARALLEL } from '../domain/responses/collectAnswers';
import { APPLICATION_CODES } from '../domain/names/applicationCodes';

/** The parameters both nodes show for choosing answers. */
export const answerQueryProperties: INodeProperties[] = [
	{
		displayName: 'Environments',
		name: 'environments',
		type: 'multiOptions',
		options: [
			{ name: 'Production (OUT)', value: 'R' },
			{ name: 'Test (OUTTEST)', value: 'T' },
			{ name: 'DmfA Declaration Test (OUTTEST-S)', value: 'S' },
		],
		default: ['R', 'T', 'S'],
		description: 'Which answer folders to look in',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Answer Types',
				name: 'types',
				type: 'multiOptions',
				options: APPLICATION_CODES.filter((c) => c.direction === 'response').map((c) => ({
					name: `${c.code} — ${c.label}`,
					value: c.code,
				})),
				default: [],
				description: 'Only these types of answer; none selected means all',
			},
			{
				displayName: 'Binary Property',
				name: 'binaryPropertyName',
				type: 'string',
				default: 'data',
				description: 'Name of the binary property that receives the answer file',
			},
			{
				displayName: 'Delete From Server After Download',
				name: 'deleteAfterDownload',
				type: 'boolean',
				default: true,
				description:
					'Whether to delete each answer (its FO or CO, FS and GO) from the server once it is safely stored in n8n, as the social security asks. A failed download never deletes. A manual test run in the editor deletes only when this option is set explicitly.',
			},
			{
				displayName: 'Language of Explanations',
				name: 'language',
				type: 'options',
				options: [
					{
						name: 'English (Dutch and French Texts Side by Side Where We Have No English)',
						value: 'en',
					},
					{ name: 'Français', value: 'fr' },
					{ name: 'Nederlands', value: 'nl' },
				],
				default: 'en',
				description:
					"Language of each anomaly's explanation (its zone and the annex-30 text of its error code). The Dutch and French texts are the social security's own; every item also carries both.",
			},
			{
				displayName: 'Maximum Answers per Run',
				name: 'max',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 100,
				description: 'Max number of answers to take in one run; the others wait for the next run',
			},
			{
				displayName: 'Parallel Answers',
				name: 'parallel',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: MAX_PARALLEL },
				default: DEFAULT_PARALLEL,
				description:
					'How many answers to take at the same time over the one connection. Each answer is still deleted only once it is stored, GO first; 1 takes them one by one (for a server that needs it).',
			},
			{
				displayName: 'Trusted Certificates (PEM)',
				name: 'trustedCertificatesPem',
				type: 'string',
				typeOptions: { rows: 4 },
				default: '',
				description:
					'With "Verify Answer Signatures": the CA certificate(s) the social security signs with. Empty: the signature is checked, not its issuer.',
			},
			{
				displayName: 'Verify Answer Signatures',
				name: 'verifySignature',
				type: 'boolean',
				default: false,
				description: 'Whether to check the FS that comes with each answer against the answer file',
			},
		],
	},
];
