/**
 * The properties of Submit to Social Security: the operation, then each operation's own (from its
 * actions/<operation>.operation.ts). The rest of the description stays in the node class, where n8n's
 * lint rules (icon, subtitle) read it.
 */
import type { INodeProperties } from 'n8n-workflow';
import * as cancel from './cancel.operation';
import * as submit from './submit.operation';
import * as validate from './validate.operation';

export const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Submit',
				value: 'submit',
				action: 'Submit a declaration set',
				description:
					'Check the set, upload every FI and FS, then the GO that tells the server the set is complete',
			},
			{
				name: 'Validate',
				value: 'validate',
				action: 'Validate declarations against their XSD',
				description:
					'Check declarations against their XSD without connecting: each finding with line, element, rule and the ACRF code it avoids',
			},
			{
				name: 'Cancel',
				value: 'cancel',
				action: 'Cancel a submitted set',
				description: 'Send the TD file that asks the server to stop processing a set',
			},
		],
		default: 'submit',
	},
	...submit.description,
	...cancel.description,
	...validate.description,
];
