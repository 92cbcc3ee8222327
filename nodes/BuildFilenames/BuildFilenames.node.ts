import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { router } from './actions/router';
import { properties } from './actions/versionDescription';

/**
 * Builds the names of a declaration set (FI, FS, GO, TD) with a sequence that is never handed out twice, and
 * checks a name against every rule the server applies. The work is in nodes/domain/names.
 */
export class BuildFilenames implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Build Filenames',
		name: 'buildFilenames',
		icon: {
			light: 'file:../../icons/socialsecurity.svg',
			dark: 'file:../../icons/socialsecurity.dark.svg',
		},
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] === "parse" ? "Parse a name" : "Build names"}}',
		description:
			'Build and check the file names of the Belgian social security batch channel (FI, FS, GO, TD) before anything is sent',
		defaults: { name: 'Build Filenames' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		// Pure computation on a few strings: an AI agent can safely ask it for names or to check one.
		usableAsTool: true,
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
