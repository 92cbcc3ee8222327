/**
 * A server that stops answering. Every operation of SftpChannel — connect, list, stat, upload, download,
 * create, delete, close — ends within its configured bound (plus a margin) with a clear error; no
 * promise hangs, no socket of ours stays open, and no sshd session process outlives the connection.
 *
 * Stalls are real: the sshd session processes are frozen (SIGSTOP) while the TCP connection stays up
 * (half-open from our side), or the whole daemon is frozen for a connect; plus hand-made TCP servers
 * that accept and never speak, speak the SSH banner and then stall, close at once, or speak nonsense.
 */
import { once } from 'node:events';
import { createServer, Server, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { SftpChannel } from '../../nodes/domain/transport/sftpChannel';
import { describeWithSshd } from '../helpers/sandbox';
import { Ledger } from './helpers/ledger';
import {
	activeHandles,
	expectDomainError,
	expectHandlesBackTo,
	expectNoSessions,
	isAlive,
	sessionPids,
	settle,
	sshdPid,
	useSandbox,
} from './helpers/world';

jest.setTimeout(30_000);

const ledger = new Ledger('stalls');
const OPERATION_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 1500;
/** Scheduling slack on a loaded 2-core CI machine. */
const MARGIN_MS = 1500;
/** SftpChannel.close waits this long for a polite end before destroying the socket. */
const CLOSE_WAIT_MS = 3000;

describeWithSshd('A server that stops answering', () => {
	const world = useSandbox(
		{},
		{ operationTimeoutMs: OPERATION_TIMEOUT_MS, connectTimeoutMs: CONNECT_TIMEOUT_MS },
	);
	let baseline = 0;
	const seenSessions = new Set<number>();

	beforeAll(async () => {
		world.sandbox.writeFile('OUTTEST', 'BIG', randomBytes(6 * 1024 * 1024));
		world.sandbox.writeFile('OUTTEST', 'SMALL', 'x');
		// One connection first, so lazily loaded modules and their handles are in the baseline.
		const warm = await world.open();
		await warm.list('/');
		await warm.close();
		await expectNoSessions(world.sandbox, ledger, 'warm-up');
		baseline = activeHandles();
	});
	afterAll(() => ledger.report());

	const track = () => sessionPids(world.sandbox).forEach((pid) => seenSessions.add(pid));
	/** When the last stall began: the bound runs from the freeze, not from the start of a transfer. */
	let frozenAt = 0;
	const freeze = () => {
		frozenAt = Date.now();
		world.sandbox.freezeSessions();
	};

	type Operation = (channel: SftpChannel) => Promise<unknown>;
	const operations: Array<[string, Operation, 'before' | 'during']> = [
		['list', (c) => c.list('/OUTTEST'), 'before'],
		['stat', (c) => c.stat('/OUTTEST/SMALL'), 'before'],
		['create (open for writing)', (c) => c.createEmptyExclusive('/INTEST/GO.STALL'), 'before'],
		['delete', (c) => c.delete('/OUTTEST/SMALL'), 'before'],
		['download, stalled before it starts', (c) => c.download('/OUTTEST/BIG', sink()), 'before'],
		['download, stalled mid-transfer', (c) => c.download('/OUTTEST/BIG', sink(freeze)), 'during'],
		[
			'upload, stalled mid-transfer',
			(c) => c.uploadExclusive(stream(16, freeze), '/INTEST/FI.STALL.UP'),
			'during',
		],
	];

	it.each(operations)(
		'%s ends with OPERATION_TIMEOUT within the bound, then the channel refuses at once',
		async (label, run, when) => {
			const { sandbox } = world;
			const channel = await world.open();
			track();
			ledger.add('faultsInjected');
			frozenAt = 0;
			if (when === 'before') freeze();
			const result = await settle(
				run(channel),
				OPERATION_TIMEOUT_MS * 6 + MARGIN_MS,
				ledger,
				label,
			);
			const stalledMs = Date.now() - frozenAt;
			expect(frozenAt).toBeGreaterThan(0);
			expect(result.hung).toBe(false);
			const error = expectDomainError(result.error, ledger, label);
			expect(error.code).toBe('OPERATION_TIMEOUT');
			expect(error.message).toMatch(/did not respond for 1 s/);
			// Measured from the freeze: a mid-transfer stall comes after the part already sent, whose
			// duration depends on the machine's load (CI once took 2.7 s from the start of the upload).
			expect(stalledMs).toBeLessThanOrEqual(OPERATION_TIMEOUT_MS + MARGIN_MS);

			// A dead channel answers every later call at once, with the same error, instead of hanging.
			const again = await settle(
				channel.list('/'),
				500,
				ledger,
				`${label}: call after the timeout`,
			);
			expect(expectDomainError(again.error, ledger, `${label}: call after the timeout`).code).toBe(
				'OPERATION_TIMEOUT',
			);
			const closed = await settle(
				channel.close(),
				CLOSE_WAIT_MS + MARGIN_MS,
				ledger,
				`${label}: close`,
			);
			expect(closed.hung).toBe(false);

			await expectHandlesBackTo(baseline, ledger, label);
			sandbox.thawSessions();
			await expectNoSessions(sandbox, ledger, label);
		},
	);

	it('close on a frozen server gives up after its wait and destroys the connection', async () => {
		const { sandbox } = world;
		const channel = await world.open();
		track();
		ledger.add('faultsInjected');
		sandbox.freezeSessions();
		const closed = await settle(
			channel.close(),
			CLOSE_WAIT_MS + MARGIN_MS,
			ledger,
			'close on a frozen server',
		);
		expect(closed.hung).toBe(false);
		expect(closed.error).toBeUndefined();
		expect(closed.elapsedMs).toBeGreaterThanOrEqual(CLOSE_WAIT_MS - 100);
		await expectHandlesBackTo(baseline, ledger, 'close on a frozen server');
		sandbox.thawSessions();
		await expectNoSessions(sandbox, ledger, 'close on a frozen server');
	});

	it('connect to a frozen sshd (TCP accepted by the kernel, nothing answers) ends with CONNECTION_TIMEOUT', async () => {
		const { sandbox } = world;
		ledger.add('faultsInjected');
		sandbox.kill('SIGSTOP');
		try {
			const result = await settle(
				world.open(),
				CONNECT_TIMEOUT_MS + 2000 + MARGIN_MS,
				ledger,
				'connect to a frozen sshd',
			);
			expect(result.hung).toBe(false);
			expect(expectDomainError(result.error, ledger, 'connect to a frozen sshd').code).toBe(
				'CONNECTION_TIMEOUT',
			);
			expect(result.elapsedMs).toBeLessThanOrEqual(CONNECT_TIMEOUT_MS + MARGIN_MS);
			await expectHandlesBackTo(baseline, ledger, 'connect to a frozen sshd');
		} finally {
			sandbox.kill('SIGCONT');
		}
		// The daemon now accepts the connection we abandoned; its session must end by itself.
		await expectNoSessions(sandbox, ledger, 'connect to a frozen sshd');
		const channel = await world.open();
		await channel.close();
	});

	/** A TCP server on loopback whose behaviour on each connection is given; remembers its sockets. */
	async function fakeServer(
		onConnection: (socket: Socket) => void,
	): Promise<{ port: number; sockets: Socket[]; server: Server; stop: () => Promise<void> }> {
		const sockets: Socket[] = [];
		const server = createServer((socket) => {
			sockets.push(socket);
			socket.on('error', () => undefined);
			// Read (and drop) what the client sends, so its FIN is seen and the socket closes.
			socket.resume();
			onConnection(socket);
		});
		server.listen(0, '127.0.0.1');
		await once(server, 'listening');
		return {
			port: (server.address() as { port: number }).port,
			sockets,
			server,
			stop: async () => {
				sockets.forEach((s) => s.destroy());
				server.close();
				await once(server, 'close');
			},
		};
	}

	const fakes: Array<[string, (socket: Socket) => void, string[], number]> = [
		['accepts and never speaks', () => undefined, ['CONNECTION_TIMEOUT'], CONNECT_TIMEOUT_MS],
		[
			'speaks the SSH banner, then stalls',
			(s) => s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'),
			['CONNECTION_TIMEOUT'],
			CONNECT_TIMEOUT_MS,
		],
		[
			// The first packet announces 1020 bytes and stops after 22: the client waits for the rest.
			'speaks the banner and the start of its key exchange, then stalls',
			(s) =>
				s.write(
					Buffer.concat([
						Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'),
						Buffer.from([0, 0, 3, 0xfc, 4, 20]),
						randomBytes(16),
					]),
				),
			['CONNECTION_TIMEOUT'],
			CONNECT_TIMEOUT_MS,
		],
		[
			'sends a malformed first packet',
			(s) =>
				s.write(
					Buffer.concat([
						Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'),
						Buffer.from([0xff, 0, 1, 0, 4, 20]),
						randomBytes(40),
					]),
				),
			['CONNECTION_FAILED', 'CONNECTION_LOST', 'SSH_NEGOTIATION_FAILED'],
			0,
		],
		['closes at once', (s) => s.destroy(), ['CONNECTION_LOST', 'CONNECTION_FAILED'], 0],
		[
			'answers with nonsense',
			(s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'),
			['CONNECTION_LOST', 'CONNECTION_FAILED', 'SSH_NEGOTIATION_FAILED'],
			0,
		],
	];

	it.each(fakes)(
		'connect to a server that %s ends with a clear error within the bound, nothing left open',
		async (label, behaviour, codes, expectedMs) => {
			const fake = await fakeServer(behaviour);
			ledger.add('faultsInjected');
			try {
				const result = await settle(
					SftpChannel.open({ ...world.options, port: fake.port }),
					CONNECT_TIMEOUT_MS + 2000 + MARGIN_MS,
					ledger,
					label,
				);
				expect(result.hung).toBe(false);
				expect(codes).toContain(expectDomainError(result.error, ledger, label).code);
				expect(result.elapsedMs).toBeLessThanOrEqual(expectedMs + MARGIN_MS);
				// Our side of every connection is closed: the server sees them end.
				const ended = await settle(
					Promise.all(
						fake.sockets.map((s) =>
							s.destroyed || s.readableEnded ? Promise.resolve() : once(s, 'close'),
						),
					),
					3000,
					ledger,
					`${label}: our socket closes`,
				);
				expect(ended.hung).toBe(false);
			} finally {
				await fake.stop();
			}
			await expectHandlesBackTo(baseline, ledger, label);
		},
	);

	it('after stop, no sshd process of the sandbox is left', async () => {
		const { sandbox } = world;
		const daemon = sshdPid(sandbox);
		track();
		const pids = [daemon, ...seenSessions];
		expect(seenSessions.size).toBeGreaterThan(0);
		await sandbox.stop();
		const alive = pids.filter(isAlive);
		if (alive.length > 0) {
			ledger.add('leakedSessions', alive.length);
			ledger.note(`sshd processes alive after stop: ${alive.join(', ')}`);
		}
		expect(alive).toEqual([]);
	});
});

/** A destination that calls `onFirst` once the first bytes arrive, then accepts everything. */
function sink(onFirst?: () => void): Writable {
	let first = true;
	return new Writable({
		write: (_chunk, _encoding, callback) => {
			if (first) {
				first = false;
				onFirst?.();
			}
			callback();
		},
	});
}

/** `mib` MiB of random data in 256 KiB chunks; `onHalf` runs when half has been read. */
function stream(mib: number, onHalf: () => void): Readable {
	return Readable.from(
		(function* () {
			for (let i = 0; i < mib * 4; i++) {
				if (i === mib * 2) onHalf();
				yield randomBytes(256 * 1024);
			}
		})(),
	);
}
