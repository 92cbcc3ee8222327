import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { SocialSecurityError } from '../../../nodes/domain/errors';
import { signDetached, verifyDetached } from '../../../nodes/domain/signing/cmsSignature';
import { loadPkcs12 } from '../../../nodes/domain/signing/pkcs12';
import {
	decodeSignatureFile,
	encodeSignatureFile,
	formatSignature,
	type SignatureLayout,
} from '../../../nodes/domain/signing/signatureLayout';
import { exportP12, openssl, opensslOk, selfSigned, tempDir } from '../../helpers/certificates';

let dir: string;
let cleanup: () => void;
let der: Buffer;
const FI = Buffer.from('FI content\nwith LF\r\nand CRLF\n');

beforeAll(async () => {
	({ dir, cleanup } = tempDir('layout'));
	const pair = selfSigned(dir, 'signer', 'rsa2048', '/CN=Layout Signer');
	const identity = loadPkcs12(
		exportP12(dir, 'signer', 'pw', ['-in', pair.cert, '-inkey', pair.key]),
		'pw',
	);
	writeFileSync(join(dir, 'FI'), FI);
	der = (await signDetached(FI, identity, { includeChain: true })).der;
	expect(der.length).toBeGreaterThan(1000); // several lines in every layout
}, 60_000);

afterAll(() => cleanup());

/** Decodes the FS file with a shell pipeline into fs.der; true when the result is the DER. */
function shellDecode(file: string, pipeline: string): boolean {
	const result = spawnSync('sh', ['-c', `cat '${file}' | ${pipeline} > fs.der`], { cwd: dir });
	return result.status === 0 && readFileSync(join(dir, 'fs.der')).equals(der);
}

describe('formatSignature', () => {
	test('single-line: base64 on one line, no line break at all', () => {
		const text = formatSignature(der);
		expect(text).toBe(der.toString('base64'));
		expect(text).not.toMatch(/[\r\n]/);
		expect(formatSignature(der, 'single-line')).toBe(text);
	});

	test('cr-76: 76-column lines separated by a single CR, none after the last', () => {
		const text = formatSignature(der, 'cr-76');
		expect(text).not.toContain('\n');
		expect(text.endsWith('\r')).toBe(false);
		const lines = text.split('\r');
		expect(lines.slice(0, -1).every((line) => line.length === 76)).toBe(true);
		expect(lines[lines.length - 1].length).toBeGreaterThan(0);
		expect(lines[lines.length - 1].length).toBeLessThanOrEqual(76);
		expect(lines.join('')).toBe(der.toString('base64'));
	});

	test('pem-body: 64-column lines each ended by CRLF, no BEGIN/END lines', () => {
		const text = formatSignature(der, 'pem-body');
		expect(text).not.toContain('-----');
		expect(text.endsWith('\r\n')).toBe(true);
		expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
		const lines = text.slice(0, -2).split('\r\n');
		expect(lines.slice(0, -1).every((line) => line.length === 64)).toBe(true);
		expect(lines.join('')).toBe(der.toString('base64'));
	});

	test('encodeSignatureFile gives the ASCII bytes; an unknown layout is refused', () => {
		expect(encodeSignatureFile(der, 'cr-76').toString('ascii')).toBe(formatSignature(der, 'cr-76'));
		expect(() => formatSignature(der, 'crlf' as SignatureLayout)).toThrow(
			expect.objectContaining({ code: 'FS_LAYOUT_UNKNOWN' }),
		);
	});
});

describe('what the server gets from each layout', () => {
	// Which standard decoders turn the file back into the DER (GNU coreutils base64, OpenSSL 3 base64).
	const decoders: Record<SignatureLayout, Record<string, boolean>> = {
		'single-line': { 'base64 -d': true, 'openssl base64 -d -A': true, 'openssl base64 -d': false },
		'cr-76': {
			'base64 -d': false,
			"tr '\\r' '\\n' | base64 -d": true,
			'base64 -d -i': true,
			'openssl base64 -d': false,
		},
		'pem-body': { 'base64 -d': false, 'openssl base64 -d': true, "tr -d '\\r' | base64 -d": true },
	};

	test.each(Object.keys(decoders) as SignatureLayout[])(
		'%s decodes back and verifies with openssl',
		async (layout) => {
			const file = `fs.${layout}`;
			writeFileSync(join(dir, file), encodeSignatureFile(der, layout));
			expect(decodeSignatureFile(encodeSignatureFile(der, layout)).equals(der)).toBe(true);
			expect(decodeSignatureFile(formatSignature(der, layout)).equals(der)).toBe(true);
			for (const [pipeline, works] of Object.entries(decoders[layout])) {
				expect({ pipeline, works: shellDecode(file, pipeline) }).toEqual({ pipeline, works });
				if (!works) continue;
				const verified = opensslOk(dir, [
					'cms',
					'-verify',
					'-binary',
					'-inform',
					'DER',
					'-in',
					'fs.der',
					'-content',
					'FI',
					'-noverify',
					'-out',
					'/dev/null',
				]);
				expect(verified).toMatchObject({ ok: true });
			}
			expect((await verifyDetached(encodeSignatureFile(der, layout), FI)).valid).toBe(true);
		},
	);
});

describe('decodeSignatureFile', () => {
	test('full PEM with BEGIN/END lines (as openssl writes it), with LF or CRLF', () => {
		writeFileSync(join(dir, 'original.der'), der);
		openssl(dir, [
			'cms',
			'-cmsout',
			'-inform',
			'DER',
			'-in',
			'original.der',
			'-outform',
			'PEM',
			'-out',
			'fs.pem',
		]);
		const pem = readFileSync(join(dir, 'fs.pem'));
		expect(pem.toString()).toContain('-----BEGIN CMS-----');
		expect(decodeSignatureFile(pem).equals(der)).toBe(true);
		expect(decodeSignatureFile(pem.toString().replace(/\n/g, '\r\n')).equals(der)).toBe(true);
		const pkcs7 = `-----BEGIN PKCS7-----\n${formatSignature(der, 'pem-body')}-----END PKCS7-----\n`;
		expect(decodeSignatureFile(pkcs7).equals(der)).toBe(true);
	});

	test('raw DER, a UTF-8 BOM, surrounding blank lines', () => {
		expect(decodeSignatureFile(der).equals(der)).toBe(true);
		expect(
			decodeSignatureFile(
				Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(formatSignature(der))]),
			).equals(der),
		).toBe(true);
		expect(decodeSignatureFile(`\r\n\n${formatSignature(der, 'cr-76')}\r\n`).equals(der)).toBe(
			true,
		);
	});

	test.each([
		['empty', () => ''],
		['only blanks', () => ' \r\n '],
		['not base64', () => 'this is not a signature!'],
		['base64 of something else', () => Buffer.from('hello world').toString('base64')],
		['truncated base64', () => formatSignature(der).slice(0, 100)],
		['BEGIN without END', () => `-----BEGIN CMS-----\n${formatSignature(der)}`],
	])('%s is FS_INVALID', (_label, make) => {
		const input = make();
		expect(() => decodeSignatureFile(input)).toThrow(SocialSecurityError);
		expect(() => decodeSignatureFile(Buffer.from(input))).toThrow(
			expect.objectContaining({ code: 'FS_INVALID' }),
		);
	});

	test('truncated DER is FS_INVALID', () => {
		expect(() => decodeSignatureFile(der.subarray(0, der.length - 1))).toThrow(
			expect.objectContaining({ code: 'FS_INVALID' }),
		);
	});
});
