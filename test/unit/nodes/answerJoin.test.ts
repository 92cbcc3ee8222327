import { joinAnswersToInputs } from '../../../nodes/shared/answerJoin';

const GO = 'GO.DIMN.000123.20250115.00007.T.1';
const submission = { json: { batchId: 'B-7', submission: { go: GO } } };
const other = { json: { batchId: 'B-8', submission: { go: 'GO.DIMN.000123.20250115.00008.T.1' } } };
const acrf = { json: { answer: { type: 'ACRF', ticket: '03791AB3CD4EZ', answersGo: GO } } };
/** A NOTIFICATION without FileReference: no file name, only its ticket (HandledReference). */
const noti = {
	json: {
		answer: {
			type: 'NOTI',
			ticket: '03791AB3CD4EZ',
			noti: { references: [{ element: 'HandledReference', number: '03791AB3CD4EZ' }] },
		},
	},
};

describe('joinAnswersToInputs', () => {
	it('joins a NOTI without file name to its submission by the ticket of an ACRF of the same run', () => {
		const { items, inputsWithoutAnswer } = joinAnswersToInputs(
			[other, submission],
			[acrf, noti],
			'submission.go',
		);
		expect(items.map((i) => i.pairedItem)).toEqual([{ item: 1 }, { item: 1 }]);
		expect(items[1].json).toMatchObject({
			batchId: 'B-7',
			submission: { go: GO },
			answer: { type: 'NOTI', answersGo: GO, answersGoBy: 'ticket' },
		});
		expect(items[0].json.answer).not.toHaveProperty('answersGoBy');
		expect(inputsWithoutAnswer).toEqual(['GO.DIMN.000123.20250115.00008.T.1']);
	});

	it('joins it by the ticket of an earlier answer held by an input item', () => {
		const kept = { json: { ...submission.json, answer: acrf.json.answer } };
		const { items } = joinAnswersToInputs([kept], [noti], 'submission.go');
		expect(items[0].pairedItem).toEqual({ item: 0 });
		expect(items[0].json).toMatchObject({ batchId: 'B-7', answer: { answersGo: GO } });
	});

	it('matches any reference number of the NOTI, and leaves an unknown ticket alone', () => {
		const byReference = {
			json: {
				answer: {
					type: 'NOTI',
					noti: { references: [{ element: 'HandledReference', number: '03791AB3CD4EZ' }] },
				},
			},
		};
		expect(
			joinAnswersToInputs([submission], [acrf, byReference], 'submission.go').items[1].pairedItem,
		).toEqual({ item: 0 });
		const stranger = { json: { answer: { type: 'NOTI', ticket: 'UNKNOWN' } } };
		const { items } = joinAnswersToInputs([submission], [stranger], 'submission.go');
		expect(items[0]).toEqual({ ...stranger, pairedItem: { item: 0 } });
	});
});
