import type {
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { socialSecurityChannelTest } from '../shared/credentialTest';
import * as poll from './actions/poll.operation';

/**
 * Starts a workflow for each new answer. One action, so no operation and no router: poll() runs
 * actions/poll.operation.ts, which holds the trigger's parameters too.
 */
export class SocialSecurityTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Social Security Trigger',
		name: 'socialSecurityTrigger',
		icon: {
			light: 'file:../../icons/socialsecurity.svg',
			dark: 'file:../../icons/socialsecurity.dark.svg',
		},
		group: ['trigger'],
		version: 1,
		subtitle: 'When answers arrive',
		description:
			'Starts the workflow for each new answer of the Belgian social security (ACRF, NOTI, …)',
		defaults: { name: 'Social Security Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'belgianSocialSecuritySftpApi',
				required: true,
				testedBy: 'socialSecurityChannelTest',
			},
		],
		properties: poll.description,
	};

	methods = { credentialTest: { socialSecurityChannelTest } };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return await poll.execute.call(this);
	}
}
