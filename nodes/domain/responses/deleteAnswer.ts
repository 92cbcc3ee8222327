/**
 * Deleting one answer from the server by its id, for workflows that first keep the answer somewhere
 * (a disk, a database) and only then clear it: Poll Responses without delete → store → Delete Answer.
 */
import { SocialSecurityError } from '../errors';
import { ENVIRONMENTS } from '../names/environments';
import { parseResponseFileName } from '../names/fileNames';
import { SftpChannel } from '../transport/sftpChannel';

export interface DeletedAnswer {
	answerId: string;
	folder: string;
	/** The files removed, GO first. */
	deleted: string[];
}

/**
 * Removes the GO, the FO or CO, and the FS of an answer; GO first, so an interruption leaves an
 * incomplete answer that nothing takes again. An answer already gone is not an error (deleted: []).
 */
export async function deleteAnswer(
	channel: SftpChannel,
	answerId: string,
	folder?: string,
): Promise<DeletedAnswer> {
	const parsed = parseResponseFileName(`GO.${answerId}`);
	if (!parsed.valid) {
		throw new SocialSecurityError(
			'ANSWER_ID_INVALID',
			`"${answerId.slice(0, 80).replace(/\p{Cc}/gu, '?')}" is not the id of an answer (e.g. ACRF.999999.20260110.00042.T).`,
			'Map answer.answerId of a Poll Social Security Responses item.',
		);
	}
	const expected = ENVIRONMENTS[parsed.value.environment].responseFolder;
	if (folder && folder.replace(/^\//, '') !== expected) {
		throw new SocialSecurityError(
			'ANSWER_FOLDER_INVALID',
			`The answer ${answerId} belongs in ${expected}, not in ${folder}.`,
			'Delete Answer takes the folder from answer.folder of the item: keep the answer.answerId and answer.folder of one Poll Social Security Responses item together.',
		);
	}
	const present = new Set((await channel.list(`/${expected}`)).map((e) => e.name));
	const names = ['GO', 'FO', 'CO', 'FS']
		.map((kind) => `${kind}.${answerId}`)
		.filter((name) => present.has(name));
	return {
		answerId,
		folder: expected,
		deleted: await deleteAnswerFiles(channel, `/${expected}`, names),
	};
}

/**
 * Deletes the files of one answer, its GO first: an interruption then leaves an incomplete answer that
 * nothing takes again, never a complete one that would be delivered twice. Once the GO is gone, the
 * other files are deleted together (one round trip instead of one each). Returns what was deleted.
 */
export async function deleteAnswerFiles(
	channel: SftpChannel,
	folder: string,
	names: string[],
): Promise<string[]> {
	const goes = names.filter((name) => name.startsWith('GO.'));
	const rest = names.filter((name) => !name.startsWith('GO.'));
	const deleted: string[] = [];
	for (const name of goes) {
		await channel.delete(`${folder}/${name}`);
		deleted.push(name);
	}
	const outcomes = await Promise.allSettled(
		rest.map((name) => channel.delete(`${folder}/${name}`)),
	);
	outcomes.forEach((outcome, i) => {
		if (outcome.status === 'fulfilled') deleted.push(rest[i]);
	});
	const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
	if (failed) throw failed.reason;
	return deleted;
}
