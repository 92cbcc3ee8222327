/**
 * The XSDs a declaration is checked against, as the user downloaded them: the social security publishes
 * a new version every quarter (`DmfAOriginal_20251.xsd`, …), so the package never ships any. A schema
 * may include or import others (`xs:include`, `xs:import`, `xs:redefine`, `xs:override` with a relative
 * `schemaLocation`); a set holds the main XSD and every file it reaches, under paths relative to one
 * root, which is how the validator lays them out (xmllintRunner.ts). Where each source comes from and
 * why: docs/validation.md.
 *
 * Sources: a folder (the main XSD chosen by the declaration's root element, `<Root>_<version>.xsd`,
 * newest version), one XSD file (its includes beside it), XSD or ZIP bytes (an n8n binary), or a URL of
 * an XSD or a ZIP, fetched once and kept in a cache folder.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import * as yauzl from 'yauzl';
import { SocialSecurityError } from '../errors';
import type { SchemaFile } from './xmllintRunner';

/** Bounds on what a schema set may be: XSDs are small; a ZIP bomb or a wrong folder is refused. */
export const SCHEMA_LIMITS = {
	files: 500,
	totalBytes: 64 * 1024 * 1024,
	zipEntries: 5000,
	folderDepth: 4,
};

export interface SchemaSet {
	/** Every file, the main one included, under its path relative to the set's root. */
	files: SchemaFile[];
	/** Where the set came from, for messages: a folder, a file, a URL, `binary "xsd"`. */
	origin: string;
	/** The XSD the user named (an XSD file or URL); else it is chosen by the declaration's root. */
	main?: string;
}

export interface ChosenSchema {
	/** The XSD files to hand to the validator (the main one and what it includes, transitively). */
	files: SchemaFile[];
	/** Path of the main XSD in `files`. */
	main: string;
	origin: string;
}

const INCLUDE =
	/<(?:[A-Za-z_][\w.-]*:)?(?:include|import|redefine|override)\b[^>]*?\bschemaLocation\s*=\s*(["'])(.*?)\1/g;
const ABSOLUTE = /^[A-Za-z][\w+.-]*:/;

/** The relative `schemaLocation`s an XSD refers to. */
export function referencedSchemas(xsd: Uint8Array | string): string[] {
	const text = typeof xsd === 'string' ? xsd : Buffer.from(xsd).toString('utf8');
	const found: string[] = [];
	for (const match of text.replace(/<!--[\s\S]*?-->/g, '').matchAll(INCLUDE)) {
		const location = match[2].trim();
		if (location && !ABSOLUTE.test(location) && !location.startsWith('/')) found.push(location);
	}
	return found;
}

/** `a/b.xsd` + `../c.xsd` → `c.xsd`; undefined when it leaves the set's root. */
function joinInside(from: string, location: string): string | undefined {
	const joined = posix.normalize(posix.join(posix.dirname(from), location.replace(/\\/g, '/')));
	return joined.startsWith('../') || joined === '..' ? undefined : joined;
}

/** The main XSD and everything it reaches; a reference to a file the set lacks is named in the error. */
export function closeOver(set: SchemaSet, main: string): ChosenSchema {
	const byPath = new Map(set.files.map((f) => [f.path, f]));
	const chosen: SchemaFile[] = [];
	const seen = new Set<string>();
	const visit = (path: string, from?: string) => {
		if (seen.has(path)) return;
		seen.add(path);
		const file = byPath.get(path);
		if (!file) {
			throw new SocialSecurityError(
				'VALIDATION_SCHEMA_INCOMPLETE',
				`The XSD ${from ?? path} refers to ${path}, which is not in ${set.origin}.`,
				'Give the whole schema set as downloaded (the folder, or the ZIP), not the main XSD alone.',
			);
		}
		chosen.push(file);
		for (const location of referencedSchemas(file.contents)) {
			const next = joinInside(path, location);
			if (next === undefined) {
				throw new SocialSecurityError(
					'VALIDATION_SCHEMA_OUTSIDE',
					`The XSD ${path} refers to ${location}, outside ${set.origin}.`,
					'Give the folder (or ZIP) that holds every file of the schema set.',
				);
			}
			visit(next, path);
		}
	};
	visit(main);
	return { files: chosen, main, origin: set.origin };
}

/**
 * The XSD for a root element: `<Root>_<version>.xsd` (newest version) or `<Root>.xsd`, else the one XSD
 * that declares `<xs:element name="<Root>">` at its top level.
 */
export function chooseMainSchema(set: SchemaSet, root: string): string | undefined {
	const named = set.files
		.map((f) => ({ path: f.path, match: /^(.*?)(?:_(\d+))?\.xsd$/i.exec(posix.basename(f.path)) }))
		.filter((f) => f.match && f.match[1] === root)
		.sort((a, b) => Number(b.match?.[2] ?? 0) - Number(a.match?.[2] ?? 0));
	if (named.length > 0) return named[0].path;
	const declares = new RegExp(
		`^\\s{0,8}<(?:[A-Za-z_][\\w.-]*:)?element\\s+name\\s*=\\s*["']${root.replace(/[.-]/g, '\\$&')}["']`,
		'm',
	);
	const declaring = set.files.filter((f) =>
		declares.test(Buffer.from(f.contents).toString('utf8')),
	);
	return declaring.length === 1 ? declaring[0].path : undefined;
}

function tooLarge(origin: string): SocialSecurityError {
	return new SocialSecurityError(
		'VALIDATION_SCHEMA_TOO_LARGE',
		`${origin} holds more than ${SCHEMA_LIMITS.files} files or ${SCHEMA_LIMITS.totalBytes / 1024 / 1024} MB of XSDs.`,
		'Point to the folder (or ZIP) of the declaration schemas only.',
	);
}

function toPosix(path: string): string {
	return path.split(sep).join('/');
}

/** Every .xsd under a folder (a few levels deep: a ZIP unpacked as downloaded keeps its folders). */
export async function schemaSetFromFolder(folder: string): Promise<SchemaSet> {
	const root = resolve(folder);
	const origin = `the folder ${root}`;
	const info = await stat(root).catch(() => undefined);
	if (!info?.isDirectory()) {
		throw new SocialSecurityError(
			'VALIDATION_SCHEMA_NOT_FOUND',
			`The schema folder ${root} does not exist or is not a folder (on the machine n8n runs on).`,
			'Unpack the XSDs downloaded from the social security portal into a folder n8n can read and give its path.',
		);
	}
	const files: SchemaFile[] = [];
	let total = 0;
	const walk = async (dir: string, depth: number): Promise<void> => {
		for (const entry of await readdir(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory() && depth < SCHEMA_LIMITS.folderDepth) await walk(path, depth + 1);
			else if (entry.isFile() && /\.xsd$/i.test(entry.name)) {
				const contents = await readFile(path);
				total += contents.length;
				files.push({ path: toPosix(relative(root, path)), contents });
				if (files.length > SCHEMA_LIMITS.files || total > SCHEMA_LIMITS.totalBytes)
					throw tooLarge(origin);
			}
		}
	};
	await walk(root, 0);
	return { files, origin };
}

/** One XSD file and, beside it, what it includes. */
export async function schemaFromFile(path: string): Promise<ChosenSchema> {
	const file = resolve(path);
	const info = await stat(file).catch(() => undefined);
	if (!info?.isFile()) {
		throw new SocialSecurityError(
			'VALIDATION_SCHEMA_NOT_FOUND',
			`The XSD file ${file} does not exist (on the machine n8n runs on).`,
			'Give the path of the main XSD as downloaded from the social security portal, with the files it includes beside it.',
		);
	}
	const set = await schemaSetFromFolder(dirname(file));
	return closeOver(set, toPosix(relative(dirname(file), file)));
}

/** The .xsd entries of a ZIP, bounded in count and size. */
export function schemaSetFromZip(zip: Buffer, origin: string): Promise<SchemaSet> {
	return new Promise((resolvePromise, reject) => {
		yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true }, (error, zipfile) => {
			if (error || !zipfile) {
				reject(
					new SocialSecurityError(
						'VALIDATION_SCHEMA_UNREADABLE',
						`${origin} is not a readable ZIP (${error?.message ?? 'empty'}).`,
						'Give the ZIP of XSDs as downloaded, or a single XSD.',
					),
				);
				return;
			}
			const files: SchemaFile[] = [];
			let total = 0;
			let entries = 0;
			const fail = (e: unknown) => {
				zipfile.close();
				reject(e);
			};
			zipfile.on('error', fail);
			zipfile.on('end', () => resolvePromise({ files, origin }));
			zipfile.on('entry', (entry: yauzl.Entry) => {
				entries += 1;
				const path = posix.normalize(entry.fileName.replace(/\\/g, '/'));
				if (entries > SCHEMA_LIMITS.zipEntries) return fail(tooLarge(origin));
				if (!/\.xsd$/i.test(path) || path.startsWith('../') || path.startsWith('/'))
					return zipfile.readEntry();
				total += entry.uncompressedSize;
				if (files.length >= SCHEMA_LIMITS.files || total > SCHEMA_LIMITS.totalBytes)
					return fail(tooLarge(origin));
				zipfile.openReadStream(entry, (streamError, stream) => {
					if (streamError || !stream) return fail(streamError);
					const chunks: Buffer[] = [];
					stream.on('data', (c: Buffer) => chunks.push(c));
					stream.on('error', fail);
					stream.on('end', () => {
						files.push({ path, contents: Buffer.concat(chunks) });
						zipfile.readEntry();
					});
				});
			});
			zipfile.readEntry();
		});
	});
}

function isZip(bytes: Uint8Array): boolean {
	return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3;
}

/** XSD or ZIP bytes (an n8n binary): a ZIP is a set; an XSD is a set of one file. */
export async function schemaSetFromBytes(
	bytes: Buffer,
	fileName: string,
	origin: string,
): Promise<SchemaSet> {
	if (isZip(bytes)) return schemaSetFromZip(bytes, origin);
	const name = posix.basename(fileName.replace(/\\/g, '/')) || 'schema.xsd';
	const path = /\.xsd$/i.test(name) ? name : `${name}.xsd`;
	return { files: [{ path, contents: bytes }], origin, main: path };
}

/** `$N8N_USER_FOLDER/.n8n/socialsecurity-xsd-cache` (n8n's data folder, which survives restarts). */
export function defaultSchemaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
	const configured = env.SOCIALSECURITY_XSD_CACHE_DIR?.trim();
	if (configured) return resolve(configured);
	return resolve(
		join(env.N8N_USER_FOLDER?.trim() || homedir(), '.n8n', 'socialsecurity-xsd-cache'),
	);
}

export interface UrlSchemaOptions {
	cacheDir?: string;
	/** A cached copy younger than this is used without asking the server again. Default 24 hours. */
	maxAgeMs?: number;
	fetch?: (url: string) => Promise<Buffer>;
	now?: () => number;
}

const DEFAULT_URL_MAX_AGE_MS = 24 * 3600 * 1000;

async function fetchBytes(url: string): Promise<Buffer> {
	const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(60_000) });
	if (!response.ok) throw new Error(`HTTP ${response.status}`);
	const length = Number(response.headers.get('content-length') ?? 0);
	if (length > SCHEMA_LIMITS.totalBytes) throw new Error(`${length} bytes is too large for XSDs`);
	const body = Buffer.from(await response.arrayBuffer());
	if (body.length > SCHEMA_LIMITS.totalBytes) throw new Error('too large for XSDs');
	return body;
}

/**
 * A URL of a ZIP (the set) or of an XSD (fetched with what it includes, relative to it). Each URL is
 * fetched once and kept in the cache folder; the copy is reused for `maxAgeMs`, and beyond that too if
 * the server cannot be reached (the copy is then said to be stale in `origin`).
 */
export async function schemaSetFromUrl(
	url: string,
	options: UrlSchemaOptions = {},
): Promise<SchemaSet> {
	const base = URL.canParse(url) ? new URL(url) : undefined;
	if (!base || (base.protocol !== 'https:' && base.protocol !== 'http:')) {
		throw new SocialSecurityError(
			'VALIDATION_SCHEMA_URL',
			`"${url}" is not an http(s) URL.`,
			'Give the address of the XSD or of the ZIP of XSDs.',
		);
	}
	const cacheDir = options.cacheDir ?? defaultSchemaCacheDir();
	const maxAge = options.maxAgeMs ?? DEFAULT_URL_MAX_AGE_MS;
	const now = options.now ?? Date.now;
	const get = options.fetch ?? fetchBytes;
	let stale = false;
	const cached = async (target: string): Promise<Buffer> => {
		const file = join(cacheDir, createHash('sha256').update(target).digest('hex').slice(0, 32));
		const info = await stat(file).catch(() => undefined);
		if (info && now() - info.mtimeMs < maxAge) return readFile(file);
		const fetched = await get(target).then(
			(body) => ({ body }),
			(error: unknown) => ({ error }),
		);
		if ('body' in fetched) {
			await mkdir(cacheDir, { recursive: true });
			const temporary = `${file}.${process.pid}.tmp`;
			await writeFile(temporary, fetched.body);
			await rename(temporary, file);
			return fetched.body;
		}
		if (info) {
			stale = true;
			return readFile(file);
		}
		const why = fetched.error instanceof Error ? fetched.error.message : String(fetched.error);
		throw new SocialSecurityError(
			'VALIDATION_SCHEMA_FETCH',
			`The XSD at ${target} could not be fetched: ${why}.`,
			'Check the URL and that n8n can reach it, or download the XSDs and give a folder instead.',
		);
	};
	const first = await cached(base.href);
	const name = posix.basename(base.pathname) || 'schema.xsd';
	let set: SchemaSet;
	if (isZip(first)) set = await schemaSetFromZip(first, base.href);
	else {
		// The XSD and what it includes, laid out relative to the XSD's own folder.
		const files: SchemaFile[] = [];
		const pending: Array<[string, Buffer]> = [[name, first]];
		const seen = new Set([name]);
		while (pending.length > 0) {
			const [path, contents] = pending.shift() as [string, Buffer];
			files.push({ path, contents });
			if (files.length > SCHEMA_LIMITS.files) throw tooLarge(base.href);
			for (const location of referencedSchemas(contents)) {
				const next = joinInside(path, location);
				if (next === undefined || seen.has(next)) continue;
				seen.add(next);
				pending.push([next, await cached(new URL(next, base).href)]);
			}
		}
		set = { files, origin: base.href, main: name };
	}
	if (stale) set.origin = `${set.origin} (cached copy: the server could not be reached)`;
	return set;
}

/** The variable an n8n instance sets once, so every workflow finds the quarter's XSDs in one place. */
export const XSD_DIR_VARIABLE = 'SOCIALSECURITY_XSD_DIR';

/** The XSD location when a workflow gives none: `$SOCIALSECURITY_XSD_DIR`, else empty. */
export function defaultSchemaLocation(env: NodeJS.ProcessEnv = process.env): string {
	return env[XSD_DIR_VARIABLE]?.trim() ?? '';
}

/**
 * What a payroll administrator types: a folder of XSDs (as unpacked from the portal), one XSD file (its
 * includes beside it), a ZIP file of XSDs, or an http(s) URL of an XSD or a ZIP.
 */
export async function schemasFrom(
	location: string,
	options: UrlSchemaOptions & { env?: NodeJS.ProcessEnv } = {},
): Promise<SchemaSet> {
	const where = location.trim() || defaultSchemaLocation(options.env);
	if (!where) {
		throw new SocialSecurityError(
			'VALIDATION_SCHEMA_MISSING',
			'No XSD is given to validate the declaration against.',
			`Fill in "XSD Location" (a folder, an XSD or ZIP file, or a URL) or "XSD Binary Property", or set ${XSD_DIR_VARIABLE} for the n8n instance.`,
		);
	}
	if (/^https?:\/\//i.test(where)) return schemaSetFromUrl(where, options);
	const path = resolve(where);
	const info = await stat(path).catch(() => undefined);
	if (info?.isFile() && /\.zip$/i.test(path))
		return schemaSetFromZip(await readFile(path), `the ZIP ${path}`);
	if (info?.isFile()) {
		const chosen = await schemaFromFile(path);
		return { files: chosen.files, origin: chosen.origin, main: chosen.main };
	}
	return schemaSetFromFolder(path);
}
