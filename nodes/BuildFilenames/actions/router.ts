/** Runs the operation each item is set to, item by item, with the package's one error path. */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { forEachItem, operationFor } from '../../shared/router';
import * as build from './build.operation';
import * as parse from './parse.operation';

const operations = { build, parse };

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const output = await forEachItem(this, async (itemIndex) => {
		const operation = this.getNodeParameter('operation', itemIndex);
		return await operationFor(this.getNode(), operations, operation).execute.call(this, itemIndex);
	});
	return [output];
}
