/**
 * The properties of Build Filenames: the operation, then each operation's own (from its
 * actions/<operation>.operation.ts). The rest of the description stays in the node class, where n8n's
 * lint rules (icon, subtitle) read it.
 */
import type { INodeProperties } from 'n8n-workflow';
import * as build from './build.operation';
import * as parse from './parse.operation';

export const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Build',
				value: 'build',
				description: 'Make the FI, FS, GO and TD names of one declaration set with a new sequence',
				action: 'Build the names of a declaration set',
			},
			{
				name: 'Parse',
				value: 'parse',
				description: 'Split a file name into its parts and list every rule it breaks',
				action: 'Parse and check a file name',
			},
		],
		default: 'build',
	},
	...build.description,
	...parse.description,
];
