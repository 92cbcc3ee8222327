/** "Sign Missing Signatures": the FS of each FI of the set that came without one, made with the credential's certificate. */
import type { IDataObject } from 'n8n-workflow';
import { Readable } from 'node:stream';
import type { SetFile } from '../../domain/submission/declarationSet';
import type { SignDigest } from '../../domain/signing/cmsSignature';
import { signDeclaration } from '../../domain/signing/declarationSigner';
import type { SignatureLayout } from '../../domain/signing/signatureLayout';
import type { ChannelSession } from '../../shared/channelSession';

/** Adds the signatures it makes to `signatures` and returns what it made, for the output. */
export async function signMissing(
	session: ChannelSession,
	declarations: SetFile[],
	signatures: SetFile[],
	options: { digest?: SignDigest; layout?: SignatureLayout },
): Promise<IDataObject[]> {
	const made: IDataObject[] = [];
	const have = new Set(signatures.map((s) => s.name.slice(3)));
	for (const fi of declarations) {
		if (!fi.name.startsWith('FI.') || have.has(fi.name.slice(3))) continue;
		const signature = await signDeclaration(
			await fi.open(),
			fi.name,
			await session.signingIdentity(),
			options,
		);
		const content = signature.content;
		signatures.push({
			name: signature.fsName as string,
			size: content.length,
			open: () => Readable.from([content]),
		});
		made.push({
			name: signature.fsName,
			digest: signature.digestHex,
			signer: signature.signer.subject,
		});
	}
	return made;
}
