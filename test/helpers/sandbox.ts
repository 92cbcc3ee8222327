/**
 * Integration tests run against a real sshd. Where it cannot start on a developer's machine the suite says
 * why and skips; under CI=true that is a failure, so CI can never pass without really testing.
 */
import { sandboxUnavailableReason } from '../../sandbox/sshdSandbox';

export function describeWithSshd(title: string, body: () => void): void {
	const reason = sandboxUnavailableReason();
	if (reason && process.env.CI === 'true') {
		describe(title, () => {
			it('needs the SFTP sandbox', () => {
				throw new Error(`CI=true but the SFTP sandbox cannot start: ${reason}`);
			});
		});
		return;
	}
	if (reason) {
		console.warn(`Skipping "${title}": ${reason}`);
		describe.skip(title, body);
		return;
	}
	describe(title, body);
}

/** `SHA256:base64` → the hex digest ssh2's hostVerifier receives with hostHash 'sha256'. */
export function fingerprintHex(fingerprint: string): string {
	return Buffer.from(fingerprint.replace(/^SHA256:/, ''), 'base64').toString('hex');
}
