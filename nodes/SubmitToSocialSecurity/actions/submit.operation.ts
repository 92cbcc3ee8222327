import type { IBinaryData, IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { Readable } from 'node:stream';
import { SocialSecurityError } from '../../domain/errors';
import { DEFAULT_MAX_AGE_DAYS } from '../../domain/names/fileNames';
import {
	SetFile,
	SignaturePolicy,
	planSubmission,
	SubmissionPlan,
} from '../../domain/submission/declarationSet';
import {
	DEFAULT_PARALLEL_SETS,
	PARALLEL_SETS_BUDGET,
	sharedFolderListing,
	submitPlannedSet,
} from '../../domain/submission/uploadSet';
import type { RemoteEntry, SftpChannel } from '../../domain/transport/sftpChannel';
import { signDeclaration } from '../../domain/signing/declarationSigner';
import type { SignDigest } from '../../domain/signing/cmsSignature';
import type { SignatureLayout } from '../../domain/signing/signatureLayout';
import { binarySize, openBinary } from '../../shared/binaryData';
import type { ChannelSession } from '../../shared/channelSession';

interface SubmitOptions {
	cleanupOnFailure?: boolean;
	dryRun?: boolean;
	maxAgeDays?: number;
	resume?: boolean;
	signWhenMissing?: boolean;
	signatureDigest?: SignDigest;
	signatureLayout?: SignatureLayout;
	signatureInDmfaTest?: SignaturePolicy;
	signatureInTest?: SignaturePolicy;
	parallelSets?: number;
}

export async function submitSet(
	this: IExecuteFunctions,
	session: ChannelSession,
	itemIndex: number,
): Promise<IDataObject> {
	const options = this.getNodeParameter('options', itemIndex, {}) as SubmitOptions;
	const { declarations, signatures } = await collectSetFiles.call(this, itemIndex);
	const settings = await session.credentialData();
	const madeSignatures: IDataObject[] = [];
	if (options.signWhenMissing) {
		const have = new Set(signatures.map((s) => s.name.slice(3)));
		for (const fi of declarations) {
			if (!fi.name.startsWith('FI.') || have.has(fi.name.slice(3))) continue;
			const signature = await signDeclaration(
				await fi.open(),
				fi.name,
				await session.signingIdentity(),
				{
					digest: options.signatureDigest,
					layout: options.signatureLayout,
				},
			);
			const content = signature.content;
			signatures.push({
				name: signature.fsName as string,
				size: content.length,
				open: () => Readable.from([content]),
			});
			madeSignatures.push({
				name: signature.fsName,
				digest: signature.digestHex,
				signer: signature.signer.subject,
			});
		}
	}
	const plan = planSubmission(declarations, signatures, {
		expectedSender: settings.sender?.trim() || undefined,
		maxAgeDays: options.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS,
		signatureInTest: options.signatureInTest,
		signatureInDmfaTest: options.signatureInDmfaTest,
	});
	if (options.dryRun)
		return { status: 'dry-run', ...describePlan(plan), signaturesMade: madeSignatures };
	const channel = await session.open();
	const record = await submitPlannedSet(channel, plan, {
		cleanupOnFailure: options.cleanupOnFailure,
		resume: options.resume,
		listing: listingOf(channel),
		maxInFlightBytes: Math.floor(
			PARALLEL_SETS_BUDGET / Math.max(1, options.parallelSets ?? DEFAULT_PARALLEL_SETS),
		),
	});
	return {
		status: 'submitted',
		...(record as unknown as IDataObject),
		signaturesMade: madeSignatures,
	};
}

/**
 * The sets of one execution share one listing of the upload folder per connection (see
 * SubmitOptions.listing in nodes/domain/submission/uploadSet.ts); a new connection lists again.
 */
const listings = new WeakMap<SftpChannel, (folder: string) => Promise<RemoteEntry[]>>();
function listingOf(channel: SftpChannel): (folder: string) => Promise<RemoteEntry[]> {
	let listing = listings.get(channel);
	if (!listing) {
		listing = sharedFolderListing(channel);
		listings.set(channel, listing);
	}
	return listing;
}

function describePlan(plan: SubmissionPlan): IDataObject {
	return {
		go: plan.go,
		td: plan.td,
		folder: plan.folder,
		responseFolder: plan.responseFolder,
		set: { ...plan.set },
		wouldSend: [
			...plan.files.map((f) => ({ name: f.name, role: f.role, part: f.part, size: f.size })),
			{ name: plan.go, role: 'GO', size: 0 },
		],
		signaturesNotSent: plan.signaturesNotSent,
	};
}

/** The FI and FS files of the item, as the user chose to find them. */
async function collectSetFiles(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<{ declarations: SetFile[]; signatures: SetFile[] }> {
	const filesFrom = this.getNodeParameter('filesFrom', itemIndex, 'fileNames') as string;
	const binaries = this.getInputData()[itemIndex].binary ?? {};
	const toSetFile = async (property: string, binary: IBinaryData): Promise<SetFile> => {
		if (!binary.fileName) {
			throw new SocialSecurityError(
				'BINARY_WITHOUT_NAME',
				`The binary "${property}" has no file name, so it cannot be placed in the set.`,
				'Use Build Filenames with "Rename Binaries to FI Names" before this node.',
			);
		}
		return {
			name: binary.fileName,
			size: await binarySize(this, binary),
			open: () => openBinary(this, binary),
		};
	};
	if (filesFrom === 'properties') {
		const list = (name: string) =>
			String(this.getNodeParameter(name, itemIndex, ''))
				.split(',')
				.map((p) => p.trim())
				.filter(Boolean);
		const read = (property: string) =>
			toSetFile(property, this.helpers.assertBinaryData(itemIndex, property));
		return {
			declarations: await Promise.all(list('declarationProperties').map(read)),
			signatures: await Promise.all(list('signatureProperties').map(read)),
		};
	}
	const declarations: SetFile[] = [];
	const signatures: SetFile[] = [];
	for (const [property, binary] of Object.entries(binaries)) {
		const name = binary.fileName ?? '';
		if (name.startsWith('FI.')) declarations.push(await toSetFile(property, binary));
		else if (name.startsWith('FS.')) signatures.push(await toSetFile(property, binary));
	}
	if (declarations.length === 0) {
		const names = Object.entries(binaries).map(([p, b]) => `${p}: ${b.fileName ?? '(no name)'}`);
		throw new SocialSecurityError(
			'SET_NO_DECLARATION',
			`The item has no binary whose file name starts with FI. ${names.length > 0 ? `(it has ${names.join(', ')})` : '(it has no binary at all)'}.`,
			'Put Build Filenames with "Rename Binaries to FI Names" before this node, or choose "Find Files By: Binary Properties".',
		);
	}
	return { declarations, signatures };
}
