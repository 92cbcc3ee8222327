/** Runs the operation each item is set to, item by item, with the package's one error path. */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { ChannelSession } from '../../shared/channelSession';
import { forEachItem, operationFor } from '../../shared/router';
import * as sign from './sign.operation';
import * as verify from './verify.operation';

const operations = { sign, verify };

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	// The credential and its certificate are read once, for the items that sign.
	const session = new ChannelSession(this);
	const output = await forEachItem(this, async (itemIndex) => {
		const operation = this.getNodeParameter('operation', itemIndex);
		const { execute } = operationFor(this.getNode(), operations, operation);
		return await execute.call(this, itemIndex, session);
	});
	return [output];
}
