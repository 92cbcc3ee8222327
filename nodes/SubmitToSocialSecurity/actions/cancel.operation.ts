/** Cancel: send the TD that asks the server to stop processing a submitted set. */
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { SocialSecurityError } from '../../domain/errors';
import { ENVIRONMENTS } from '../../domain/names/environments';
import { parseSubmissionFileName } from '../../domain/names/fileNames';
import { sendCancellation } from '../../domain/submission/uploadSet';
import type { ChannelSession } from '../../shared/channelSession';
import { resultItem } from '../../shared/itemResult';

/** A cancellation is one empty file: items are sent one by one. */
export function parallelism(): number {
	return 1;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ChannelSession,
): Promise<INodeExecutionData> {
	const goName = String(this.getNodeParameter('goName', itemIndex, '')).trim();
	// A cancellation may concern a set of any age, so the date is not judged here.
	const parsed = parseSubmissionFileName(goName, { maxAgeDays: 0 });
	if (!parsed.valid || parsed.value.kind !== 'GO') {
		throw new SocialSecurityError(
			'CANCEL_NAME_INVALID',
			`"${goName.slice(0, 80)}" is not the GO name of a set${parsed.valid ? '' : `: ${parsed.violations.map((v) => v.message).join('; ')}`}.`,
			'Give the GO name from the output of the Submit operation, e.g. GO.DMFA.101380.20260110.00001.T.1.',
		);
	}
	const channel = await session.open();
	const result = await sendCancellation(
		channel,
		ENVIRONMENTS[parsed.value.environment].uploadFolder,
		`TD.${goName.slice(3)}`,
	);
	const cancellation = { status: 'cancellation-sent', go: goName, ...result };
	return resultItem(this.getInputData()[itemIndex], itemIndex, 'cancellation', cancellation);
}

const properties: INodeProperties[] = [
	{
		displayName: 'Set Name (GO)',
		name: 'goName',
		type: 'string',
		default: '={{ $json.submission.go }}',
		placeholder: 'GO.DMFA.101380.20260110.00001.T.1',
		description:
			'The GO name of the submitted set, as the Submit operation puts it in submission.go; the TD name is made from it',
	},
];

export const description = updateDisplayOptions({ show: { operation: ['cancel'] } }, properties);
