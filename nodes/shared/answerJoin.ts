/**
 * Poll Responses lists the answers on the server, not one answer per input item. So that an answer can
 * still carry the fields of the export it is about (docs/items.md), each answer is joined to the input
 * item whose GO field (by default `submission.go`, where Submit puts it) names the set the answer is
 * about (`answersGo`): it comes out with that item's JSON beside it and paired to it. Any other answer
 * comes out alone, paired to the first input item, as a poll is one action per run.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

export const DEFAULT_GO_FIELD = 'submission.go';

/** The value at a dotted path of an item's JSON (`submission.go`), if it is a string. */
function stringAt(json: IDataObject, path: string): string | undefined {
	let current: unknown = json;
	for (const part of path.split('.')) {
		if (current === null || typeof current !== 'object') return undefined;
		current = (current as IDataObject)[part];
	}
	return typeof current === 'string' && current.trim() !== '' ? current.trim() : undefined;
}

export function joinAnswersToInputs(
	inputs: INodeExecutionData[],
	answers: INodeExecutionData[],
	goField: string,
): { items: INodeExecutionData[]; inputsWithoutAnswer: string[] } {
	const field = goField.trim();
	// The first input item with a GO wins: the same set twice in the input is one submission.
	const inputByGo = new Map<string, number>();
	if (field !== '') {
		inputs.forEach((input, index) => {
			const go = stringAt(input.json, field);
			if (go !== undefined && !inputByGo.has(go)) inputByGo.set(go, index);
		});
	}
	const answered = new Set<string>();
	const items = answers.map((answer) => {
		const go = (answer.json.answer as IDataObject | undefined)?.answersGo;
		const index = typeof go === 'string' ? inputByGo.get(go) : undefined;
		if (index === undefined) return { ...answer, pairedItem: { item: 0 } };
		answered.add(go as string);
		return {
			...answer,
			// The input's files stay behind: the item's binary is the answer's file.
			json: { ...inputs[index].json, ...answer.json },
			pairedItem: { item: index },
		};
	});
	const inputsWithoutAnswer = [...inputByGo.keys()].filter((go) => !answered.has(go));
	return { items, inputsWithoutAnswer };
}
