import type { INodePropertyOptions } from 'n8n-workflow';

/** The digests and FS layouts a user can choose, shared by Sign FI and Submit's "Sign Missing Signatures". */
export const DIGEST_CHOICES: INodePropertyOptions[] = [
	{ name: 'SHA-256 (Recommended)', value: 'sha256' },
	{ name: 'SHA-1 (Legacy, Still Accepted)', value: 'sha1' },
];

export const LAYOUT_CHOICES: INodePropertyOptions[] = [
	{
		name: 'One Line (Recommended)',
		value: 'single-line',
		description: 'Base64 on a single line, as the social security documents first',
	},
	{
		name: '76-Column Lines Separated by CR',
		value: 'cr-76',
		description: 'The other official layout',
	},
	{
		name: 'PEM Body (64 Columns, CRLF)',
		value: 'pem-body',
		description:
			'What the OpenSSL recipe of the guide produces once the BEGIN/END lines are removed',
	},
];
