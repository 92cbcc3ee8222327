/** Collect Answers: every complete answer taken from the answer folders, read, stored, then deleted. */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { collectAnswerItems } from '../../shared/answerItems';
import { DEFAULT_GO_FIELD, joinAnswersToInputs } from '../../shared/answerJoin';
import { AnswerOptions, answerQueryFrom } from '../../shared/answerQuery';
import { answerQueryProperties } from '../../shared/answerQueryProperties';
import type { ChannelSession } from '../../shared/channelSession';
import { errorItem } from '../../shared/itemResult';
import { toNodeError } from '../../shared/nodeErrors';

/** The shared answer options and Poll's own (joinOption below). */
interface CollectOptions extends AnswerOptions {
	inputGoField?: string;
}

/** Polling is one action per execution, not per item: the first item's parameters decide. */
export async function execute(
	this: IExecuteFunctions,
	session: ChannelSession,
): Promise<INodeExecutionData[][]> {
	const options = this.getNodeParameter('options', 0, {}) as CollectOptions;
	const environments = this.getNodeParameter('environments', 0);
	const query = answerQueryFrom(environments, options, this.getMode() === 'manual');
	try {
		const collected = await collectAnswerItems(this, session, query);
		const { items, inputsWithoutAnswer } = joinAnswersToInputs(
			this.getInputData(),
			collected.items,
			options.inputGoField ?? DEFAULT_GO_FIELD,
		);
		// One summary per run: it describes the run, not an input item, so it carries no input fields.
		const summary: IDataObject = { ...collected.summary, inputsWithoutAnswer };
		return [items, [{ json: { summary }, pairedItem: { item: 0 } }]];
	} catch (error) {
		// A failed run has no summary: its one item on the Summary output says why.
		if (this.continueOnFail()) return [[], [errorItem(this.getNode(), undefined, error, 0)]];
		throw toNodeError(this.getNode(), error, 0);
	}
}

/** How answers find the input item they are about (docs/items.md). */
const joinOption: INodeProperties = {
	displayName: 'Input Field With the GO Name',
	name: 'inputGoField',
	type: 'string',
	default: DEFAULT_GO_FIELD,
	description:
		'The field of the input items that holds the GO name of a set that was sent (Submit to Social Security puts it in submission.go). An answer about that set comes out with that item’s fields beside it; any other answer comes out alone. Empty: no answer takes input fields.',
};

/** The shared answer parameters, with Poll's own options added in alphabetical order. */
const properties: INodeProperties[] = answerQueryProperties.map((property) =>
	property.name === 'options'
		? {
				...property,
				options: [...((property.options ?? []) as INodeProperties[]), joinOption].sort((a, b) =>
					a.displayName.localeCompare(b.displayName),
				),
			}
		: property,
);

export const description = updateDisplayOptions({ show: { operation: ['collect'] } }, properties);
