/**
 * Opening a connection: the handshake with the host key checked against the pins, the login and the
 * SFTP session, over ssh2's public API (ssh2Internals.ts says why not ssh2-sftp-client).
 */
import {
	Client as SshClient,
	type ConnectConfig,
	type ServerHostKeyAlgorithm,
	type SFTPWrapper,
} from 'ssh2';
import { fingerprintOfPublicKeyBlob } from '../sshKeys/hostKey';
import { describePublicBlob } from '../sshKeys/sshWire';
import {
	ConnectionContext,
	describeConnectError,
	hostFingerprintMissingError,
	hostKeyMismatchError,
	type PresentedHostKey,
} from './connectionErrors';
import {
	coalesceWrites,
	destroyConnection,
	hideServerSignatureAlgorithms,
	poolPaddingBytes,
} from './ssh2Internals';

export const DEFAULT_HOST_KEY_ALGORITHMS = [
	'rsa-sha2-512',
	'rsa-sha2-256',
	'ssh-rsa',
	'ecdsa-sha2-nistp256',
	'ecdsa-sha2-nistp384',
	'ecdsa-sha2-nistp521',
	'ssh-ed25519',
];

export interface ConnectOptions {
	host: string;
	port: number;
	username: string;
	privateKey: string | Buffer;
	hostFingerprints: string[];
	hostKeyAlgorithms?: string[];
	connectTimeoutMs: number;
	keepaliveIntervalMs: number;
	legacySshRsaLogin?: boolean;
}

export interface OpenSession {
	ssh: SshClient;
	sftp: SFTPWrapper;
	/** The host key that matched a pin. */
	key: PresentedHostKey;
}

/**
 * Connects, checks the host key against the pins, logs in and opens the SFTP session.
 *
 * A server has one host key per type (RSA, ECDSA, Ed25519) and shows only the one of the type the
 * handshake settles on: the first of our list it also has, RSA by default. A pin of another of its
 * keys is still a pin of that server, so when the key shown matches no pin the handshake is made
 * again without that key's type, until a key matches or the server has no other type. A genuine
 * mismatch therefore names every key the server showed. The type that matched is offered first on
 * the next connection to the same host with the same pins in this process, so the extra handshakes
 * happen once.
 */
export async function openSession(
	options: ConnectOptions,
	ctx: ConnectionContext,
): Promise<OpenSession> {
	const pins = new Set(options.hostFingerprints.map((f) => f.replace(/=+$/, '')));
	const where = `${options.host}:${options.port} ${[...pins].sort().join(',')}`;
	let algorithms = preferFamily(
		options.hostKeyAlgorithms ?? DEFAULT_HOST_KEY_ALGORITHMS,
		pins.size > 0 ? matchedFamilyByServer.get(where) : undefined,
	);
	const presented: PresentedHostKey[] = [];
	for (;;) {
		const attempt = await connectOnce(options, algorithms, pins);
		if (attempt.ok) {
			matchedFamilyByServer.set(where, hostKeyFamily(attempt.key.type));
			return attempt;
		}
		const { key, error } = attempt;
		if (key !== undefined && pins.has(key.fingerprint)) {
			// The pin matched: the login or the session failed.
			ctx.presentedFingerprint = key.fingerprint;
			throw describeConnectError(error, ctx);
		}
		if (key === undefined) {
			// No key shown (refused, timed out, no common algorithm). After a key that matched no pin:
			// the server has no other type of key, so none of its keys is pinned.
			if (presented.length > 0) throw hostKeyMismatchError(ctx);
			throw describeConnectError(error, ctx);
		}
		presented.push(key);
		ctx.presentedFingerprint = presented[0].fingerprint;
		ctx.presentedKeys = presented;
		if (pins.size === 0) throw hostFingerprintMissingError(ctx);
		const family = hostKeyFamily(key.type);
		algorithms = algorithms.filter((a) => hostKeyFamily(a) !== family);
		if (algorithms.length === 0) throw hostKeyMismatchError(ctx);
	}
}

/** The types of host key a server may hold; the algorithms of one type all show the same key. */
type HostKeyFamily = 'rsa' | 'ecdsa' | 'ed25519' | 'other';

function hostKeyFamily(algorithm: string): HostKeyFamily {
	if (algorithm === 'ssh-rsa' || algorithm.startsWith('rsa-sha2-')) return 'rsa';
	if (algorithm.startsWith('ecdsa-sha2-')) return 'ecdsa';
	if (algorithm === 'ssh-ed25519') return 'ed25519';
	return 'other';
}

/** Per `host:port` and pins, the type of host key that matched last (only reorders what is offered). */
const matchedFamilyByServer = new Map<string, HostKeyFamily>();

function preferFamily(algorithms: string[], family: HostKeyFamily | undefined): string[] {
	if (family === undefined) return [...algorithms];
	return [
		...algorithms.filter((a) => hostKeyFamily(a) === family),
		...algorithms.filter((a) => hostKeyFamily(a) !== family),
	];
}

type Attempt =
	| { ok: true; ssh: SshClient; sftp: SFTPWrapper; key: PresentedHostKey }
	| { ok: false; error: unknown; key?: PresentedHostKey };

/** One handshake, login and SFTP session; never throws. `key` is the host key shown, if any. */
async function connectOnce(
	options: ConnectOptions,
	algorithms: string[],
	pins: Set<string>,
): Promise<Attempt> {
	let key: PresentedHostKey | undefined;
	let asyncError: unknown;
	const ssh = new SshClient();
	ssh.on('connect', () => ssh.setNoDelay(true));
	const config: ConnectConfig = {
		host: options.host,
		port: options.port,
		username: options.username,
		privateKey: options.privateKey,
		readyTimeout: options.connectTimeoutMs,
		keepaliveInterval: options.keepaliveIntervalMs,
		keepaliveCountMax: 3,
		algorithms: { serverHostKey: algorithms as ServerHostKeyAlgorithm[] },
		hostVerifier: (blob: Buffer) => {
			key = { fingerprint: fingerprintOfPublicKeyBlob(blob), type: keyTypeOf(blob) };
			return pins.has(key.fingerprint);
		},
	};
	const session = new Promise<SFTPWrapper>((resolve, reject) => {
		ssh.on('error', (err: Error) => {
			asyncError ??= err;
			reject(err);
		});
		ssh.once('close', () => reject(asyncError ?? new Error('Connection lost')));
		ssh.once('ready', () => ssh.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
	});
	// Rejections after a timeout are not awaited: they must not crash the process.
	session.catch(() => undefined);
	try {
		ssh.connect(config);
		if (options.legacySshRsaLogin) hideServerSignatureAlgorithms(ssh);
		poolPaddingBytes(ssh);
		const sftp = await withTimeout(
			session,
			options.connectTimeoutMs + 2_000,
			() => new Error('timed out'),
		);
		coalesceWrites(ssh);
		return { ok: true, ssh, sftp, key: key as PresentedHostKey };
	} catch (error) {
		destroyConnection(ssh);
		return { ok: false, error: asyncError ?? error, key };
	}
}

function keyTypeOf(blob: Buffer): string {
	try {
		return describePublicBlob(blob).type;
	} catch {
		return 'unknown';
	}
}

export function withTimeout<T>(
	promise: Promise<T>,
	ms: number,
	makeError: () => Error,
): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	return Promise.race([
		promise,
		new Promise<T>((_, reject) => {
			timer = setTimeout(() => reject(makeError()), ms);
		}),
	]).finally(() => clearTimeout(timer));
}
