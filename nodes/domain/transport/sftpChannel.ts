/**
 * Over 400 lines: list, upload and download share the channel's private request, timeout and error state.
 *
 * One SFTP connection to a batch channel, shared by all items of a node execution.
 *
 * What n8n's own SFTP node lacks and this has: the server host key is pinned (SHA256 fingerprint),
 * TCP_NODELAY (without it Nagle + delayed ACK make a 100 MiB upload take ~55 s instead of <1 s),
 * keepalive, a ready timeout and per-operation inactivity timeouts, a close that cannot hang,
 * exclusive creates (a remote name is never overwritten), pipelined streaming uploads and downloads,
 * and errors that say what to do.
 */
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import type { Client as SshClient, SFTPWrapper, Stats } from 'ssh2';
import { SocialSecurityError } from '../errors';
import { openSession, withTimeout } from './connect';
import {
	ConnectionContext,
	describeConnectError,
	describeSftpError,
	localWriteError,
} from './connectionErrors';
import { destroyConnection, maxReadLength, maxWriteLength } from './ssh2Internals';

export interface SftpChannelOptions {
	host: string;
	port: number;
	username: string;
	/** An unencrypted private key ssh2 accepts (see sshKeys/privateKey.ts, which decrypts every format once). */
	privateKey: string | Buffer;
	/** Fingerprint(s) of the server host key, `SHA256:…`; several may be given for a key rotation. */
	hostFingerprints: string[];
	/** Fingerprint of our key, only to make login errors precise. */
	keyFingerprint?: string;
	/** Host key algorithms in order of preference; default RSA first (the channel publishes an RSA key). */
	hostKeyAlgorithms?: string[];
	connectTimeoutMs?: number;
	/** Longest time one remote operation may go without progress. */
	operationTimeoutMs?: number;
	keepaliveIntervalMs?: number;
	/**
	 * Outstanding write/read requests per transfer, holding at most 4 MiB of data; 1 = strictly sequential
	 * (for servers that need it).
	 */
	pipelineDepth?: number;
	/**
	 * Sign the login with the legacy `ssh-rsa` (SHA-1) algorithm even when the server advertises
	 * rsa-sha2-*: for servers that advertise more than they accept. ssh2 already uses ssh-rsa with
	 * servers that advertise nothing (what the social security's server is reported to do).
	 */
	legacySshRsaLogin?: boolean;
}

export interface RemoteEntry {
	name: string;
	type: 'file' | 'dir' | 'symlink' | 'other';
	size: number;
	modifyTime: number;
}

export interface TransferResult {
	size: number;
	sha256: string;
}

export { DEFAULT_HOST_KEY_ALGORITHMS } from './connect';

const DEFAULTS = {
	connectTimeoutMs: 20_000,
	operationTimeoutMs: 60_000,
	keepaliveIntervalMs: 10_000,
	pipelineDepth: 64,
};
/**
 * Data in flight per transfer. Against OpenSSH 256 KiB requests fill it with 16; servers that take 32 KiB
 * requests need 64 in flight over a 20 ms round trip (measured: 1.5 s instead of 4.7 s for 100 MiB). The
 * byte cap keeps memory flat whatever the request size (depth 64 uncapped peaked at 155 MiB).
 */
const MAX_IN_FLIGHT_BYTES = 4 * 1024 * 1024;
const CLOSE_WAIT_MS = 3_000;
/** READDIR requests in flight while listing (each brings up to 100 entries from OpenSSH). */
const LIST_WINDOW = 8;
/** The read behind the expected end of a download, which should come back empty. */
const END_PROBE = 4 * 1024;
/** OpenSSH accepts 256 KiB per request; others as little as 32 KiB. ssh2 tells us what it negotiated. */
const FALLBACK_CHUNK = 32 * 1024;

export class SftpChannel {
	private closed = false;
	private fatalError: SocialSecurityError | undefined;

	private constructor(
		private readonly ssh: SshClient,
		private readonly sftp: SFTPWrapper,
		private readonly options: SftpChannelOptions & typeof DEFAULTS,
		/** The fingerprint the server presented (and that matched a pin). */
		readonly presentedFingerprint: string,
	) {}

	/** Connects (connect.ts: the host key checked against the pins, any of the server's key types). */
	static async open(input: SftpChannelOptions): Promise<SftpChannel> {
		const options = { ...DEFAULTS, ...input };
		const ctx: ConnectionContext = {
			host: options.host,
			port: options.port,
			username: options.username,
			pinnedFingerprint: options.hostFingerprints.join(', '),
			keyFingerprint: options.keyFingerprint,
			timeoutMs: options.connectTimeoutMs,
		};
		const { ssh, sftp, key } = await openSession(options, ctx);
		const channel = new SftpChannel(ssh, sftp, options, key.fingerprint);
		const lost = (err: Error) => {
			if (!channel.closed) channel.fatalError ??= describeConnectError(err, ctx);
		};
		ssh.on('error', (err: Error) => {
			channel.fatalError = describeConnectError(err, ctx);
		});
		ssh.on('close', () => lost(new Error('Connection lost')));
		sftp.on('error', lost);
		sftp.on('close', () => lost(new Error('Connection lost')));
		return channel;
	}

	/** False once the connection is closed or broken: open a new channel then. */
	get usable(): boolean {
		return !this.closed && this.fatalError === undefined;
	}

	/**
	 * The entries of a folder, without `.` and `..`. OpenSSH answers a READDIR with at most 100 entries,
	 * so a folder of 10 000 answers took 100 round trips one after the other; several READDIRs are kept
	 * in flight on the one handle instead (a server carries out the requests on one handle in order, so
	 * the batches come back in order; the first end-of-folder ends the listing).
	 */
	async list(folder: string): Promise<RemoteEntry[]> {
		const handle = await this.call<Buffer>('Listing', folder, (cb) =>
			this.sftp.opendir(folder, cb),
		);
		const batches: Array<Array<{ filename: string; attrs: Stats }>> = [];
		try {
			let done = false;
			const next = () =>
				this.call<Array<{ filename: string; attrs: Stats }> | undefined>('Listing', folder, (cb) =>
					this.sftp.readdir(handle, (err, list) =>
						// End of the folder is an error with code 1 (SSH_FX_EOF).
						err && (err as { code?: number }).code === 1 ? cb(null, undefined) : cb(err, list),
					),
				);
			const window: Array<Promise<Array<{ filename: string; attrs: Stats }> | undefined>> = [];
			const fill = () => {
				while (!done && window.length < LIST_WINDOW) {
					const request = next();
					// Requests behind the end or a failure are never awaited: they must not crash the process.
					request.catch(() => undefined);
					window.push(request);
				}
			};
			fill();
			while (window.length > 0) {
				const batch = await (window.shift() as Promise<
					Array<{ filename: string; attrs: Stats }> | undefined
				>);
				if (batch === undefined) done = true;
				else if (!done) batches.push(batch);
				fill();
			}
		} catch (error) {
			this.abandonHandle(handle);
			throw this.mapError(error, 'Listing', folder);
		}
		await this.closeHandle(handle, folder);
		const entries: RemoteEntry[] = [];
		for (const batch of batches)
			for (const e of batch) {
				if (e.filename === '.' || e.filename === '..') continue;
				entries.push({
					name: e.filename,
					...entryType(e.attrs),
					size: Number(e.attrs.size ?? 0),
					modifyTime: Number(e.attrs.mtime ?? 0) * 1000,
				});
			}
		return entries;
	}

	/** The entry at a path, or undefined when nothing is there. Does not follow symbolic links. */
	async stat(remotePath: string): Promise<RemoteEntry | undefined> {
		try {
			const attrs = await this.call<Stats>('Reading', remotePath, (cb) =>
				this.sftp.lstat(remotePath, cb),
			);
			return {
				name: remotePath.split('/').pop() as string,
				...entryType(attrs),
				size: Number(attrs.size ?? 0),
				modifyTime: Number(attrs.mtime ?? 0) * 1000,
			};
		} catch (error) {
			if (error instanceof SocialSecurityError && error.code === 'REMOTE_NOT_FOUND')
				return undefined;
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
			throw error;
		}
	}

	/**
	 * Streams `source` into a new remote file. The file is opened with O_CREAT|O_EXCL, so an existing name
	 * is never overwritten, also when another process creates it between our check and our upload.
	 * Writes are pipelined (`pipelineDepth` requests in flight) with bounded memory; `maxInFlightBytes`
	 * lowers the 4 MiB bound when several uploads share the connection.
	 */
	async uploadExclusive(
		source: Readable,
		remotePath: string,
		hints: { maxInFlightBytes?: number } = {},
	): Promise<TransferResult> {
		const handle = await this.openExclusive(remotePath);
		const hash = createHash('sha256');
		let position = 0;
		let inFlight = 0;
		let inFlightBytes = 0;
		let failure: unknown;
		const chunkSize = Math.max(1024, Math.min(this.maxWriteLength(), 256 * 1024));
		const depth = Math.max(1, this.options.pipelineDepth);
		const maxBytes = Math.max(
			chunkSize,
			Math.min(MAX_IN_FLIGHT_BYTES, hints.maxInFlightBytes ?? MAX_IN_FLIGHT_BYTES),
		);
		let wake: (() => void) | undefined;
		const waitForRoom = () => new Promise<void>((resolve) => (wake = resolve));
		const notify = () => {
			const w = wake;
			wake = undefined;
			w?.();
		};
		const watchdog = this.watchdog('Uploading', remotePath);
		try {
			for await (const chunk of source) {
				const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
				hash.update(buffer);
				for (let offset = 0; offset < buffer.length; offset += chunkSize) {
					const piece = buffer.subarray(offset, Math.min(offset + chunkSize, buffer.length));
					while (
						(inFlight >= depth || (inFlight > 0 && inFlightBytes + piece.length > maxBytes)) &&
						failure === undefined
					) {
						await watchdog.race(waitForRoom());
					}
					if (failure !== undefined) throw failure;
					const at = position;
					position += piece.length;
					inFlight += 1;
					inFlightBytes += piece.length;
					this.sftp.write(handle, piece, 0, piece.length, at, (err) => {
						inFlight -= 1;
						inFlightBytes -= piece.length;
						if (err) failure ??= err;
						watchdog.progress();
						notify();
					});
				}
			}
			while (inFlight > 0 && failure === undefined) await watchdog.race(waitForRoom());
			if (failure !== undefined) throw failure;
			await this.closeHandle(handle, remotePath);
		} catch (error) {
			watchdog.stop();
			this.abandonHandle(handle);
			if (source instanceof Readable && !source.destroyed) source.destroy();
			throw this.mapError(error, 'Uploading', remotePath);
		}
		watchdog.stop();
		return { size: position, sha256: hash.digest('hex') };
	}

	/** Creates an empty file (GO, TD) that must not exist yet. */
	async createEmptyExclusive(remotePath: string): Promise<void> {
		const handle = await this.openExclusive(remotePath);
		await this.closeHandle(handle, remotePath);
	}

	/**
	 * Streams a remote file into `destination`, with pipelined reads and an inactivity timeout.
	 *
	 * `expectedSize` (the size the listing gave) lets the reads fit the file: the reads cover exactly that
	 * many bytes and one small read behind them proves the end, all sent at once, so a small file takes
	 * one round trip for its data instead of two (a read of a full chunk comes back short, which in SFTP
	 * is not the end, and a read at the short offset had to follow). A file that is longer than expected
	 * is still read to its end. `maxInFlightBytes` lowers the 4 MiB read-ahead when several downloads
	 * share the connection, so memory stays bounded by the sum.
	 */
	async download(
		remotePath: string,
		destination: Writable,
		hints: { expectedSize?: number; maxInFlightBytes?: number } = {},
	): Promise<TransferResult> {
		// A failure of the destination (disk full, no permission) is ours, not the server's: listen from the
		// start (an unheard 'error' would crash the process) and end the transfer with that reason.
		let localError: unknown = destination.errored ?? undefined;
		let interrupt: ((error: unknown) => void) | undefined;
		destination.on('error', (error: unknown) => {
			localError ??= error;
			interrupt?.(error);
		});
		const handle = await this.call<Buffer>('Opening', remotePath, (cb) =>
			this.sftp.open(remotePath, 'r', cb),
		);
		const hash = createHash('sha256');
		const chunkSize = Math.max(1024, Math.min(this.maxReadLength(), 256 * 1024));
		const budget = Math.max(
			chunkSize,
			Math.min(MAX_IN_FLIGHT_BYTES, hints.maxInFlightBytes ?? MAX_IN_FLIGHT_BYTES),
		);
		// Each read allocates its whole length up front: in flight stays within the byte budget.
		const depth = Math.max(1, Math.min(this.options.pipelineDepth, Math.floor(budget / chunkSize)));
		const expected =
			hints.expectedSize !== undefined && Number.isSafeInteger(hints.expectedSize)
				? Math.max(0, hints.expectedSize)
				: undefined;
		const watchdog = this.watchdog('Downloading', remotePath);
		interrupt = watchdog.abort;
		const wait = <T>(promise: Promise<T>): Promise<T> =>
			localError !== undefined ? Promise.reject(localError) : watchdog.race(promise);
		let size = 0;
		try {
			let nextOffset = 0;
			let eof = false;
			// Issue reads ahead; write the results in order so the destination sees a plain stream.
			type Read = { offset: number; length: number; read: Promise<Buffer> };
			const pending: Read[] = [];
			const issue = () => {
				const offset = nextOffset;
				// Up to the expected end: reads that end exactly there; at it: a small read that should find the end.
				const length =
					expected !== undefined && offset < expected
						? Math.min(chunkSize, expected - offset)
						: expected !== undefined && offset === expected
							? Math.min(chunkSize, END_PROBE)
							: chunkSize;
				nextOffset += length;
				const read = new Promise<Buffer>((resolve, reject) => {
					// ssh2 never answers a request made after the connection dropped: do not make one.
					if (this.fatalError) return reject(this.fatalError);
					const buf = Buffer.allocUnsafe(length);
					this.sftp.read(handle, buf, 0, length, offset, (err, bytesRead) => {
						watchdog.progress();
						// EOF is reported as an error with code 1 (SSH_FX_EOF) by some servers, as 0 bytes by others.
						if (err && (err as { code?: number }).code !== 1) reject(err);
						else resolve(buf.subarray(0, err ? 0 : bytesRead));
					});
				});
				// Reads ahead of a failure are never awaited: mark them handled so they cannot crash the process.
				read.catch(() => undefined);
				pending.push({ offset, length, read });
			};
			const initial = expected !== undefined ? Math.ceil(expected / chunkSize) + 1 : depth;
			for (let i = 0; i < Math.min(depth, initial); i += 1) issue();
			// Reads behind the end are not waited for: their answers (empty) change nothing.
			while (pending.length > 0 && !eof) {
				const { offset, length, read } = pending.shift() as Read;
				const data = await wait(read);
				if (data.length === 0) {
					eof = true;
					break;
				}
				hash.update(data);
				size += data.length;
				if (!destination.write(data))
					await wait(new Promise<void>((r) => destination.once('drain', r)));
				// A short read is not EOF in SFTP: the next offsets continue where this one ended.
				if (data.length < length) {
					// Re-align: drop read-ahead that assumed full reads and continue from the true position.
					await wait(Promise.allSettled(pending.splice(0).map((p) => p.read)));
					nextOffset = size;
					issue();
				} else if (
					expected === undefined ||
					nextOffset <= expected ||
					offset >= expected ||
					pending.length === 0
				) {
					// With an expected size, the reads up to the end and the end probe are out: no more until
					// the probe finds data after all.
					issue();
				}
			}
			await this.closeHandle(handle, remotePath);
		} catch (error) {
			watchdog.stop();
			this.abandonHandle(handle);
			throw localError !== undefined
				? localWriteError(remotePath, localError)
				: this.mapError(error, 'Downloading', remotePath);
		}
		watchdog.stop();
		try {
			await new Promise<void>((resolve, reject) => {
				if (localError !== undefined) return reject(localError);
				interrupt = reject;
				destination.end((error?: Error | null) => (error ? reject(error) : resolve()));
			});
		} catch (error) {
			throw localWriteError(remotePath, error);
		}
		return { size, sha256: hash.digest('hex') };
	}

	async delete(remotePath: string): Promise<void> {
		await this.call('Deleting', remotePath, (cb) => this.sftp.unlink(remotePath, cb));
	}

	/** Ends the session; if the server does not answer in time, the socket is destroyed. Never hangs. */
	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		const ssh = this.ssh;
		try {
			await withTimeout(
				new Promise<void>((resolve) => {
					ssh.once('close', () => resolve());
					this.sftp.end();
					ssh.end();
				}),
				CLOSE_WAIT_MS,
				() => new Error('close timed out'),
			);
		} catch {
			destroyConnection(ssh);
		}
	}

	private maxWriteLength(): number {
		return maxWriteLength(this.sftp, FALLBACK_CHUNK);
	}

	private maxReadLength(): number {
		return maxReadLength(this.sftp, FALLBACK_CHUNK);
	}

	private async openExclusive(remotePath: string): Promise<Buffer> {
		try {
			return await this.call<Buffer>('Creating', remotePath, (cb) =>
				this.sftp.open(remotePath, 'wx', cb),
			);
		} catch (error) {
			// OpenSSH answers a failed O_EXCL create with a generic failure; tell the two cases apart.
			if (
				error instanceof SocialSecurityError &&
				error.code !== 'OPERATION_TIMEOUT' &&
				!this.fatalError
			) {
				const existing = await this.stat(remotePath).catch(() => undefined);
				if (existing) {
					// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
					throw new SocialSecurityError(
						'REMOTE_EXISTS',
						`${remotePath} already exists on the server; it was not overwritten.`,
						'A name can be used only once (ACRF-133). Build a new name with another sequence.',
					);
				}
			}
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
			throw error;
		}
	}

	private closeHandle(handle: Buffer, remotePath: string): Promise<void> {
		return this.call('Closing', remotePath, (cb) => this.sftp.close(handle, cb));
	}

	private abandonHandle(handle: Buffer): void {
		try {
			this.sftp.close(handle, () => undefined);
		} catch {
			// The connection is already gone; the server drops the handle with it.
		}
	}

	/** Runs one SFTP request with the operation timeout; a timeout tears the connection down. */
	private call<T>(
		operation: string,
		remotePath: string,
		start: (cb: (err: Error | null | undefined, value?: T) => void) => void,
	): Promise<T> {
		if (this.fatalError) return Promise.reject(this.fatalError);
		if (this.closed)
			return Promise.reject(
				new SocialSecurityError('CONNECTION_CLOSED', 'The SFTP connection is already closed.'),
			);
		const watchdog = this.watchdog(operation, remotePath);
		const request = new Promise<T>((resolve, reject) => {
			try {
				start((err, value) => (err ? reject(err) : resolve(value as T)));
			} catch (error) {
				reject(error);
			}
		});
		return watchdog
			.race(request)
			.catch((error: unknown) => {
				throw this.mapError(error, operation, remotePath);
			})
			.finally(() => watchdog.stop());
	}

	private mapError(error: unknown, operation: string, remotePath: string): SocialSecurityError {
		if (error instanceof SocialSecurityError) return error;
		if (this.fatalError) return this.fatalError;
		return describeSftpError(error, operation, remotePath);
	}

	/**
	 * An inactivity timer: fires when an operation makes no progress for `operationTimeoutMs`, which
	 * bounds stalls and half-open connections without limiting large transfers that keep moving.
	 */
	private watchdog(operation: string, remotePath: string) {
		let timer: NodeJS.Timeout | undefined;
		let rejectCurrent: ((e: unknown) => void) | undefined;
		const timeoutMs = this.options.operationTimeoutMs;
		const fire = () => {
			const error = new SocialSecurityError(
				'OPERATION_TIMEOUT',
				`${operation} ${remotePath}: the server did not respond for ${Math.round(timeoutMs / 1000)} s; the connection was closed.`,
				'The server or the network stalled. Try again; raise the operation timeout in the credential for very slow links.',
			);
			this.fatalError ??= error;
			destroyConnection(this.ssh);
			rejectCurrent?.(error);
		};
		const arm = () => {
			if (timer) clearTimeout(timer);
			timer = setTimeout(fire, timeoutMs);
		};
		arm();
		return {
			progress: arm,
			/** Ends the operation now with `error` (a failure on our side, not a stall). */
			abort: (error: unknown) => rejectCurrent?.(error),
			stop: () => {
				if (timer) clearTimeout(timer);
				timer = undefined;
			},
			race: <T>(promise: Promise<T>): Promise<T> =>
				new Promise<T>((resolve, reject) => {
					rejectCurrent = reject;
					if (this.fatalError && this.fatalError.code === 'OPERATION_TIMEOUT')
						reject(this.fatalError);
					promise.then(resolve, reject);
				}),
		};
	}
}

function entryType(attrs: Stats): Pick<RemoteEntry, 'type'> {
	if (attrs.isSymbolicLink?.()) return { type: 'symlink' };
	if (attrs.isDirectory?.()) return { type: 'dir' };
	if (attrs.isFile?.()) return { type: 'file' };
	// readdir attrs from ssh2 are plain objects without methods: read the mode bits.
	const mode = Number((attrs as { mode?: number }).mode ?? 0) & 0o170000;
	if (mode === 0o120000) return { type: 'symlink' };
	if (mode === 0o040000) return { type: 'dir' };
	if (mode === 0o100000) return { type: 'file' };
	return { type: 'other' };
}
