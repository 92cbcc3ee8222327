/**
 * Runs the operation of the first item for every item (a connection and its parallel sets belong to the
 * execution), several at a time as the operation allows, with the items reported in order.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { SetCheckError } from '../../domain/submission/declarationSet';
import { SubmissionFailedError } from '../../domain/submission/uploadSet';
import { DeclarationInvalidError } from '../../domain/validation';
import { runBounded } from '../../shared/boundedItems';
import { ChannelSession } from '../../shared/channelSession';
import { errorItem } from '../../shared/itemResult';
import { toNodeError } from '../../shared/nodeErrors';
import { operationFor } from '../../shared/router';
import * as cancel from './cancel.operation';
import * as submit from './submit.operation';
import * as validate from './validate.operation';

const operations = { submit, cancel, validate };

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const operation = operationFor(this.getNode(), operations, this.getNodeParameter('operation', 0));
	// One connection for all items, opened when the first item needs it.
	const session = new ChannelSession(this);
	const output: INodeExecutionData[] = [];
	try {
		const outcomes = await runBounded(
			items.length,
			operation.parallelism.call(this),
			async (itemIndex) => await operation.execute.call(this, itemIndex, session),
			// Without "Continue on Fail" a failure stops the node: no new set is started, the ones
			// being sent finish, and the node fails on the first failed item.
			() => !this.continueOnFail(),
		);
		for (let itemIndex = 0; itemIndex < outcomes.length; itemIndex += 1) {
			const outcome = outcomes[itemIndex];
			if (!outcome) break;
			if (outcome.ok) {
				output.push(outcome.value);
				continue;
			}
			if (!this.continueOnFail()) throw toNodeError(this.getNode(), outcome.error, itemIndex);
			// The files stay on the item, so a retry (e.g. with "Resume") can send them again.
			const details = failureDetails(outcome.error);
			output.push(errorItem(this.getNode(), items[itemIndex], outcome.error, itemIndex, details));
		}
	} finally {
		await session.close();
	}
	return [output];
}

/** A failed submission says what reached the server, and a refused set why, so a workflow can alert on it. */
function failureDetails(error: unknown): IDataObject {
	if (error instanceof SubmissionFailedError)
		return { reachedServer: error.reached, removedAgain: error.removed };
	if (error instanceof SetCheckError) return { violations: error.violations };
	if (error instanceof DeclarationInvalidError)
		return {
			validation: error.reports.map((r) => ({ ...r, issues: r.issues.map((i) => ({ ...i })) })),
		};
	return {};
}
