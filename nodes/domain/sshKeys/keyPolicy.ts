/** Which SSH keys the channel allows, and the errors of reading one, each with what to do. */
import { SocialSecurityError } from '../errors';
import { describePublicBlob } from './sshWire';

export const CHANNEL_RSA_MIN_BITS = 2048;
export const CHANNEL_RSA_MAX_BITS = 4096;

export const SUPPORTED_FORMATS =
	'Supported: OpenSSH key files ("OPENSSH PRIVATE KEY"), PEM files ("RSA PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY") and PuTTY .ppk (version 2 or 3), with or without a passphrase.';

export const NEW_KEY_HINT =
	'Create an RSA key of 2048 to 4096 bits (for example `ssh-keygen -t rsa -b 4096`, PuTTYgen type "RSA" with 4096 bits, or this package\'s key pair generator) and register its public key for the SFTP channel on the socialsecurity.be portal.';

export function invalid(message: string, cause?: unknown, hint?: string): SocialSecurityError {
	return new SocialSecurityError(
		'SSH_KEY_INVALID',
		message,
		hint ??
			`Paste the complete private key file, including its first and last line. ${SUPPORTED_FORMATS}`,
		cause === undefined ? undefined : { cause },
	);
}

export function notAllowed(message: string): SocialSecurityError {
	return new SocialSecurityError('SSH_KEY_NOT_ALLOWED', message, NEW_KEY_HINT);
}

export function publicKeyGiven(): SocialSecurityError {
	return invalid(
		'This is a public key; the SFTP login needs the private key.',
		undefined,
		'Paste the private key file (for OpenSSH the file without ".pub"); the public key is the one registered on the portal.',
	);
}

export function passphraseRequired(): SocialSecurityError {
	return new SocialSecurityError(
		'SSH_KEY_PASSPHRASE_REQUIRED',
		'This private key is protected by a passphrase, but no passphrase was given.',
		'Enter the passphrase of the key in the credential.',
	);
}

export function passphraseWrong(cause: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'SSH_KEY_PASSPHRASE_WRONG',
		'The passphrase does not open this private key.',
		'Check the passphrase (it is case-sensitive). If it is right, the key text was changed or damaged: paste the complete key file again.',
		{ cause },
	);
}

// ---------------------------------------------------------------------------------------------
// Policy

export interface KeyDescription {
	type: string;
	bits: number;
}

export function describeBlob(blob: Buffer): KeyDescription {
	try {
		return describePublicBlob(blob);
	} catch (error) {
		throw invalid('The public part of the key is damaged.', error);
	}
}

const SSH_TYPES = new Set<string>([
	'ssh-rsa',
	'ssh-ed25519',
	'ecdsa-sha2-nistp256',
	'ecdsa-sha2-nistp384',
	'ecdsa-sha2-nistp521',
]);

export function describeKeyType(type: string, bits: number): string {
	switch (type) {
		case 'ssh-rsa':
			return `an RSA key of ${bits} bits`;
		case 'ssh-ed25519':
			return 'an Ed25519 key';
		case 'ssh-dss':
			return 'a DSA key';
		case 'ssh-ed448':
			return 'an Ed448 key';
		default:
			return type.startsWith('ecdsa-sha2-')
				? `an ECDSA key (${bits} bits)`
				: 'a key of an unknown type';
	}
}

export function checkPolicy(key: KeyDescription, allowAny: boolean): void {
	const what = describeKeyType(key.type, key.bits);
	if (!SSH_TYPES.has(key.type))
		throw notAllowed(`This is ${what}, which cannot be used for SSH here.`);
	// Even when any type is allowed: <1024 is broken, >16384 is absurd and slow to use.
	if (key.type === 'ssh-rsa' && (key.bits < 1024 || key.bits > 16384)) {
		throw notAllowed(
			`This is ${what}; RSA keys must have 1024 to 16384 bits (the channel wants 2048 to 4096).`,
		);
	}
	if (allowAny) return;
	if (
		key.type !== 'ssh-rsa' ||
		key.bits < CHANNEL_RSA_MIN_BITS ||
		key.bits > CHANNEL_RSA_MAX_BITS
	) {
		throw notAllowed(
			`This is ${what}; the social security SFTP channel accepts only RSA keys of ${CHANNEL_RSA_MIN_BITS} to ${CHANNEL_RSA_MAX_BITS} bits.`,
		);
	}
}
