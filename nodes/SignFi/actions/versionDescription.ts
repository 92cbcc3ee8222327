/**
 * The properties of Sign FI: the operation, the two binaries both operations work on, then each
 * operation's own (from its actions/<operation>.operation.ts). The rest of the description stays in the
 * node class, where n8n's lint rules (icon, subtitle) read it.
 */
import type { INodeProperties } from 'n8n-workflow';
import { binaryProperties } from './common.descriptions';
import * as sign from './sign.operation';
import * as verify from './verify.operation';

export const properties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Sign',
				value: 'sign',
				action: 'Sign a declaration',
				description:
					'Make the signature file (FS) of a declaration file (FI) with the certificate of the credential',
			},
			{
				name: 'Verify',
				value: 'verify',
				action: 'Verify a signature',
				description:
					'Check that a signature file (FS) matches its file, e.g. before upload or for the FS that comes with an answer',
			},
		],
		default: 'sign',
	},
	...binaryProperties,
	...sign.description,
	...verify.description,
];
