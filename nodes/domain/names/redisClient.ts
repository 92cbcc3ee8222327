/**
 * A minimal Redis client (RESP2 over node:net or node:tls) for the few commands the sequence store needs:
 * no runtime dependency and no native build (README "Runtime dependencies: bundled"). One connection per
 * client, commands pipelined in order, every command bounded by a timeout; the socket does not keep a
 * process alive (`n8n execute` must be able to exit).
 */
import { Socket, connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RedisConnectionOptions {
	host: string;
	port: number;
	db: number;
	username?: string;
	password?: string;
	tls?: boolean;
	tlsServerName?: string;
	tlsRejectUnauthorized?: boolean;
	/** For connecting and for each command, in ms. */
	timeoutMs: number;
}

export type RedisReply = string | number | null | RedisReply[];

/** An error reply of the server (`-ERR …`, `-WRONGPASS …`): the server is reachable, it refused. */
export class RedisReplyError extends Error {
	constructor(readonly reply: string) {
		super(reply);
		this.name = 'RedisReplyError';
	}
}

interface Pending {
	resolve: (reply: RedisReply) => void;
	reject: (error: Error) => void;
}

export class RedisClient {
	private socket?: Socket;
	private ready?: Promise<void>;
	private buffer = Buffer.alloc(0);
	private readonly pending: Pending[] = [];

	constructor(private readonly options: RedisConnectionOptions) {}

	/** Sends one command; connects (and authenticates, selects the database) first when needed. */
	async command(...args: Array<string | number>): Promise<RedisReply> {
		if (!this.ready) this.ready = this.open();
		try {
			await this.ready;
		} catch (error) {
			this.ready = undefined;
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
			throw error;
		}
		return await this.send(args);
	}

	close(): void {
		this.fail(new Error('connection closed'));
	}

	private async open(): Promise<void> {
		const { host, port, timeoutMs } = this.options;
		const socket = await new Promise<Socket>((resolve, reject) => {
			const s = this.options.tls
				? tlsConnect({
						host,
						port,
						servername: this.options.tlsServerName || host,
						rejectUnauthorized: this.options.tlsRejectUnauthorized !== false,
					})
				: netConnect({ host, port });
			const timer = setTimeout(() => {
				s.destroy();
				reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
			}, timeoutMs);
			s.once(this.options.tls ? 'secureConnect' : 'connect', () => {
				clearTimeout(timer);
				resolve(s);
			});
			s.once('error', (error) => {
				clearTimeout(timer);
				reject(error);
			});
		});
		socket.setNoDelay(true);
		socket.setKeepAlive(true, 30_000);
		socket.unref();
		// Events of a connection already replaced by a newer one must not fail the newer one's commands.
		socket.on('data', (chunk: Buffer) => {
			if (this.socket === socket) this.receive(chunk);
		});
		socket.on('error', (error) => {
			if (this.socket === socket) this.fail(error);
		});
		socket.on('close', () => {
			if (this.socket === socket) this.fail(new Error('connection closed by the server'));
		});
		this.socket = socket;
		if (this.options.password) {
			await this.send(
				this.options.username
					? ['AUTH', this.options.username, this.options.password]
					: ['AUTH', this.options.password],
			);
		}
		if (this.options.db) await this.send(['SELECT', this.options.db]);
	}

	private send(args: Array<string | number>): Promise<RedisReply> {
		const socket = this.socket;
		if (!socket || socket.destroyed) return Promise.reject(new Error('not connected'));
		const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
		for (const arg of args) {
			const value = Buffer.from(String(arg), 'utf8');
			parts.push(Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n'));
		}
		return new Promise<RedisReply>((resolve, reject) => {
			const timer = setTimeout(() => {
				// The reply order is lost once one is skipped: drop the connection, the next command reconnects.
				this.fail(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
			}, this.options.timeoutMs);
			this.pending.push({
				resolve: (reply) => {
					clearTimeout(timer);
					resolve(reply);
				},
				reject: (error) => {
					clearTimeout(timer);
					reject(error);
				},
			});
			socket.write(Buffer.concat(parts));
		});
	}

	private receive(chunk: Buffer): void {
		this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
		for (;;) {
			let parsed: ReturnType<typeof parseReply>;
			try {
				parsed = parseReply(this.buffer, 0);
			} catch (error) {
				// Not a Redis server (or a broken stream): fail the commands, never the process.
				this.fail(error as Error);
				return;
			}
			if (!parsed) return;
			this.buffer = this.buffer.subarray(parsed.end);
			const waiter = this.pending.shift();
			if (!waiter) continue;
			if (parsed.reply instanceof RedisReplyError) waiter.reject(parsed.reply);
			else waiter.resolve(parsed.reply);
		}
	}

	private fail(error: Error): void {
		const socket = this.socket;
		this.socket = undefined;
		this.ready = undefined;
		this.buffer = Buffer.alloc(0);
		socket?.destroy();
		for (const waiter of this.pending.splice(0)) waiter.reject(error);
	}
}

/** One RESP2 reply starting at `offset`, or undefined when the buffer does not hold all of it yet. */
function parseReply(
	buffer: Buffer,
	offset: number,
): { reply: RedisReply | RedisReplyError; end: number } | undefined {
	const lineEnd = buffer.indexOf('\r\n', offset);
	if (lineEnd < 0) return undefined;
	const type = String.fromCharCode(buffer[offset]);
	const line = buffer.toString('utf8', offset + 1, lineEnd);
	const next = lineEnd + 2;
	switch (type) {
		case '+':
			return { reply: line, end: next };
		case '-':
			return { reply: new RedisReplyError(line), end: next };
		case ':':
			return { reply: Number(line), end: next };
		case '$': {
			const length = Number(line);
			if (length < 0) return { reply: null, end: next };
			if (buffer.length < next + length + 2) return undefined;
			return { reply: buffer.toString('utf8', next, next + length), end: next + length + 2 };
		}
		case '*': {
			const count = Number(line);
			if (count < 0) return { reply: null, end: next };
			const items: RedisReply[] = [];
			let end = next;
			for (let i = 0; i < count; i++) {
				const item = parseReply(buffer, end);
				if (!item) return undefined;
				// An error inside an array (EXEC) is kept as its text.
				items.push(item.reply instanceof RedisReplyError ? item.reply.reply : item.reply);
				end = item.end;
			}
			return { reply: items, end };
		}
		default:
			throw new Error(`unexpected reply from Redis (type "${type}")`);
	}
}
