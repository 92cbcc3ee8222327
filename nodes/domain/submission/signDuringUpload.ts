/**
 * "Sign Missing Signatures" in one pass over each FI: the digest is taken from the FI's upload and the
 * FS made from it is sent after every FI, as the order of a set requires (FI…, FS…, then the GO;
 * docs/batch-channel.md). The upload already hashes every byte it writes with SHA-256, so a SHA-256
 * FS costs no read and no hash of its own; a SHA-1 FS hashes the same chunks as they are uploaded.
 * The FS is made only once its FI is on the server complete with its size checked: if the FI upload
 * fails, no FS is made and no GO is sent (uploadSet.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { SocialSecurityError } from '../errors';
import type { SignDigest } from '../signing/cmsSignature';
import type { DeclarationSignature } from '../signing/declarationSigner';
import type { SetFile } from './declarationSet';

/** Makes the FS from the digest of the FI's bytes (declarationSigner.ts signDeclarationDigest). */
export type SignFromDigest = (messageDigest: Buffer, signedBytes: number) => DeclarationSignature;

export interface SignedDuringUpload {
	/** The FI, to send in place of the given one: its upload yields the digest. */
	declaration: SetFile;
	/** The FS, to send after the FI: made when it is opened, from the digest of the FI sent. */
	signature: SetFile;
	/** The signature once made (after the FI was sent), for the output. */
	made: () => DeclarationSignature | undefined;
}

export function signDuringUpload(
	fi: SetFile,
	fsName: string,
	digest: SignDigest,
	sign: SignFromDigest,
): SignedDuringUpload {
	let sentDigest: { digest: Buffer; size: number } | undefined;
	let signature: DeclarationSignature | undefined;
	// SHA-1: the chunks of the last reading of the FI (an upload, or a comparison when resuming).
	let reading: { hash: Hash; size: number; ended: boolean } | undefined;

	const declaration: SetFile = {
		name: fi.name,
		size: fi.size,
		open:
			digest === 'sha256'
				? fi.open
				: async () => {
						const state = { hash: createHash(digest), size: 0, ended: false };
						reading = state;
						return Readable.from(hashing(await fi.open(), state), { objectMode: false });
					},
		onSent: (sent) => {
			fi.onSent?.(sent);
			if (digest === 'sha256') {
				sentDigest = { digest: Buffer.from(sent.sha256, 'hex'), size: sent.size };
			} else if (reading?.ended && reading.size === sent.size) {
				sentDigest = { digest: reading.hash.digest(), size: sent.size };
			}
		},
	};
	const fs: SetFile = {
		name: fsName,
		open: () => {
			if (!signature) {
				if (!sentDigest) {
					throw new SocialSecurityError(
						'SIGNATURE_BEFORE_DECLARATION',
						`${fsName} cannot be made: ${fi.name} has not been sent completely, and an FS is made from the FI that was sent.`,
						'Send the FI files of a set before their FS files (this is a bug if it happens: please report it).',
					);
				}
				signature = sign(sentDigest.digest, sentDigest.size);
			}
			// The same bytes on every opening (e.g. a comparison when resuming): made once.
			return Readable.from([signature.content]);
		},
	};
	return { declaration, signature: fs, made: () => signature };
}

async function* hashing(
	source: AsyncIterable<unknown>,
	state: { hash: Hash; size: number; ended: boolean },
): AsyncGenerator<Buffer> {
	for await (const chunk of source) {
		const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
		state.hash.update(buffer);
		state.size += buffer.length;
		yield buffer;
	}
	state.ended = true;
}
