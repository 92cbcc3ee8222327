/** Submit: check the whole set, upload every FI and FS, then the GO that makes the server process it. */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { DEFAULT_MAX_AGE_DAYS } from '../../domain/names/fileNames';
import type { SignDigest } from '../../domain/signing/cmsSignature';
import type { SignatureLayout } from '../../domain/signing/signatureLayout';
import {
	SignaturePolicy,
	SubmissionPlan,
	planSubmission,
} from '../../domain/submission/declarationSet';
import {
	DEFAULT_PARALLEL_SETS,
	MAX_PARALLEL_SETS,
	PARALLEL_SETS_BUDGET,
	sharedFolderListing,
	submitPlannedSet,
} from '../../domain/submission/uploadSet';
import type { RemoteEntry, SftpChannel } from '../../domain/transport/sftpChannel';
import type { ChannelSession } from '../../shared/channelSession';
import { resultItem } from '../../shared/itemResult';
import { DIGEST_CHOICES, LAYOUT_CHOICES } from '../../shared/signatureChoices';
import { signMissing } from '../helpers/missingSignatures';
import { collectSetFiles } from '../helpers/setFiles';
import { DeclarationInvalidError } from '../../domain/validation';
import {
	loadSchemas,
	schemaSourceConfigured,
	schemaSourceProperties,
	validateFiles,
	ValidationMode,
	VALIDATION_MODES,
} from '../helpers/validation';

/** The options collection below: a new option goes there and here. */
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
	validateBeforeSending?: ValidationMode | boolean;
	xsdLocation?: string;
	xsdBinaryProperty?: string;
}

/**
 * Sets are sent several at a time over the one connection (each still FI…, FS…, then its GO). The first
 * item's option decides, as for Poll.
 */
export function parallelism(this: IExecuteFunctions): number {
	const options = this.getNodeParameter('options', 0, {}) as SubmitOptions;
	return Number(options.parallelSets ?? DEFAULT_PARALLEL_SETS);
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ChannelSession,
): Promise<INodeExecutionData> {
	const options = this.getNodeParameter('options', itemIndex, {}) as SubmitOptions;
	const { declarations, signatures } = await collectSetFiles.call(this, itemIndex);
	const settings = await session.credentialData();
	// Before anything is signed or sent: an FI that breaks its XSD would cost the set's name (docs/validation.md).
	const mode: ValidationMode =
		options.validateBeforeSending === true ? 'always' : options.validateBeforeSending || 'off';
	const check = mode === 'always' || (mode === 'ifConfigured' && schemaSourceConfigured(options));
	const validation = check
		? await validateFiles(declarations, await loadSchemas.call(this, itemIndex, options, session))
		: undefined;
	if (validation?.some((report) => !report.valid)) throw new DeclarationInvalidError(validation);
	const validated: IDataObject = validation
		? {
				validation: validation.map((r) => ({
					declaration: r.declaration,
					valid: r.valid,
					schema: r.schema,
					durationMs: r.durationMs,
				})),
			}
		: mode === 'ifConfigured'
			? {
					validation:
						'skipped: no XSD is set up (XSD Location, XSD Binary Property or SOCIALSECURITY_XSD_DIR)',
				}
			: {};
	const signaturesMade = options.signWhenMissing
		? await signMissing(session, declarations, signatures, {
				digest: options.signatureDigest,
				layout: options.signatureLayout,
				dryRun: options.dryRun,
			})
		: [];
	const plan = planSubmission(declarations, signatures, {
		expectedSender: settings.sender?.trim() || undefined,
		maxAgeDays: options.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS,
		signatureInTest: options.signatureInTest,
		signatureInDmfaTest: options.signatureInDmfaTest,
	});
	const item = this.getInputData()[itemIndex];
	if (options.dryRun) {
		const dryRun: IDataObject = {
			status: 'dry-run',
			...describePlan(plan),
			signaturesMade,
			...validated,
		};
		return resultItem(item, itemIndex, 'submission', dryRun);
	}
	const channel = await session.open();
	const record = await submitPlannedSet(channel, plan, {
		cleanupOnFailure: options.cleanupOnFailure,
		resume: options.resume,
		listing: listingOf(channel),
		maxInFlightBytes: Math.floor(
			PARALLEL_SETS_BUDGET / Math.max(1, options.parallelSets ?? DEFAULT_PARALLEL_SETS),
		),
	});
	const submitted: IDataObject = { status: 'submitted', ...record, signaturesMade, ...validated };
	return resultItem(item, itemIndex, 'submission', submitted);
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

const signaturePolicyOptions = [
	{ name: 'Required', value: 'required', description: 'Refuse to send an FI without its FS' },
	{ name: 'Optional', value: 'optional', description: 'Send the FS files that are there' },
	{ name: 'Not Sent', value: 'omit', description: 'Never send FS files in this environment' },
];

/** The options collection of Submit: a new option goes here and into SubmitOptions. */
const options: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Clean Up After a Failure',
			name: 'cleanupOnFailure',
			type: 'boolean',
			default: false,
			description:
				'Whether to remove the files of this attempt from the server when the upload fails. No GO is ever sent for an incomplete set, so the server ignores them either way.',
		},
		{
			displayName: 'Dry Run',
			name: 'dryRun',
			type: 'boolean',
			default: false,
			description: 'Whether to only check the set and show what would be sent, without connecting',
		},
		{
			displayName: 'Maximum Age of Date (Days)',
			name: 'maxAgeDays',
			type: 'number',
			default: 30,
			description:
				'How old the creation date in the names may be; the server refuses old dates (ACRF-126). 0 turns the check off.',
		},
		{
			displayName: 'Parallel Sets',
			name: 'parallelSets',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: MAX_PARALLEL_SETS },
			default: DEFAULT_PARALLEL_SETS,
			description:
				'How many items (sets) to send at the same time over the one connection. Each set is still sent FI, FS, then its GO only when the rest is complete; 1 sends them one by one.',
		},
		{
			displayName: 'Resume Interrupted Submission',
			name: 'resume',
			type: 'boolean',
			default: false,
			description:
				'Whether to keep files of this set that an interrupted attempt left on the server, after checking that their content is identical (SHA-256). Otherwise an existing name stops the submission.',
		},
		{
			displayName: 'Sign Missing Signatures',
			name: 'signWhenMissing',
			type: 'boolean',
			default: false,
			description:
				'Whether to make the FS of each FI that has none with the certificate of the credential, so a workflow can go from export to submission in one node',
		},
		{
			displayName: 'Signature Digest',
			name: 'signatureDigest',
			type: 'options',
			options: DIGEST_CHOICES,
			default: 'sha256',
			description: 'Hash algorithm of signatures made by "Sign Missing Signatures"',
		},
		{
			displayName: 'Signature File Layout',
			name: 'signatureLayout',
			type: 'options',
			options: LAYOUT_CHOICES,
			default: 'single-line',
			description: 'Layout of signatures made by "Sign Missing Signatures"',
		},
		{
			displayName: 'Signatures in DmfA Test (S)',
			name: 'signatureInDmfaTest',
			type: 'options',
			options: signaturePolicyOptions,
			default: 'omit',
			description:
				'Whether FS files are sent to INTEST-S. The DmfA declaration test does not need them.',
		},
		{
			displayName: 'Signatures in Test (T)',
			name: 'signatureInTest',
			type: 'options',
			options: signaturePolicyOptions,
			default: 'required',
			description:
				'Whether FS files are sent to INTEST. The test environment checks an FS when one is present (a bad one gives ACRF-125). Production always needs them.',
		},
		{
			displayName: 'Validate Before Sending',
			name: 'validateBeforeSending',
			type: 'options',
			options: VALIDATION_MODES,
			default: 'off',
			description:
				'Whether to check each FI against its XSD before signing or connecting, and refuse the set, naming line, element and rule, when one is not valid (the server would answer ACRF-255/312, ACRF-088 or ACRF-102 and the name would be spent). The XSDs: "XSD Location", "XSD Binary Property", or the folder in SOCIALSECURITY_XSD_DIR.',
		},
		// n8n lists a collection's options alphabetically: XSD Binary Property, then XSD Location.
		...schemaSourceProperties().sort((a, b) => a.displayName.localeCompare(b.displayName)),
	],
};

const properties: INodeProperties[] = [
	{
		displayName: 'Find Files By',
		name: 'filesFrom',
		type: 'options',
		options: [
			{
				name: 'Their File Names',
				value: 'fileNames',
				description:
					'Every binary of the item whose file name starts with FI. or FS. belongs to the set (what Build Filenames with "Rename Binaries" and Sign FI produce)',
			},
			{
				name: 'Binary Properties',
				value: 'properties',
				description: 'Name the binary properties that hold the FI parts and their FS files',
			},
		],
		default: 'fileNames',
	},
	{
		displayName: 'Declaration Binary Properties',
		name: 'declarationProperties',
		type: 'string',
		displayOptions: { show: { filesFrom: ['properties'] } },
		default: 'data',
		placeholder: 'data, data2, data3',
		description:
			'The binary properties holding the FI parts, comma-separated. Their file names must be FI names.',
	},
	{
		displayName: 'Signature Binary Properties',
		name: 'signatureProperties',
		type: 'string',
		displayOptions: { show: { filesFrom: ['properties'] } },
		default: '',
		placeholder: 'signature, signature2',
		description:
			'The binary properties holding the FS files, comma-separated. Leave empty when none are given (DmfA test, or with "Sign Missing Signatures").',
	},
	options,
];

export const description = updateDisplayOptions({ show: { operation: ['submit'] } }, properties);
