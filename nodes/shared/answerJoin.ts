/**
 * Poll Responses lists the answers on the server, not one answer per input item. So that an answer can
 * still carry the fields of the export it is about (docs/items.md), each answer is joined to the input
 * item whose GO field (by default `submission.go`, where Submit puts it) names the set the answer is
 * about (`answersGo`): it comes out with that item's JSON beside it and paired to it. Any other answer
 * comes out alone, paired to the first input item, as a poll is one action per run.
 *
 * An answer that names no file (a NOTIFICATION may have no FileReference: shared/docs/answers.md) is
 * linked by its ticket: an ACRF of the same run, or an input item that holds an earlier answer
 * (`answer.ticket` with `answer.answersGo`), tells which GO the ticket belongs to. Such an answer gets
 * that GO as `answersGo`, with `answersGoBy: 'ticket'` (docs/answers.md).
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { findSubmission, indexSubmissions } from '../domain/responses/submissionMatch';

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
	// Which GO a ticket belongs to: from input items that hold an earlier answer, then this run's answers.
	const goByTicket = new Map<string, string>();
	for (const json of [...inputs.map((i) => i.json), ...answers.map((a) => a.json)]) {
		const ticket = stringAt(json, 'answer.ticket');
		const go = stringAt(json, 'answer.answersGo');
		if (ticket !== undefined && go !== undefined && !goByTicket.has(ticket))
			goByTicket.set(ticket, go);
	}
	// By GO, else by the set's identity (a stray FI of another part count): submissionMatch.ts.
	const submissions = indexSubmissions(
		inputs.map((input) => (field !== '' ? stringAt(input.json, field) : undefined)),
	);
	const answered = new Set<string>();
	const items = answers.map((original) => {
		let answer = original;
		const summary = answer.json.answer as IDataObject | undefined;
		let go = typeof summary?.answersGo === 'string' ? summary.answersGo : undefined;
		if (go === undefined && summary !== undefined) {
			const byTicket = ticketsOf(summary)
				.map((t) => goByTicket.get(t))
				.find((g) => g !== undefined);
			if (byTicket !== undefined) {
				go = byTicket;
				answer = {
					...answer,
					json: { ...answer.json, answer: { ...summary, answersGo: go, answersGoBy: 'ticket' } },
				};
			}
		}
		const file = typeof summary?.answersFile === 'string' ? summary.answersFile : undefined;
		const match = findSubmission(submissions, { answersGo: go, answersFile: file });
		if (match === undefined) return { ...answer, pairedItem: { item: 0 } };
		const index = match.position;
		const submissionGo = stringAt(inputs[index].json, field) as string;
		answered.add(submissionGo);
		if (match.by === 'set') {
			const joined = { ...(answer.json.answer as IDataObject), answersGo: submissionGo };
			answer = { ...answer, json: { ...answer.json, answer: { ...joined, answersGoBy: 'set' } } };
		}
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

/** The ticket of an answer and, for a NOTIFICATION, every reference number it gives. */
function ticketsOf(answer: IDataObject): string[] {
	const tickets: string[] = [];
	if (typeof answer.ticket === 'string' && answer.ticket !== '') tickets.push(answer.ticket);
	const references = (answer.noti as IDataObject | undefined)?.references;
	if (Array.isArray(references)) {
		for (const reference of references) {
			const number = (reference as IDataObject | null)?.number;
			if (typeof number === 'string' && number !== '') tickets.push(number);
		}
	}
	return tickets;
}
