import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { socialSecurityChannelTest } from '../shared/credentialTest';
import { ChannelSession } from '../shared/channelSession';
import { answerQueryFrom, answerQueryProperties, collectAnswerItems } from '../shared/answerItems';
import { errorItemJson, toNodeError } from '../shared/nodeErrors';
import { deleteAnswer } from '../domain/responses/deleteAnswer';

export class PollResponses implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Poll Social Security Responses',
		name: 'pollResponses',
		icon: { light: 'file:socialsecurity.svg', dark: 'file:socialsecurity.dark.svg' },
		group: ['input'],
		version: 1,
		subtitle: 'Collect answers (ACRF, NOTI, …)',
		description:
			'Collect, read and clear the answers of the Belgian social security (ACRF, NOTI, …) from the OUT folders',
		defaults: { name: 'Poll Social Security Responses' },
		// Answers arrive as binary files; an AI agent tool call cannot carry them.
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Answers', 'Summary'],
		credentials: [
			{
				name: 'belgianSocialSecuritySftpApi',
				required: true,
				testedBy: 'socialSecurityChannelTest',
			},
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Collect Answers',
						value: 'collect',
						action: 'Collect the answers waiting on the server',
						description:
							'Take every complete answer from the answer folders, read it, and (by default) delete it from the server',
					},
					{
						name: 'Delete Answer',
						value: 'delete',
						action: 'Delete an answer from the server',
						description:
							'Delete one answer per item, for workflows that collect without deleting, keep the answer somewhere, and clear it only then',
					},
				],
				default: 'collect',
			},
			...answerQueryProperties.map((p) => ({
				...p,
				displayOptions: { show: { operation: ['collect'] } },
			})),
			{
				displayName: 'Answer ID',
				name: 'answerId',
				type: 'string',
				default: '={{ $json.answerId }}',
				displayOptions: { show: { operation: ['delete'] } },
				placeholder: 'ACRF.999999.20260110.00042.T',
				description: 'The answerId of an item that Collect Answers produced',
			},
		],
	};

	methods = { credentialTest: { socialSecurityChannelTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// Delete Answer puts its items on the first output; the summary output stays empty.
		if (this.getNodeParameter('operation', 0, 'collect') === 'delete')
			return [await deleteAnswers.call(this), []];
		// Polling is one action per execution, not per item: the first item's parameters decide.
		const query = answerQueryFrom(
			this.getNodeParameter('environments', 0),
			this.getNodeParameter('options', 0, {}) as object,
			this.getMode() === 'manual',
		);
		const session = new ChannelSession(this);
		try {
			const { items, summary } = await collectAnswerItems(this, session, query);
			return [
				items.map((item) => ({ ...item, pairedItem: { item: 0 } })),
				[{ json: summary as INodeExecutionData['json'], pairedItem: { item: 0 } }],
			];
		} catch (error) {
			if (this.continueOnFail())
				return [[], [{ json: { ...errorItemJson(error), delivered: 0 }, pairedItem: { item: 0 } }]];
			throw toNodeError(this.getNode(), error, 0);
		} finally {
			await session.close();
		}
	}
}

async function deleteAnswers(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const session = new ChannelSession(this);
	const output: INodeExecutionData[] = [];
	try {
		const items = this.getInputData();
		for (let itemIndex = 0; itemIndex < items.length; itemIndex += 1) {
			try {
				const answerId = String(this.getNodeParameter('answerId', itemIndex, '')).trim();
				const folder =
					typeof items[itemIndex].json.folder === 'string'
						? (items[itemIndex].json.folder as string)
						: undefined;
				const result = await deleteAnswer(await session.open(), answerId, folder);
				output.push({
					json: {
						...items[itemIndex].json,
						deletedFromServer: result.deleted.length > 0,
						deletedFiles: result.deleted,
					},
					pairedItem: { item: itemIndex },
				});
			} catch (error) {
				if (this.continueOnFail()) {
					output.push({
						json: { ...items[itemIndex].json, ...errorItemJson(error) },
						pairedItem: { item: itemIndex },
					});
					continue;
				}
				throw toNodeError(this.getNode(), error, itemIndex);
			}
		}
	} finally {
		await session.close();
	}
	return output;
}
