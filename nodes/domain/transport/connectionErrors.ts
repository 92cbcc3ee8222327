/**
 * Turns what ssh2 and the socket say into errors a person can act on. ssh2's own messages are terse
 * ("All configured authentication methods failed") and n8n's SFTP node hides them entirely; ours say
 * what happened and what to do. Nothing here ever includes key material or passphrases.
 */
import { SocialSecurityError } from '../errors';

export interface ConnectionContext {
	host: string;
	port: number;
	username: string;
	/** The fingerprint the server presented, when the handshake got that far. */
	presentedFingerprint?: string;
	/** Every host key the server showed, one per handshake (one per key type it holds). */
	presentedKeys?: PresentedHostKey[];
	pinnedFingerprint?: string;
	keyFingerprint?: string;
	timeoutMs?: number;
}

export interface PresentedHostKey {
	/** `SHA256:…` */
	fingerprint: string;
	/** The key's SSH type, e.g. `ssh-ed25519`. */
	type: string;
}

export function hostKeyMismatchError(ctx: ConnectionContext): SocialSecurityError {
	const keys = ctx.presentedKeys ?? [];
	const named = keys.map((k) => `${k.fingerprint} (${k.type})`);
	const shown =
		named.length > 1
			? `host keys ${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}, one for each type of key it has, none of them`
			: `host key ${named[0] ?? ctx.presentedFingerprint ?? '(unknown)'}, not`;
	return withPresentedFingerprint(
		ctx,
		new SocialSecurityError(
			'HOST_KEY_MISMATCH',
			`The server ${ctx.host}:${ctx.port} presented ${shown} the pinned ${ctx.pinnedFingerprint}. The connection was refused.`,
			'Either someone is intercepting the connection, or the server key has changed. Compare the presented fingerprint with the one published by the social security before you update the credential.',
		),
	);
}

export function hostFingerprintMissingError(ctx: ConnectionContext): SocialSecurityError {
	return withPresentedFingerprint(
		ctx,
		new SocialSecurityError(
			'HOST_FINGERPRINT_MISSING',
			`No server host key fingerprint is set in the credential. The server ${ctx.host}:${ctx.port} presented ${ctx.presentedFingerprint ?? '(unknown)'}.`,
			'Compare this fingerprint with the one published by the social security and, if it is the same, paste it into the credential field "Server Host Key Fingerprint".',
		),
	);
}

function withPresentedFingerprint(
	ctx: ConnectionContext,
	error: SocialSecurityError,
): SocialSecurityError {
	if (ctx.presentedFingerprint) error.details = { presentedFingerprint: ctx.presentedFingerprint };
	return error;
}

export function describeConnectError(error: unknown, ctx: ConnectionContext): SocialSecurityError {
	if (error instanceof SocialSecurityError) return error;
	const err = error as { code?: string; level?: string; message?: string };
	const message = err?.message ?? String(error);
	const where = `${ctx.host}:${ctx.port}`;
	if (err?.code === 'ECONNREFUSED') {
		return new SocialSecurityError(
			'CONNECTION_REFUSED',
			`The server ${where} refused the connection.`,
			'Check the host and port (the social security channel uses port 8022) and that no firewall blocks outgoing connections.',
			{ cause: error },
		);
	}
	if (err?.code === 'ENOTFOUND' || err?.code === 'EAI_AGAIN') {
		return new SocialSecurityError(
			'HOST_NOT_FOUND',
			`The host name ${ctx.host} could not be resolved.`,
			'Check the host name in the credential (default sftp.socialsecurity.be) and the DNS of this machine.',
			{ cause: error },
		);
	}
	if (err?.code === 'ETIMEDOUT' || /timed out/i.test(message)) {
		return new SocialSecurityError(
			'CONNECTION_TIMEOUT',
			`The server ${where} did not complete the connection and login within ${Math.round((ctx.timeoutMs ?? 0) / 1000)} s.`,
			'Check that the host and port are right and reachable from this machine; raise the connect timeout in the credential for slow networks.',
			{ cause: error },
		);
	}
	if (err?.level === 'client-authentication' || /authentication methods failed/i.test(message)) {
		return new SocialSecurityError(
			'SSH_LOGIN_REFUSED',
			`The server ${where} refused the SSH key for user ${ctx.username}${ctx.keyFingerprint ? ` (key ${ctx.keyFingerprint})` : ''}.`,
			'Check the technical user (EXP… or UM…), and that the public key of this private key is the one registered for the channel on the portal.',
			{ cause: error },
		);
	}
	if (/verification failed|host denied/i.test(message)) return hostKeyMismatchError(ctx);
	if (/handshake failed|no matching/i.test(message)) {
		return new SocialSecurityError(
			'SSH_NEGOTIATION_FAILED',
			`The SSH handshake with ${where} failed: no common algorithm (${sanitize(message)}).`,
			'Clear the "Host Key Algorithms" option in the credential, or list one the server supports.',
			{ cause: error },
		);
	}
	if (
		['ECONNRESET', 'EPIPE'].includes(String(err?.code)) ||
		/ECONNRESET|EPIPE|socket hang up|connection lost|no response from server|not connected|closed/i.test(
			message,
		)
	) {
		return new SocialSecurityError(
			'CONNECTION_LOST',
			`The connection to ${where} was closed by the server or the network.`,
			'Try again later; if it keeps happening, check that your IP address is allowed and the channel is active on the portal.',
			{ cause: error },
		);
	}
	return new SocialSecurityError(
		'CONNECTION_FAILED',
		`Could not connect to ${where}: ${sanitize(message)}`,
		undefined,
		{ cause: error },
	);
}

const SFTP_STATUS: Record<number, string> = {
	2: 'does not exist',
	3: 'permission denied',
	4: 'failed on the server',
	8: 'is not supported by the server',
};

/** Maps an SFTP status error of one operation on one remote path. */
export function describeSftpError(
	error: unknown,
	operation: string,
	remotePath: string,
): SocialSecurityError {
	if (error instanceof SocialSecurityError) return error;
	const err = error as { code?: number | string; message?: string };
	const status = typeof err?.code === 'number' ? SFTP_STATUS[err.code] : undefined;
	if (err?.code === 2) {
		return new SocialSecurityError(
			'REMOTE_NOT_FOUND',
			`${operation} ${remotePath}: it does not exist on the server.`,
			'Check the folder: the account must have IN, INTEST, INTEST-S, OUT, OUTTEST and OUTTEST-S at its root.',
			{ cause: error },
		);
	}
	if (err?.code === 3) {
		return new SocialSecurityError(
			'REMOTE_PERMISSION_DENIED',
			`${operation} ${remotePath}: permission denied by the server.`,
			undefined,
			{
				cause: error,
			},
		);
	}
	return new SocialSecurityError(
		'REMOTE_OPERATION_FAILED',
		`${operation} ${remotePath} ${status ?? `failed: ${sanitize(err?.message ?? String(error))}`}.`,
		undefined,
		{ cause: error },
	);
}

/**
 * A local file-system failure in words. Not the errno code alone: n8n replaces a message that contains one
 * (ENOSPC, EACCES, …) by a generic text.
 */
export function localFileProblem(error: unknown): string {
	const err = error as { code?: unknown; message?: unknown };
	switch (err?.code) {
		case 'ENOSPC':
		case 'EDQUOT':
			return 'the disk is full';
		case 'EACCES':
		case 'EPERM':
			return 'permission denied';
		case 'EROFS':
			return 'the file system is read-only';
		case 'ENOENT':
		case 'ENOTDIR':
			return 'the folder does not exist';
		default:
			return sanitize(typeof err?.message === 'string' ? err.message : String(error)).slice(0, 200);
	}
}

/** The local copy of a download could not be written: the server and the connection are fine. */
export function localWriteError(remotePath: string, error: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'LOCAL_WRITE_FAILED',
		`Downloading ${remotePath}: the local copy could not be written (${localFileProblem(error)}).`,
		'Free disk space, or make the temporary folder of n8n (TMPDIR) writable, and run again.',
		{ cause: error },
	);
}

function sanitize(text: string): string {
	return text.replace(/\p{Cc}/gu, ' ').slice(0, 300);
}
