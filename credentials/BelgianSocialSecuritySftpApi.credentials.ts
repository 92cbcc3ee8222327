import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * One batch channel of the Belgian social security: the SFTP login of a technical user, the pinned
 * server host key, and (optionally) the qualified certificate that signs the declarations.
 * There is no file upload in n8n credentials, so keys are pasted as text and the .p12 as base64;
 * the domain layer repairs keys whose newlines were lost on paste.
 */
export class BelgianSocialSecuritySftpApi implements ICredentialType {
	name = 'belgianSocialSecuritySftpApi';

	displayName = 'Belgian Social Security SFTP API';

	icon = {
		light: 'file:../icons/socialsecurity.svg',
		dark: 'file:../icons/socialsecurity.dark.svg',
	} as const;

	documentationUrl =
		'https://github.com/n8n-nodes-socialsecurity-be/n8n-nodes-socialsecurity-be#credential';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: 'sftp.socialsecurity.be',
			required: true,
			description:
				'The SFTP server of the batch channel. Keep the default unless you test against a sandbox.',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 8022,
			required: true,
			description: 'The batch channel listens on port 8022',
		},
		{
			displayName: 'Technical User',
			name: 'username',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'EXP12345',
			description:
				'The technical user of the channel, as shown on the portal (starts with EXP, older ones with UM)',
		},
		{
			displayName: 'Sender Number',
			name: 'sender',
			type: 'string',
			default: '',
			placeholder: '101380',
			description:
				'The 6-digit sender number of this channel. When set, names with another sender are refused before sending (ACRF-108).',
		},
		{
			displayName: 'SSH Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true, rows: 6 },
			default: '',
			required: true,
			description:
				'The private key whose public key is registered on the portal: OpenSSH, PEM (PKCS#1 or PKCS#8) or PuTTY .ppk (v2 or v3). Paste the whole file; lost line breaks are repaired.',
		},
		{
			displayName: 'SSH Key Passphrase',
			name: 'passphrase',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Only when the private key is protected by a passphrase',
		},
		{
			displayName: 'Server Host Key Fingerprint',
			name: 'hostFingerprint',
			type: 'string',
			default: '',
			placeholder: 'SHA256:…',
			description:
				'The SHA256 fingerprint of the server key, as OpenSSH prints it. The connection is refused when the server shows another key. Leave empty once, run the credential test, compare the fingerprint it shows with the one published by the social security, then paste it here.',
		},
		{
			displayName: 'Signing Certificate (.p12, Base64)',
			name: 'certificateP12',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			description:
				'Optional, only for signing: the qualified certificate registered on the channel, as a PKCS#12 (.p12/.pfx) file in base64 (for example the output of "base64 -w0 cert.p12")',
		},
		{
			displayName: 'Signing Certificate Password',
			name: 'certificatePassword',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'The password of the .p12 file',
		},
		{
			displayName: 'Advanced',
			name: 'advanced',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			options: [
				{
					displayName: 'Allow Any Key Type',
					name: 'allowAnyKeyType',
					type: 'boolean',
					default: false,
					description:
						'Whether to accept SSH keys other than RSA 2048–4096 bits. The social security channel only accepts RSA; use this for other servers only.',
				},
				{
					displayName: 'Connect Timeout (Seconds)',
					name: 'connectTimeout',
					type: 'number',
					default: 20,
					description: 'How long to wait for the server to accept the connection and the login',
				},
				{
					displayName: 'Host Key Algorithms',
					name: 'hostAlgorithms',
					type: 'string',
					default: '',
					placeholder: 'rsa-sha2-512,rsa-sha2-256,ssh-rsa',
					description:
						'Comma-separated list of host key algorithms to negotiate. Empty: RSA first, because the published fingerprint of the social security is that of an RSA key.',
				},
				{
					displayName: 'Legacy Ssh-Rsa Login Signature',
					name: 'legacySshRsa',
					type: 'boolean',
					default: false,
					description:
						'Whether to sign the login with the legacy ssh-rsa (SHA-1) algorithm only, for servers that refuse rsa-sha2-256',
				},
				{
					displayName: 'Operation Timeout (Seconds)',
					name: 'operationTimeout',
					type: 'number',
					default: 60,
					description:
						'How long one file operation may stay without progress before it is abandoned',
				},
			],
		},
	];
}
