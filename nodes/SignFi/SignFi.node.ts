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

/** Makes or checks the FS of a declaration. The work is in nodes/domain/signing. */
export class SignFi implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Sign FI',
		name: 'signFi',
		icon: {
			light: 'file:../../icons/socialsecurity.svg',
			dark: 'file:../../icons/socialsecurity.dark.svg',
		},
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ $parameter["operation"] === "verify" ? "Verify a signature" : "Sign a declaration" }}',
		description:
			'Make or check the signature file (FS) of a declaration for the Belgian social security',
		defaults: { name: 'Sign FI' },
		// Works on binary files, which an AI agent cannot pass as tool arguments.
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'belgianSocialSecuritySftpApi',
				required: true,
				testedBy: 'socialSecurityChannelTest',
				displayOptions: { show: { operation: ['sign'] } },
			},
		],
		properties,
	};

	methods = { credentialTest: { socialSecurityChannelTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
