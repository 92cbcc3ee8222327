/**
 * A small simulated social security on top of the sshd sandbox (sandbox/sshdSandbox.ts): this file is
 * its loop. It polls the local directories behind IN, INTEST and INTEST-S; when a GO (or TD) has been
 * seen unchanged for two polls, together with the files of its set, the set is judged (checks.ts), the
 * inputs are removed, and an answer triplet is written into the matching OUT folder (answerWriter.ts,
 * answerXml.ts): an ACRF at once (a PA first with `provisionalAcrf`), for an accepted set a NOTI after
 * `notiDelayMs`, and for an accepted DmfA modification (DMWA) a DMNO after that. Every rule it follows
 * and every choice it makes where the real server's behaviour is not documented: docs/sandbox.md,
 * "The simulator".
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brusselsToday } from '../../nodes/domain/names/brusselsTime';
import { ENVIRONMENTS, Environment } from '../../nodes/domain/names/environments';
import { parseSubmissionFileName } from '../../nodes/domain/names/fileNames';
import { buildAcrfXml, buildDmnoXml, buildNotiXml } from './answerXml';
import { createAnswerBoard } from './answerBoard';
import { createAnswerWriter, makeSocialSecurityIdentity } from './answerWriter';
import { createSetJudge, pemCertificates } from './checks';
import { loadState, saveState } from './state';
import { FileState, Stability, listUploads, relatedNames, removeUploads } from './uploads';
import {
	DEFAULT_SANDBOX_SENDER,
	ProcessedRecord,
	SimulatedAnomaly,
	Simulator,
	SimulatorOptions,
	UploadFolder,
	messageOf,
	printable,
} from './types';

export { buildAcrfXml, buildDmnoXml, buildNotiXml } from './answerXml';
export { contentAnomalies, decodeSignatureText, wrongFolderCode } from './checks';
export { DEFAULT_SANDBOX_SENDER, SOCIAL_SECURITY_SENDER } from './types';
export type {
	AnswerRecord,
	AnswerType,
	ProcessedRecord,
	SimulatedAnomaly,
	Simulator,
	SimulatorOptions,
	SimulatorSignaturePolicy,
} from './types';

const UPLOAD_FOLDERS: readonly UploadFolder[] = ['IN', 'INTEST', 'INTEST-S'];
const ENV_OF_UPLOAD_FOLDER: Record<UploadFolder, Environment> = {
	IN: 'R',
	INTEST: 'T',
	'INTEST-S': 'S',
};

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
	const sandbox = options.sandbox;
	const sender = options.sender ?? DEFAULT_SANDBOX_SENDER;
	if (!/^\d{6}$/.test(sender))
		throw new Error(`The simulator's sender must be 6 digits, got "${sender}"`);
	const pollIntervalMs = options.pollIntervalMs ?? 200;
	const notiDelayMs = options.notiDelayMs ?? 500;
	const now = options.now ?? (() => new Date());
	const firstPem = pemCertificates(options.registeredCertificatePem)[0];
	if (!firstPem) throw new Error('registeredCertificatePem holds no PEM certificate');
	const registered = new X509Certificate(firstPem);

	const base = dirname(sandbox.root);
	const stateFile = options.stateFile ?? join(base, 'simulator-state.json');
	const workRoot = join(base, 'simulator-work');
	mkdirSync(workRoot, { recursive: true, mode: 0o700 });
	const registeredFile = join(workRoot, 'registered.pem');
	writeFileSync(registeredFile, registered.toString(), { mode: 0o600 });
	const identity = options.socialSecurityIdentity ?? (await makeSocialSecurityIdentity(workRoot));
	const certificateFile = join(workRoot, 'social-security.pem');
	const keyFile = join(workRoot, 'social-security.key');
	writeFileSync(certificateFile, identity.certificatePem, { mode: 0o600 });
	writeFileSync(keyFile, identity.privateKeyPem, { mode: 0o600 });

	const state = loadState(stateFile);
	const used = state.used;
	const messages: string[] = [];
	const processed: ProcessedRecord[] = [];
	const { answers, publish, waitForAnswer } = createAnswerBoard(messages);
	const loggedOnce = new Set<string>();
	const stability = new Stability();
	const timers = new Set<NodeJS.Timeout>();
	const inFlight = new Set<Promise<unknown>>();
	let stopped = false;
	let timer: NodeJS.Timeout | undefined;
	let currentCycle: Promise<void> | undefined;

	const log = (line: string) => {
		const stamped = `[simulator] ${line}`;
		messages.push(stamped);
		if (messages.length > 5000) messages.splice(0, messages.length - 5000);
		options.logger?.(stamped);
	};
	const logOnce = (key: string, line: string) => {
		if (loggedOnce.has(key)) return;
		loggedOnce.add(key);
		log(line);
	};
	const track = <T>(promise: Promise<T>): Promise<T> => {
		inFlight.add(promise);
		void promise.finally(() => inFlight.delete(promise)).catch(() => undefined);
		return promise;
	};
	const save = () => saveState(stateFile, state);
	const remove = (folder: string, names: string[]) => removeUploads(sandbox, folder, names, log);

	const { nextTicket, writeAnswer } = createAnswerWriter({
		sandbox,
		state,
		workRoot,
		now,
		coAboveBytes: options.coAboveBytes,
		answerNameSuffix: options.answerNameSuffix,
		certificateFile,
		keyFile,
		log,
	});
	const judgeSet = createSetJudge({
		options,
		sandbox,
		sender,
		now,
		used,
		workRoot,
		registeredFile,
		registered,
		log,
		logOnce,
	});

	/** Runs `write` after `notiDelayMs` unless the simulator stopped; a failure is logged. */
	const later = (what: string, write: () => Promise<unknown>) => {
		if (stopped) return;
		const t = setTimeout(() => {
			timers.delete(t);
			if (stopped) return;
			track(write()).catch((error: unknown) => log(`could not write ${what}: ${messageOf(error)}`));
		}, notiDelayMs);
		timers.add(t);
	};

	/** The answers that follow the ACRF of an accepted set: its NOTI, then for a DMWA its DMNO. */
	const scheduleFollowUps = (
		folder: string,
		environment: Environment,
		goName: string,
		application: string,
		ticket: string,
		anomalies: SimulatedAnomaly[],
		contents: Buffer[],
	) => {
		if (notiDelayMs < 0) return;
		const blocking = anomalies.some((a) => a.anomalyClass === 'B');
		later(`the NOTI of ${goName}`, async () => {
			const xml = buildNotiXml({ fileName: goName, ticket, application, now: now(), anomalies });
			const errors = anomalies.map((a) => a.errorId);
			const resultCode = blocking ? 0 : 1;
			const common = { folder, environment, fileName: goName, ticket, errors: [] };
			publish(await writeAnswer({ ...common, type: 'NOTI', xml, resultCode, errors }));
			if (application !== 'DMWA' || blocking) return;
			later(`the DMNO of ${goName}`, async () => {
				const text = contents.map((c) => c.toString('utf8')).join('\n');
				const first = (tag: string) =>
					new RegExp(`<${tag}>\\s*([^<\\s]+)\\s*</${tag}>`).exec(text)?.[1];
				const dmno = buildDmnoXml({
					ticket,
					formTicket: nextTicket(),
					employerDeclarationPid: String(10_000_000_000 + state.ticketCounter),
					quarter: first('Quarter'),
					nossRegistrationNbr: first('NOSSRegistrationNbr'),
					companyId: first('CompanyID'),
					inss: [...text.matchAll(/<INSS>\s*(\d+)\s*<\/INSS>/g)].map((m) => m[1]),
					now: now(),
				});
				publish(await writeAnswer({ ...common, type: 'DMNO', xml: dmno, resultCode: 1 }));
			});
		});
	};

	/** Burns the names of a set: the trigger, every file seen, and every FI/FS name it could have. */
	const burn = (trigger: string, related: string[], parts: number | undefined) => {
		used.add(`GO.${trigger.slice(3)}`);
		if (trigger.startsWith('TD.')) used.add(trigger);
		for (const n of related) used.add(n);
		for (let p = 1; p <= (parts ?? 0); p++) {
			used.add(`FI.${trigger.slice(3)}.${p}`);
			used.add(`FS.${trigger.slice(3)}.${p}`);
		}
	};

	// ---- GO and TD ------------------------------------------------------------------------------------

	const handleGo = async (folder: UploadFolder, goName: string, files: Map<string, FileState>) => {
		const related = relatedNames(goName, files);
		const { errors, misnamed, anomalies, contents } = await judgeSet(folder, goName, related);
		const accepted = errors.length === 0;
		// The real server names the offending file, not the GO, when it refuses a set for a file's name.
		const fileName = misnamed ?? goName;
		const td = `TD.${goName.slice(3)}`;
		const parsed = parseSubmissionFileName(goName);
		if (goName.split('.').length === 7)
			burn(goName, related, parsed.valid ? parsed.value.parts : undefined);
		const removed = await remove(folder, [goName, ...related, ...(files.has(td) ? [td] : [])]);
		save();
		const environment = ENV_OF_UPLOAD_FOLDER[folder];
		const outFolder = ENVIRONMENTS[environment].responseFolder;
		const ticket = nextTicket();
		const resultCode = accepted ? 1 : 0;
		const acrfOf = async (typeForm: 'FA' | 'PA') =>
			writeAnswer({
				type: 'ACRF',
				folder: outFolder,
				environment,
				xml: buildAcrfXml({ fileName, ticket, resultCode, errors, now: now(), typeForm }),
				fileName,
				ticket,
				resultCode,
				errors,
				typeForm,
			});
		const provisional = accepted && options.provisionalAcrf ? await acrfOf('PA') : undefined;
		const acrf = await acrfOf('FA');
		processed.push({
			trigger: 'GO',
			name: goName,
			folder,
			accepted,
			cancelled: false,
			errors,
			ticket,
			removed,
			acrf,
			processedAt: now(),
		});
		if (provisional) publish(provisional);
		publish(acrf);
		if (accepted && parsed.valid) {
			const { application } = parsed.value;
			// Only a DMNO repeats the FI's data: other sets' contents are not kept until the NOTI.
			const kept = application === 'DMWA' ? contents : [];
			scheduleFollowUps(outFolder, environment, goName, application, ticket, anomalies, kept);
		}
	};

	const handleTd = async (folder: UploadFolder, tdName: string, files: Map<string, FileState>) => {
		const parsed = parseSubmissionFileName(tdName, { today: brusselsToday(now()), maxAgeDays: -1 });
		if (!parsed.valid) {
			logOnce(
				`${folder}/${tdName}:td`,
				`${folder}/${printable(tdName)}: TD name breaks a rule (${parsed.violations.map((v) => v.message).join('; ')}), left alone`,
			);
			return;
		}
		const goName = `GO.${tdName.slice(3)}`;
		if (used.has(goName)) {
			await remove(folder, [tdName]);
			log(`${folder}/${tdName}: the set was already processed; TD removed`);
			return;
		}
		const related = relatedNames(tdName, files);
		burn(tdName, related, parsed.value.parts);
		const removed = await remove(folder, [
			tdName,
			...related,
			...(files.has(goName) ? [goName] : []),
		]);
		save();
		const environment = ENV_OF_UPLOAD_FOLDER[folder];
		const ticket = nextTicket();
		const acrf = await writeAnswer({
			type: 'ACRF',
			folder: ENVIRONMENTS[environment].responseFolder,
			environment,
			xml: buildAcrfXml({ fileName: tdName, ticket, resultCode: 0, errors: [], now: now() }),
			fileName: tdName,
			ticket,
			resultCode: 0,
			errors: [],
			typeForm: 'FA',
		});
		processed.push({
			trigger: 'TD',
			name: tdName,
			folder,
			accepted: false,
			cancelled: true,
			errors: [],
			ticket,
			removed,
			acrf,
			processedAt: now(),
		});
		publish(acrf);
	};

	const cycle = async () => {
		stability.begin();
		for (const folder of UPLOAD_FOLDERS) {
			if (stopped) return;
			let files: Map<string, FileState>;
			try {
				files = await listUploads(sandbox, folder, logOnce);
			} catch (error) {
				logOnce(`list:${folder}:${messageOf(error)}`, `cannot read ${folder}: ${messageOf(error)}`);
				continue;
			}
			// TD first: a TD next to its GO cancels the set.
			const triggers = [...files.keys()].filter((n) => n.startsWith('TD.')).sort();
			triggers.push(...[...files.keys()].filter((n) => n.startsWith('GO.')).sort());
			for (const trigger of triggers) {
				if (stopped) return;
				if (!files.has(trigger)) continue; // removed with a set handled just before
				if (!stability.isStable(folder, trigger, files)) continue;
				try {
					if (trigger.startsWith('TD.')) await handleTd(folder, trigger, files);
					else await handleGo(folder, trigger, files);
				} catch (error) {
					logOnce(
						`fail:${folder}/${trigger}`,
						`${folder}/${printable(trigger)}: could not be handled: ${messageOf(error)}`,
					);
					continue;
				}
				stability.forget(folder, trigger);
				// The set's files are gone: re-list before the next trigger.
				try {
					files = await listUploads(sandbox, folder, logOnce);
				} catch {
					break;
				}
			}
		}
		stability.end();
	};

	const runCycle = (): Promise<void> => {
		if (currentCycle) return currentCycle;
		currentCycle = cycle()
			.catch((error: unknown) => log(`poll failed: ${messageOf(error)}`))
			.finally(() => {
				currentCycle = undefined;
			});
		return currentCycle;
	};

	const schedule = () => {
		if (stopped) return;
		timer = setTimeout(() => {
			timer = undefined;
			void runCycle().then(schedule);
		}, pollIntervalMs);
	};
	save();
	schedule();
	log(`watching ${UPLOAD_FOLDERS.join(', ')} for sender ${sender} every ${pollIntervalMs} ms`);

	return {
		processed,
		answers,
		messages,
		sender,
		stateFile,
		sandboxSocialSecurityCertificatePem: identity.certificatePem,
		pollNow: () => (stopped ? Promise.resolve() : runCycle()),
		waitForAnswer,
		stop: async () => {
			if (stopped) return;
			stopped = true;
			if (timer) clearTimeout(timer);
			for (const t of timers) clearTimeout(t);
			timers.clear();
			await currentCycle;
			await Promise.allSettled([...inFlight]);
			try {
				save();
			} catch {
				// The sandbox may already be gone.
			}
			rmSync(workRoot, { recursive: true, force: true });
			log('stopped');
		},
	};
}
