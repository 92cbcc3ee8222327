import { runBounded } from '../../../nodes/shared/boundedItems';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runBounded (the items of an execution several at a time)', () => {
	it('keeps the item order whatever finishes first, and never runs more than the limit', async () => {
		let running = 0;
		let most = 0;
		const outcomes = await runBounded(
			12,
			4,
			async (i) => {
				running += 1;
				most = Math.max(most, running);
				await tick((12 - i) * 2);
				running -= 1;
				return i * 10;
			},
			() => true,
		);
		expect(outcomes.map((o) => (o?.ok ? o.value : undefined))).toEqual(
			Array.from({ length: 12 }, (_, i) => i * 10),
		);
		expect(most).toBe(4);
	});

	it('after a failure that stops, starts nothing new but lets the running items finish', async () => {
		const started: number[] = [];
		const outcomes = await runBounded(
			10,
			3,
			async (i) => {
				started.push(i);
				await tick(i === 1 ? 1 : 20);
				if (i === 1) throw new Error('cut');
				return i;
			},
			() => true,
		);
		expect(outcomes[1]).toMatchObject({ ok: false });
		// 0 and 2 were running when 1 failed: they finish; 3 (started by 1's worker) never starts.
		expect(outcomes[0]).toEqual({ ok: true, value: 0 });
		expect(outcomes[2]).toEqual({ ok: true, value: 2 });
		expect(started.sort()).toEqual([0, 1, 2]);
		expect(outcomes.slice(3)).toEqual(Array(7).fill(undefined));
	});

	it('with continue on fail, every item gets its outcome', async () => {
		const outcomes = await runBounded(
			5,
			2,
			async (i) => {
				if (i % 2 === 0) throw new Error(`item ${i}`);
				return i;
			},
			() => false,
		);
		expect(outcomes.map((o) => o?.ok)).toEqual([false, true, false, true, false]);
	});
});
