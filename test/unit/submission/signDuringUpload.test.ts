/**
 * One pass over each FI (issue 15 part 3): Submit's FS made from the digest of the FI's upload
 * (nodes/domain/submission/signDuringUpload.ts), and Sign FI reading a file on disk into one reused
 * buffer (nodes/domain/signing/cmsInput.ts, nodes/shared/binaryData.ts). The uploads here are plain
 * readings that report what a real upload reports (size, SHA-256): the real ones are in
 * test/integration/submission/signDuringUpload.test.ts and test/faults/signDuringUploadCuts.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { IBinaryData } from 'n8n-workflow';
import { SocialSecurityError } from '../../../nodes/domain/errors';
import { verifyDetached } from '../../../nodes/domain/signing/cmsSignature';
import {
	loadSigningIdentity,
	signDeclaration,
	signDeclarationDigest,
} from '../../../nodes/domain/signing/declarationSigner';
import type { SigningIdentity } from '../../../nodes/domain/signing/pkcs12';
import { decodeSignatureFile } from '../../../nodes/domain/signing/signatureLayout';
import type { SetFile } from '../../../nodes/domain/submission/declarationSet';
import { signDuringUpload } from '../../../nodes/domain/submission/signDuringUpload';
import { binaryToHash } from '../../../nodes/shared/binaryData';
import { makeTestCredential, type TestCredential } from '../../helpers/n8nStub';

let credential: TestCredential;
let identity: SigningIdentity;
let dir: string;
beforeAll(() => {
	credential = makeTestCredential();
	identity = loadSigningIdentity(
		credential.data.certificateP12 as string,
		credential.data.certificatePassword as string,
	);
	dir = mkdtempSync(join(tmpdir(), 'sign-during-upload-'));
});
afterAll(() => {
	credential?.cleanup();
	rmSync(dir, { recursive: true, force: true });
});

const FI_NAME = 'FI.DMFA.000123.20260110.00001.T.1.1';
const FS_NAME = 'FS.DMFA.000123.20260110.00001.T.1.1';

/** An FI whose every opening and every chunk read is counted. */
function countedFi(content: Buffer, chunk = 64 * 1024) {
	const counts = { opens: 0, chunks: 0, bytes: 0 };
	const file: SetFile = {
		name: FI_NAME,
		size: content.length,
		open: () => {
			counts.opens += 1;
			return Readable.from(
				(function* () {
					for (let at = 0; at < content.length; at += chunk) {
						const piece = content.subarray(at, at + chunk);
						counts.chunks += 1;
						counts.bytes += piece.length;
						yield piece;
					}
				})(),
			);
		},
	};
	return { file, counts };
}

/** What uploadSet.ts does with a file: read it to its end, hash what was sent, report it when done. */
async function upload(file: SetFile): Promise<Buffer> {
	const parts: Buffer[] = [];
	const hash = createHash('sha256');
	for await (const chunk of await file.open()) {
		hash.update(chunk as Buffer);
		parts.push(chunk as Buffer);
	}
	const sent = Buffer.concat(parts);
	file.onSent?.({ size: sent.length, sha256: hash.digest('hex') });
	return sent;
}

const sign = (digest: 'sha256' | 'sha1') => (messageDigest: Buffer, size: number) =>
	signDeclarationDigest(messageDigest, size, FI_NAME, identity, { digest });

describe('An FS made from the upload of its FI', () => {
	it.each(['sha256', 'sha1'] as const)(
		'reads the FI once, and the FS (%s) verifies against the bytes sent',
		async (digest) => {
			const content = randomBytes(1024 * 1024 + 333);
			const { file, counts } = countedFi(content);
			const pair = signDuringUpload(file, FS_NAME, digest, sign(digest));
			expect(pair.made()).toBeUndefined();

			const sent = await upload(pair.declaration);
			const fs = await upload(pair.signature);

			expect(counts).toEqual({ opens: 1, chunks: 17, bytes: content.length });
			expect(sent.equals(content)).toBe(true);
			const made = pair.made();
			expect(made).toMatchObject({
				fsName: FS_NAME,
				digestAlgorithm: digest,
				digestHex: createHash(digest).update(content).digest('hex'),
				signedBytes: content.length,
			});
			expect(fs.equals(made?.content as Buffer)).toBe(true);
			const verified = await verifyDetached(decodeSignatureFile(fs), content);
			expect(verified).toMatchObject({ valid: true, digestAlgorithm: digest });
		},
	);

	it('gives the same FS bytes on every opening (a resume compares them)', async () => {
		const { file } = countedFi(randomBytes(5000));
		const pair = signDuringUpload(file, FS_NAME, 'sha256', sign('sha256'));
		await upload(pair.declaration);
		expect((await upload(pair.signature)).equals(await upload(pair.signature))).toBe(true);
	});

	it('is the same FS as signing the FI by reading it', async () => {
		const content = randomBytes(70_000);
		const signingTime = new Date('2026-01-10T10:00:00Z');
		const { file } = countedFi(content);
		const pair = signDuringUpload(file, FS_NAME, 'sha256', (d, size) =>
			signDeclarationDigest(d, size, FI_NAME, identity, { signingTime }),
		);
		await upload(pair.declaration);
		const read = await signDeclaration(content, FI_NAME, identity, { signingTime });
		expect((await upload(pair.signature)).equals(read.content)).toBe(true);
	});

	it.each(['sha256', 'sha1'] as const)(
		'refuses to make the FS (%s) before its FI was sent complete',
		async (digest) => {
			const { file } = countedFi(randomBytes(300_000));
			const pair = signDuringUpload(file, FS_NAME, digest, sign(digest));
			// An upload that broke off: read in part, never reported as sent.
			const stream = (await pair.declaration.open())[Symbol.asyncIterator]();
			await stream.next();
			await stream.return?.();
			expect(() => pair.signature.open()).toThrow(
				expect.objectContaining({ code: 'SIGNATURE_BEFORE_DECLARATION' }),
			);
			expect(pair.made()).toBeUndefined();
		},
	);

	it('does not sign SHA-1 chunks other than those the server confirmed', async () => {
		const content = randomBytes(200_000);
		const { file } = countedFi(content);
		const pair = signDuringUpload(file, FS_NAME, 'sha1', sign('sha1'));
		let read = 0;
		for await (const chunk of await pair.declaration.open()) read += (chunk as Buffer).length;
		expect(read).toBe(content.length);
		pair.declaration.onSent?.({ size: content.length - 1, sha256: '00' });
		expect(() => pair.signature.open()).toThrow(SocialSecurityError);
	});
});

describe('Sign FI reading a file on disk into one reused buffer', () => {
	it('signs and verifies a file path exactly as its bytes, across several 4 MiB reads', async () => {
		const content = randomBytes(9 * 1024 * 1024 + 7);
		const path = join(dir, 'big.fi');
		writeFileSync(path, content);
		const signingTime = new Date('2026-01-10T10:00:00Z');
		const fromFile = await signDeclaration({ filePath: path }, FI_NAME, identity, { signingTime });
		const fromBytes = await signDeclaration(content, FI_NAME, identity, { signingTime });
		expect(fromFile.content.equals(fromBytes.content)).toBe(true);
		expect(fromFile.signedBytes).toBe(content.length);
		const verified = await verifyDetached(decodeSignatureFile(fromFile.content), {
			filePath: path,
		});
		expect(verified.valid).toBe(true);
	});

	it('says clearly when the file cannot be read', async () => {
		await expect(
			signDeclaration({ filePath: join(dir, 'missing.fi') }, FI_NAME, identity),
		).rejects.toMatchObject({ code: 'SIGN_INPUT_UNREADABLE' });
	});

	describe('which binaries are read from their file', () => {
		const path = () => {
			const p = join(dir, 'stored.bin');
			writeFileSync(p, 'FI bytes');
			return p;
		};
		const context = (getBinaryPath?: (id: string) => string) => {
			const streamed: string[] = [];
			const helpers = {
				getBinaryStream: async (id: string) => {
					streamed.push(id);
					return Readable.from([Buffer.from('FI bytes')]);
				},
				...(getBinaryPath ? { getBinaryPath } : {}),
			};
			return { ctx: { helpers } as unknown as Parameters<typeof binaryToHash>[0], streamed };
		};
		const binary = (id?: string): IBinaryData =>
			({
				mimeType: 'text/plain',
				data: id ? 'filesystem-v2' : Buffer.from('FI bytes').toString('base64'),
				...(id ? { id } : {}),
			}) as IBinaryData;

		it("n8n's filesystem mode: the file itself, not a stream", async () => {
			const p = path();
			const { ctx, streamed } = context(() => p);
			expect(await binaryToHash(ctx, binary('filesystem-v2:workflows/1/binary_data/x'))).toEqual({
				filePath: p,
			});
			expect(streamed).toEqual([]);
		});

		it.each([
			[
				'a store without file paths (the bare id comes back)',
				'filesystem-v2:a/b',
				(id: string) => id.split(':')[1],
			],
			['a path that is not there', 'filesystem-v2:a/b', () => join(dir, 'gone')],
			['database mode', 'database:123', () => '/should/not/be/used'],
			['an n8n without getBinaryPath', 'filesystem-v2:a/b', undefined],
		])('%s: the stream, as before', async (_label, id, getPath) => {
			const { ctx, streamed } = context(getPath);
			expect(await binaryToHash(ctx, binary(id))).toBeInstanceOf(Readable);
			expect(streamed).toEqual([id]);
		});

		it('memory mode (bytes in the item): read from the item', async () => {
			const { ctx, streamed } = context(() => path());
			const input = await binaryToHash(ctx, binary());
			expect(input).toBeInstanceOf(Readable);
			expect(streamed).toEqual([]);
		});
	});
});
