import type {
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { socialSecurityChannelTest } from '../shared/credentialTest';
import { ChannelSession } from '../shared/channelSession';
import { collectAnswerItems } from '../shared/answerItems';
import { answerQueryFrom } from '../shared/answerQuery';
import { answerQueryProperties } from '../shared/answerQueryProperties';
import { SAMPLE_ANSWER_JSON } from './actions/sampleAnswer';
import { toNodeError } from '../shared/nodeErrors';
import { answersFailedError } from '../domain/responses/collectAnswers';

/** How many answer ids the trigger remembers, so that none fires twice (bounded: static data is stored with the workflow). */
const REMEMBERED = 5000;

interface TriggerState {
	delivered?: string[];
	ignored?: string[];
}

export class SocialSecurityTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Social Security Trigger',
		name: 'socialSecurityTrigger',
		icon: { light: 'file:socialsecurity.svg', dark: 'file:socialsecurity.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'When answers arrive',
		description:
			'Starts the workflow for each new answer of the Belgian social security (ACRF, NOTI, …)',
		defaults: { name: 'Social Security Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'belgianSocialSecuritySftpApi',
				required: true,
				testedBy: 'socialSecurityChannelTest',
			},
		],
		properties: [
			{
				displayName: 'Only Rejections',
				name: 'onlyRejections',
				type: 'boolean',
				default: false,
				description:
					'Whether to start the workflow only for answers that reject a declaration (ACRF or NOTI with a negative result). Other answers stay on the server for another workflow.',
			},
			...answerQueryProperties,
		],
	};

	methods = { credentialTest: { socialSecurityChannelTest } };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const manual = this.getMode() === 'manual';
		const state = this.getWorkflowStaticData('node') as TriggerState;
		const query = answerQueryFrom(
			this.getNodeParameter('environments', ['R', 'T', 'S']),
			this.getNodeParameter('options', {}) as object,
		);
		query.onlyRejections = this.getNodeParameter('onlyRejections', false) as boolean;
		if (manual) {
			// A test run shows one real answer so fields can be mapped, and leaves the server untouched.
			query.deleteAfterStore = false;
			query.max = 1;
		} else {
			query.alreadyDelivered = new Set(state.delivered ?? []);
			query.ignoreIds = new Set(state.ignored ?? []);
		}
		const session = new ChannelSession(this);
		try {
			const { items, result } = await collectAnswerItems(this, session, query);
			if (!manual) {
				state.delivered = [
					...(state.delivered ?? []),
					...result.answers.map((a) => a.answer.answerId),
				].slice(-REMEMBERED);
				state.ignored = [...(state.ignored ?? []), ...result.notAccepted].slice(-REMEMBERED);
			}
			// Answers that fail on every poll must not go unnoticed: n8n shows a failed poll to the user.
			if (items.length === 0 && result.failures.length > 0)
				throw toNodeError(this.getNode(), answersFailedError(result.failures));
			if (items.length === 0 && manual) return [[{ json: structuredClone(SAMPLE_ANSWER_JSON) }]];
			return items.length > 0 ? [items] : null;
		} catch (error) {
			throw toNodeError(this.getNode(), error);
		} finally {
			await session.close();
		}
	}
}
