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

/** Sends a checked declaration set (FI, FS, then GO) or its cancellation (TD). The work is in nodes/domain/submission. */
export class SubmitToSocialSecurity implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Submit to Social Security',
		name: 'submitToSocialSecurity',
		icon: {
			light: 'file:../../icons/socialsecurity.svg',
			dark: 'file:../../icons/socialsecurity.dark.svg',
		},
		group: ['output'],
		version: 1,
		subtitle:
			'={{ {"cancel": "Cancel a set (TD)", "validate": "Validate declarations (XSD)"}[$parameter["operation"]] || "Submit a declaration set" }}',
		description:
			'Upload a complete, verified declaration set (FI, FS, GO) to the Belgian social security batch channel',
		defaults: { name: 'Submit to Social Security' },
		// Declarations are large binaries, which an AI agent cannot provide as tool arguments.
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'belgianSocialSecuritySftpApi',
				required: true,
				testedBy: 'socialSecurityChannelTest',
				// Validate never connects: a workflow that only checks declarations needs no channel.
				displayOptions: { show: { operation: ['submit', 'cancel'] } },
			},
		],
		properties,
	};

	methods = { credentialTest: { socialSecurityChannelTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
