/**
 * What the routers of every node share (the shape of n8n's Postgres v2 node): finding the operation the
 * node is set to, and the item loop with the one error path of the package (nodeErrors.ts, and
 * itemResult.ts for "Continue on Fail").
 */
import type { IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { errorItem } from './itemResult';
import { toNodeError } from './nodeErrors';

/** The operation called `name`, or a clear error for one the node does not offer (a hand-edited workflow). */
export function operationFor<T>(
	node: INode,
	operations: Readonly<Record<string, T>>,
	name: unknown,
): T {
	if (typeof name === 'string' && Object.hasOwn(operations, name)) return operations[name];
	throw new NodeOperationError(node, `The operation "${String(name)}" is not one of this node`, {
		description: `Choose one of: ${Object.keys(operations).join(', ')}.`,
	});
}

/**
 * Runs `work` for each input item in order. A failure becomes that item's error item under "Continue on
 * Fail", else the node's error on that item, mapped by toNodeError.
 */
export async function forEachItem(
	ctx: IExecuteFunctions,
	work: (itemIndex: number) => Promise<INodeExecutionData>,
): Promise<INodeExecutionData[]> {
	const items = ctx.getInputData();
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex += 1) {
		try {
			output.push(await work(itemIndex));
		} catch (error) {
			if (!ctx.continueOnFail()) throw toNodeError(ctx.getNode(), error, itemIndex);
			output.push(errorItem(ctx.getNode(), items[itemIndex], error, itemIndex));
		}
	}
	return output;
}
