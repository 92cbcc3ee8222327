/**
 * Writes an answer triplet into an OUT folder as the server does (docs/batch-channel.md §5): the FO
 * (or, above `coAboveBytes`, a CO: a ZIP holding the FO), its FS and an empty GO, GO last; every file
 * is made outside the folder and renamed into place, owned by the sandbox user so the client can delete
 * it. The FS is `openssl cms -sign -binary -outform DER` by the sandbox's "social security" certificate
 * (plain PKCS#7, not CAdES-T), base64 on a single line; for a CO it signs the ZIP.
 *
 * Names: `<kind>.<TYPE>.999999.<YYYYMMDD>.<SEQ>.<ENV>`, and `.1.1` after them with `answerNameSuffix`
 * (docs/answers.md: the official page shows none, peers accept one). SEQ is a base-36 counter, 5
 * characters, never 00000, unique for the life of the state file and never colliding with a name
 * already in the folder. Tickets: 13 characters 0-9A-Z, `<5 digits: days since 2000-01-01><4 base-36
 * counter><4 random>`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brusselsToday } from '../../nodes/domain/names/brusselsTime';
import type { Environment } from '../../nodes/domain/names/environments';
// The one ZIP writer of the repository (the tests build hostile archives with it too).
import { buildZip } from '../../test/helpers/zip';
import type { SshdSandbox } from '../sshdSandbox';
import type { SimulatorState } from './state';
import { AnswerRecord, AnswerType, DEFAULT_CO_ABOVE_BYTES, SOCIAL_SECURITY_SENDER } from './types';

const execFileAsync = promisify(execFile);

export interface WriterContext {
	sandbox: SshdSandbox;
	state: SimulatorState;
	workRoot: string;
	now: () => Date;
	coAboveBytes?: number;
	answerNameSuffix?: boolean;
	/** PEM files of the answers' signing certificate and key. */
	certificateFile: string;
	keyFile: string;
	log: (line: string) => void;
}

export interface AnswerToWrite {
	type: AnswerType;
	folder: string;
	environment: Environment;
	xml: string;
	fileName: string;
	ticket: string;
	resultCode: 0 | 1;
	errors: string[];
	typeForm?: 'FA' | 'PA';
}

const ANSWER_TYPES: readonly AnswerType[] = ['ACRF', 'NOTI', 'DMNO'];

export function createAnswerWriter(ctx: WriterContext) {
	const suffix = ctx.answerNameSuffix ? '.1.1' : '';

	const nextTicket = (): string => {
		ctx.state.ticketCounter += 1;
		const days = Math.floor((ctx.now().getTime() - Date.UTC(2000, 0, 1)) / 86_400_000);
		const counter = (ctx.state.ticketCounter % 36 ** 4).toString(36).toUpperCase().padStart(4, '0');
		return `${String(days % 100_000).padStart(5, '0')}${counter}${randomBase36(4)}`;
	};

	const nextAnswerSequence = (folder: string, date: string, env: Environment): string => {
		for (;;) {
			ctx.state.answerCounter = (ctx.state.answerCounter % (36 ** 5 - 1)) + 1;
			const seq = ctx.state.answerCounter.toString(36).toUpperCase().padStart(5, '0');
			const id = `${SOCIAL_SECURITY_SENDER}.${date}.${seq}.${env}`;
			const taken = ['FO', 'CO', 'FS', 'GO'].some((k) =>
				ANSWER_TYPES.some((t) =>
					['', '.1.1'].some((s) => existsSync(ctx.sandbox.pathOf(folder, `${k}.${t}.${id}${s}`))),
				),
			);
			if (!taken) return seq;
		}
	};

	const sign = async (work: string, content: Buffer): Promise<string> => {
		const input = join(work, 'content');
		const der = join(work, 'fs.der');
		await writeFile(input, content);
		await execFileAsync('openssl', [
			...['cms', '-sign', '-binary', '-in', input, '-signer', ctx.certificateFile],
			...['-inkey', ctx.keyFile, '-md', 'sha256', '-outform', 'DER', '-out', der],
		]);
		return readFileSync(der).toString('base64');
	};

	const writeAnswer = async (answer: AnswerToWrite): Promise<AnswerRecord> => {
		const { type, folder, environment, xml } = answer;
		const date = brusselsToday(ctx.now());
		const seq = nextAnswerSequence(folder, date, environment);
		const id = `${type}.${SOCIAL_SECURITY_SENDER}.${date}.${seq}.${environment}${suffix}`;
		const fo = Buffer.from(xml, 'utf8');
		const zipped = fo.length > (ctx.coAboveBytes ?? DEFAULT_CO_ABOVE_BYTES);
		const record: AnswerRecord = {
			type,
			folder,
			environment,
			foName: `FO.${id}`,
			fsName: `FS.${id}`,
			goName: `GO.${id}`,
			...(zipped ? { coName: `CO.${id}` } : {}),
			fileName: answer.fileName,
			ticket: answer.ticket,
			...(answer.typeForm ? { typeForm: answer.typeForm } : {}),
			resultCode: answer.resultCode,
			errors: answer.errors,
			xml,
			writtenAt: ctx.now(),
		};
		const work = await mkdtemp(join(ctx.workRoot, 'answer-'));
		try {
			const delivered = zipped ? buildZip([{ name: record.foName, data: fo }]) : fo;
			const fsText = await sign(work, delivered);
			const owner = statSync(ctx.sandbox.pathOf(folder));
			const place = (name: string, content: Buffer | string) => {
				const tmp = join(work, `${name}.tmp`);
				writeFileSync(tmp, content, { mode: 0o644 });
				chownSync(tmp, owner.uid, owner.gid);
				renameSync(tmp, ctx.sandbox.pathOf(folder, name));
			};
			place(record.coName ?? record.foName, delivered);
			place(record.fsName, fsText);
			place(record.goName, '');
		} finally {
			await rm(work, { recursive: true, force: true });
		}
		const verdict = answer.resultCode === 1 ? 'positive' : 'negative';
		const errors = answer.errors.length ? ` (${answer.errors.join(', ')})` : '';
		ctx.log(
			`${folder}/${record.coName ?? record.foName}: ${type} ${verdict} for ${answer.fileName}${errors}`,
		);
		return record;
	};

	return { nextTicket, writeAnswer };
}

/** A self-signed "sandbox social security" certificate for the answers' FS, made with openssl. */
export async function makeSocialSecurityIdentity(
	workRoot: string,
): Promise<{ certificatePem: string; privateKeyPem: string }> {
	const dir = await mkdtemp(join(workRoot, 'identity-'));
	try {
		await execFileAsync('openssl', [
			...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '365'],
			'-subj',
			'/C=BE/O=Sandbox social security (simulated)/CN=Sandbox RSZ-ONSS answers',
			'-addext',
			'keyUsage=critical,digitalSignature,nonRepudiation',
			...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
		]);
		return {
			certificatePem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
			privateKeyPem: readFileSync(join(dir, 'key.pem'), 'utf8'),
		};
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}

function randomBase36(length: number): string {
	const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
	return [...randomBytes(length)].map((b) => alphabet[b % 36]).join('');
}
