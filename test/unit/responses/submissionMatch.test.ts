import {
	findSubmission,
	indexSubmissions,
	setIdentity,
} from '../../../nodes/domain/responses/submissionMatch';
import { joinAnswersToInputs } from '../../../nodes/shared/answerJoin';

const SET = 'DMFA.000123.20260110.00002.T';
const GO = `GO.${SET}.1`;

describe('which submission an answer is about', () => {
	it('reads the set identity of any GO, FI, FS or TD name, not of other names', () => {
		for (const name of [GO, `FI.${SET}.1.1`, `FS.${SET}.3.2`, `TD.${SET}.1`])
			expect(setIdentity(name)).toBe(SET);
		expect(setIdentity('FO.ACRF.999999.20260110.00001.T')).toBeUndefined();
		expect(setIdentity(undefined)).toBeUndefined();
	});

	it('finds by GO first, else by the set named with another part count; the first of equals wins', () => {
		const index = indexSubmissions([undefined, 'GO.DMFA.000123.20260110.00001.T.1', GO, GO]);
		expect(findSubmission(index, { answersGo: GO })).toEqual({ position: 2, by: 'go' });
		// An ACRF naming a stray FI of a 3-part set beside the 1-part set that was sent.
		expect(
			findSubmission(index, { answersGo: `GO.${SET}.3`, answersFile: `FI.${SET}.3.1` }),
		).toEqual({ position: 2, by: 'set' });
		expect(findSubmission(index, { answersGo: 'GO.DMFA.000123.20260110.00009.T.1' })).toBe(
			undefined,
		);
		expect(findSubmission(index, {})).toBeUndefined();
	});

	it('joins in Poll: the ACRF naming the stray FI comes out beside the submission, with its real GO', () => {
		const submission = { json: { batchId: 'B-2', submission: { go: GO } } };
		const acrf = {
			json: {
				answer: {
					type: 'ACRF',
					answersFile: `FI.${SET}.3.1`,
					answersFi: `FI.${SET}.3.1`,
					answersGo: `GO.${SET}.3`,
				},
			},
		};
		const { items, inputsWithoutAnswer } = joinAnswersToInputs(
			[submission],
			[acrf],
			'submission.go',
		);
		expect(items[0].pairedItem).toEqual({ item: 0 });
		expect(items[0].json).toMatchObject({
			batchId: 'B-2',
			answer: { answersGo: GO, answersGoBy: 'set', answersFi: `FI.${SET}.3.1` },
		});
		expect(inputsWithoutAnswer).toEqual([]);
	});
});
