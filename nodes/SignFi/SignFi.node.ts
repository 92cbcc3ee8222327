import type {
	IBinaryData,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import {
	assertSignatureValid,
	signatureFileName,
	signDeclaration,
	verifyDetachedOrInvalid,
} from '../domain/signing/declarationSigner';
import { createCrlfTransform } from '../domain/signing/lineEndings';
import type { SignDigest } from '../domain/signing/cmsSignature';
import type { SignatureLayout } from '../domain/signing/signatureLayout';
import { openBinary } from '../shared/binaryData';
import { ChannelSession } from '../shared/channelSession';
import { socialSecurityChannelTest } from '../shared/credentialTest';
import { toNodeError } from '../shared/nodeErrors';
import { errorItem, withResult } from '../shared/itemResult';
import { signFiDescription } from './description';

interface SignOptions {
	convertToCrlf?: boolean;
	digest?: SignDigest;
	includeChain?: boolean;
	layout?: SignatureLayout;
	fsFileName?: string;
}

export class SignFi implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Sign FI',
		name: 'signFi',
		icon: { light: 'file:socialsecurity.svg', dark: 'file:socialsecurity.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ $parameter["operation"] === "verify" ? "Verify a signature" : "Sign a declaration" }}',
		description:
			'Make or check the signature file (FS) of a declaration for the Belgian social security',
		defaults: { name: 'Sign FI' },
		// Works on binary files, which an AI agent cannot pass as tool arguments.
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'belgianSocialSecuritySftpApi',
				required: true,
				testedBy: 'socialSecurityChannelTest',
				displayOptions: { show: { operation: ['sign'] } },
			},
		],
		properties: signFiDescription,
	};

	methods = { credentialTest: { socialSecurityChannelTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const session = new ChannelSession(this);
		const output: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex += 1) {
			try {
				const operation = this.getNodeParameter('operation', itemIndex) as string;
				output.push(
					operation === 'verify'
						? await verifyItem.call(this, itemIndex)
						: await signItem.call(this, session, itemIndex),
				);
			} catch (error) {
				if (this.continueOnFail()) {
					output.push(errorItem(this.getNode(), items[itemIndex], error, itemIndex));
					continue;
				}
				throw toNodeError(this.getNode(), error, itemIndex);
			}
		}
		return [output];
	}
}

async function signItem(
	this: IExecuteFunctions,
	session: ChannelSession,
	itemIndex: number,
): Promise<INodeExecutionData> {
	const fiProperty = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
	const fsProperty = this.getNodeParameter('signaturePropertyName', itemIndex) as string;
	const options = this.getNodeParameter('signOptions', itemIndex, {}) as SignOptions;
	const item = this.getInputData()[itemIndex];
	let fi: IBinaryData = this.helpers.assertBinaryData(itemIndex, fiProperty);
	// Before any work: a name problem must not cost a full read (and a stored copy) of a large file.
	const fsName = signatureFileName(fi.fileName, options.fsFileName);
	const binary = { ...(item.binary ?? {}) };
	if (options.convertToCrlf) {
		// Store the converted file first, then sign what was stored: the FS covers exactly the upload.
		const converted = (await openBinary(this, fi)).pipe(createCrlfTransform());
		fi = await this.helpers.prepareBinaryData(converted, fi.fileName, fi.mimeType);
		binary[fiProperty] = fi;
	}
	const signature = await signDeclaration(
		await openBinary(this, fi),
		fi.fileName,
		await session.signingIdentity(),
		{
			digest: options.digest,
			layout: options.layout,
			includeChain: options.includeChain,
		},
	);
	binary[fsProperty] = await this.helpers.prepareBinaryData(
		signature.content,
		fsName,
		'text/plain',
	);
	const json: IDataObject = {
		fi: fi.fileName,
		fs: fsName,
		digestAlgorithm: signature.digestAlgorithm,
		digest: signature.digestHex,
		signedBytes: signature.signedBytes,
		layout: signature.layout,
		signer: signature.signer,
		signingTime: signature.signingTime,
		convertedToCrlf: options.convertToCrlf === true,
	};
	return { json: withResult(item, 'signature', json), binary, pairedItem: { item: itemIndex } };
}

async function verifyItem(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData> {
	const fiProperty = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
	const fsProperty = this.getNodeParameter('signaturePropertyName', itemIndex) as string;
	const options = this.getNodeParameter('verifyOptions', itemIndex, {}) as {
		failWhenInvalid?: boolean;
		trustedCertificatesPem?: string;
	};
	const item = this.getInputData()[itemIndex];
	const fi = this.helpers.assertBinaryData(itemIndex, fiProperty);
	const fs = this.helpers.assertBinaryData(itemIndex, fsProperty);
	const fsBytes = await this.helpers.binaryToBuffer(await openBinary(this, fs));
	const result = await verifyDetachedOrInvalid(fsBytes, await openBinary(this, fi), {
		trustedCertificatesPem: options.trustedCertificatesPem?.trim() || undefined,
	});
	if (options.failWhenInvalid)
		assertSignatureValid(result, fs.fileName ?? fsProperty, fi.fileName ?? fiProperty);
	const json: IDataObject = {
		valid: result.valid,
		...(result.reason ? { reason: result.reason } : {}),
		digestAlgorithm: result.digestAlgorithm,
		...(result.signingTime ? { signingTime: result.signingTime.toISOString() } : {}),
		...(result.signer
			? {
					signer: {
						subject: result.signer.subject,
						issuer: result.signer.issuer,
						serialNumber: result.signer.serialNumber,
						notBefore: result.signer.notBefore.toISOString(),
						notAfter: result.signer.notAfter.toISOString(),
					},
				}
			: {}),
	};
	return {
		json: withResult(item, 'verification', json),
		binary: item.binary,
		pairedItem: { item: itemIndex },
	};
}
