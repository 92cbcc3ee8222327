/**
 * Loads the SSH private key of the SFTP login from whatever the user pasted or uploaded, decrypts it
 * once, checks it against the channel's rules (RSA, 2048–4096 bits) and hands back an unencrypted key
 * text that ssh2 accepts. Every failure is a SocialSecurityError with its own code; messages never
 * contain key material or the passphrase.
 */
import { createPublicKey, sign, verify } from 'node:crypto';

import { SocialSecurityError } from '../errors';
import {
	checkPolicy,
	describeBlob,
	invalid,
	notAllowed,
	publicKeyGiven,
	SUPPORTED_FORMATS,
} from './keyPolicy';
import { repairPastedKey } from './pastedKey';
import { decodePem, type DecodedKey, type SshPrivateKeyFormat } from './pemKey';
import { PPK_HEADER, decryptPpk, isPpk, parsePpk, ssh2PrivateKeyText } from './ppk';
import { sha256Fingerprint, sshPublicFromKeyObject, type SshKeyType } from './sshWire';

export type { SshKeyType } from './sshWire';
export type { SshPrivateKeyFormat } from './pemKey';

export interface LoadedSshKey {
	/** Unencrypted: PEM PKCS#1 for RSA, OpenSSH format for other types. For ssh2's `privateKey`. */
	privateKey: string;
	type: SshKeyType;
	bits: number;
	/** The format the key was given in. */
	format: SshPrivateKeyFormat;
	/** Whether the given key was protected by a passphrase. */
	encrypted: boolean;
	/** Comment stored in OpenSSH and PuTTY files; '' for PEM. */
	comment: string;
	/** `SHA256:…` as `ssh-keygen -l` prints it. */
	fingerprintSha256: string;
	/** `ssh-rsa AAAA… comment`, the line to register on the portal. */
	publicKeyOpenSsh: string;
}

export interface LoadSshKeyOptions {
	/** Accept any key type ssh2 can use (ed25519, ECDSA, RSA ≥ 1024 bits), e.g. for other SFTP servers. */
	allowAnyKeyType?: boolean;
}

/** What the channel accepts (docs/batch-channel.md §1: "SSH2-RSA, 2048 to 4096 bits"). */
export { CHANNEL_RSA_MAX_BITS, CHANNEL_RSA_MIN_BITS, describeKeyType } from './keyPolicy';
/** Far above any real key file (an RSA 16384 PPK is ~12 KB); keeps hostile input cheap. */
export const MAX_KEY_TEXT_LENGTH = 64 * 1024;
export { MAX_OPENSSH_BCRYPT_ROUNDS, MAX_PKCS8_ITERATIONS, MAX_PKCS8_SCRYPT_WORK } from './pemKey';

export async function loadSshPrivateKey(
	text: string,
	passphrase?: string,
	options: LoadSshKeyOptions = {},
): Promise<LoadedSshKey> {
	if (typeof text !== 'string' || text.trim() === '') {
		throw new SocialSecurityError(
			'SSH_KEY_INVALID',
			'No SSH private key was given.',
			'Paste the complete private key file, including its first and last line.',
		);
	}
	if (text.length > MAX_KEY_TEXT_LENGTH) {
		throw invalid(`The text is ${text.length} characters long, far more than any SSH private key.`);
	}
	if (passphrase !== undefined && passphrase !== null && typeof passphrase !== 'string') {
		throw new SocialSecurityError(
			'SSH_KEY_INVALID',
			'The passphrase must be text.',
			'Enter the passphrase as plain text.',
		);
	}
	const allowAny = options.allowAnyKeyType === true;
	try {
		const decoded = await decode(repairPastedKey(text), passphrase || undefined, allowAny);
		return finish(decoded, allowAny);
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
		if (error instanceof SocialSecurityError) throw error;
		throw invalid('The key could not be read.', error);
	}
}

async function decode(
	text: string,
	passphrase: string | undefined,
	allowAny: boolean,
): Promise<DecodedKey> {
	if (isPpk(text)) return decodePpk(text, passphrase, allowAny);
	if (/---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----/.test(text)) {
		throw new SocialSecurityError(
			'SSH_KEY_UNSUPPORTED_FORMAT',
			'This is an ssh.com (SECSH) private key, which is not supported.',
			`Convert it with PuTTYgen (Load, then "Conversions → Export OpenSSH key", or \`puttygen <file> -O private-openssh-new -o <new file>\`), or, if it has no passphrase, with \`ssh-keygen -i -f <file> > <new file>\`. ${SUPPORTED_FORMATS}`,
		);
	}
	if (
		/---- BEGIN SSH2 PUBLIC KEY ----/.test(text) ||
		/^(?:ssh-(?:rsa|dss|ed25519|ed448)|ecdsa-sha2-\S+)\s+AAAA/.test(text)
	) {
		throw publicKeyGiven();
	}
	if (text.startsWith('-----BEGIN ')) return decodePem(text, passphrase, allowAny);
	if (text.startsWith(PPK_HEADER)) throw invalid('The PuTTY key file is incomplete.');
	throw invalid('This does not look like an SSH private key.');
}

// ---------------------------------------------------------------------------------------------
// PuTTY

async function decodePpk(
	text: string,
	passphrase: string | undefined,
	allowAny: boolean,
): Promise<DecodedKey> {
	const file = parsePpk(text);
	// The public half is in the clear: refuse a wrong key type before spending Argon2 time on it.
	checkPolicy(describeBlob(file.publicBlob), allowAny);
	const ppk = await decryptPpk(file, passphrase);
	return {
		keyObject: ppk.keyObject,
		format: ppk.version === 2 ? 'ppk2' : 'ppk3',
		encrypted: ppk.encrypted,
		comment: ppk.comment,
		declaredPublicBlob: ppk.publicBlob,
		privateKey: ppk.privateKey,
	};
}

// ---------------------------------------------------------------------------------------------
// Result

function finish(decoded: DecodedKey, allowAny: boolean): LoadedSshKey {
	// Node.js 20 aborts the whole process when it reads the numbers (JWK, key details) of some malformed EC
	// keys that OpenSSL parses (a private number longer than the curve's). A PKCS#8 export fails cleanly on
	// exactly those keys, so it is the gate before anything reads the key.
	try {
		decoded.keyObject.export({ format: 'der', type: 'pkcs8' });
	} catch (error) {
		throw invalid('The private key numbers are inconsistent; the file is damaged.', error);
	}
	const pub = sshPublicFromKeyObject(decoded.keyObject);
	if (!pub) {
		throw notAllowed(
			`This is a ${String(decoded.keyObject.asymmetricKeyType).slice(0, 20)} key, which cannot be used for SSH.`,
		);
	}
	checkPolicy(pub, allowAny);
	if (decoded.declaredPublicBlob && !decoded.declaredPublicBlob.equals(pub.blob)) {
		throw invalid(
			'The private part of the key does not belong to its public part; the file is damaged.',
		);
	}
	// A signature round trip catches damaged private numbers that parse fine.
	const probe = Buffer.from('n8n-nodes-socialsecurity-be key check');
	const algorithm = pub.type === 'ssh-ed25519' ? null : 'sha256';
	let ok = false;
	try {
		ok = verify(
			algorithm,
			probe,
			createPublicKey(decoded.keyObject),
			sign(algorithm, probe, decoded.keyObject),
		);
	} catch (error) {
		throw invalid('The private key numbers are inconsistent; the file is damaged.', error);
	}
	if (!ok) throw invalid('The private key numbers are inconsistent; the file is damaged.');

	const comment = decoded.comment.replace(/\p{Cc}+/gu, ' ').trim();
	return {
		privateKey: decoded.privateKey ?? ssh2PrivateKeyText(decoded.keyObject, comment),
		type: pub.type,
		bits: pub.bits,
		format: decoded.format,
		encrypted: decoded.encrypted,
		comment,
		fingerprintSha256: sha256Fingerprint(pub.blob),
		publicKeyOpenSsh: `${pub.type} ${pub.blob.toString('base64')}${comment ? ' ' + comment : ''}`,
	};
}
