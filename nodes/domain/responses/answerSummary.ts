/**
 * One collected answer as plain JSON for a workflow: what it is, whether our declaration was accepted,
 * the ticket, the GO of the set it answers (`answersGo`: joins the submission record's `go`, also when
 * the answer names an FI), every error in plain words, and the size and SHA-256 of the delivered file
 * (for a CO, the ZIP's own figures apart, as `zipName`/`zipSize`/`zipSha256`).
 */
import type { CollectedAnswer, CollectResult } from './collectAnswers';
import type { InterpretedAnswer } from './answerContent';
import { answeredSet } from './answeredSet';

type Readers = Pick<InterpretedAnswer, 'dmno' | 'dmpi' | 'dmdb' | 'idfl'>;

export type AnswerStatus = 'accepted' | 'rejected' | 'unknown';

/** Whether an answer says our declaration (or file) was accepted. */
export function answerStatus(interpreted: CollectedAnswer<unknown>['interpreted']): AnswerStatus {
	const accepted =
		'acrf' in interpreted && interpreted.acrf
			? interpreted.acrf.accepted
			: 'noti' in interpreted
				? interpreted.noti?.accepted
				: undefined;
	return accepted === true ? 'accepted' : accepted === false ? 'rejected' : 'unknown';
}

export function summarizeAnswer(collected: CollectedAnswer<unknown>): Record<string, unknown> {
	const { answer, interpreted } = collected;
	const acrf = 'acrf' in interpreted ? interpreted.acrf : undefined;
	const noti = 'noti' in interpreted ? interpreted.noti : undefined;
	const { dmno, dmpi, dmdb, idfl }: Readers = 'note' in interpreted ? {} : interpreted;
	const status = answerStatus(interpreted);
	const answersFile = acrf?.answersFile ?? noti?.fileName ?? dmdb?.fileName;
	const set = answeredSet(answersFile);
	return {
		type: answer.type,
		status,
		environment: answer.environment,
		folder: answer.folder.replace(/^\//, ''),
		answerName: collected.contentName,
		answerId: answer.answerId,
		date: answer.date,
		// For a DMNO or DMPI: the ticket of the declaration it is about (docs/answers.md).
		ticket: acrf?.ticket ?? noti?.ticket ?? dmdb?.ticket ?? dmno?.ticket ?? dmpi?.ticket,
		answersFile,
		answersGo: set?.go,
		answersFileKind: set?.kind,
		...(set?.fi ? { answersFi: set.fi } : {}),
		final: acrf?.final ?? noti?.final,
		errors: acrf?.errors ?? [],
		anomalies:
			noti?.anomalies ?? dmno?.anomalies ?? dmdb?.declarations.flatMap((d) => d.anomalies) ?? [],
		format: interpreted.format,
		size: collected.size,
		sha256: collected.sha256,
		...(collected.zip
			? {
					zipName: collected.zip.name,
					zipSize: collected.zip.size,
					zipSha256: collected.zip.sha256,
				}
			: {}),
		...(collected.signature
			? {
					signatureValid: collected.signature.valid,
					signatureProblem: collected.signature.valid ? undefined : collected.signature.reason,
				}
			: {}),
		deletedFromServer: collected.deleted,
		...(collected.deleteError ? { deleteProblem: collected.deleteError } : {}),
		...(acrf ? { acrf } : {}),
		...(noti ? { noti: { ...noti, object: undefined } } : {}),
		...(dmno ? { dmno } : {}),
		...(dmpi ? { dmpi } : {}),
		...(dmdb ? { dmdb } : {}),
		...(idfl ? { idfl } : {}),
		...(!acrf &&
		!noti &&
		!dmno &&
		!dmpi &&
		!dmdb &&
		!idfl &&
		'object' in interpreted &&
		interpreted.object
			? { content: interpreted.object }
			: {}),
		...('note' in interpreted ? { note: interpreted.note } : {}),
	};
}

export function summarizeRun(result: CollectResult<unknown>): Record<string, unknown> {
	const statuses = result.answers.map((a) => summarizeAnswer(a).status);
	return {
		delivered: result.answers.length,
		accepted: statuses.filter((s) => s === 'accepted').length,
		rejected: statuses.filter((s) => s === 'rejected').length,
		failed: result.failures.length,
		failures: result.failures,
		waitingForGo: result.incomplete,
		skippedNames: result.skipped,
		leftForNextRun: result.remaining,
		leftoversDeleted: result.cleanedUp,
		notDelivered: result.notAccepted,
	};
}
