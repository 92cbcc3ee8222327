import type { INodeProperties } from 'n8n-workflow';
import { DIGEST_CHOICES, LAYOUT_CHOICES } from '../shared/signatureChoices';

export const signFiDescription: INodeProperties[] = [
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
	{
		displayName: 'Options',
		name: 'signOptions',
		type: 'collection',
		placeholder: 'Add Option',
		displayOptions: { show: { operation: ['sign'] } },
		default: {},
		options: [
			{
				displayName: 'Convert FI to CRLF Line Endings',
				name: 'convertToCrlf',
				type: 'boolean',
				default: false,
				description:
					'Whether to convert the line endings of the declaration to CRLF (Windows) before signing, as other sending software does. The converted file replaces the input binary, so what is uploaded is exactly what was signed.',
			},
			{
				displayName: 'Digest',
				name: 'digest',
				type: 'options',
				options: DIGEST_CHOICES,
				default: 'sha256',
				description: 'Hash algorithm of the signature',
			},
			{
				displayName: 'Include Certificate Chain',
				name: 'includeChain',
				type: 'boolean',
				default: false,
				description:
					'Whether to also embed the issuing certificates found in the .p12 (by default only the signer certificate, as OpenSSL does)',
			},
			{
				displayName: 'Signature File Layout',
				name: 'layout',
				type: 'options',
				options: LAYOUT_CHOICES,
				default: 'single-line',
				description: 'How the base64 signature is laid out in the FS file',
			},
			{
				displayName: 'Signature File Name',
				name: 'fsFileName',
				type: 'string',
				default: '',
				placeholder: 'FS.DMFA.101380.20260110.00001.T.1.1',
				description:
					'Name of the FS file. Empty: made from the FI name (FI.… becomes FS.…); a file not named FI.… then needs a name here.',
			},
		],
	},
	{
		displayName: 'Options',
		name: 'verifyOptions',
		type: 'collection',
		placeholder: 'Add Option',
		displayOptions: { show: { operation: ['verify'] } },
		default: {},
		options: [
			{
				displayName: 'Fail When Invalid',
				name: 'failWhenInvalid',
				type: 'boolean',
				default: false,
				description:
					'Whether an invalid signature stops the workflow; otherwise the item says valid: false and why',
			},
			{
				displayName: 'Trusted Certificates (PEM)',
				name: 'trustedCertificatesPem',
				type: 'string',
				typeOptions: { rows: 4 },
				default: '',
				description:
					'The signer must chain to one of these CA certificates. Empty: the signature is checked, not who issued the signer certificate.',
			},
		],
	},
];
