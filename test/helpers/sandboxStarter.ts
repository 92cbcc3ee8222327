/**
 * A process that starts an sshd sandbox and then is ended from outside, for the lifetime tests
 * (test/integration/sandboxLifetime.test.ts). Run with `node -r ts-node/register/transpile-only`.
 *
 * argv[2]: `idle` (wait to be killed; no signal handler, as a plain script or a test worker) or
 * `crash` (throw an uncaught error when SIGUSR2 comes). Env: SANDBOX_PARENT (where the
 * sandbox goes), STARTER_PUBLIC_KEY (allowed to log in).
 * Prints one JSON line when the sandbox listens: { port, dir, pid }.
 */
import { dirname } from 'node:path';
import { startSshdSandbox } from '../../sandbox/sshdSandbox';

const mode = process.argv[2] ?? 'idle';

void startSshdSandbox({
	hostKeyTypes: ['ed25519'],
	authorizedKeys: process.env.STARTER_PUBLIC_KEY ? [process.env.STARTER_PUBLIC_KEY] : [],
}).then((sandbox) => {
	process.stdout.write(
		`${JSON.stringify({ port: sandbox.port, dir: dirname(sandbox.root), pid: sandbox.pid })}\n`,
	);
	if (mode === 'crash')
		process.on('SIGUSR2', () => {
			throw new Error('the starter crashes on purpose');
		});
	setInterval(() => undefined, 60_000);
});
