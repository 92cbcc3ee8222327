/**
 * The properties of Poll Social Security Responses: the operation, then each operation's own (from its
 * actions/<operation>.operation.ts). The rest of the description stays in the node class, where n8n's
 * lint rules (icon, subtitle) read it.
 */
import type { INodeProperties } from 'n8n-workflow';
import * as collect from './collect.operation';
import * as deleteOperation from './delete.operation';

export const properties: INodeProperties[] = [
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
	...collect.description,
	...deleteOperation.description,
];
