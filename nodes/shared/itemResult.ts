/**
 * The one rule for the items every node of this package outputs (docs/items.md): the incoming JSON is
 * kept and the node's result goes beside it under one key named after what it is (`names`,
 * `signature`, `submission`, `answer`, …). An error item under "Continue on Fail" is the incoming item
 * with `error` beside its fields.
 */
import type {
	IDataObject,
	INode,
	INodeExecutionData,
	NodeApiError,
	NodeOperationError,
} from 'n8n-workflow';
import { errorDetails, toNodeError } from './nodeErrors';

/** The output JSON: the item's own fields (unless the user chose to drop them) and the result under `key`. */
export function withResult(
	item: INodeExecutionData | undefined,
	key: string,
	result: IDataObject,
	keepInputFields = true,
): IDataObject {
	return keepInputFields ? { ...(item?.json ?? {}), [key]: result } : { [key]: result };
}

/**
 * The output item of a failed input under "Continue on Fail": its JSON and binaries as they came, `error`
 * beside them (message, code, hint, and any `details`), and the n8n error on the item, which is what
 * n8n's "Continue (using error output)" routes by. `nodeError`: the one the node would throw, when it
 * makes its own.
 */
export function errorItem(
	node: INode,
	item: INodeExecutionData | undefined,
	error: unknown,
	itemIndex: number,
	extra: { details?: IDataObject; nodeError?: NodeApiError | NodeOperationError } = {},
): INodeExecutionData {
	const nodeError = extra.nodeError ?? toNodeError(node, error, itemIndex);
	const output: INodeExecutionData = {
		json: { ...(item?.json ?? {}), error: { ...errorDetails(error), ...extra.details } },
		// An ExpressionError is an n8n error like the other two; the item's type names only those.
		error: nodeError as NodeApiError | NodeOperationError,
		pairedItem: { item: itemIndex },
	};
	if (item?.binary) output.binary = item.binary;
	return output;
}
