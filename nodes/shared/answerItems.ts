/**
 * Collecting answers into n8n items, shared by Poll Responses and the trigger: each answer's content is
 * streamed into n8n's binary store before the domain may delete it from the server.
 */
import type {
	IBinaryData,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	IPollFunctions,
} from 'n8n-workflow';
import {
	collectAnswers,
	CollectResult,
	DEFAULT_PARALLEL,
	MAX_PARALLEL,
} from '../domain/responses/collectAnswers';
import { answerStatus, summarizeAnswer, summarizeRun } from '../domain/responses/answerSummary';
import { APPLICATION_CODES } from '../domain/names/applicationCodes';
import type { Environment } from '../domain/names/environments';
import type { CodeLanguage } from '../domain/codes/describeError';
import type { ChannelSession } from './channelSession';

export interface AnswerQuery {
	environments: Environment[];
	types: string[];
	max: number;
	deleteAfterStore: boolean;
	verifySignature: boolean;
	trustedCertificatesPem?: string;
	binaryPropertyName: string;
	alreadyDelivered?: Set<string>;
	ignoreIds?: Set<string>;
	onlyRejections?: boolean;
	parallel: number;
	/** Language of the anomalies' explanations (docs/codes.md). */
	language?: CodeLanguage;
}

const MIME: Record<string, string> = {
	xml: 'application/xml',
	pdf: 'application/pdf',
	binary: 'application/octet-stream',
};

export async function collectAnswerItems(
	ctx: IExecuteFunctions | IPollFunctions,
	session: ChannelSession,
	query: AnswerQuery,
): Promise<{
	items: INodeExecutionData[];
	summary: Record<string, unknown>;
	result: CollectResult<IBinaryData>;
}> {
	const channel = await session.open();
	const result = await collectAnswers<IBinaryData>(channel, {
		environments: query.environments,
		types: query.types,
		max: query.max,
		deleteAfterStore: query.deleteAfterStore,
		parallel: query.parallel,
		alreadyDelivered: query.alreadyDelivered,
		ignoreIds: query.ignoreIds,
		language: query.language,
		// An answer we cannot read (status unknown) counts as a possible rejection: it must not be passed over.
		accept: query.onlyRejections
			? (interpreted) => answerStatus(interpreted) !== 'accepted'
			: undefined,
		verifySignature: query.verifySignature
			? { trustedCertificatesPem: query.trustedCertificatesPem || undefined }
			: undefined,
		// Resolves once n8n has the bytes in its binary store (filesystem or database): only then may we delete.
		store: async (file) =>
			ctx.helpers.prepareBinaryData(
				file.open(),
				`${file.name}${file.format === 'xml' ? '.xml' : file.format === 'pdf' ? '.pdf' : ''}`,
				MIME[file.format],
			),
	});
	// The result goes under one key, as with every node of the package (docs/items.md).
	const items = result.answers.map((answer) => ({
		json: { answer: summarizeAnswer(answer) } as INodeExecutionData['json'],
		binary: { [query.binaryPropertyName]: answer.stored },
	}));
	return { items, summary: summarizeRun(result), result };
}

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

interface AnswerOptions {
	types?: string[];
	binaryPropertyName?: string;
	deleteAfterDownload?: boolean;
	max?: number;
	parallel?: number;
	trustedCertificatesPem?: string;
	verifySignature?: boolean;
	language?: string;
}

export function answerQueryFrom(
	environments: unknown,
	options: AnswerOptions,
	manualRun = false,
): AnswerQuery {
	const envs = (Array.isArray(environments) ? environments : []).filter(
		(e): e is Environment => e === 'R' || e === 'T' || e === 'S',
	);
	return {
		environments: envs.length > 0 ? envs : ['R', 'T', 'S'],
		types: options.types ?? [],
		max: options.max ?? 100,
		parallel: options.parallel ?? DEFAULT_PARALLEL,
		// Clicking "Test step" must not clear production answers unless the user asked for it in so many words.
		deleteAfterStore: options.deleteAfterDownload ?? !manualRun,
		verifySignature: options.verifySignature ?? false,
		trustedCertificatesPem: options.trustedCertificatesPem,
		binaryPropertyName: options.binaryPropertyName || 'data',
		language:
			options.language === 'nl' || options.language === 'fr' || options.language === 'en'
				? options.language
				: 'en',
	};
}

/**
 * What a trigger shows in a manual test run when no answer is waiting, so fields can still be mapped:
 * `answer` has the shape of a real one. Clearly marked as an example: it comes from no server.
 */
export const SAMPLE_ANSWER_JSON = {
	sample: true,
	note: 'No answer is waiting on the server now. This is an example of what an answer item looks like; it comes from no server.',
	answer: {
		type: 'ACRF',
		status: 'rejected',
		environment: 'T',
		folder: 'OUTTEST',
		answerName: 'FO.ACRF.999999.20260110.00012.T',
		answerId: 'ACRF.999999.20260110.00012.T',
		date: '20260110',
		ticket: '03804KY2Q8W1Z',
		answersFile: 'GO.DMFA.012345.20260110.00002.T.1',
		answersGo: 'GO.DMFA.012345.20260110.00002.T.1',
		answersFileKind: 'GO',
		final: true,
		errors: [
			{
				code: 'ACRF-125',
				meaning:
					'The signature (FS) does not match the declaration (FI), or is not a valid signature.',
				known: true,
			},
		],
		anomalies: [],
		format: 'xml',
		deletedFromServer: false,
	},
};
