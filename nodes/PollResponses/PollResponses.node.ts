import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { socialSecurityChannelTest } from '../shared/credentialTest';
import { ChannelSession } from '../shared/channelSession';
import { answerQueryFrom, answerQueryProperties, collectAnswerItems } from '../shared/answerItems';
import { toNodeError } from '../shared/nodeErrors';
import { errorItem, withResult } from '../shared/itemResult';
import { DEFAULT_GO_FIELD, joinAnswersToInputs } from '../shared/answerJoin';
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
				...(p.name === 'options' ? { options: withJoinOption(p.options) } : {}),
				displayOptions: { show: { operation: ['collect'] } },
			})),
			{
				displayName: 'Answer ID',
				name: 'answerId',
				type: 'string',
				default: '={{ $json.answer.answerId }}',
				displayOptions: { show: { operation: ['delete'] } },
				placeholder: 'ACRF.999999.20260110.00042.T',
				description: 'The answer.answerId of an item that Collect Answers produced',
			},
		],
	};

	methods = { credentialTest: { socialSecurityChannelTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// Delete Answer puts its items on the first output; the summary output stays empty.
		if (this.getNodeParameter('operation', 0, 'collect') === 'delete')
			return [await deleteAnswers.call(this), []];
		// Polling is one action per execution, not per item: the first item's parameters decide.
		const options = this.getNodeParameter('options', 0, {}) as { inputGoField?: string };
		const query = answerQueryFrom(
			this.getNodeParameter('environments', 0),
			options as object,
			this.getMode() === 'manual',
		);
		const session = new ChannelSession(this);
		try {
			const collected = await collectAnswerItems(this, session, query);
			const { items, inputsWithoutAnswer } = joinAnswersToInputs(
				this.getInputData(),
				collected.items,
				options.inputGoField ?? DEFAULT_GO_FIELD,
			);
			// One summary per run: it describes the run, not an input item, so it carries no input fields.
			const summary = { ...collected.summary, inputsWithoutAnswer } as IDataObject;
			return [items, [{ json: { summary }, pairedItem: { item: 0 } }]];
		} catch (error) {
			// A failed run has no summary: its one item on the Summary output says why.
			if (this.continueOnFail()) return [[], [errorItem(this.getNode(), undefined, error, 0)]];
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
				const answer = items[itemIndex].json.answer as IDataObject | undefined;
				const folder = typeof answer?.folder === 'string' ? answer.folder : undefined;
				const result = await deleteAnswer(await session.open(), answerId, folder);
				output.push({
					json: withResult(items[itemIndex], 'deletion', {
						answerId,
						deletedFromServer: result.deleted.length > 0,
						deletedFiles: result.deleted,
					}),
					binary: items[itemIndex].binary,
					pairedItem: { item: itemIndex },
				});
			} catch (error) {
				if (this.continueOnFail()) {
					output.push(errorItem(this.getNode(), items[itemIndex], error, itemIndex));
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

/** Poll's options: the shared ones and how answers find the input item they are about (docs/items.md). */
function withJoinOption(options: INodeProperties['options']): INodeProperties['options'] {
	const join: INodeProperties = {
		displayName: 'Input Field With the GO Name',
		name: 'inputGoField',
		type: 'string',
		default: DEFAULT_GO_FIELD,
		description:
			'The field of the input items that holds the GO name of a set that was sent (Submit to Social Security puts it in submission.go). An answer about that set comes out with that item’s fields beside it; any other answer comes out alone. Empty: no answer takes input fields.',
	};
	return [...((options ?? []) as INodeProperties[]), join].sort((a, b) =>
		a.displayName.localeCompare(b.displayName),
	);
}
