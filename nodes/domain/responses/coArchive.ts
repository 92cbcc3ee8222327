/**
 * Over 400 lines on purpose: the hostile-archive guard (entry checks, bounded inflate, CRC) in one place.
 * CO answers: a ZIP holding one FO file, used by the server for large answers (docs/batch-channel.md
 * §5; the size it switches at is not known: docs/answers.md, "Other answer types").
 *
 * The archive comes from outside and is opened as if it were hostile:
 * - exactly one entry, a plain file with a plain name: more entries, directories, absolute paths,
 *   `..`, backslashes, control characters or odd names are refused (RESPONSE_ZIP_UNSAFE_ENTRY);
 * - the entry's name is never used as a path: the content is written under a fixed safe name in
 *   `outDir` (`FO.<answer id>` when the archive is named `CO.<answer id>`, else `content`);
 * - the declared size must be under `maxUncompressedBytes` and the declared compression ratio under
 *   `maxRatio` (zip bomb), and both are enforced again while inflating: bytes are counted as they
 *   come out and the stream is stopped at the first byte too many (RESPONSE_ZIP_TOO_LARGE);
 * - yauzl checks the byte count against the declared size (`validateEntrySizes`), we check the CRC-32;
 * - everything streams to a temporary file in `outDir`, renamed to the final name only when complete;
 *   on any failure the partial output is removed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import * as yauzl from 'yauzl';
import { SocialSecurityError } from '../errors';
import { parseResponseFileName } from '../names/fileNames';
import { formatBytes, printable } from './safeXml';

export interface CoArchiveLimits {
	/** Largest content accepted, in bytes. Default 512 MiB. */
	maxUncompressedBytes: number;
	/** Most entries the archive may list. Default 1 (a CO holds one FO). */
	maxEntries: number;
	/** Largest uncompressed/compressed ratio accepted. Default 200. */
	maxRatio: number;
}

export interface CoArchiveOptions extends Partial<CoArchiveLimits> {
	/** Name of the output file in `outDir` (letters, digits, `.`, `_`, `-`). Default: see above. */
	outputName?: string;
	/**
	 * Below this many uncompressed bytes the ratio is not checked: small, very regular files compress
	 * far better than 200:1 without being a threat. Default 1 MiB.
	 */
	ratioCheckFloorBytes?: number;
}

export interface ExtractedCo {
	/** The entry's name in the archive (made printable; never used as a path). */
	entryName: string;
	/** Where the content was written. */
	path: string;
	/** Its size in bytes. */
	size: number;
	/** SHA-256 (hex) of the extracted content: what a caller delivers, not the archive. */
	sha256: string;
}

export const DEFAULT_CO_LIMITS: Readonly<CoArchiveLimits> = Object.freeze({
	maxUncompressedBytes: 512 * 1024 * 1024,
	maxEntries: 1,
	maxRatio: 200,
});

const DEFAULT_RATIO_FLOOR = 1024 * 1024;
const SAFE_OUTPUT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_ENTRY_NAME_LENGTH = 255;

/** Extracts the single FO of a CO archive into `outDir`; see the rules above. */
export async function extractCoArchive(
	zipPath: string,
	outDir: string,
	limits: CoArchiveOptions = DEFAULT_CO_LIMITS,
): Promise<ExtractedCo> {
	const settings = {
		maxUncompressedBytes: limits.maxUncompressedBytes ?? DEFAULT_CO_LIMITS.maxUncompressedBytes,
		maxEntries: limits.maxEntries ?? DEFAULT_CO_LIMITS.maxEntries,
		maxRatio: limits.maxRatio ?? DEFAULT_CO_LIMITS.maxRatio,
		ratioFloor: limits.ratioCheckFloorBytes ?? DEFAULT_RATIO_FLOOR,
	};
	const outputName = limits.outputName ?? defaultOutputName(zipPath);
	if (!SAFE_OUTPUT_NAME.test(outputName) || outputName.includes('..')) {
		throw new SocialSecurityError(
			'RESPONSE_ZIP_OUTPUT_NAME_INVALID',
			`"${printable(outputName)}" cannot be used as the name of the extracted file; use letters, digits, dots, dashes and underscores only.`,
		);
	}
	const archive = printable(basename(zipPath));

	const zipfile = await openZip(zipPath, archive);
	try {
		if (zipfile.entryCount === 0)
			throw zipInvalid(`The CO archive ${archive} is empty; it should hold one FO file.`);
		if (zipfile.entryCount > settings.maxEntries) {
			throw unsafeEntry(
				`The CO archive ${archive} holds ${zipfile.entryCount} entries (limit ${settings.maxEntries}); a CO holds exactly one FO file.`,
			);
		}
		const entries = await readAllEntries(zipfile, archive);
		const names = entries.map((e) => checkEntryName(e, archive));
		if (entries.length !== 1) {
			throw unsafeEntry(
				`The CO archive ${archive} holds ${entries.length} files (${names.join(', ')}); a CO holds exactly one FO file.`,
			);
		}
		const [entry] = entries;
		const entryName = names[0];
		checkEntryContent(entry, archive, settings);

		await writeStep(archive, () => fsp.mkdir(outDir, { recursive: true }));
		const finalPath = join(outDir, outputName);
		const partialPath = join(outDir, `.${outputName}.${randomBytes(6).toString('hex')}.partial`);
		let extracted = false;
		try {
			const source = await openEntryStream(zipfile, entry, archive);
			const guard = new InflateGuard({
				archive,
				maxBytes: settings.maxUncompressedBytes,
				maxRatio: settings.maxRatio,
				ratioFloor: settings.ratioFloor,
				compressedSize: entry.compressedSize,
			});
			// 'wx': never follow or overwrite something that is already there under the temporary name.
			const sink = createWriteStream(partialPath, { flags: 'wx', mode: 0o600 });
			try {
				await pipeline(source, guard, sink);
			} catch (error) {
				throw classifyStreamError(error, archive);
			}
			if (guard.crc !== entry.crc32) {
				throw zipInvalid(
					`The content of the CO archive ${archive} is damaged: its checksum (CRC-32) does not match.`,
				);
			}
			await writeStep(archive, () => fsp.rename(partialPath, finalPath));
			extracted = true;
			return { entryName, path: finalPath, size: guard.bytes, sha256: guard.sha256() };
		} finally {
			// Any failure: no partial output stays behind.
			if (!extracted) await fsp.rm(partialPath, { force: true }).catch(() => undefined);
		}
	} finally {
		zipfile.close();
	}
}

/** `CO.<answer id>` → `FO.<answer id>`; any other archive name → `content`. */
function defaultOutputName(zipPath: string): string {
	const parsed = parseResponseFileName(basename(zipPath));
	return parsed.valid && parsed.value.kind === 'CO' ? `FO.${parsed.value.answerId}` : 'content';
}

function openZip(zipPath: string, archive: string): Promise<yauzl.ZipFile> {
	return new Promise((resolve, reject) => {
		yauzl.open(
			zipPath,
			{
				lazyEntries: true,
				autoClose: false,
				validateEntrySizes: true,
				strictFileNames: true,
				decodeStrings: true,
			},
			(error, zipfile) => {
				if (error || !zipfile) reject(classifyYauzlError(error, archive, 'opened'));
				else resolve(zipfile);
			},
		);
	});
}

/** Reads the central directory (at most `maxEntries` records, checked before). */
function readAllEntries(zipfile: yauzl.ZipFile, archive: string): Promise<yauzl.Entry[]> {
	return new Promise((resolve, reject) => {
		const entries: yauzl.Entry[] = [];
		const cleanup = () => {
			zipfile.removeListener('entry', onEntry);
			zipfile.removeListener('error', onError);
			zipfile.removeListener('end', onEnd);
		};
		const onEntry = (entry: yauzl.Entry) => {
			entries.push(entry);
			zipfile.readEntry();
		};
		const onError = (error: unknown) => {
			cleanup();
			reject(classifyYauzlError(error, archive, 'read'));
		};
		const onEnd = () => {
			cleanup();
			resolve(entries);
		};
		zipfile.on('entry', onEntry);
		zipfile.on('error', onError);
		zipfile.on('end', onEnd);
		zipfile.readEntry();
	});
}

function openEntryStream(
	zipfile: yauzl.ZipFile,
	entry: yauzl.Entry,
	archive: string,
): Promise<NodeJS.ReadableStream> {
	return new Promise((resolve, reject) => {
		zipfile.openReadStream(entry, (error, stream) => {
			if (error || !stream) reject(classifyYauzlError(error, archive, 'read'));
			else resolve(stream);
		});
	});
}

/** Refuses directories and any name that is not a plain file name; returns the printable name. */
function checkEntryName(entry: yauzl.Entry, archive: string): string {
	const name = entry.fileName;
	const shown = printable(name);
	if (name.length === 0 || name.length > MAX_ENTRY_NAME_LENGTH) {
		throw unsafeEntry(
			`The CO archive ${archive} holds an entry with ${name.length === 0 ? 'an empty name' : 'a name that is too long'}.`,
		);
	}
	if (name.endsWith('/'))
		throw unsafeEntry(
			`The CO archive ${archive} holds a directory ("${shown}"); a CO holds one FO file.`,
		);
	if (/\p{Cc}/u.test(name))
		throw unsafeEntry(
			`The CO archive ${archive} holds an entry whose name has control characters ("${shown}").`,
		);
	if (
		name.includes('/') ||
		name.includes('\\') ||
		/^[A-Za-z]:/.test(name) ||
		name === '.' ||
		name === '..'
	) {
		throw unsafeEntry(
			`The CO archive ${archive} holds an entry with a path ("${shown}"); a CO holds one FO file with a plain name.`,
		);
	}
	return shown;
}

/** Checks what the entry declares before anything is inflated. */
function checkEntryContent(
	entry: yauzl.Entry,
	archive: string,
	settings: { maxUncompressedBytes: number; maxRatio: number; ratioFloor: number },
): void {
	if (entry.isEncrypted())
		throw zipInvalid(`The CO archive ${archive} is encrypted and cannot be read.`);
	if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
		throw zipInvalid(
			`The CO archive ${archive} uses compression method ${entry.compressionMethod}; only stored and deflated entries can be read.`,
		);
	}
	if (entry.uncompressedSize > settings.maxUncompressedBytes) {
		throw tooLarge(
			`The CO archive ${archive} says its content is ${formatBytes(entry.uncompressedSize)}, more than the limit of ${formatBytes(settings.maxUncompressedBytes)}; it was not extracted.`,
		);
	}
	if (
		entry.uncompressedSize > settings.ratioFloor &&
		entry.uncompressedSize > settings.maxRatio * entry.compressedSize
	) {
		const ratio =
			entry.compressedSize === 0
				? 'an infinite'
				: `a ${Math.round(entry.uncompressedSize / entry.compressedSize)}:1`;
		throw tooLarge(
			`The CO archive ${archive} has ${ratio} compression ratio (limit ${settings.maxRatio}:1): it looks like a zip bomb and was not extracted.`,
		);
	}
}

interface GuardOptions {
	archive: string;
	maxBytes: number;
	maxRatio: number;
	ratioFloor: number;
	compressedSize: number;
}

/**
 * Counts the bytes as they are inflated and stops the stream at the first byte over the size or ratio
 * limit; computes the CRC-32 and the SHA-256 on the way. Exported for tests.
 */
export class InflateGuard extends Transform {
	bytes = 0;
	crc = 0;
	private readonly hash = createHash('sha256');

	constructor(private readonly limits: GuardOptions) {
		super();
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		this.bytes += chunk.length;
		const { archive, maxBytes, maxRatio, ratioFloor, compressedSize } = this.limits;
		if (this.bytes > maxBytes) {
			callback(
				tooLarge(
					`The content of the CO archive ${archive} grew over the limit of ${formatBytes(maxBytes)} while being extracted; extraction was stopped.`,
				),
			);
			return;
		}
		if (this.bytes > ratioFloor && this.bytes > maxRatio * compressedSize) {
			callback(
				tooLarge(
					`The CO archive ${archive} inflates more than ${maxRatio} times its compressed size: it looks like a zip bomb; extraction was stopped.`,
				),
			);
			return;
		}
		this.crc = crc32(chunk, this.crc);
		this.hash.update(chunk);
		callback(null, chunk);
	}

	/** SHA-256 (hex) of every byte passed through; call once, after the stream ended. */
	sha256(): string {
		return this.hash.digest('hex');
	}
}

/** A file-system step of the output: its failure is a write failure, not a bad archive. */
async function writeStep(archive: string, step: () => Promise<unknown>): Promise<void> {
	try {
		await step();
	} catch (error) {
		throw writeFailed(archive, error);
	}
}

function writeFailed(archive: string, error: unknown): SocialSecurityError {
	const message = error instanceof Error ? error.message : String(error);
	return new SocialSecurityError(
		'RESPONSE_ZIP_WRITE_FAILED',
		`The content of the CO archive ${archive} could not be written: ${printable(message)}`,
		'Check that the output folder exists, is writable and has free space.',
		{ cause: error },
	);
}

function classifyStreamError(error: unknown, archive: string): SocialSecurityError {
	if (error instanceof SocialSecurityError) return error;
	const message = error instanceof Error ? error.message : String(error);
	if (/too many bytes in the stream/.test(message)) {
		return zipInvalid(
			`The CO archive ${archive} holds more data than it declares (a sign of a zip bomb or a damaged file); extraction was stopped.`,
			error,
		);
	}
	if (/not enough bytes in the stream/.test(message)) {
		return zipInvalid(
			`The CO archive ${archive} holds less data than it declares; it is damaged or truncated.`,
			error,
		);
	}
	const code = (error as { code?: unknown })?.code;
	if (typeof code === 'string' && code.startsWith('Z_')) {
		return zipInvalid(
			`The content of the CO archive ${archive} cannot be decompressed: ${printable(message)}`,
			error,
		);
	}
	if (
		typeof code === 'string' &&
		['EEXIST', 'ENOSPC', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOTDIR', 'EDQUOT', 'EIO'].includes(
			code,
		)
	) {
		return writeFailed(archive, error);
	}
	return zipInvalid(`The CO archive ${archive} could not be read: ${printable(message)}`, error);
}

function classifyYauzlError(
	error: unknown,
	archive: string,
	action: 'opened' | 'read',
): SocialSecurityError {
	if (error instanceof SocialSecurityError) return error;
	const message = error instanceof Error ? error.message : String(error);
	if (/^(absolute path|invalid relative path|invalid characters in fileName)/.test(message)) {
		return unsafeEntry(
			`The CO archive ${archive} holds an entry with an unsafe name (${printable(message)}); nothing was extracted.`,
			error,
		);
	}
	if ((error as { code?: unknown })?.code === 'ENOENT') {
		return zipInvalid(`The CO archive ${archive} does not exist.`, error);
	}
	return zipInvalid(
		`The CO archive ${archive} could not be ${action} as a ZIP file: ${printable(message)}`,
		error,
	);
}

const HINT =
	'Keep the file and check it by hand, or ask the social security to send the answer again.';

function zipInvalid(message: string, cause?: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'RESPONSE_ZIP_INVALID',
		message,
		HINT,
		cause === undefined ? undefined : { cause },
	);
}

function unsafeEntry(message: string, cause?: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'RESPONSE_ZIP_UNSAFE_ENTRY',
		message,
		HINT,
		cause === undefined ? undefined : { cause },
	);
}

function tooLarge(message: string): SocialSecurityError {
	return new SocialSecurityError(
		'RESPONSE_ZIP_TOO_LARGE',
		message,
		'The limit protects n8n from archives that unpack to far more than they weigh (zip bombs); it is fixed, not a node setting. The answer was not deleted from the server: fetch it with an SFTP client and check it, and if it is a genuine answer, report it as an issue of this package.',
	);
}
