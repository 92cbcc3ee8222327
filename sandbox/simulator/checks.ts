/**
 * The simulator's checks of an uploaded set, in the order of docs/sandbox.md, "The simulator": the GO
 * name, names already used, the folder, the names and count of the set's files, sizes, the FI against
 * its XSD (with `declarationSchemaDir`), the FS against the registered certificate (the real `openssl`,
 * never the package's own signing code), and the content rules that make NOTIFICATION anomalies.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { constants as fsConstants, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { brusselsToday } from '../../nodes/domain/names/brusselsTime';
import { ENVIRONMENTS, Environment } from '../../nodes/domain/names/environments';
import { parseSubmissionFileName } from '../../nodes/domain/names/fileNames';
import type { SshdSandbox } from '../sshdSandbox';
import {
	SimulatedAnomaly,
	SimulatorOptions,
	SimulatorSignaturePolicy,
	UploadFolder,
	printable,
} from './types';

const execFileAsync = promisify(execFile);

export interface SetVerdict {
	/** The ACRF codes; none: the set is accepted. */
	errors: string[];
	/** The file named in the ACRF instead of the GO: the first misnamed FI (before an FS) of the set. */
	misnamed?: string;
	/** The anomalies of the NOTIFICATION (content rules). */
	anomalies: SimulatedAnomaly[];
	/** The FI contents of an accepted set, in part order (for the answers that repeat their data). */
	contents: Buffer[];
}

export interface CheckContext {
	options: SimulatorOptions;
	sandbox: SshdSandbox;
	sender: string;
	now: () => Date;
	/** Names burnt by earlier GO/TD (ACRF-133). */
	used: ReadonlySet<string>;
	workRoot: string;
	/** PEM file of the registered certificate, and the certificate. */
	registeredFile: string;
	registered: X509Certificate;
	log: (line: string) => void;
	logOnce: (key: string, line: string) => void;
}

class TooLargeError extends Error {}

/** The check of a set, bound to the simulator's settings. */
export function createSetJudge(ctx: CheckContext) {
	const { options, sandbox } = ctx;
	const maxFileBytes = options.maxFileBytes ?? 100 * 1024 * 1024;
	const policyOf = (env: Environment): SimulatorSignaturePolicy =>
		env === 'R'
			? 'required'
			: env === 'T'
				? (options.signatureInTest ?? 'optional')
				: (options.signatureInDmfaTest ?? 'optional');

	/** Reads a file that the SFTP user wrote, never following a link it may have put there. */
	const readInput = async (folder: string, name: string): Promise<Buffer> => {
		const handle = await open(
			sandbox.pathOf(folder, name),
			fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW,
		);
		try {
			const s = await handle.stat();
			if (!s.isFile()) throw new Error('not a regular file');
			if (s.size > maxFileBytes) throw new TooLargeError();
			return await handle.readFile();
		} finally {
			await handle.close();
		}
	};

	/** The ACRF codes of a set, and the file it names when it is refused for one of its files' names. */
	return async function judgeSet(
		folder: UploadFolder,
		goName: string,
		related: string[],
	): Promise<SetVerdict> {
		const parsed = parseSubmissionFileName(goName, {
			expectedSender: ctx.sender,
			today: brusselsToday(ctx.now()),
			maxAgeDays: options.maxAgeDays,
			knownApplicationsOnly: options.knownApplicationsOnly ?? true,
		});
		const refused = (errors: string[]): SetVerdict => ({ errors, anomalies: [], contents: [] });
		if (!parsed.valid) return refused(unique(parsed.violations.map((v) => v.acrf ?? 'ACRF-107')));
		const set = parsed.value;
		const key = goName.slice(3);
		const expectedFi = Array.from({ length: set.parts }, (_, i) => `FI.${key}.${i + 1}`);
		const expectedFs = Array.from({ length: set.parts }, (_, i) => `FS.${key}.${i + 1}`);
		if (ctx.used.has(goName) || related.some((n) => ctx.used.has(n))) return refused(['ACRF-133']);
		const folderError = wrongFolderCode(set.environment, folder);
		if (folderError) return refused([folderError]);

		const errors: string[] = [];
		const anomalies: SimulatedAnomaly[] = [];
		const contents: Buffer[] = [];
		const present = new Set(related);
		const setBase = goName.split('.').slice(1, 6).join('.') + '.';
		let misnamed: string | undefined;
		for (const name of related) {
			if (expectedFi.includes(name) || expectedFs.includes(name)) continue;
			misnamed ??= name; // sorted: an FI before an FS
			const numbering = /^\d\.\d$/.test(name.slice(3 + setBase.length));
			if (name.startsWith('FI.')) errors.push(numbering ? 'ACRF-123' : 'ACRF-131');
			else errors.push(numbering ? 'ACRF-124' : 'ACRF-132');
		}
		if (expectedFi.some((n) => !present.has(n))) errors.push('ACRF-120');
		const policy = policyOf(set.environment);
		const fsPresent = expectedFs.filter((n) => present.has(n));
		if (policy === 'omit' && fsPresent.length > 0) errors.push('ACRF-121');
		else if (fsPresent.length < set.parts && (policy === 'required' || fsPresent.length > 0))
			errors.push('ACRF-122');

		for (let part = 1; part <= set.parts; part++) {
			const [fiName, fsName] = [expectedFi[part - 1], expectedFs[part - 1]];
			if (!present.has(fiName)) continue;
			let fi: Buffer;
			try {
				fi = await readInput(folder, fiName);
			} catch (error) {
				errors.push(error instanceof TooLargeError ? 'ACRF-184' : 'ACRF-120');
				continue;
			}
			if (fi.length === 0) {
				errors.push('ACRF-134');
				continue;
			}
			contents.push(fi);
			const schemaError = await checkDeclarationSchema(ctx, fi);
			if (schemaError) errors.push(schemaError);
			anomalies.push(...contentAnomalies(fi), ...(options.contentAnomalies?.(fi) ?? []));
			if (policy === 'omit' || !present.has(fsName)) continue;
			let fsContent: Buffer;
			try {
				fsContent = await readInput(folder, fsName);
			} catch (error) {
				errors.push(error instanceof TooLargeError ? 'ACRF-184' : 'ACRF-122');
				continue;
			}
			const signatureError = await verifySignature(ctx, fi, fsContent);
			if (signatureError) errors.push(signatureError);
		}
		return { errors: unique(errors), misnamed, anomalies, contents };
	};
}

/** The newest XSD of the folder for a root element: `DmfAOriginal` → `DmfAOriginal_20223.xsd`. */
function schemaFor(schemaDir: string, root: string): string | undefined {
	if (!/^[A-Za-z][\w]*$/.test(root)) return undefined;
	const candidates = readdirSync(schemaDir)
		.filter((n) => new RegExp(`^${root}_\\d+\\.xsd$`).test(n))
		.sort();
	return candidates.length > 0 ? join(schemaDir, candidates[candidates.length - 1]) : undefined;
}

/** ACRF-102 not well-formed, ACRF-088 no XSD for its root, ACRF-312 breaks its XSD; nothing without `declarationSchemaDir`. */
async function checkDeclarationSchema(ctx: CheckContext, fi: Buffer): Promise<string | undefined> {
	const schemaDir = ctx.options.declarationSchemaDir;
	if (!schemaDir) return undefined;
	const head = fi
		.subarray(0, 4096)
		.toString('utf8')
		.replace(/<\?[\s\S]*?\?>/g, '')
		.replace(/<!--[\s\S]*?-->/g, '');
	const root = /^\s*<([A-Za-z_][\w.-]*)[\s>/]/.exec(head)?.[1];
	if (root === undefined) return 'ACRF-102';
	const xsd = schemaFor(schemaDir, root.replace(/^.*:/, ''));
	const work = await mkdtemp(join(ctx.workRoot, 'schema-'));
	try {
		const fiFile = join(work, 'fi.xml');
		await writeFile(fiFile, fi);
		try {
			await execFileAsync(
				'xmllint',
				['--noout', '--nonet', ...(xsd ? ['--schema', xsd] : []), fiFile],
				{ maxBuffer: 16 * 1024 * 1024 },
			);
		} catch (error) {
			const stderr = String((error as { stderr?: unknown }).stderr ?? '');
			if ((error as { code?: unknown }).code === 'ENOENT') {
				ctx.logOnce(
					'xmllint',
					'xmllint is not installed: declarations are not checked against their XSD',
				);
				return undefined;
			}
			// xmllint exits 1..4 for a document that is not well-formed, 3/4 for one that breaks its XSD.
			if (!xsd || / parser error /.test(stderr)) return 'ACRF-102';
			ctx.log(`FI breaks ${basename(xsd)}: ${printable(stderr.split('\n')[0] ?? '', 300)}`);
			return 'ACRF-312';
		}
		return xsd ? undefined : 'ACRF-088';
	} finally {
		await rm(work, { recursive: true, force: true });
	}
}

/** ACRF-125 for a signature that does not verify, ACRF-153 for one not made by the registered certificate. */
async function verifySignature(
	ctx: CheckContext,
	fi: Buffer,
	fsContent: Buffer,
): Promise<string | undefined> {
	const der = decodeSignatureText(fsContent);
	if (!der) return 'ACRF-125';
	const work = await mkdtemp(join(ctx.workRoot, 'verify-'));
	try {
		const [fiFile, derFile, signerFile] = ['fi', 'fs.der', 'signer.pem'].map((n) => join(work, n));
		await writeFile(fiFile, fi);
		await writeFile(derFile, der);
		try {
			await execFileAsync('openssl', [
				...['cms', '-verify', '-binary', '-inform', 'DER', '-in', derFile, '-content', fiFile],
				...[
					'-noverify',
					'-certfile',
					ctx.registeredFile,
					'-signer',
					signerFile,
					'-out',
					'/dev/null',
				],
			]);
		} catch (error) {
			const stderr = String((error as { stderr?: unknown }).stderr ?? '');
			return /signer certificate not found/i.test(stderr) ? 'ACRF-153' : 'ACRF-125';
		}
		const signers = pemCertificates(readFileSync(signerFile, 'utf8'));
		if (
			signers.length === 0 ||
			signers.some((pem) => !new X509Certificate(pem).raw.equals(ctx.registered.raw))
		)
			return 'ACRF-153';
		return undefined;
	} finally {
		await rm(work, { recursive: true, force: true });
	}
}

/**
 * The built-in content rule of the NOTIFICATION (ours; the real rules are the social security's):
 * a NOSSRegistrationNbr outside the domain the glossary gives zone 00011 ([100006; 199999934], or 0
 * when the company number is known) is anomaly 00011-008 ("not in the allowed domain"), class B.
 * The XSD allows 0..199999934, so such a declaration passes the schema check and is refused later.
 */
export function contentAnomalies(fi: Buffer): SimulatedAnomaly[] {
	const text = fi.toString('utf8');
	const found: SimulatedAnomaly[] = [];
	for (const match of text.matchAll(
		/<NOSSRegistrationNbr>\s*(\d{1,12})\s*<\/NOSSRegistrationNbr>/g,
	)) {
		const value = Number(match[1]);
		if (value === 0 || (value >= 100006 && value <= 199999934)) continue;
		found.push({
			errorId: '00011-008',
			anomalyClass: 'B',
			tagName: 'NOSSRegistrationNbr',
			value: match[1],
			lineNbr: text.slice(0, match.index).split('\n').length,
		});
	}
	return found;
}

/** Our mapping of the server's three wrong-folder codes (docs/sandbox.md, "The simulator"). */
export function wrongFolderCode(environment: Environment, folder: string): string | undefined {
	if (ENVIRONMENTS[environment].uploadFolder === folder) return undefined;
	if (folder === 'IN') return 'ACRF-118';
	if (environment === 'R') return 'ACRF-119';
	return 'ACRF-257';
}

/**
 * The DER inside an FS: base64 on one line or on lines separated by CR, LF or CRLF; undefined when the
 * text is anything else (armour lines, spaces, bad padding).
 */
export function decodeSignatureText(content: Buffer): Buffer | undefined {
	const text = content.toString('latin1').replace(/(?:\r\n|\r|\n)+$/, '');
	if (text.length === 0) return undefined;
	const lines = text.split(/\r\n|\r|\n/);
	if (lines.some((line) => !/^[A-Za-z0-9+/]+={0,2}$/.test(line))) return undefined;
	const joined = lines.join('');
	if (joined.length % 4 !== 0 || /=[^=]/.test(joined)) return undefined;
	return Buffer.from(joined, 'base64');
}

export function pemCertificates(text: string): string[] {
	return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function unique(codes: string[]): string[] {
	return [...new Set(codes)];
}
