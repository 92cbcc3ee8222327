/**
 * A declaration set (FI parts, their FS, one GO) checked as a whole before anything is sent.
 * Every check the server makes on a set that we can make locally is made here, and each failure
 * names the rule and the ACRF code it avoids. Nothing here touches the network.
 */
import type { Readable } from 'node:stream';
import {
	DeclarationSetId,
	NameRuleViolation,
	ParsedSubmissionFileName,
	SetRuleOptions,
	declarationSetNames,
	parseSubmissionFileName,
	setKey,
} from '../names/fileNames';
import { ENVIRONMENTS, Environment } from '../names/environments';
import { SocialSecurityError } from '../errors';

/** One file of a set, whose bytes can be streamed (again) when it is uploaded. */
export interface SetFile {
	name: string;
	/** Size in bytes when known beforehand (n8n binaries know it); checked again after upload. */
	size?: number;
	open: () => Readable | Promise<Readable>;
	/**
	 * Told once the file is on the server complete, its size checked (or found identical when resuming),
	 * with the SHA-256 of the bytes sent: how an FS is made from its FI's upload (signDuringUpload.ts).
	 */
	onSent?: (sent: { size: number; sha256: string }) => void;
}

/** Whether an FS is sent beside each FI, per environment. Production always signs. */
export type SignaturePolicy = 'required' | 'optional' | 'omit';

export interface SetCheckOptions extends SetRuleOptions {
	/** Policy for T (default required: the server checks an FS there if present) and S (default omit). */
	signatureInTest?: SignaturePolicy;
	signatureInDmfaTest?: SignaturePolicy;
}

export interface PlannedFile extends SetFile {
	role: 'FI' | 'FS';
	part: number;
}

export interface SubmissionPlan {
	set: DeclarationSetId;
	folder: string;
	responseFolder: string;
	/** FI parts 1..N, then FS parts 1..N (if sent): the upload order. GO comes last. */
	files: PlannedFile[];
	go: string;
	td: string;
	/** FS files that were given but are not sent (policy `omit`). */
	signaturesNotSent: string[];
}

export class SetCheckError extends SocialSecurityError {
	constructor(readonly violations: NameRuleViolation[]) {
		super(
			'SET_INVALID',
			`The declaration set cannot be sent: ${violations.map((v) => v.message).join('; ')}`,
			'Nothing was sent. Correct the files or names listed and run again.',
		);
	}
}

export function signaturePolicyFor(
	environment: Environment,
	options: SetCheckOptions,
): SignaturePolicy {
	if (environment === 'R') return 'required';
	if (environment === 'T') return options.signatureInTest ?? 'required';
	return options.signatureInDmfaTest ?? 'omit';
}

/**
 * Checks a set and returns the upload plan, or throws SetCheckError listing every problem.
 * `declarations` are the FI parts, `signatures` the FS (either may come in any order).
 */
export function planSubmission(
	declarations: SetFile[],
	signatures: SetFile[],
	options: SetCheckOptions = {},
): SubmissionPlan {
	const violations: NameRuleViolation[] = [];
	const add = (rule: string, acrf: string | undefined, message: string) =>
		violations.push(acrf ? { rule, acrf, message: `${message} (${acrf})` } : { rule, message });

	if (declarations.length === 0) {
		add('no-declaration', 'ACRF-120', 'the set holds no FI file');
		throw new SetCheckError(violations);
	}

	const parsed = (files: SetFile[], kind: 'FI' | 'FS') =>
		files.map((file) => {
			const result = parseSubmissionFileName(file.name, options);
			if (!result.valid) {
				for (const v of result.violations)
					violations.push({ ...v, message: `${printable(file.name)}: ${v.message}` });
				return undefined;
			}
			if (result.value.kind !== kind) {
				add(
					'wrong-kind',
					kind === 'FI' ? 'ACRF-131' : 'ACRF-132',
					`${file.name} was given as ${kind} but is a ${result.value.kind} name`,
				);
				return undefined;
			}
			return { file, name: result.value };
		});
	const fi = parsed(declarations, 'FI');
	const fs = parsed(signatures, 'FS');
	if (violations.length > 0) throw new SetCheckError(violations);

	const fiOk = fi as Array<{ file: SetFile; name: ParsedSubmissionFileName }>;
	const fsOk = fs as Array<{ file: SetFile; name: ParsedSubmissionFileName }>;
	const set = identity(fiOk[0].name);
	const key = setKey(set);
	for (const { name } of [...fiOk, ...fsOk]) {
		if (setKey(identity(name)) !== key) {
			add(
				'set-mismatch',
				name.kind === 'FI' ? 'ACRF-123' : 'ACRF-124',
				`${name.name} does not belong to the set ${key} (application, sender, date, sequence, environment and number of parts must be the same)`,
			);
		}
	}
	if (violations.length > 0) throw new SetCheckError(violations);

	const byPart = (items: typeof fiOk) => {
		const map = new Map<number, SetFile>();
		for (const { file, name } of items) {
			if (map.has(name.part as number)) {
				add(
					'duplicate-part',
					name.kind === 'FI' ? 'ACRF-123' : 'ACRF-124',
					`part ${name.part} is given twice as ${name.kind}`,
				);
			}
			map.set(name.part as number, file);
		}
		return map;
	};
	const fiParts = byPart(fiOk);
	const fsParts = byPart(fsOk);
	const policy = signaturePolicyFor(set.environment, options);
	for (let part = 1; part <= set.parts; part += 1) {
		if (!fiParts.has(part))
			add('part-missing', 'ACRF-120', `FI part ${part} of ${set.parts} is missing`);
		if (policy === 'required' && !fsParts.has(part)) {
			add(
				'signature-missing',
				'ACRF-122',
				`the signature (FS) of part ${part} is missing; ${set.environment === 'R' ? 'production always needs one' : 'this environment is set to require one'}`,
			);
		}
	}
	for (const part of fsParts.keys()) {
		if (!fiParts.has(part))
			add('signature-without-declaration', 'ACRF-124', `there is an FS for part ${part} but no FI`);
	}
	for (const { file, name } of [...fiOk, ...(policy === 'omit' ? [] : fsOk)]) {
		if (file.size === 0) add('empty-file', 'ACRF-134', `${name.name} is empty`);
	}
	if (violations.length > 0) throw new SetCheckError(violations);

	const names = declarationSetNames(set);
	const files: PlannedFile[] = [];
	for (let part = 1; part <= set.parts; part += 1)
		files.push({ ...(fiParts.get(part) as SetFile), role: 'FI', part });
	if (policy !== 'omit') {
		for (let part = 1; part <= set.parts; part += 1) {
			const file = fsParts.get(part);
			if (file) files.push({ ...file, role: 'FS', part });
		}
	}
	return {
		set,
		folder: ENVIRONMENTS[set.environment].uploadFolder,
		responseFolder: ENVIRONMENTS[set.environment].responseFolder,
		files,
		go: names.go,
		td: names.td,
		signaturesNotSent: policy === 'omit' ? fsOk.map(({ name }) => name.name) : [],
	};
}

function identity(name: ParsedSubmissionFileName): DeclarationSetId {
	const { application, sender, date, sequence, environment, parts } = name;
	return { application, sender, date, sequence, environment, parts };
}

function printable(value: string): string {
	const cleaned = value.replace(/\p{Cc}/gu, '?');
	return cleaned.length > 80 ? `${cleaned.slice(0, 77)}...` : cleaned;
}
