/** Delete Answer: clear one answer per item, once a workflow has kept it elsewhere. */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { deleteAnswer } from '../../domain/responses/deleteAnswer';
import type { ChannelSession } from '../../shared/channelSession';
import { resultItem } from '../../shared/itemResult';
import { forEachItem } from '../../shared/router';

/** Item by item; the items go to the first output, the summary output stays empty. */
export async function execute(
	this: IExecuteFunctions,
	session: ChannelSession,
): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const output = await forEachItem(this, async (itemIndex) => {
		const answerId = String(this.getNodeParameter('answerId', itemIndex, '')).trim();
		const answer = items[itemIndex].json.answer as IDataObject | undefined;
		const folder = typeof answer?.folder === 'string' ? answer.folder : undefined;
		const result = await deleteAnswer(await session.open(), answerId, folder);
		return resultItem(items[itemIndex], itemIndex, 'deletion', {
			answerId,
			deletedFromServer: result.deleted.length > 0,
			deletedFiles: result.deleted,
		});
	});
	return [output, []];
}

const properties: INodeProperties[] = [
	{
		displayName: 'Answer ID',
		name: 'answerId',
		type: 'string',
		default: '={{ $json.answer.answerId }}',
		placeholder: 'ACRF.999999.20260110.00042.T',
		description: 'The answer.answerId of an item that Collect Answers produced',
	},
];

export const description = updateDisplayOptions({ show: { operation: ['delete'] } }, properties);
