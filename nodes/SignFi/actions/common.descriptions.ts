/** The two binaries both operations of Sign FI work on: the file and its signature. */
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

export const binaryProperties: INodeProperties[] = [
	{
		displayName: 'Declaration Binary Property',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		description:
			'The binary property holding the declaration (FI) file, or the file whose signature is verified. One file per item: for a set of several parts in one item, use "Sign Missing Signatures" of Submit to Social Security.',
	},
	{
		displayName: 'Signature Binary Property',
		name: 'signaturePropertyName',
		type: 'string',
		default: 'signature',
		required: true,
		description: 'Where the signature (FS) is put when signing, or read from when verifying',
	},
];

/** The names of the file's and the signature's binary properties for one item. */
export function binaryPropertyNames(
	ctx: IExecuteFunctions,
	itemIndex: number,
): { fiProperty: string; fsProperty: string } {
	return {
		fiProperty: ctx.getNodeParameter('binaryPropertyName', itemIndex) as string,
		fsProperty: ctx.getNodeParameter('signaturePropertyName', itemIndex) as string,
	};
}
