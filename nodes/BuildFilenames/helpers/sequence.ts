/**
 * The sequence of a new set, by the mode the user chose (see nodes/domain/names/sequence.ts for how each
 * mode keeps a value from being handed out twice).
 */
import type { IExecuteFunctions } from 'n8n-workflow';
import { SocialSecurityError } from '../../domain/errors';
import type { Environment } from '../../domain/names/environments';
import { fixedSequence, sequenceReservations } from '../../domain/names/sequence';

/** Where the daily counter is kept in the workflow's static data. */
const COUNTER_STATE_KEY = 'dailyCounter';

export interface SequenceRequest {
	mode: string;
	/** The "Sequence Value" parameter, for the fixed mode. */
	fixedValue: unknown;
	date: string;
	environment: Environment;
	/** The "Sequence Folder" option; empty for the default folder; not used in queue mode (Redis). */
	folder: unknown;
}

export async function takeSequence(
	ctx: IExecuteFunctions,
	request: SequenceRequest,
): Promise<{ sequence: string; warnings: string[] }> {
	const { mode, date, environment } = request;
	// This machine's folder, or n8n's Redis in queue mode (docs/queue-mode.md).
	const store = sequenceReservations({
		folder: typeof request.folder === 'string' ? request.folder : undefined,
	});
	switch (mode) {
		case 'automatic':
			return { sequence: await store.automatic(date, environment), warnings: [] };
		case 'dailyCounter': {
			const staticData = ctx.getWorkflowStaticData('node');
			const result = await store.dailyCounter(staticData[COUNTER_STATE_KEY], date, environment);
			staticData[COUNTER_STATE_KEY] = { days: result.state.days };
			return { sequence: result.sequence, warnings: [] };
		}
		case 'fixed': {
			const sequence = fixedSequence(request.fixedValue);
			const warnings: string[] = [];
			try {
				if (!(await store.recordFixed(date, environment, sequence))) {
					warnings.push(
						`Sequence ${sequence} was already handed out (${store.where}) for ${date} in environment ${environment}: if a set with it was sent, the server refuses this one (ACRF-133)`,
					);
				}
			} catch (error) {
				// A fixed value does not depend on the folder; say that the other modes cannot see it.
				warnings.push(
					`The sequence could not be recorded for the other modes: ${(error as Error).message}`,
				);
			}
			return { sequence, warnings };
		}
		default:
			throw new SocialSecurityError(
				'SEQUENCE_MODE_UNKNOWN',
				`Unknown sequence mode "${mode}"`,
				'Choose Automatic, Daily Counter or Fixed Value in "Sequence".',
			);
	}
}
