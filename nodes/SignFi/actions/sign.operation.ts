/** Sign: the FS of a declaration, a detached CMS signature over the exact bytes of its FI. */
import type {
	IBinaryData,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import type { SignDigest } from '../../domain/signing/cmsSignature';
import { signatureFileName, signDeclaration } from '../../domain/signing/declarationSigner';
import { createCrlfTransform } from '../../domain/signing/lineEndings';
import type { SignatureLayout } from '../../domain/signing/signatureLayout';
import { binaryToHash, openBinary } from '../../shared/binaryData';
import type { ChannelSession } from '../../shared/channelSession';
import { resultItem } from '../../shared/itemResult';
import { binaryPropertyNames } from './common.descriptions';
import { DIGEST_CHOICES, LAYOUT_CHOICES } from '../../shared/signatureChoices';

interface SignOptions {
	convertToCrlf?: boolean;
	digest?: SignDigest;
	includeChain?: boolean;
	layout?: SignatureLayout;
	fsFileName?: string;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ChannelSession,
): Promise<INodeExecutionData> {
	const { fiProperty, fsProperty } = binaryPropertyNames(this, itemIndex);
	const chosen = this.getNodeParameter('signOptions', itemIndex, {}) as SignOptions;
	const item = this.getInputData()[itemIndex];
	let fi: IBinaryData = this.helpers.assertBinaryData(itemIndex, fiProperty);
	// Before any work: a name problem must not cost a full read (and a stored copy) of a large file.
	const fsName = signatureFileName(fi.fileName, chosen.fsFileName);
	const binary = { ...(item.binary ?? {}) };
	if (chosen.convertToCrlf) {
		// Store the converted file first, then sign what was stored: the FS covers exactly the upload.
		const converted = (await openBinary(this, fi)).pipe(createCrlfTransform());
		fi = await this.helpers.prepareBinaryData(converted, fi.fileName, fi.mimeType);
		binary[fiProperty] = fi;
	}
	const signature = await signDeclaration(
		await binaryToHash(this, fi),
		fi.fileName,
		await session.signingIdentity(),
		{ digest: chosen.digest, layout: chosen.layout, includeChain: chosen.includeChain },
	);
	binary[fsProperty] = await this.helpers.prepareBinaryData(
		signature.content,
		fsName,
		'text/plain',
	);
	const result: IDataObject = {
		fi: fi.fileName,
		fs: fsName,
		digestAlgorithm: signature.digestAlgorithm,
		digest: signature.digestHex,
		signedBytes: signature.signedBytes,
		layout: signature.layout,
		signer: signature.signer,
		signingTime: signature.signingTime,
		convertedToCrlf: chosen.convertToCrlf === true,
	};
	return resultItem(item, itemIndex, 'signature', result, { binary });
}

/** The options collection of Sign: a new option goes here and into SignOptions. */
const options: INodeProperties = {
	displayName: 'Options',
	name: 'signOptions',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Convert FI to CRLF Line Endings',
			name: 'convertToCrlf',
			type: 'boolean',
			default: false,
			description:
				'Whether to convert the line endings of the declaration to CRLF (Windows) before signing, as other sending software does. The converted file replaces the input binary, so what is uploaded is exactly what was signed.',
		},
		{
			displayName: 'Digest',
			name: 'digest',
			type: 'options',
			options: DIGEST_CHOICES,
			default: 'sha256',
			description: 'Hash algorithm of the signature',
		},
		{
			displayName: 'Include Certificate Chain',
			name: 'includeChain',
			type: 'boolean',
			default: false,
			description:
				'Whether to also embed the issuing certificates found in the .p12 (by default only the signer certificate, as OpenSSL does)',
		},
		{
			displayName: 'Signature File Layout',
			name: 'layout',
			type: 'options',
			options: LAYOUT_CHOICES,
			default: 'single-line',
			description: 'How the base64 signature is laid out in the FS file',
		},
		{
			displayName: 'Signature File Name',
			name: 'fsFileName',
			type: 'string',
			default: '',
			placeholder: 'FS.DMFA.101380.20260110.00001.T.1.1',
			description:
				'Name of the FS file. Empty: made from the FI name (FI.… becomes FS.…); a file not named FI.… then needs a name here.',
		},
	],
};

export const description = updateDisplayOptions({ show: { operation: ['sign'] } }, [options]);
