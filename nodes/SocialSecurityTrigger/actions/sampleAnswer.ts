/**
 * What the trigger shows in a manual test run when no answer is waiting, so fields can still be mapped:
 * `answer` has the shape of a real one. Clearly marked as an example: it comes from no server.
 */
export const SAMPLE_ANSWER_JSON = {
	sample: true,
	note: 'No answer is waiting on the server now. This is an example of what an answer item looks like; it comes from no server.',
	answer: {
		type: 'ACRF',
		status: 'rejected',
		environment: 'T',
		folder: 'OUTTEST',
		answerName: 'FO.ACRF.999999.20260110.00012.T',
		answerId: 'ACRF.999999.20260110.00012.T',
		date: '20260110',
		ticket: '03804KY2Q8W1Z',
		answersFile: 'GO.DMFA.012345.20260110.00002.T.1',
		answersGo: 'GO.DMFA.012345.20260110.00002.T.1',
		answersFileKind: 'GO',
		final: true,
		errors: [
			{
				code: 'ACRF-125',
				meaning:
					'The signature (FS) does not match the declaration (FI), or is not a valid signature.',
				known: true,
			},
		],
		anomalies: [],
		format: 'xml',
		deletedFromServer: false,
	},
};
