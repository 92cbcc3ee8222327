/**
 * The trigger's one action: collect the new answers and remember which were delivered, so none fires
 * twice. A manual test run shows one real answer (or the sample) and leaves the server untouched.
 */
import type { INodeExecutionData, INodeProperties, IPollFunctions } from 'n8n-workflow';
import { answersFailedError } from '../../domain/responses/collectAnswers';
import { collectAnswerItems } from '../../shared/answerItems';
import { AnswerOptions, AnswerQuery, answerQueryFrom } from '../../shared/answerQuery';
import { answerQueryProperties } from '../../shared/answerQueryProperties';
import { ChannelSession } from '../../shared/channelSession';
import { toNodeError } from '../../shared/nodeErrors';
import { SAMPLE_ANSWER_JSON } from './sampleAnswer';

/** How many answer ids the trigger remembers, so that none fires twice (bounded: static data is stored with the workflow). */
const REMEMBERED = 5000;

interface TriggerState {
	delivered?: string[];
	ignored?: string[];
}

export async function execute(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
	const manual = this.getMode() === 'manual';
	const state = this.getWorkflowStaticData('node') as TriggerState;
	const query = queryOf(this, manual, state);
	const session = new ChannelSession(this);
	try {
		const { items, result } = await collectAnswerItems(this, session, query);
		if (!manual) {
			const delivered = result.answers.map((a) => a.answer.answerId);
			state.delivered = [...(state.delivered ?? []), ...delivered].slice(-REMEMBERED);
			state.ignored = [...(state.ignored ?? []), ...result.notAccepted].slice(-REMEMBERED);
		}
		// Answers that fail on every poll must not go unnoticed: n8n shows a failed poll to the user.
		if (items.length === 0 && result.failures.length > 0) throw answersFailedError(result.failures);
		if (items.length === 0 && manual) return [[{ json: structuredClone(SAMPLE_ANSWER_JSON) }]];
		return items.length > 0 ? [items] : null;
	} catch (error) {
		throw toNodeError(this.getNode(), error);
	} finally {
		await session.close();
	}
}

function queryOf(ctx: IPollFunctions, manual: boolean, state: TriggerState): AnswerQuery {
	const query = answerQueryFrom(
		ctx.getNodeParameter('environments', ['R', 'T', 'S']),
		ctx.getNodeParameter('options', {}) as AnswerOptions,
	);
	query.onlyRejections = ctx.getNodeParameter('onlyRejections', false) as boolean;
	if (manual) {
		// A test run shows one real answer so fields can be mapped, and leaves the server untouched.
		query.deleteAfterStore = false;
		query.max = 1;
	} else {
		query.alreadyDelivered = new Set(state.delivered ?? []);
		query.ignoreIds = new Set(state.ignored ?? []);
	}
	return query;
}

export const description: INodeProperties[] = [
	{
		displayName: 'Only Rejections',
		name: 'onlyRejections',
		type: 'boolean',
		default: false,
		description:
			'Whether to start the workflow only for answers that reject a declaration (ACRF or NOTI with a negative result). Other answers stay on the server for another workflow.',
	},
	...answerQueryProperties,
];
