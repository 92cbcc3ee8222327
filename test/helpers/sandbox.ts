/**
 * Integration tests run against a real sshd. Where it cannot start on a developer's machine the suite says
 * why and skips; under CI=true that is a failure, so CI can never pass without really testing.
 */
import { SshdSandbox, sandboxUnavailableReason, startSshdSandbox } from '../../sandbox/sshdSandbox';
import { describeIfAvailable } from './describeIfAvailable';
import { makeRsaKeyPair } from './keys';
import type { SftpChannelOptions } from '../../nodes/domain/transport/sftpChannel';

export function describeWithSshd(title: string, body: () => void): void {
	const reason = sandboxUnavailableReason();
	describeIfAvailable(
		title,
		'the SFTP sandbox',
		reason && `the SFTP sandbox cannot start: ${reason}`,
		body,
	);
}

/** `SHA256:base64` → the hex digest ssh2's hostVerifier receives with hostHash 'sha256'. */
export function fingerprintHex(fingerprint: string): string {
	return Buffer.from(fingerprint.replace(/^SHA256:/, ''), 'base64').toString('hex');
}

/** Channel options for logging in to a sandbox with a key, its first host key pinned, short timeouts. */
export function sandboxChannelOptions(
	sandbox: SshdSandbox,
	privateKey: string,
	extra: Partial<SftpChannelOptions> = {},
): SftpChannelOptions {
	return {
		host: sandbox.host,
		port: sandbox.port,
		username: sandbox.username,
		privateKey,
		hostFingerprints: [sandbox.hostKeys[0].fingerprint],
		connectTimeoutMs: 5000,
		operationTimeoutMs: 5000,
		...extra,
	};
}

/**
 * A sandbox sshd (RSA host key) that accepts a fresh RSA key, with `credential` pointed at it: host,
 * port, account, that key and the pinned host key.
 */
export async function startSandboxFor(credential: {
	data: Record<string, unknown>;
}): Promise<SshdSandbox> {
	const key = makeRsaKeyPair(2048);
	const sandbox = await startSshdSandbox({
		hostKeyTypes: ['rsa'],
		authorizedKeys: [key.publicKey],
	});
	Object.assign(credential.data, {
		host: sandbox.host,
		port: sandbox.port,
		username: sandbox.username,
		privateKey: key.privateKey,
		hostFingerprint: sandbox.hostKeys[0].fingerprint,
	});
	return sandbox;
}
