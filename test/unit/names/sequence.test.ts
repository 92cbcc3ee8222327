import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import {
	MAX_DAILY_COUNTER,
	MAX_SEQUENCE_VALUE,
	SEQUENCE_DIR_ENV,
	SequenceStore,
	TimeSequenceGenerator,
	allocateDailyCounter,
	brusselsMidnight,
	decodeSequence,
	defaultSequenceDirectory,
	encodeSequence,
	fixedSequence,
	nextDailyCounter,
	recordFixedSequence,
	resolveCreationDate,
	sharedTimeSequenceGenerator,
	timeSlot,
} from '../../../nodes/domain/names/sequence';
import { validateSequence } from '../../../nodes/domain/names/fileNames';
import { brusselsClock, brusselsToday } from '../../../nodes/domain/names/brusselsTime';
import { SocialSecurityError } from '../../../nodes/domain/errors';
import { runGatedChildren } from '../../helpers/gatedChildren';

const SEQUENCE_MODULE = resolve(__dirname, '../../../nodes/domain/names/sequence.ts');

let scratch: string;
beforeAll(() => {
	scratch = mkdtempSync(join(tmpdir(), 'sequence-test-'));
});
afterAll(() => {
	rmSync(scratch, { recursive: true, force: true });
});
let folderCount = 0;
const freshFolder = () => join(scratch, `store-${++folderCount}`);

/** The error a function throws, for checking its code, message and hint. */
function thrown(fn: () => unknown): SocialSecurityError {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(SocialSecurityError);
		return error as SocialSecurityError;
	}
	throw new Error('expected an error');
}

const at = (iso: string) => () => new Date(iso);
const isValidSequence = (s: string) => validateSequence(s).length === 0;

describe('base-36 encoding', () => {
	it.each([
		[1, '00001'],
		[35, '0000Z'],
		[36, '00010'],
		[8_640_000, '556O0'],
		[MAX_SEQUENCE_VALUE, 'ZZZZZ'],
	])('%d ⇄ %s', (value, text) => {
		expect(encodeSequence(value)).toBe(text);
		expect(decodeSequence(text)).toBe(value);
	});

	it('can hold every centisecond of a day, even the 25-hour day when summer time ends', () => {
		expect(MAX_SEQUENCE_VALUE).toBeGreaterThan(25 * 3600 * 100);
	});

	it.each([0, -1, 1.5, MAX_SEQUENCE_VALUE + 1, Number.NaN])(
		'refuses to encode %d (00000 and beyond ZZZZZ do not exist)',
		(value) => {
			expect(thrown(() => encodeSequence(value)).code).toBe('SEQUENCE_OUT_OF_RANGE');
		},
	);

	it.each(['0000a', '0001', '000001', '00_01'])('refuses to decode %j', (text) => {
		expect(thrown(() => decodeSequence(text)).code).toBe('SEQUENCE_INVALID');
	});
});

describe('fixed sequence', () => {
	it.each([
		['00001', '00001'],
		['A1B2C', 'A1B2C'],
		['ZZZZZ', 'ZZZZZ'],
		[' 00042\n', '00042'],
	])('accepts %j as %s', (input, expected) => {
		expect(fixedSequence(input)).toBe(expected);
	});

	it.each([
		['0000a', 'ACRF-367', 'lower case is refused, not upper-cased'],
		['abcde', 'ACRF-367', 'lower case'],
		['1', 'ACRF-112', 'too short is refused, not padded'],
		[1, 'ACRF-112', 'a number from an expression'],
		['000001', 'ACRF-112', 'too long'],
		['00_01', 'ACRF-113', 'not alphanumeric'],
		['0000É', 'ACRF-113', 'accent'],
		['00000', 'ACRF-127', 'zero'],
	] as Array<[unknown, string, string]>)('refuses %j with %s (%s)', (input, acrf) => {
		const error = thrown(() => fixedSequence(input));
		expect(error.code).toBe('SEQUENCE_INVALID');
		expect(error.message).toContain(acrf);
		expect(error.hint).toMatch(/5 characters/);
	});

	it.each([undefined, null, '', '   ', {}])('asks for a value when given %j', (input) => {
		expect(thrown(() => fixedSequence(input)).code).toBe('SEQUENCE_MISSING');
	});
});

describe('creation date', () => {
	const now = new Date('2026-01-15T10:00:00Z');

	it.each([
		[undefined, '20260115'],
		[null, '20260115'],
		['', '20260115'],
		['  ', '20260115'],
		['20260110', '20260110'],
		[20260110, '20260110'],
		['2026-01-10', '20260110'],
		['2026-01-10T23:30:00', '20260110'],
		['2026-01-10T23:30:00Z', '20260111'],
		['2026-01-10T23:30:00.000+01:00', '20260110'],
		['2026-06-30T22:30:00Z', '20260701'],
		['2026-06-30 21:30:00+0000', '20260630'],
		[new Date('2025-12-31T23:30:00Z'), '20260101'],
		[{ toJSDate: () => new Date('2026-03-28T23:30:00Z') }, '20260329'],
	])('%j → %s (Brussels calendar day)', (input, expected) => {
		expect(resolveCreationDate(input, now)).toBe(expected);
	});

	it('passes 8 digits through so that the name rules report the exact ACRF code', () => {
		expect(resolveCreationDate('20260230', now)).toBe('20260230');
	});

	it.each(['yesterday', '15/01/2026', '2026-1-5', 'T10:00', true, {}, new Date('invalid'), 123])(
		'refuses %j',
		(input) => {
			const error = thrown(() => resolveCreationDate(input, now));
			expect(error.code).toBe('CREATION_DATE_INVALID');
			expect(error.hint).toMatch(/YYYYMMDD/);
		},
	);
});

describe('Brussels midnight and the time slot', () => {
	it.each([
		['20260115', '2026-01-14T23:00:00.000Z'],
		['20260701', '2026-06-30T22:00:00.000Z'],
		['20260329', '2026-03-28T23:00:00.000Z'],
		['20260330', '2026-03-29T22:00:00.000Z'],
		['20261025', '2026-10-24T22:00:00.000Z'],
		['20261026', '2026-10-25T23:00:00.000Z'],
	])('%s starts at %s', (date, iso) => {
		expect(new Date(brusselsMidnight(date)).toISOString()).toBe(iso);
	});

	it('gives slot 1 (00001) in the first centisecond of the day, never 0', () => {
		expect(timeSlot('20260115', new Date('2026-01-14T23:00:00.000Z'))).toBe(1);
		expect(timeSlot('20260115', new Date('2026-01-14T23:00:00.009Z'))).toBe(1);
		expect(timeSlot('20260115', new Date('2026-01-14T23:00:00.010Z'))).toBe(2);
		expect(timeSlot('20260115', new Date('2026-01-15T09:00:00.000Z'))).toBe(10 * 360_000 + 1);
	});
});

describe('automatic (time-based) sequence', () => {
	it('is the Brussels time of day in centiseconds, in base 36', () => {
		const generator = new TimeSequenceGenerator({
			now: at('2026-01-15T09:00:00.000Z'),
			directory: false,
		});
		expect(generator.next({ environment: 'T' })).toBe(encodeSequence(10 * 360_000 + 1));
	});

	it('gives 00001 at midnight in Brussels and never 00000', () => {
		const generator = new TimeSequenceGenerator({
			now: at('2026-01-14T23:00:00.000Z'),
			directory: false,
		});
		const values = Array.from({ length: 5 }, () => generator.next({ environment: 'R' }));
		expect(values).toEqual(['00001', '00002', '00003', '00004', '00005']);
	});

	it('borrows the next slot when called twice in the same centisecond (per-process guard)', () => {
		const generator = new TimeSequenceGenerator({
			now: at('2026-01-15T09:00:00.000Z'),
			directory: false,
		});
		const first = generator.next({ environment: 'T' });
		const second = generator.next({ environment: 'T' });
		expect(decodeSequence(second)).toBe(decodeSequence(first) + 1);
	});

	it('never goes back when the clock does', () => {
		let now = new Date('2026-01-15T09:00:00.000Z');
		const generator = new TimeSequenceGenerator({ now: () => now, directory: false });
		const first = generator.next({ environment: 'T' });
		now = new Date('2026-01-15T08:59:00.000Z');
		expect(decodeSequence(generator.next({ environment: 'T' }))).toBe(decodeSequence(first) + 1);
	});

	it('keeps environments and creation dates apart (uniqueness is per date and environment)', () => {
		const generator = new TimeSequenceGenerator({
			now: at('2026-01-15T09:00:00.000Z'),
			directory: false,
		});
		const t = generator.next({ environment: 'T' });
		expect(generator.next({ environment: 'R' })).toBe(t);
		expect(generator.next({ environment: 'S' })).toBe(t);
	});

	it('gives distinct valid names for 10 000 calls made as fast as possible, with the marker folder', () => {
		const generator = new TimeSequenceGenerator({ directory: freshFolder() });
		const values = Array.from({ length: 10_000 }, () => generator.next({ environment: 'T' }));
		expect(new Set(values).size).toBe(10_000);
		expect(values.every(isValidSequence)).toBe(true);
		const numbers = values.map(decodeSequence);
		expect(numbers.every((n, i) => i === 0 || n > numbers[i - 1])).toBe(true);
	});

	it('gives distinct valid names for 10 000 calls without the marker folder too', () => {
		const generator = new TimeSequenceGenerator({ directory: false });
		const values = Array.from({ length: 10_000 }, () => generator.next({ environment: 'S' }));
		expect(new Set(values).size).toBe(10_000);
		expect(values.every(isValidSequence)).toBe(true);
	});

	it('claims each value with a marker file <dir>/<YYYYMMDD>/<ENV>/<SEQ>', () => {
		const folder = freshFolder();
		const generator = new TimeSequenceGenerator({
			now: at('2026-01-15T09:00:00.000Z'),
			directory: folder,
		});
		const sequence = generator.next({ environment: 'R' });
		const marker = join(folder, '20260115', 'R', sequence);
		expect(existsSync(marker)).toBe(true);
		expect(readFileSync(marker, 'utf8')).toMatch(new RegExp(`pid=${process.pid}`));
	});

	it('skips values another process holds (two generators, same clock, same folder)', () => {
		const folder = freshFolder();
		const clock = at('2026-01-15T09:00:00.000Z');
		const a = new TimeSequenceGenerator({ now: clock, directory: folder });
		const b = new TimeSequenceGenerator({ now: clock, directory: folder });
		const values: string[] = [];
		for (let i = 0; i < 500; i++)
			values.push(a.next({ environment: 'T' }), b.next({ environment: 'T' }));
		expect(new Set(values).size).toBe(1000);
		expect(readdirSync(join(folder, '20260115', 'T'))).toHaveLength(1000);
	});

	it('gives distinct names from two processes at once (10 000 each)', async () => {
		const folder = freshFolder();
		// Each child loads the module, says "ready" and waits for "go", so both generate at the same moment.
		const script = `
			const { TimeSequenceGenerator } = require(${JSON.stringify(SEQUENCE_MODULE)});
			const generator = new TimeSequenceGenerator({ directory: ${JSON.stringify(folder)} });
			process.stdout.write('ready\\n');
			process.stdin.once('data', () => {
				const started = Date.now();
				const values = [];
				for (let i = 0; i < 10000; i++) values.push(generator.next({ environment: 'T' }));
				process.stdout.write(JSON.stringify({ values, started, ms: Date.now() - started }));
				process.exit(0);
			});
		`;
		interface ChildResult {
			values: string[];
			started: number;
			ms: number;
		}
		const [one, two] = await runGatedChildren<ChildResult>(2, script);
		// They really ran at the same time.
		expect(Math.abs(one.started - two.started)).toBeLessThan(Math.min(one.ms, two.ms));
		expect(new Set(one.values).size).toBe(10_000);
		expect(new Set(two.values).size).toBe(10_000);
		const union = new Set([...one.values, ...two.values]);
		expect(union.size).toBe(20_000);
		expect([...union].every(isValidSequence)).toBe(true);
		const markers = readdirSync(folder).flatMap((date) => readdirSync(join(folder, date, 'T')));
		expect(markers).toHaveLength(20_000);
		expect(readdirSync(folder)).toContain(brusselsToday());
	}, 120_000);

	it('makes the repeated hour at the end of summer time give new values (real elapsed time, not wall time)', () => {
		// 00:30Z and 01:30Z on 25 October 2026 are both 02:30 on the Brussels wall clock.
		const before = new TimeSequenceGenerator({
			now: at('2026-10-25T00:30:00.000Z'),
			directory: false,
		});
		const after = new TimeSequenceGenerator({
			now: at('2026-10-25T01:30:00.000Z'),
			directory: false,
		});
		expect(brusselsClock(new Date('2026-10-25T00:30:00.000Z')).hour).toBe(
			brusselsClock(new Date('2026-10-25T01:30:00.000Z')).hour,
		);
		const first = decodeSequence(before.next({ environment: 'T' }));
		const second = decodeSequence(after.next({ environment: 'T' }));
		expect(second - first).toBe(360_000);
		// The last centisecond of that 25-hour day still fits in 5 characters.
		const end = new TimeSequenceGenerator({
			now: at('2026-10-25T22:59:59.990Z'),
			directory: false,
		});
		expect(decodeSequence(end.next({ environment: 'T' }))).toBe(25 * 360_000);
	});

	it('starts again at the next Brussels day (23:59:59.99 → 00:00:00.01)', () => {
		let now = new Date('2026-01-15T22:59:59.990Z');
		const generator = new TimeSequenceGenerator({ now: () => now, directory: false });
		expect(generator.next({ environment: 'T' })).toBe(encodeSequence(24 * 360_000));
		now = new Date('2026-01-15T23:00:00.010Z');
		expect(generator.next({ environment: 'T' })).toBe('00002');
		// A set still dated the 15th, made on the 16th, gets a value no moment of the 15th could give.
		expect(decodeSequence(generator.next({ environment: 'T', date: '20260115' }))).toBeGreaterThan(
			24 * 360_000,
		);
	});

	it('works for creation dates up to 6 days back and says what to do beyond', () => {
		// 36^5 centiseconds = 6 days 23 h 57 min 41.76 s after the start of the creation date.
		const generator = new TimeSequenceGenerator({
			now: at('2026-01-15T22:57:41.000Z'),
			directory: false,
		});
		expect(decodeSequence(generator.next({ environment: 'T', date: '20260109' }))).toBeGreaterThan(
			MAX_SEQUENCE_VALUE - 100,
		);
		const late = new TimeSequenceGenerator({
			now: at('2026-01-15T22:57:42.000Z'),
			directory: false,
		});
		expect(thrown(() => late.next({ environment: 'T', date: '20260109' })).code).toBe(
			'SEQUENCE_DATE_TOO_OLD',
		);
		const error = thrown(() => generator.next({ environment: 'T', date: '20260108' }));
		expect(error.code).toBe('SEQUENCE_DATE_TOO_OLD');
		expect(error.hint).toMatch(/daily counter or a fixed sequence/);
	});

	it('refuses a creation date in the future and invalid input', () => {
		const generator = new TimeSequenceGenerator({
			now: at('2026-01-15T09:00:00.000Z'),
			directory: false,
		});
		expect(thrown(() => generator.next({ environment: 'T', date: '20260116' })).message).toMatch(
			/future.*ACRF-111/,
		);
		expect(thrown(() => generator.next({ environment: 'T', date: '20260230' })).code).toBe(
			'CREATION_DATE_INVALID',
		);
		expect(thrown(() => generator.next({ environment: 'X' as 'T' })).code).toBe(
			'ENVIRONMENT_INVALID',
		);
	});

	it('stays above a sequence already used (after), and says when the day is exhausted', () => {
		const generator = new TimeSequenceGenerator({
			now: at('2026-01-15T09:00:00.000Z'),
			directory: false,
		});
		expect(generator.next({ environment: 'T', after: 'A0000' })).toBe('A0001');
		expect(generator.next({ environment: 'T', after: 'ZZZZY' })).toBe('ZZZZZ');
		const error = thrown(() => generator.next({ environment: 'T' }));
		expect(error.code).toBe('SEQUENCE_EXHAUSTED');
		expect(error.message).toMatch(/20260115.*environment T/);
	});

	it('prunes marker folders of dates more than 62 days old, and nothing else', () => {
		const folder = freshFolder();
		for (const old of ['20251101', '20251113', '20251114', '20260110'])
			mkdirSync(join(folder, old, 'T'), { recursive: true });
		writeFileSync(join(folder, 'README'), 'not a date');
		new TimeSequenceGenerator({ now: at('2026-01-15T09:00:00.000Z'), directory: folder }).next({
			environment: 'T',
		});
		expect(readdirSync(folder).sort()).toEqual(['20251114', '20260110', '20260115', 'README']);
	});

	it('says clearly when the marker folder cannot be written', () => {
		const file = join(scratch, 'a-file');
		writeFileSync(file, '');
		const generator = new TimeSequenceGenerator({
			now: at('2026-01-15T09:00:00.000Z'),
			directory: join(file, 'sub'),
		});
		const error = thrown(() => generator.next({ environment: 'T' }));
		expect(error.code).toBe('SEQUENCE_STORE_UNAVAILABLE');
		expect(error.hint).toContain(SEQUENCE_DIR_ENV);
	});

	it('recreates a folder another worker pruned in the meantime', () => {
		const folder = freshFolder();
		const store = new SequenceStore(folder);
		expect(store.claim('20260115', 'T', '00001')).toBe(true);
		rmSync(join(folder, '20260115'), { recursive: true });
		expect(store.claim('20260115', 'T', '00002')).toBe(true);
		expect(store.claim('20260115', 'T', '00002')).toBe(false);
	});

	it('never builds a path from anything but a date, R/T/S and 0-9A-Z', () => {
		const store = new SequenceStore(freshFolder());
		expect(thrown(() => store.claim('../../x', 'T', '00001')).code).toBe('SEQUENCE_INVALID');
		expect(thrown(() => store.claim('20260115', '..' as 'T', '00001')).code).toBe(
			'SEQUENCE_INVALID',
		);
		expect(thrown(() => store.claim('20260115', 'T', '../00')).code).toBe('SEQUENCE_INVALID');
	});

	it("takes the marker folder from SOCIALSECURITY_SEQUENCE_DIR, else beside n8n's own data (never the temp folder)", () => {
		expect(defaultSequenceDirectory({ [SEQUENCE_DIR_ENV]: '/shared/volume/seq' })).toBe(
			'/shared/volume/seq',
		);
		expect(defaultSequenceDirectory({ N8N_USER_FOLDER: '/data' })).toBe(
			'/data/.n8n/socialsecurity-sequences',
		);
		expect(defaultSequenceDirectory({ [SEQUENCE_DIR_ENV]: '  ' })).toBe(
			join(homedir(), '.n8n', 'socialsecurity-sequences'),
		);
		expect(defaultSequenceDirectory({}).startsWith(tmpdir())).toBe(false);
	});

	it('shares one generator per folder in a process', () => {
		const folder = freshFolder();
		expect(sharedTimeSequenceGenerator(folder)).toBe(sharedTimeSequenceGenerator(`${folder}/`));
		expect(sharedTimeSequenceGenerator(folder)).not.toBe(
			sharedTimeSequenceGenerator(freshFolder()),
		);
	});
});

describe('daily counter', () => {
	it('counts 00001, 00002, … per creation date and environment', () => {
		let state: unknown;
		const take = (date: string, env: 'R' | 'T' | 'S') => {
			const result = nextDailyCounter(state, date, env);
			state = result.state;
			return result.sequence;
		};
		expect(take('20260115', 'T')).toBe('00001');
		expect(take('20260115', 'T')).toBe('00002');
		expect(take('20260115', 'R')).toBe('00001');
		expect(take('20260115', 'T')).toBe('00003');
		expect(take('20260116', 'T')).toBe('00001');
		expect(take('20260115', 'T')).toBe('00004'); // a back-dated set continues its own day
		expect(state).toEqual({ days: { '20260115': { T: 4, R: 1 }, '20260116': { T: 1 } } });
	});

	it('is decimal: 00009 is followed by 00010, not 0000A', () => {
		expect(nextDailyCounter({ days: { '20260115': { T: 9 } } }, '20260115', 'T').sequence).toBe(
			'00010',
		);
		expect(
			nextDailyCounter({ days: { '20260115': { T: 99_998 } } }, '20260115', 'T').sequence,
		).toBe('99999');
	});

	it('says clearly when the day is exhausted', () => {
		const error = thrown(() =>
			nextDailyCounter({ days: { '20260115': { T: MAX_DAILY_COUNTER } } }, '20260115', 'T'),
		);
		expect(error.code).toBe('COUNTER_EXHAUSTED');
		expect(error.hint).toMatch(/automatic/);
	});

	it('does not change the state it is given', () => {
		const state = { days: { '20260115': { T: 1 } } };
		nextDailyCounter(state, '20260115', 'T');
		nextDailyCounter(state, '20260116', 'T');
		expect(state).toEqual({ days: { '20260115': { T: 1 } } });
	});

	it.each([
		undefined,
		null,
		'garbage',
		42,
		{ days: 'x' },
		{ days: { nonsense: { T: 5 } } },
		{ days: { '20260115': { T: 'x' } } },
		{ days: { '20260115': { T: -3 } } },
	])('treats malformed state %j as empty (00001)', (state) => {
		expect(nextDailyCounter(state, '20260115', 'T').sequence).toBe('00001');
	});

	it('forgets dates more than two months older than the newest', () => {
		const { state } = nextDailyCounter(
			{ days: { '20251101': { T: 7 }, '20251120': { R: 2 } } },
			'20260115',
			'T',
		);
		expect(Object.keys(state.days).sort()).toEqual(['20251120', '20260115']);
	});

	it('refuses an invalid date or environment', () => {
		expect(thrown(() => nextDailyCounter(undefined, '2026-01-15', 'T')).code).toBe(
			'CREATION_DATE_INVALID',
		);
		expect(thrown(() => nextDailyCounter(undefined, '20260115', 'Q' as 'T')).code).toBe(
			'ENVIRONMENT_INVALID',
		);
	});

	/** One run of the counter at a moment: the creation date is that moment's day in Brussels. */
	function runAt(state: unknown, iso: string) {
		const date = brusselsToday(new Date(iso));
		return { date, ...nextDailyCounter(state, date, 'T') };
	}

	it.each([
		[
			'winter midnight',
			'2026-01-15T22:59:59.900Z',
			'2026-01-15T23:00:00.100Z',
			'20260115',
			'20260116',
		],
		[
			'the night summer time starts (29 March 2026, still UTC+1 at midnight)',
			'2026-03-28T22:59:59.900Z',
			'2026-03-28T23:00:00.100Z',
			'20260328',
			'20260329',
		],
		[
			'the first midnight of summer time (UTC+2)',
			'2026-03-29T21:59:59.900Z',
			'2026-03-29T22:00:00.100Z',
			'20260329',
			'20260330',
		],
		[
			'the night summer time ends (25 October 2026, still UTC+2 at midnight)',
			'2026-10-24T21:59:59.900Z',
			'2026-10-24T22:00:00.100Z',
			'20261024',
			'20261025',
		],
		[
			'the first midnight of winter time (UTC+1)',
			'2026-10-25T22:59:59.900Z',
			'2026-10-25T23:00:00.100Z',
			'20261025',
			'20261026',
		],
	])(
		'restarts at 00001 at the next Brussels day: %s',
		(_label, before, after, dayBefore, dayAfter) => {
			let state: unknown;
			for (const expected of ['00001', '00002', '00003']) {
				const run = runAt(state, before);
				expect([run.date, run.sequence]).toEqual([dayBefore, expected]);
				state = run.state;
			}
			const next = runAt(state, after);
			expect([next.date, next.sequence]).toEqual([dayAfter, '00001']);
		},
	);

	it.each([
		// UTC day and Brussels day differ around midnight: the Brussels one decides.
		['2026-03-28T23:30:00Z', '20260329'],
		['2026-03-29T22:30:00Z', '20260330'],
		['2026-10-25T22:30:00Z', '20261025'],
		['2026-10-25T23:30:00Z', '20261026'],
		['2026-10-25T00:30:00Z', '20261025'],
		['2026-10-25T01:30:00Z', '20261025'],
	])('at %s counts on the Brussels day %s', (iso, day) => {
		const run = runAt({ days: { [iso.slice(0, 10).replace(/-/g, '')]: { T: 41 } } }, iso);
		expect(run.date).toBe(day);
		expect(run.sequence).toBe(day === iso.slice(0, 10).replace(/-/g, '') ? '00042' : '00001');
	});

	it('never gives 00000 and always a valid sequence', () => {
		let state: unknown;
		for (let i = 0; i < 2000; i++) {
			const result = nextDailyCounter(state, '20260115', 'S');
			expect(result.sequence).not.toBe('00000');
			expect(isValidSequence(result.sequence)).toBe(true);
			state = result.state;
		}
	});

	it('skips values already claimed on this machine (automatic mode, another workflow, an unsaved manual run)', () => {
		const store = new SequenceStore(freshFolder());
		expect(store.claim('20260115', 'T', '00002')).toBe(true); // e.g. the automatic mode at 00:00:00.01
		const first = allocateDailyCounter(undefined, '20260115', 'T', store);
		expect(first.sequence).toBe('00001');
		const second = allocateDailyCounter(first.state, '20260115', 'T', store);
		expect(second.sequence).toBe('00003');
		// A manual run: n8n did not save the state, so the counter starts from nothing again.
		expect(allocateDailyCounter(undefined, '20260115', 'T', store).sequence).toBe('00004');
		// Without a store it is the pure counter.
		expect(allocateDailyCounter(undefined, '20260115', 'T').sequence).toBe('00001');
	});

	it('records fixed values so the other modes skip them', () => {
		const store = new SequenceStore(freshFolder());
		expect(recordFixedSequence(store, '20260115', 'R', '00001')).toBe(true);
		expect(recordFixedSequence(store, '20260115', 'R', '00001')).toBe(false);
		expect(allocateDailyCounter(undefined, '20260115', 'R', store).sequence).toBe('00002');
	});
});
