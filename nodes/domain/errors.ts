/**
 * Errors of the domain layer. Every error says what is wrong and how to fix it, in words a payroll
 * administrator understands; `code` is stable so nodes and tests can tell cases apart.
 * Messages never contain secrets (keys, passphrases, passwords, .p12 contents).
 */
export class SocialSecurityError extends Error {
	/** Stable machine-readable identifier, e.g. `SSH_KEY_PASSPHRASE_WRONG`. */
	readonly code: string;
	/** What the user can do about it. */
	readonly hint?: string;
	/** Facts that are safe to show and useful to act on (e.g. the host key fingerprint the server presented). */
	details?: Record<string, string>;

	constructor(code: string, message: string, hint?: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = 'SocialSecurityError';
		this.code = code;
		this.hint = hint;
	}
}

export function isSocialSecurityError(error: unknown): error is SocialSecurityError {
	return error instanceof SocialSecurityError;
}
