/**
 * Ten submissions at once, each with its own channel, named with the stateless time-based sequence:
 * half from the process-wide generator (`sharedTimeSequenceGenerator`), half from separate generators
 * sharing only the marker folder (as other n8n processes would), all reading the same frozen clock so
 * they all aim at the same slot. Ten distinct names; each set lands complete with its own bytes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { brusselsToday } from '../../nodes/domain/names/brusselsTime';
import { validateSequence } from '../../nodes/domain/names/fileNames';
import {
	sharedTimeSequenceGenerator,
	TimeSequenceGenerator,
} from '../../nodes/domain/names/sequence';
import { planSubmission, SetFile } from '../../nodes/domain/submission/declarationSet';
import { submitPlannedSet } from '../../nodes/domain/submission/uploadSet';
import { describeWithSshd } from '../helpers/sandbox';
import { Ledger } from './helpers/ledger';
import {
	activeHandles,
	expectHandlesBackTo,
	expectNoSessions,
	settle,
	useSandbox,
} from './helpers/world';

jest.setTimeout(60_000);

const ledger = new Ledger('parallel');
const FOLDER = 'INTEST';

describeWithSshd('Ten submissions at once with the stateless sequence', () => {
	const world = useSandbox();
	let markers: string;
	let baseline = 0;

	beforeAll(async () => {
		markers = mkdtempSync(join(tmpdir(), 'ss-sequences-'));
		const warm = await world.open();
		await warm.close();
		await expectNoSessions(world.sandbox, ledger, 'warm-up');
		baseline = activeHandles();
	});
	afterAll(() => {
		rmSync(markers, { recursive: true, force: true });
		ledger.report();
	});

	it('gives ten distinct names, and each set lands complete with its own content (no cross-talk)', async () => {
		const today = brusselsToday();
		// Every generator reads this instant: without the marker folder they would all pick the same value.
		const instant = new Date();
		const shared = sharedTimeSequenceGenerator(markers);
		const separate = Array.from(
			{ length: 5 },
			() => new TimeSequenceGenerator({ directory: markers, now: () => instant }),
		);
		const sequences = [
			...separate.map((g) => g.next({ environment: 'T' })),
			...Array.from({ length: 5 }, () => shared.next({ environment: 'T' })),
		];
		expect(new Set(sequences).size).toBe(10);
		for (const s of sequences) expect(validateSequence(s)).toEqual([]);

		const sets = sequences.map((sequence, i) => {
			const parts = 1 + (i % 3);
			const base = `DMFA.000123.${today}.${sequence}.T.${parts}`;
			// Each set's bytes say whose they are, and are random beyond that.
			const content = (kind: string, part: number) =>
				Buffer.concat([
					Buffer.from(`${kind}.${base}.${part}\n`),
					randomBytes(300_000 + i * 1000 + part),
				]);
			const files = new Map<string, Buffer>();
			for (let part = 1; part <= parts; part++) {
				files.set(`FI.${base}.${part}`, content('FI', part));
				files.set(`FS.${base}.${part}`, content('FS', part).subarray(0, 3000));
			}
			return { base, parts, files, go: `GO.${base}` };
		});
		const asSetFiles = (files: Map<string, Buffer>, kind: 'FI' | 'FS'): SetFile[] =>
			[...files]
				.filter(([name]) => name.startsWith(`${kind}.`))
				.map(([name, bytes]) => ({ name, size: bytes.length, open: () => Readable.from([bytes]) }));

		const outcomes = await Promise.all(
			sets.map(async (set) => {
				const channel = await world.open();
				try {
					return await settle(
						submitPlannedSet(
							channel,
							planSubmission(asSetFiles(set.files, 'FI'), asSetFiles(set.files, 'FS')),
						),
						30_000,
						ledger,
						`parallel ${set.base}`,
					);
				} finally {
					await channel.close();
				}
			}),
		);
		for (const outcome of outcomes) {
			expect(outcome.hung).toBe(false);
			expect(outcome.error).toBeUndefined();
		}

		const onServer = readdirSync(world.sandbox.pathOf(FOLDER));
		for (const set of sets) {
			const mine = onServer.filter((n) => n.includes(set.base)).sort();
			expect(mine).toEqual([...set.files.keys(), set.go].sort());
			for (const [name, bytes] of set.files) {
				const same = readFileSync(world.sandbox.pathOf(FOLDER, name)).equals(bytes);
				if (!same) {
					ledger.add('setsLost');
					ledger.note(`${name} does not hold its own content`);
				}
				expect(same).toBe(true);
			}
			expect(readFileSync(world.sandbox.pathOf(FOLDER, set.go)).length).toBe(0);
		}
		// Nothing else reached the folder: ten sets, their files and one GO each.
		expect(onServer.length).toBe(sets.reduce((n, s) => n + s.files.size + 1, 0));
		const gos = onServer.filter((n) => n.startsWith('GO.'));
		if (gos.length !== 10) ledger.add('duplicates', Math.abs(gos.length - 10));
		expect(gos).toHaveLength(10);

		await expectNoSessions(world.sandbox, ledger, 'parallel submissions');
		await expectHandlesBackTo(baseline, ledger, 'parallel submissions');
	});
});
