/** Verify: does an FS match its file (before upload, or the FS that comes with an answer)? */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import {
	assertSignatureValid,
	verifyDetachedOrInvalid,
} from '../../domain/signing/declarationSigner';
import { binaryToHash, openBinary } from '../../shared/binaryData';
import { resultItem } from '../../shared/itemResult';
import { binaryPropertyNames } from './common.descriptions';

interface VerifyOptions {
	failWhenInvalid?: boolean;
	trustedCertificatesPem?: string;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData> {
	const { fiProperty, fsProperty } = binaryPropertyNames(this, itemIndex);
	const chosen = this.getNodeParameter('verifyOptions', itemIndex, {}) as VerifyOptions;
	const fi = this.helpers.assertBinaryData(itemIndex, fiProperty);
	const fs = this.helpers.assertBinaryData(itemIndex, fsProperty);
	const fsBytes = await this.helpers.binaryToBuffer(await openBinary(this, fs));
	const verified = await verifyDetachedOrInvalid(fsBytes, await binaryToHash(this, fi), {
		trustedCertificatesPem: chosen.trustedCertificatesPem?.trim() || undefined,
	});
	if (chosen.failWhenInvalid)
		assertSignatureValid(verified, fs.fileName ?? fsProperty, fi.fileName ?? fiProperty);
	const signer = verified.signer;
	const result: IDataObject = {
		valid: verified.valid,
		...(verified.reason ? { reason: verified.reason } : {}),
		digestAlgorithm: verified.digestAlgorithm,
		...(verified.signingTime ? { signingTime: verified.signingTime.toISOString() } : {}),
		...(signer
			? {
					signer: {
						subject: signer.subject,
						issuer: signer.issuer,
						serialNumber: signer.serialNumber,
						notBefore: signer.notBefore.toISOString(),
						notAfter: signer.notAfter.toISOString(),
					},
				}
			: {}),
	};
	return resultItem(this.getInputData()[itemIndex], itemIndex, 'verification', result);
}

/** The options collection of Verify: a new option goes here and into VerifyOptions. */
const options: INodeProperties = {
	displayName: 'Options',
	name: 'verifyOptions',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Fail When Invalid',
			name: 'failWhenInvalid',
			type: 'boolean',
			default: false,
			description:
				'Whether an invalid signature stops the workflow; otherwise the item says valid: false and why',
		},
		{
			displayName: 'Trusted Certificates (PEM)',
			name: 'trustedCertificatesPem',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			description:
				'The signer must chain to one of these CA certificates. Empty: the signature is checked, not who issued the signer certificate.',
		},
	],
};

export const description = updateDisplayOptions({ show: { operation: ['verify'] } }, [options]);
