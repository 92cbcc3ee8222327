/**
 * Host key pinning. ssh2 hands `hostVerifier` the hex SHA-256 of the host key blob when
 * `hostHash: 'sha256'` is set; OpenSSH shows the same digest as `SHA256:<base64 without padding>`.
 * Users paste either form, so both are normalised here.
 */
import { createHash } from 'node:crypto';

import { SocialSecurityError } from '../errors';
import { sha256Fingerprint } from './sshWire';

export interface HostFingerprint {
	/** `SHA256:…` as `ssh-keygen -l` prints it. */
	display: string;
	/** Lower-case hex of the 32-byte digest, as ssh2's `hostVerifier` receives it. */
	hex: string;
}

const EXPECTED_FORM =
	'Expected the SHA-256 fingerprint as `ssh-keygen -l -E sha256 -f <host key file>` prints it, for example "SHA256:" followed by 43 characters, or 64 hexadecimal digits.';

function fingerprintInvalid(message: string, hint = EXPECTED_FORM): SocialSecurityError {
	return new SocialSecurityError('HOST_FINGERPRINT_INVALID', message, hint);
}

export function normalizeFingerprint(input: string): HostFingerprint {
	if (typeof input !== 'string') throw fingerprintInvalid('The host key fingerprint is missing.');
	let s = input
		.trim()
		.replace(/^["'`]+|["'`]+$/g, '')
		.trim();
	if (s === '') throw fingerprintInvalid('The host key fingerprint is empty.');
	if (s.length > 200) throw fingerprintInvalid('The host key fingerprint is far too long.');

	// A whole `ssh-keygen -l` line ("3072 SHA256:… comment (RSA)"): keep the fingerprint itself.
	const inLine = /(?:^|\s)((?:SHA256|MD5):\S+)/i.exec(s);
	if (inLine && /\s/.test(s)) s = inLine[1];

	if (
		/^MD5:/i.test(s) ||
		/^(?:[0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(s) ||
		/^[0-9a-f]{32}$/i.test(s)
	) {
		throw fingerprintInvalid(
			'This is an old MD5 fingerprint; a SHA-256 fingerprint is needed.',
			`Run \`ssh-keygen -l -E sha256 -f <host key file>\` (or \`ssh-keyscan -p 8022 sftp.socialsecurity.be | ssh-keygen -l -E sha256 -f -\`) to get the SHA-256 fingerprint. ${EXPECTED_FORM}`,
		);
	}

	const withoutPrefix = s.replace(/^SHA256:/i, '');
	// Hex, optionally with colons between bytes.
	const hex = withoutPrefix.replace(/:/g, '');
	if (
		/^[0-9a-f]{64}$/i.test(hex) &&
		(hex === withoutPrefix || /^(?:[0-9a-f]{2}:){31}[0-9a-f]{2}$/i.test(withoutPrefix))
	) {
		const lower = hex.toLowerCase();
		return { display: fingerprintFromHex(lower), hex: lower };
	}
	if (/^[A-Za-z0-9+/]{43}=?$/.test(withoutPrefix)) {
		const digest = Buffer.from(withoutPrefix.replace(/=$/, '') + '=', 'base64');
		const canonical = digest.toString('base64').replace(/=$/, '');
		// The last character carries 2 unused bits; a non-canonical one means a typo.
		if (digest.length === 32 && canonical === withoutPrefix.replace(/=$/, '')) {
			return { display: 'SHA256:' + canonical, hex: digest.toString('hex') };
		}
	}
	if (/^SHA1:/i.test(s) || /^[0-9a-f]{40}$/i.test(hex)) {
		throw fingerprintInvalid('This is a SHA-1 fingerprint; a SHA-256 fingerprint is needed.');
	}
	throw fingerprintInvalid('The host key fingerprint is not a valid SHA-256 fingerprint.');
}

export function fingerprintFromHex(hex: string): string {
	if (typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex)) {
		throw fingerprintInvalid('The host key hash is not 64 hexadecimal digits.');
	}
	return 'SHA256:' + Buffer.from(hex, 'hex').toString('base64').replace(/=$/, '');
}

/** `SHA256:…` of an SSH public key blob (the wire encoding, as ssh2 and ssh-keygen hash it). */
export function fingerprintOfPublicKeyBlob(blob: Buffer): string {
	return sha256Fingerprint(blob);
}

/** Hex SHA-256 of a public key blob, the value ssh2 passes to `hostVerifier` with `hostHash: 'sha256'`. */
export function hexHashOfPublicKeyBlob(blob: Buffer): string {
	return createHash('sha256').update(blob).digest('hex');
}

/** Compares what ssh2's `hostVerifier` received (hex) with a pinned fingerprint. */
export function hostHashMatches(pinned: HostFingerprint, hexFromSsh2: string): boolean {
	return typeof hexFromSsh2 === 'string' && hexFromSsh2.toLowerCase() === pinned.hex;
}
