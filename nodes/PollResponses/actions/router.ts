/**
 * Runs the operation of the first item (collecting is one action per execution) over one connection,
 * closed at the end whatever happens.
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { ChannelSession } from '../../shared/channelSession';
import { operationFor } from '../../shared/router';
import * as collect from './collect.operation';
import * as deleteOperation from './delete.operation';

const operations = { collect, delete: deleteOperation };

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const name = this.getNodeParameter('operation', 0, 'collect');
	const operation = operationFor(this.getNode(), operations, name);
	const session = new ChannelSession(this);
	try {
		return await operation.execute.call(this, session);
	} finally {
		await session.close();
	}
}
