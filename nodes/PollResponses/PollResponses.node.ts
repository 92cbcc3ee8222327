import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { socialSecurityChannelTest } from '../shared/credentialTest';
import { ChannelSession } from '../shared/channelSession';
import { answerQueryFrom, answerQueryProperties, collectAnswerItems } from '../shared/answerItems';
import { toNodeError } from '../shared/nodeErrors';

export class PollResponses implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Poll Social Security Responses',
		name: 'pollResponses',
		icon: { light: 'file:socialsecurity.svg', dark: 'file:socialsecurity.dark.svg' },
		group: ['input'],
		version: 1,
		subtitle: 'Collect answers (ACRF, NOTI, …)',
		description: 'Collect, read and clear the answers of the Belgian social security (ACRF, NOTI, …) from the OUT folders',
		defaults: { name: 'Poll Social Security Responses' },
		// Answers arrive as binary files; an AI agent tool call cannot carry them.
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Answers', 'Summary'],
		credentials: [{ name: 'belgianSocialSecuritySftpApi', required: true, testedBy: 'socialSecurityChannelTest' }],
		properties: answerQueryProperties,
	};

	methods = { credentialTest: { socialSecurityChannelTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// Polling is one action per execution, not per item: the first item's parameters decide.
		const query = answerQueryFrom(this.getNodeParameter('environments', 0), this.getNodeParameter('options', 0, {}) as object);
		const session = new ChannelSession(this);
		try {
			const { items, summary } = await collectAnswerItems(this, session, query);
			return [items.map((item) => ({ ...item, pairedItem: { item: 0 } })), [{ json: summary as INodeExecutionData['json'], pairedItem: { item: 0 } }]];
		} catch (error) {
			throw toNodeError(this.getNode(), error, 0);
		} finally {
			await session.close();
		}
	}
}
