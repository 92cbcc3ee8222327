/**
 * Where the XSDs come from (nodes/domain/validation/schemaSet.ts): a URL of an XSD with its includes or
 * of a ZIP, served by a real HTTP server on loopback, fetched once and kept in a cache folder; a folder
 * with several versions (the newest wins); bounds and clear errors.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	chooseMainSchema,
	closeOver,
	referencedSchemas,
	schemaSetFromFolder,
	schemaSetFromUrl,
	defaultSchemaCacheDir,
} from '../../../nodes/domain/validation';
import { buildZip } from '../../helpers/zip';

const MAIN = `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <!-- <xs:include schemaLocation="commented-out.xsd"/> -->
  <xs:include schemaLocation="types/Types.xsd"/>
  <xs:element name="Dimona" type="DimonaType"/>
</xs:schema>`;
const TYPES = `<?xml version="1.0"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <xsd:import namespace="urn:x" schemaLocation='../shared/X.xsd'/>
  <xsd:complexType name="DimonaType"><xsd:sequence/></xsd:complexType>
</xsd:schema>`;
const SHARED = `<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x"/>`;

describe('schema sources', () => {
	let work: string;
	let server: Server;
	let base: string;
	const requests: string[] = [];
	let files: Record<string, Buffer>;
	beforeAll(async () => {
		work = mkdtempSync(join(tmpdir(), 'xsd-sources-'));
		files = {
			'/xsd/2025/Dimona_20251.xsd': Buffer.from(MAIN),
			'/xsd/2025/types/Types.xsd': Buffer.from(TYPES),
			'/xsd/2025/shared/X.xsd': Buffer.from(SHARED),
			'/set.zip': buildZip([
				{ name: 'Dimona_20251.xsd', data: Buffer.from(MAIN) },
				{ name: 'types/Types.xsd', data: Buffer.from(TYPES) },
				{ name: 'shared/X.xsd', data: Buffer.from(SHARED) },
				{ name: 'readme.txt', data: Buffer.from('not a schema') },
			]),
		};
		server = createServer((request, response) => {
			requests.push(request.url ?? '');
			const body = files[request.url ?? ''];
			response.writeHead(body ? 200 : 404).end(body);
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(async () => {
		await new Promise((resolve) => server.close(resolve));
		rmSync(work, { recursive: true, force: true });
	});

	it('reads the relative locations of include, import, redefine and override, not comments or URLs', () => {
		expect(referencedSchemas(MAIN)).toEqual(['types/Types.xsd']);
		expect(referencedSchemas(TYPES)).toEqual(['../shared/X.xsd']);
		expect(
			referencedSchemas(
				'<xs:import schemaLocation="http://www.w3.org/2001/xml.xsd"/><redefine schemaLocation="a.xsd"/>',
			),
		).toEqual(['a.xsd']);
	});

	it('fetches an XSD and what it includes once, then uses the cached copy', async () => {
		const cacheDir = join(work, 'cache-xsd');
		requests.length = 0;
		const first = await schemaSetFromUrl(`${base}/xsd/2025/Dimona_20251.xsd`, { cacheDir });
		expect(first.files.map((f) => f.path).sort()).toEqual([
			'Dimona_20251.xsd',
			'shared/X.xsd',
			'types/Types.xsd',
		]);
		expect(requests.sort()).toEqual([
			'/xsd/2025/Dimona_20251.xsd',
			'/xsd/2025/shared/X.xsd',
			'/xsd/2025/types/Types.xsd',
		]);
		expect(closeOver(first, chooseMainSchema(first, 'Dimona') as string).files).toHaveLength(3);
		requests.length = 0;
		const again = await schemaSetFromUrl(`${base}/xsd/2025/Dimona_20251.xsd`, { cacheDir });
		expect(requests).toEqual([]);
		expect(again.files).toHaveLength(3);
		expect(readdirSync(cacheDir)).toHaveLength(3);
	});

	it('fetches a ZIP as the set; an old copy is fetched again, and used when the server is gone', async () => {
		const cacheDir = join(work, 'cache-zip');
		const url = `${base}/set.zip`;
		const set = await schemaSetFromUrl(url, { cacheDir });
		expect(set.files.map((f) => f.path).sort()).toEqual([
			'Dimona_20251.xsd',
			'shared/X.xsd',
			'types/Types.xsd',
		]);
		// Older than a day: asked again.
		for (const name of readdirSync(cacheDir))
			utimesSync(join(cacheDir, name), new Date(0), new Date(0));
		requests.length = 0;
		await schemaSetFromUrl(url, { cacheDir });
		expect(requests).toEqual(['/set.zip']);
		for (const name of readdirSync(cacheDir))
			utimesSync(join(cacheDir, name), new Date(0), new Date(0));
		const offline = await schemaSetFromUrl(url, {
			cacheDir,
			fetch: () => Promise.reject(new Error('connect ECONNREFUSED')),
		});
		expect(offline.origin).toBe(`${url} (cached copy: the server could not be reached)`);
		expect(offline.files).toHaveLength(3);
	});

	it('says what went wrong with a URL', async () => {
		await expect(
			schemaSetFromUrl('ftp://example.test/a.xsd', { cacheDir: work }),
		).rejects.toMatchObject({
			code: 'VALIDATION_SCHEMA_URL',
		});
		await expect(
			schemaSetFromUrl(`${base}/missing.xsd`, { cacheDir: join(work, 'cache-404') }),
		).rejects.toMatchObject({
			code: 'VALIDATION_SCHEMA_FETCH',
			message: `The XSD at ${base}/missing.xsd could not be fetched: HTTP 404.`,
		});
	});

	it('takes the newest version of a folder for a root, and says when a folder is missing', async () => {
		const folder = join(work, 'versions');
		mkdirSync(folder);
		for (const name of [
			'Dimona_20223.xsd',
			'Dimona_20251.xsd',
			'Dimona_20231.xsd',
			'DmfAOriginal_20251.xsd',
		])
			writeFileSync(join(folder, name), MAIN);
		const set = await schemaSetFromFolder(folder);
		expect(chooseMainSchema(set, 'Dimona')).toBe('Dimona_20251.xsd');
		expect(chooseMainSchema(set, 'DmfAOriginal')).toBe('DmfAOriginal_20251.xsd');
		expect(chooseMainSchema(set, 'WorkerDeclaration')).toBeUndefined();
		await expect(schemaSetFromFolder(join(work, 'nowhere'))).rejects.toMatchObject({
			code: 'VALIDATION_SCHEMA_NOT_FOUND',
			hint: expect.stringContaining('Unpack the XSDs'),
		});
	});

	it('keeps its cache in the n8n data folder unless told otherwise', () => {
		expect(defaultSchemaCacheDir({ N8N_USER_FOLDER: '/data' })).toBe(
			'/data/.n8n/socialsecurity-xsd-cache',
		);
		expect(defaultSchemaCacheDir({ SOCIALSECURITY_XSD_CACHE_DIR: '/shared/xsd' })).toBe(
			'/shared/xsd',
		);
	});
});
