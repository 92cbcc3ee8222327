/**
 * Creates the SSH key pair of a technical user: RSA (the only type the channel takes), the private
 * key in OpenSSH format, the public key in both formats the portal accepts (OpenSSH one-liner and
 * RFC 4716 "SSH2" block).
 */
import { utils as ssh2Utils } from 'ssh2';

import { SocialSecurityError } from '../errors';
import { sha256Fingerprint } from './sshWire';

export type PortalKeyBits = 2048 | 3072 | 4096;

export interface PortalKeyPairOptions {
	bits: PortalKeyBits;
	/** Encrypts the private key (aes256-ctr, bcrypt 16 rounds, as ssh-keygen does). */
	passphrase?: string;
	/** Printable ASCII without `"` and `\`; default `socialsecurity-be-sftp-YYYY-MM-DD`. */
	comment?: string;
}

export interface PortalKeyPair {
	privateKeyOpenSsh: string;
	/** `ssh-rsa AAAA… comment` on one line. */
	publicKeyOpenSsh: string;
	/** `---- BEGIN SSH2 PUBLIC KEY ----` block (RFC 4716) with a Comment header and 70-column lines. */
	publicKeyRfc4716: string;
	/** `SHA256:…` as `ssh-keygen -l` prints it. */
	fingerprintSha256: string;
	bits: PortalKeyBits;
	comment: string;
}

const ALLOWED_BITS: readonly number[] = [2048, 3072, 4096];

export function defaultKeyComment(now = new Date()): string {
	return `socialsecurity-be-sftp-${now.toISOString().slice(0, 10)}`;
}

/** Runs off the event loop (node:crypto's key generation thread); 4096 bits can take seconds. */
export async function generatePortalKeyPair(options: PortalKeyPairOptions): Promise<PortalKeyPair> {
	const bits = options?.bits;
	if (!ALLOWED_BITS.includes(bits)) {
		throw new SocialSecurityError(
			'SSH_KEY_NOT_ALLOWED',
			`A key of ${String(bits).slice(0, 12)} bits cannot be generated here; the channel accepts RSA keys of 2048 to 4096 bits.`,
			'Choose 2048, 3072 or 4096 bits (4096 is recommended).',
		);
	}
	const comment = options.comment === undefined ? defaultKeyComment() : options.comment.trim();
	if (!/^[\x20-\x21\x23-\x5b\x5d-\x7e]{0,200}$/.test(comment)) {
		throw new SocialSecurityError(
			'SSH_KEY_COMMENT_INVALID',
			'The key comment may only contain printable ASCII characters (no quotes or backslashes), at most 200.',
			'Use a short label such as the technical user and the date, e.g. "EXP12345-2025".',
		);
	}
	const passphrase = options.passphrase || undefined;
	const pair = await new Promise<{ private: string; public: string }>((resolve, reject) => {
		ssh2Utils.generateKeyPair(
			'rsa',
			{ bits, comment, ...(passphrase ? { passphrase, cipher: 'aes256-ctr', rounds: 16 } : {}) },
			(error, keys) => (error ? reject(error) : resolve(keys)),
		);
	}).catch((error: unknown) => {
		throw new SocialSecurityError(
			'SSH_KEY_GENERATION_FAILED',
			'The key pair could not be generated.',
			'Try again.',
			{
				cause: error,
			},
		);
	});

	const blob = Buffer.from(pair.public.split(' ')[1] ?? '', 'base64');
	return {
		privateKeyOpenSsh: pair.private.endsWith('\n') ? pair.private : pair.private + '\n',
		publicKeyOpenSsh: `ssh-rsa ${blob.toString('base64')}${comment ? ' ' + comment : ''}`,
		publicKeyRfc4716: rfc4716PublicKey(blob, comment),
		fingerprintSha256: sha256Fingerprint(blob),
		bits,
		comment,
	};
}

/**
 * RFC 4716 §3: header lines at most 72 bytes, continued with a trailing backslash; body lines of
 * base64 at most 72 (ssh-keygen -e writes 70).
 */
export function rfc4716PublicKey(blob: Buffer, comment: string): string {
	const lines = ['---- BEGIN SSH2 PUBLIC KEY ----'];
	if (comment) {
		const header = `Comment: "${comment}"`;
		for (let i = 0; i < header.length; i += 71) {
			const chunk = header.slice(i, i + 71);
			lines.push(i + 71 < header.length ? chunk + '\\' : chunk);
		}
	}
	const b64 = blob.toString('base64');
	for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
	lines.push('---- END SSH2 PUBLIC KEY ----');
	return lines.join('\n') + '\n';
}
