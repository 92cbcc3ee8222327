import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { socialSecurityChannelTest } from '../shared/credentialTest';
import { submitDescription } from './description';
import { ChannelSession } from '../shared/channelSession';
import { cancelSet } from './actions/cancel.operation';
import { submitSet } from './actions/submit.operation';
import { toNodeError } from '../shared/nodeErrors';
import { errorItem, withResult } from '../shared/itemResult';
import { runBounded } from '../shared/boundedItems';
import { DEFAULT_PARALLEL_SETS } from '../domain/submission/uploadSet';

export class SubmitToSocialSecurity implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Submit to Social Security',
		name: 'submitToSocialSecurity',
		icon: { light: 'file:socialsecurity.svg', dark: 'file:socialsecurity.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle:
			'={{ $parameter["operation"] === "cancel" ? "Cancel a set (TD)" : "Submit a declaration set" }}',
		description:
			'Upload a complete, verified declaration set (FI, FS, GO) to the Belgian social security batch channel',
		defaults: { name: 'Submit to Social Security' },
		// Declarations are large binaries, which an AI agent cannot provide as tool arguments.
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'belgianSocialSecuritySftpApi',
				required: true,
				testedBy: 'socialSecurityChannelTest',
			},
		],
		properties: submitDescription,
	};

	methods = { credentialTest: { socialSecurityChannelTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const operation = this.getNodeParameter('operation', 0) as string;
		// One connection for all items, opened when the first item needs it.
		const session = new ChannelSession(this);
		const output: INodeExecutionData[] = [];
		// Sets are sent several at a time over the connection (each still FI…, FS…, then its GO); a
		// cancellation is one empty file, sent item by item. The first item's option decides, as for Poll.
		const parallel =
			operation === 'cancel'
				? 1
				: Number(
						(this.getNodeParameter('options', 0, {}) as { parallelSets?: number }).parallelSets ??
							DEFAULT_PARALLEL_SETS,
					);
		try {
			const outcomes = await runBounded(
				items.length,
				parallel,
				async (itemIndex) =>
					operation === 'cancel'
						? withResult(
								items[itemIndex],
								'cancellation',
								await cancelSet.call(this, session, itemIndex),
							)
						: withResult(
								items[itemIndex],
								'submission',
								await submitSet.call(this, session, itemIndex),
							),
				// Without "Continue on Fail" a failure stops the node: no new set is started, the ones
				// being sent finish, and the node fails on the first failed item.
				() => !this.continueOnFail(),
			);
			for (let itemIndex = 0; itemIndex < outcomes.length; itemIndex += 1) {
				const outcome = outcomes[itemIndex];
				if (!outcome) break;
				if (outcome.ok) {
					output.push({
						json: outcome.value,
						binary: items[itemIndex].binary,
						pairedItem: { item: itemIndex },
					});
					continue;
				}
				const error = outcome.error;
				if (this.continueOnFail()) {
					// The files stay on the item, so a retry (e.g. with "Resume") can send them again.
					output.push(
						errorItem(this.getNode(), items[itemIndex], error, itemIndex, failureDetails(error)),
					);
					continue;
				}
				throw toNodeError(this.getNode(), error, itemIndex);
			}
		} finally {
			await session.close();
		}
		return [output];
	}
}

/** A failed submission says what reached the server, so a workflow can alert on it. */
function failureDetails(error: unknown): IDataObject {
	const e = error as { reached?: string[]; removed?: string[]; violations?: unknown[] };
	const details: IDataObject = {};
	if (Array.isArray(e?.reached)) details.reachedServer = e.reached;
	if (Array.isArray(e?.removed)) details.removedAgain = e.removed;
	if (Array.isArray(e?.violations)) details.violations = e.violations as IDataObject[];
	return details;
}
