/**
 * Collecting answers into n8n items, shared by Poll Responses and the trigger: each answer's content is
 * streamed into n8n's binary store before the domain may delete it from the server.
 */
import type {
	IBinaryData,
	IExecuteFunctions,
	INodeExecutionData,
	IPollFunctions,
} from 'n8n-workflow';
import { collectAnswers, CollectResult } from '../domain/responses/collectAnswers';
import { answerStatus, summarizeAnswer, summarizeRun } from '../domain/responses/answerSummary';
import type { AnswerQuery } from './answerQuery';
import type { ChannelSession } from './channelSession';

/** How an answer's file is stored in n8n, by the format the domain found. */
const STORED_AS: Record<string, { extension: string; mimeType: string }> = {
	xml: { extension: '.xml', mimeType: 'application/xml' },
	pdf: { extension: '.pdf', mimeType: 'application/pdf' },
	binary: { extension: '', mimeType: 'application/octet-stream' },
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
		store: async (file) => {
			const { extension, mimeType } = STORED_AS[file.format] ?? STORED_AS.binary;
			return await ctx.helpers.prepareBinaryData(file.open(), `${file.name}${extension}`, mimeType);
		},
	});
	// The result goes under one key, as with every node of the package (docs/items.md).
	const items = result.answers.map((answer) => ({
		json: { answer: summarizeAnswer(answer) } as INodeExecutionData['json'],
		binary: { [query.binaryPropertyName]: answer.stored },
	}));
	return { items, summary: summarizeRun(result), result };
}
