/**
 * Every place where we touch ssh2's private fields, and nothing else. ssh2 has no public way to do these
 * five things; each one degrades to ssh2's own behaviour when a field is missing, and
 * test/integration/transport/ssh2Internals.test.ts fails loudly against a real sshd when a new ssh2
 * version renames or removes one (checked against ssh2 1.17).
 *
 * Why ssh2 directly and not ssh2-sftp-client: we used that library only to connect and to close, and
 * had to reach into it for the ssh2 Client (`client.client`), the SFTP session (`client.sftp`) and to
 * pass options its typings do not list (`hostVerifier`, `retries`). ssh2's public `Client.connect()`,
 * `'ready'` and `Client.sftp()` do the same in a dozen lines, with typed options and no second layer of
 * error wrapping; every SFTP request was already made on ssh2's `SFTPWrapper`.
 */
import { randomFillSync } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Client as SshClient, SFTPWrapper } from 'ssh2';

type ExtInfo = Array<{ name: string }>;

/** The private fields we rely on, as ssh2 1.17 has them. */
interface Ssh2ClientPrivate {
	/** The protocol parser, created synchronously by connect(); its handlers see each message type. */
	_protocol?: {
		_handlers?: Record<string, (p: unknown, exts: ExtInfo) => void>;
		/** The outbound cipher; kex.js puts a new one in place after every key exchange. */
		_cipher?: OutboundCipher;
	};
	/** The TCP socket, set by connect(). */
	_sock?: Socket;
	/** The `readyTimeout` timer. */
	_readyTimeout?: NodeJS.Timeout;
}

interface Ssh2SftpPrivate {
	/** Largest WRITE / READ payload, from OpenSSH's `limits@openssh.com` answer (256 KiB) or 32 KiB. */
	_maxWriteLen?: number;
	_maxReadLen?: number;
}

/** ssh2's outbound cipher objects (lib/protocol/crypto.js): each allocates the packets it encrypts. */
interface OutboundCipher {
	allocPacket(payloadLen: number): Buffer;
	_encBlockLen?: number;
	_aadLen?: number;
}

function privateOf(ssh: SshClient): Ssh2ClientPrivate {
	return ssh as unknown as Ssh2ClientPrivate;
}

function sftpPrivateOf(sftp: SFTPWrapper): Ssh2SftpPrivate {
	return sftp as unknown as Ssh2SftpPrivate;
}

/**
 * ssh2 picks the RSA login signature from the server's `server-sig-algs` list and has no option to
 * force `ssh-rsa`. Its protocol handlers are set up synchronously in connect(), before any byte
 * arrives, so we drop that one extension from what the handler sees: ssh2 then uses `ssh-rsa`.
 * Call right after `connect()`. Returns false when the handler is not where we expect it.
 */
export function hideServerSignatureAlgorithms(ssh: SshClient): boolean {
	const handlers = privateOf(ssh)._protocol?._handlers;
	const original = handlers?.EXT_INFO;
	if (!handlers || typeof original !== 'function') return false;
	handlers.EXT_INFO = (p, exts) =>
		original(
			p,
			exts.filter((e) => e.name !== 'server-sig-algs'),
		);
	return true;
}

/**
 * ssh2 writes every SSH packet to the socket at once: one system call per SFTP request. Many requests
 * made in the same tick (answers and sets in flight, pipelined reads) are gathered into one write by
 * corking the socket until the tick ends; with TCP_NODELAY they still leave without delay. On loopback
 * the separate writes were the largest cost of collecting 1000 answers (bench/poll.ts, a CPU profile).
 */
export function coalesceWrites(ssh: SshClient): boolean {
	const sock = privateOf(ssh)._sock;
	if (!sock || typeof sock.cork !== 'function') return false;
	const write = sock.write.bind(sock) as (...args: unknown[]) => boolean;
	let corked = false;
	const uncork = () => {
		corked = false;
		sock.uncork();
	};
	(sock as unknown as { write: (...args: unknown[]) => boolean }).write = (...args) => {
		if (!corked && !sock.destroyed) {
			corked = true;
			sock.cork();
			process.nextTick(uncork);
		}
		return write(...args);
	};
	return true;
}

/**
 * The padding of each SSH packet (4 to 19 random bytes) comes from ssh2's allocPacket, which calls
 * randomFillSync on the freshly allocated packet. For a 32 KiB packet that one call costs ~25 µs, more
 * than encrypting it (a CPU profile of a 1 GiB upload: 0.9 s of 5 s, bench/upload.ts). The same bytes
 * from the same generator, taken from a 4 KiB pool filled in one call, cost a copy. The packet layout is
 * ssh2's (`paddingLayout`); a cipher class we do not know keeps its own allocPacket.
 * Call right after `connect()`: every cipher installed afterwards (first handshake, each rekey) is wrapped.
 */
export function poolPaddingBytes(ssh: SshClient): boolean {
	const protocol = privateOf(ssh)._protocol;
	if (!protocol || typeof protocol._cipher?.allocPacket !== 'function') return false;
	let current = protocol._cipher;
	Object.defineProperty(protocol, '_cipher', {
		configurable: true,
		enumerable: true,
		get: () => current,
		set: (cipher: OutboundCipher) => {
			current = cipher;
			withPooledPadding(cipher);
		},
	});
	return true;
}

/** Whether the connection's current outbound cipher takes its padding from the pool. */
export function paddingIsPooled(ssh: SshClient): boolean {
	return pooled.has(privateOf(ssh)._protocol?._cipher as object);
}

const pooled = new WeakSet<object>();

/**
 * ssh2 1.17's allocPacket, per class (lib/protocol/crypto.js): the padding makes the packet, less the
 * length field when it is not encrypted (`aad`), a multiple of `block`, with at least 4 bytes.
 * Only the JavaScript classes: the native binding is not built where n8n installs community packages.
 */
function paddingLayout(cipher: OutboundCipher): { block: number; aad: number } | undefined {
	switch (cipher.constructor?.name) {
		case 'AESGCMCipherNative':
			return { block: 16, aad: 4 };
		case 'ChaChaPolyCipherNative':
			return { block: 8, aad: 4 };
		case 'GenericCipherNative': {
			const { _encBlockLen: block, _aadLen: aad } = cipher;
			return typeof block === 'number' && block >= 8 && (aad === 0 || aad === 4)
				? { block, aad }
				: undefined;
		}
		default:
			return undefined;
	}
}

function withPooledPadding(cipher: OutboundCipher): void {
	const layout = cipher && paddingLayout(cipher);
	if (!layout) return;
	const { block, aad } = layout;
	cipher.allocPacket = (payloadLen: number): Buffer => {
		let packetLen = 4 + 1 + payloadLen;
		let padLen = block - ((packetLen - aad) & (block - 1));
		if (padLen < 4) padLen += block;
		packetLen += padLen;
		const packet = Buffer.allocUnsafe(packetLen);
		packet.writeUInt32BE(packetLen - 4, 0);
		packet[4] = padLen;
		takeRandomBytes(packet, 5 + payloadLen, padLen);
		return packet;
	};
	pooled.add(cipher);
}

const randomPool = Buffer.alloc(4096);
let randomPoolUsed = randomPool.length;

/** Fills `target[offset, offset + length)` with bytes of the pool, each used once; refills it when spent. */
function takeRandomBytes(target: Buffer, offset: number, length: number): void {
	if (randomPoolUsed + length > randomPool.length) {
		randomFillSync(randomPool);
		randomPoolUsed = 0;
	}
	randomPool.copy(target, offset, randomPoolUsed, randomPoolUsed + length);
	randomPoolUsed += length;
}

/** Ends the connection now, whatever state it is in. Never throws. */
export function destroyConnection(ssh: SshClient): void {
	const internals = privateOf(ssh);
	// ssh2 leaves its ready timer running after some failures; it would keep a process alive for seconds.
	clearTimeout(internals._readyTimeout);
	try {
		ssh.destroy();
		// ssh2 destroys only a socket it can still write to: after end() (a close that got no answer) the
		// socket is half-closed and would stay open for as long as the server stays silent.
		internals._sock?.destroy();
	} catch {
		// Already destroyed.
	}
}

/** The largest WRITE payload the session negotiated, or `fallback`. */
export function maxWriteLength(sftp: SFTPWrapper, fallback: number): number {
	const value = sftpPrivateOf(sftp)._maxWriteLen;
	return typeof value === 'number' && value > 0 ? value : fallback;
}

/** The largest READ payload the session negotiated, or `fallback`. */
export function maxReadLength(sftp: SFTPWrapper, fallback: number): number {
	const value = sftpPrivateOf(sftp)._maxReadLen;
	return typeof value === 'number' && value > 0 ? value : fallback;
}

/**
 * What is missing of the private fields above, in words (empty when all are there). `ssh` right after
 * connect() (before 'ready'), `sftp` once the session is open. For the test that guards an ssh2 upgrade.
 */
export function missingSsh2Internals(ssh: SshClient, sftp?: SFTPWrapper): string[] {
	const missing: string[] = [];
	const internals = privateOf(ssh);
	if (typeof internals._protocol?._handlers?.EXT_INFO !== 'function')
		missing.push('Client._protocol._handlers.EXT_INFO (function)');
	if (typeof internals._protocol?._cipher?.allocPacket !== 'function')
		missing.push('Client._protocol._cipher.allocPacket (function)');
	const sock = internals._sock;
	if (!sock || typeof sock.cork !== 'function' || typeof sock.write !== 'function')
		missing.push('Client._sock (a net.Socket)');
	if (!('_readyTimeout' in internals)) missing.push('Client._readyTimeout');
	if (sftp) {
		const s = sftpPrivateOf(sftp);
		if (typeof s._maxWriteLen !== 'number') missing.push('SFTPWrapper._maxWriteLen (number)');
		if (typeof s._maxReadLen !== 'number') missing.push('SFTPWrapper._maxReadLen (number)');
	}
	return missing;
}
