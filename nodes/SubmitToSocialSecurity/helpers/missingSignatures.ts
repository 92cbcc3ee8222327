/** "Sign Missing Signatures": the FS of each FI of the set that came without one, made with the credential's certificate. */
import type { IDataObject } from 'n8n-workflow';
import { Readable } from 'node:stream';
import type { SetFile } from '../../domain/submission/declarationSet';
import type { SignDigest } from '../../domain/signing/cmsSignature';
import {
	signatureFileName,
	signDeclaration,
	signDeclarationDigest,
} from '../../domain/signing/declarationSigner';
import type { SignatureLayout } from '../../domain/signing/signatureLayout';
import { signDuringUpload } from '../../domain/submission/signDuringUpload';
import type { ChannelSession } from '../../shared/channelSession';

/**
 * Adds the signatures to `signatures` and returns what it made, for the output. When the set is sent,
 * each FI in `declarations` is replaced by one whose upload gives the digest, and its FS is made from
 * it after the FI is on the server (nodes/domain/submission/signDuringUpload.ts): each FI is read
 * once. The returned entries get their digest then. A dry run sends nothing, so it signs by reading.
 */
export async function signMissing(
	session: ChannelSession,
	declarations: SetFile[],
	signatures: SetFile[],
	options: { digest?: SignDigest; layout?: SignatureLayout; dryRun?: boolean },
): Promise<IDataObject[]> {
	const made: IDataObject[] = [];
	const have = new Set(signatures.map((s) => s.name.slice(3)));
	for (const [index, fi] of declarations.entries()) {
		if (!fi.name.startsWith('FI.') || have.has(fi.name.slice(3))) continue;
		// Before anything is sent: a certificate that cannot sign today stops the item here.
		const identity = await session.signingIdentity();
		const fsName = signatureFileName(fi.name);
		const entry: IDataObject = { name: fsName, signer: identity.certificate.subject };
		made.push(entry);
		if (options.dryRun) {
			const signature = await signDeclaration(await fi.open(), fi.name, identity, options);
			const content = signature.content;
			signatures.push({ name: fsName, size: content.length, open: () => Readable.from([content]) });
			entry.digest = signature.digestHex;
			continue;
		}
		const digest = options.digest ?? 'sha256';
		const pair = signDuringUpload(fi, fsName, digest, (messageDigest, size) => {
			const signature = signDeclarationDigest(messageDigest, size, fi.name, identity, options);
			entry.digest = signature.digestHex;
			return signature;
		});
		declarations[index] = pair.declaration;
		signatures.push(pair.signature);
	}
	return made;
}
