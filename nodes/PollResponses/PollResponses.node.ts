import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { socialSecurityChannelTest } from '../shared/credentialTest';
import { router } from './actions/router';
import { properties } from './actions/versionDescription';

/** Collects the answers of the social security, or deletes one. The work is in nodes/domain/responses. */
export class PollResponses implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Poll Social Security Responses',
		name: 'pollResponses',
		icon: {
			light: 'file:../../icons/socialsecurity.svg',
			dark: 'file:../../icons/socialsecurity.dark.svg',
		},
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
		properties,
	};

	methods = { credentialTest: { socialSecurityChannelTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
