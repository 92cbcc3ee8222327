import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import {
	SetFile,
	planSubmission,
	SetCheckError,
} from '../../../nodes/domain/submission/declarationSet';
import {
	submitPlannedSet,
	SubmissionFailedError,
	sendCancellation,
} from '../../../nodes/domain/submission/uploadSet';
import { SftpChannel, SftpChannelOptions } from '../../../nodes/domain/transport/sftpChannel';
import { brusselsToday } from '../../../nodes/domain/names/brusselsTime';
import { startSshdSandbox, SshdSandbox } from '../../../sandbox/sshdSandbox';
import { describeWithSshd, sandboxChannelOptions } from '../../helpers/sandbox';
import { makeRsaKeyPair } from '../../helpers/keys';

const today = brusselsToday();
let seq = 0;
const nextSequence = () => `T${String(++seq).padStart(4, '0')}`;

function file(name: string, content: Buffer, onOpen?: () => void): SetFile {
	return {
		name,
		size: content.length,
		open: () => {
			onOpen?.();
			return Readable.from([content]);
		},
	};
}

function makeSet(parts: number, env = 'T', sequence = nextSequence()) {
	const base = `DMFA.000123.${today}.${sequence}.${env}.${parts}`;
	const contents = Array.from({ length: parts }, (_, i) => randomBytes(200_000 + i));
	return {
		base,
		fi: contents.map((c, i) => file(`FI.${base}.${i + 1}`, c)),
		fs: contents.map((_, i) => file(`FS.${base}.${i + 1}`, Buffer.from(`signature ${i + 1}`))),
		contents,
	};
}

describeWithSshd('Submitting a declaration set to a real sshd', () => {
	let sandbox: SshdSandbox;
	let options: SftpChannelOptions;
	let channel: SftpChannel;
	const key = makeRsaKeyPair();

	beforeAll(async () => {
		sandbox = await startSshdSandbox({ authorizedKeys: [key.publicKey], hostKeyTypes: ['rsa'] });
		options = sandboxChannelOptions(sandbox, key.privateKey);
	});
	beforeEach(async () => {
		channel = await SftpChannel.open(options);
	});
	afterEach(async () => channel?.close());
	afterAll(async () => sandbox?.stop());

	/**
	 * The order in which the files were written on the server, from their modification times in nanoseconds
	 * (each file is closed before the next is opened). internal-sftp's own log needs syslog inside the chroot.
	 */
	const writeOrder = (base: string) => {
		const folder = ['IN', 'INTEST', 'INTEST-S'].find((f) =>
			readdirSync(sandbox.pathOf(f)).some((n) => n.includes(base)),
		) as string;
		return readdirSync(sandbox.pathOf(folder))
			.filter((n) => n.includes(base))
			.map((n) => ({ n, t: statSync(sandbox.pathOf(folder, n), { bigint: true }).mtimeNs }))
			.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0))
			.map((e) => e.n);
	};

	it('sends a 1-part set to INTEST: FI, FS, then GO', async () => {
		const set = makeSet(1);
		const record = await submitPlannedSet(channel, planSubmission(set.fi, set.fs));
		expect(record.go).toBe(`GO.${set.base}`);
		expect(record.folder).toBe('INTEST');
		expect(record.files.map((f) => f.name)).toEqual([
			`FI.${set.base}.1`,
			`FS.${set.base}.1`,
			`GO.${set.base}`,
		]);
		expect(record.serverFingerprint).toBe(sandbox.hostKeys[0].fingerprint);
		expect(readFileSync(sandbox.pathOf('INTEST', `FI.${set.base}.1`)).equals(set.contents[0])).toBe(
			true,
		);
		expect(writeOrder(set.base)).toEqual([
			`FI.${set.base}.1`,
			`FS.${set.base}.1`,
			`GO.${set.base}`,
		]);
	});

	it('sends a 3-part set to IN in the order every FI, every FS, GO last', async () => {
		const set = makeSet(3, 'R');
		// Given out of order on purpose: the plan puts them in order.
		await submitPlannedSet(
			channel,
			planSubmission([set.fi[2], set.fi[0], set.fi[1]], [set.fs[1], set.fs[2], set.fs[0]]),
		);
		expect(writeOrder(set.base)).toEqual([
			`FI.${set.base}.1`,
			`FI.${set.base}.2`,
			`FI.${set.base}.3`,
			`FS.${set.base}.1`,
			`FS.${set.base}.2`,
			`FS.${set.base}.3`,
			`GO.${set.base}`,
		]);
		expect(readdirSync(sandbox.pathOf('IN')).filter((n) => n.includes(set.base))).toHaveLength(7);
	});

	it.each([
		[
			'a missing FS in production',
			() => {
				const s = makeSet(1, 'R');
				return [s.fi, []] as const;
			},
			/signature \(FS\) of part 1 is missing.*ACRF-122/,
		],
		[
			'a missing part 2',
			() => {
				const s = makeSet(3);
				return [[s.fi[0], s.fi[2]], s.fs] as const;
			},
			/FI part 2 of 3 is missing \(ACRF-120\).*there is an FS for part 2 but no FI/,
		],
		[
			'an empty FI',
			() => {
				const s = makeSet(1);
				return [[{ ...s.fi[0], size: 0 }], s.fs] as const;
			},
			/is empty \(ACRF-134\)/,
		],
		[
			'mixed sets',
			() => {
				const a = makeSet(1);
				const b = makeSet(1);
				return [a.fi, b.fs] as const;
			},
			/does not belong to the set/,
		],
	])('refuses %s before connecting, with nothing uploaded', (_title, build, message) => {
		const [fi, fs] = build();
		expect(() => planSubmission([...fi], [...fs])).toThrow(SetCheckError);
		expect(() => planSubmission([...fi], [...fs])).toThrow(message);
	});

	it('refuses a set whose name already exists remotely, with nothing uploaded', async () => {
		const set = makeSet(2);
		sandbox.writeFile('INTEST', `FS.${set.base}.2`, 'left over');
		await expect(submitPlannedSet(channel, planSubmission(set.fi, set.fs))).rejects.toMatchObject({
			code: 'REMOTE_EXISTS',
		});
		expect(readdirSync(sandbox.pathOf('INTEST')).filter((n) => n.includes(set.base))).toEqual([
			`FS.${set.base}.2`,
		]);
	});

	it('sends no GO when the connection is killed after the FI, and says what reached the server', async () => {
		const set = makeSet(1);
		const fs = file(set.fs[0].name, Buffer.from('sig'), () => sandbox.killSessions());
		const failure = await submitPlannedSet(channel, planSubmission(set.fi, [fs])).catch(
			(e: unknown) => e,
		);
		expect(failure).toBeInstanceOf(SubmissionFailedError);
		expect((failure as SubmissionFailedError).reached).toEqual([`FI.${set.base}.1`]);
		expect((failure as Error).message).toMatch(/No GO was sent/);
		expect(existsSync(sandbox.pathOf('INTEST', `GO.${set.base}`))).toBe(false);

		// A retry of the same set completes safely: the FI already there is checked, not sent again.
		const retry = await SftpChannel.open(options);
		try {
			const record = await submitPlannedSet(retry, planSubmission(set.fi, set.fs), {
				resume: true,
			});
			expect(record.files.map((f) => [f.name, f.resumed ?? false])).toEqual([
				[`FI.${set.base}.1`, true],
				[`FS.${set.base}.1`, false],
				[`GO.${set.base}`, false],
			]);
		} finally {
			await retry.close();
		}
	});

	it('refuses to resume over a remote file with other content', async () => {
		const set = makeSet(1);
		sandbox.writeFile('INTEST', `FI.${set.base}.1`, 'something else');
		await expect(
			submitPlannedSet(channel, planSubmission(set.fi, set.fs), { resume: true }),
		).rejects.toMatchObject({ code: 'SUBMISSION_FAILED' });
		expect(existsSync(sandbox.pathOf('INTEST', `GO.${set.base}`))).toBe(false);
	});

	it('cleans up the partial files on request', async () => {
		const set = makeSet(2);
		const fs2 = file(set.fs[1].name, Buffer.from('x'), () => {
			throw new Error('the FS could not be read');
		});
		const failure = (await submitPlannedSet(channel, planSubmission(set.fi, [set.fs[0], fs2]), {
			cleanupOnFailure: true,
		}).catch((e: unknown) => e)) as SubmissionFailedError;
		expect(failure.removed).toEqual([`FI.${set.base}.1`, `FI.${set.base}.2`, `FS.${set.base}.1`]);
		expect(failure.reached).toEqual([]);
		expect(readdirSync(sandbox.pathOf('INTEST')).filter((n) => n.includes(set.base))).toEqual([]);
	});

	it('refuses to send a set twice once its GO is there', async () => {
		const set = makeSet(1);
		await submitPlannedSet(channel, planSubmission(set.fi, set.fs));
		await expect(submitPlannedSet(channel, planSubmission(set.fi, set.fs))).rejects.toMatchObject({
			code: 'SET_ALREADY_SUBMITTED',
		});
	});

	it('sends a TD to cancel a set', async () => {
		const set = makeSet(1);
		const plan = planSubmission(set.fi, set.fs);
		await submitPlannedSet(channel, plan);
		await sendCancellation(channel, plan.folder, plan.td);
		expect(existsSync(sandbox.pathOf('INTEST', `TD.${set.base}`))).toBe(true);
	});

	it('does not send FS files in the DmfA test environment by default', async () => {
		const set = makeSet(1, 'S');
		const record = await submitPlannedSet(channel, planSubmission(set.fi, set.fs));
		expect(record.folder).toBe('INTEST-S');
		expect(record.files.map((f) => f.role)).toEqual(['FI', 'GO']);
		expect(record.signaturesNotSent).toEqual([`FS.${set.base}.1`]);
	});

	it('counts a set as submitted when the server takes the GO at once, and never cleans up after the GO', async () => {
		const set = makeSet(1);
		const create = channel.createEmptyExclusive.bind(channel);
		// The server picks the GO up (and removes it) the moment it is written.
		jest.spyOn(channel, 'createEmptyExclusive').mockImplementation(async (path: string) => {
			await create(path);
			rmSync(sandbox.pathOf('INTEST', path.split('/').pop() as string));
		});
		const record = await submitPlannedSet(channel, planSubmission(set.fi, set.fs), {
			cleanupOnFailure: true,
		});
		expect(record.go).toBe(`GO.${set.base}`);
		expect(
			readdirSync(sandbox.pathOf('INTEST'))
				.filter((n) => n.includes(set.base))
				.sort(),
		).toEqual([`FI.${set.base}.1`, `FS.${set.base}.1`]);
	});

	it('submits to a folder the server does not let us list, still never overwriting', async () => {
		const set = makeSet(1);
		chmodSync(sandbox.pathOf('INTEST'), 0o333);
		try {
			await expect(channel.list('/INTEST')).rejects.toMatchObject({
				code: 'REMOTE_PERMISSION_DENIED',
			});
			const record = await submitPlannedSet(channel, planSubmission(set.fi, set.fs));
			expect(record.files.map((f) => f.role)).toEqual(['FI', 'FS', 'GO']);
			await expect(submitPlannedSet(channel, planSubmission(set.fi, set.fs))).rejects.toMatchObject(
				{ code: 'SUBMISSION_FAILED' },
			);
		} finally {
			chmodSync(sandbox.pathOf('INTEST'), 0o755);
		}
		expect(readFileSync(sandbox.pathOf('INTEST', `FI.${set.base}.1`)).equals(set.contents[0])).toBe(
			true,
		);
	});
});
