/**
 * The one rule for the items every node of this package outputs (docs/items.md): the incoming JSON is
 * kept and the node's result goes beside it under one key named after what it is (`names`,
 * `signature`, `submission`, `answer`, …). An error item under "Continue on Fail" is the incoming item
 * with `error` beside its fields.
 */
import type { IBinaryKeyData, IDataObject, INode, INodeExecutionData } from 'n8n-workflow';
import { errorDetails } from './nodeErrors';

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
 * The output item of a successful input: its JSON with the result under `key`, paired with it, and its
 * binaries (or `binary` when the operation changed them, e.g. renamed or added a file).
 */
export function resultItem(
	item: INodeExecutionData,
	itemIndex: number,
	key: string,
	result: IDataObject,
	options: { keepInputFields?: boolean; binary?: IBinaryKeyData } = {},
): INodeExecutionData {
	const output: INodeExecutionData = {
		json: withResult(item, key, result, options.keepInputFields ?? true),
		pairedItem: { item: itemIndex },
	};
	const binary = 'binary' in options ? options.binary : item.binary;
	if (binary) output.binary = binary;
	return output;
}

/**
 * The output item of a failed input under "Continue on Fail": its JSON and binaries as they came, with
 * `error` beside them (message, code, hint, and any `details`).
 *
 * Under "Continue (using error output)" n8n moves an item to the error output only when its JSON holds
 * nothing but `error`, and then adds the JSON of the input item itself (n8n-core's
 * handleNodeErrorOutput, 2.8 and 2.41), so there the item carries `error` alone and n8n keeps the
 * rest. The item gets no `error` property: n8n replaces the JSON of such an item with the message.
 */
export function errorItem(
	node: INode,
	item: INodeExecutionData | undefined,
	error: unknown,
	itemIndex: number,
	details: IDataObject = {},
): INodeExecutionData {
	const errorJson = { ...errorDetails(error), ...details };
	const json =
		node.onError === 'continueErrorOutput'
			? { error: errorJson }
			: { ...(item?.json ?? {}), error: errorJson };
	const output: INodeExecutionData = { json, pairedItem: { item: itemIndex } };
	if (item?.binary) output.binary = item.binary;
	return output;
}
