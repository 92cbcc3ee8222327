/**
 * What every fault test needs around the real sshd: the sandbox and a channel to it, the sshd process
 * tree (to see session processes come and go), open sockets of this process, and deadlines that turn
 * a hung promise into a counted failure instead of a jest timeout.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SocialSecurityError } from '../../../nodes/domain/errors';
import { SftpChannel, SftpChannelOptions } from '../../../nodes/domain/transport/sftpChannel';
import {
	SandboxOptions,
	SshdSandbox,
	descendants,
	startSshdSandbox,
} from '../../../sandbox/sshdSandbox';
import { sandboxChannelOptions } from '../../helpers/sandbox';
import { makeRsaKeyPair } from '../../helpers/keys';
import { Ledger } from './ledger';

export interface World {
	sandbox: SshdSandbox;
	options: SftpChannelOptions;
	key: { privateKey: string; publicKey: string };
	/** Owner of the sandbox folders (the sandbox login): files we plant must belong to it. */
	uid: number;
	gid: number;
	open(extra?: Partial<SftpChannelOptions>): Promise<SftpChannel>;
}

/** Starts one sandbox for the file (beforeAll) and stops it (afterAll); the object is filled in beforeAll. */
export function useSandbox(
	sandboxOptions: SandboxOptions = {},
	channelDefaults: Partial<SftpChannelOptions> = {},
): World {
	const world = {} as World;
	beforeAll(async () => {
		const key = makeRsaKeyPair();
		const sandbox = await startSshdSandbox({
			hostKeyTypes: ['rsa'],
			...sandboxOptions,
			authorizedKeys: [key.publicKey],
		});
		const owner = statSync(sandbox.pathOf('OUT'));
		const options: SftpChannelOptions = sandboxChannelOptions(sandbox, key.privateKey, {
			...channelDefaults,
		});
		Object.assign(world, {
			sandbox,
			options,
			key,
			uid: owner.uid,
			gid: owner.gid,
			open: (extra: Partial<SftpChannelOptions> = {}) => SftpChannel.open({ ...options, ...extra }),
		});
	}, 60_000);
	afterAll(async () => {
		if (!world.sandbox) return;
		// Never leave a frozen tree behind, whatever a test did.
		world.sandbox.kill('SIGCONT');
		world.sandbox.thawSessions();
		await world.sandbox.stop();
	}, 30_000);
	return world;
}

/** The sshd daemon of a sandbox (it writes its pid file even in the foreground). */
export function sshdPid(sandbox: SshdSandbox): number {
	return Number(readFileSync(join(dirname(sandbox.root), 'sshd.pid'), 'utf8').trim());
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
	} catch {
		return false;
	}
}

/** Session processes (one per connection, with their privilege-separation children) of the sandbox. */
export function sessionPids(sandbox: SshdSandbox): number[] {
	return descendants(sshdPid(sandbox)).filter(isAlive);
}

export async function waitUntil(
	condition: () => boolean | Promise<boolean>,
	timeoutMs: number,
	intervalMs = 20,
): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (await condition()) return true;
		if (Date.now() >= deadline) return false;
		await sleep(intervalMs);
	}
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function handles(): unknown[] {
	return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
}

/** Handles (sockets, servers, pipes, child processes) that keep this process alive. */
export function activeHandles(): number {
	return handles().length;
}

/** What the open handles are, for a leak report. */
export function describeHandles(): string {
	return handles()
		.map((h) => {
			const s = h as {
				constructor?: { name?: string };
				remotePort?: number;
				localPort?: number;
				destroyed?: boolean;
				pending?: boolean;
			};
			return `${s.constructor?.name ?? typeof h}${s.remotePort ? `(${s.localPort}->${s.remotePort}${s.destroyed ? ', destroyed' : ''})` : ''}`;
		})
		.join(', ');
}

/** Waits for the handle count to come back to `baseline`; counts a leak when it does not. */
export async function expectHandlesBackTo(
	baseline: number,
	ledger: Ledger,
	label: string,
	timeoutMs = 4000,
): Promise<void> {
	const ok = await waitUntil(() => activeHandles() <= baseline, timeoutMs);
	if (!ok) {
		ledger.add('leakedSockets', activeHandles() - baseline);
		ledger.note(
			`${label}: ${activeHandles() - baseline} handle(s) still open: ${describeHandles()}`,
		);
	}
	expect(activeHandles()).toBeLessThanOrEqual(baseline);
}

/** Waits until the sandbox has no session process left; counts a leak when one stays. */
export async function expectNoSessions(
	sandbox: SshdSandbox,
	ledger: Ledger,
	label: string,
	timeoutMs = 5000,
): Promise<void> {
	const ok = await waitUntil(() => sessionPids(sandbox).length === 0, timeoutMs);
	if (!ok) {
		ledger.add('leakedSessions', sessionPids(sandbox).length);
		ledger.note(`${label}: sshd sessions still running: ${sessionPids(sandbox).join(', ')}`);
	}
	expect(sessionPids(sandbox)).toEqual([]);
}

export interface Settled<T> {
	value?: T;
	error?: unknown;
	/** True when the promise did not settle before the deadline (counted as a hang). */
	hung: boolean;
	elapsedMs: number;
}

/** Awaits `promise` for at most `deadlineMs`; a promise still pending then is a hang, counted in the ledger. */
export async function settle<T>(
	promise: Promise<T>,
	deadlineMs: number,
	ledger: Ledger,
	label: string,
): Promise<Settled<T>> {
	const started = Date.now();
	let timer: NodeJS.Timeout | undefined;
	const HUNG = Symbol('hung');
	try {
		const outcome = await Promise.race([
			promise.then(
				(value) => ({ value }),
				(error: unknown) => ({ error }),
			),
			new Promise<typeof HUNG>((resolve) => {
				timer = setTimeout(() => resolve(HUNG), deadlineMs);
			}),
		]);
		if (outcome === HUNG) {
			ledger.add('hangs');
			ledger.note(`${label}: still pending after ${deadlineMs} ms`);
			promise.catch(() => undefined);
			return { hung: true, elapsedMs: Date.now() - started };
		}
		return { ...outcome, hung: false, elapsedMs: Date.now() - started };
	} finally {
		clearTimeout(timer);
	}
}

/** A domain error with a stable code and a message; anything else is counted as an unclear error. */
export function expectDomainError(
	error: unknown,
	ledger: Ledger,
	label: string,
): SocialSecurityError {
	if (!(error instanceof SocialSecurityError) || !error.code || error.message.length < 10) {
		ledger.add('unclearErrors');
		ledger.note(
			`${label}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
		);
	}
	expect(error).toBeInstanceOf(SocialSecurityError);
	return error as SocialSecurityError;
}

/**
 * The seed of a fuzz run: FAULTS_SEED when given (to replay a failure or to explore), else the fixed
 * default, so CI is reproducible. The caller prints it.
 */
export function fuzzSeed(fallback: number): number {
	const given = Number(process.env.FAULTS_SEED);
	return Number.isFinite(given) && given > 0 ? given >>> 0 : fallback >>> 0;
}
