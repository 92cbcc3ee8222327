/**
 * Signing a declaration for the channel: the FS file content for an FI, in the chosen layout, with the
 * facts a workflow wants to keep (digest, signer, validity). Shared by Sign FI and by Submit's
 * "sign when the FS is missing", so both make exactly the same FS.
 */
import { SocialSecurityError } from '../errors';
import { signatureNameForDeclaration } from '../names/fileNames';
import type { Input } from './cmsInput';
import {
	SignDigest,
	signDetached,
	signDigest,
	verifyDetached,
	VerifyOptions,
	VerifyResult,
} from './cmsSignature';
import { SigningIdentity, assertCertificateValid, loadPkcs12 } from './pkcs12';
import { SignatureLayout, encodeSignatureFile } from './signatureLayout';

export interface DeclarationSignature {
	/** The FS file's bytes (base64 text in the chosen layout). */
	content: Buffer;
	/** `FS.…` when the FI name is an FI name. */
	fsName?: string;
	digestAlgorithm: SignDigest;
	digestHex: string;
	signedBytes: number;
	layout: SignatureLayout;
	signer: {
		subject: string;
		issuer: string;
		serialNumber: string;
		notBefore: string;
		notAfter: string;
	};
	signingTime: string;
}

export interface SignDeclarationOptions {
	digest?: SignDigest;
	layout?: SignatureLayout;
	includeChain?: boolean;
	signingTime?: Date;
}

/** Loads the channel's .p12 and refuses a certificate that cannot sign today. */
export function loadSigningIdentity(
	p12Base64: string | undefined,
	password: string | undefined,
	now: Date = new Date(),
): SigningIdentity {
	if (!p12Base64 || !p12Base64.trim()) {
		throw new SocialSecurityError(
			'SIGNING_CERTIFICATE_MISSING',
			'The credential has no signing certificate (.p12).',
			'Paste the PKCS#12 file of the certificate registered on the channel, in base64 (e.g. "base64 -w0 cert.p12"), and its password into the credential.',
		);
	}
	const identity = loadPkcs12(p12Base64, password ?? '');
	assertCertificateValid(identity.certificate, now);
	return identity;
}

export async function signDeclaration(
	fi: Input,
	fiName: string | undefined,
	identity: SigningIdentity,
	options: SignDeclarationOptions = {},
): Promise<DeclarationSignature> {
	const signingTime = options.signingTime ?? new Date();
	const result = await signDetached(fi, identity, {
		digest: options.digest ?? 'sha256',
		signingTime,
		includeChain: options.includeChain,
	});
	return describe(result.der, result.digestHex, result.size, fiName, identity, {
		...options,
		signingTime,
	});
}

/**
 * The FS from a digest of the FI computed elsewhere: by Submit while it uploads the FI, so the file is
 * read once (docs/signing-and-keys.md). `messageDigest` must be the `digest` hash of the exact bytes.
 */
export function signDeclarationDigest(
	messageDigest: Buffer,
	signedBytes: number,
	fiName: string | undefined,
	identity: SigningIdentity,
	options: SignDeclarationOptions = {},
): DeclarationSignature {
	const signingTime = options.signingTime ?? new Date();
	const der = signDigest(messageDigest, identity, {
		digest: options.digest ?? 'sha256',
		signingTime,
		includeChain: options.includeChain,
	});
	return describe(der, messageDigest.toString('hex'), signedBytes, fiName, identity, {
		...options,
		signingTime,
	});
}

function describe(
	der: Buffer,
	digestHex: string,
	signedBytes: number,
	fiName: string | undefined,
	identity: SigningIdentity,
	options: SignDeclarationOptions & { signingTime: Date },
): DeclarationSignature {
	const layout = options.layout ?? 'single-line';
	const cert = identity.certificate;
	return {
		content: encodeSignatureFile(der, layout),
		fsName: fiName ? signatureNameForDeclaration(fiName) : undefined,
		digestAlgorithm: options.digest ?? 'sha256',
		digestHex,
		signedBytes,
		layout,
		signer: {
			subject: cert.subject,
			issuer: cert.issuer,
			serialNumber: cert.serialNumber,
			notBefore: cert.notBefore.toISOString(),
			notAfter: cert.notAfter.toISOString(),
		},
		signingTime: new Date(Math.floor(options.signingTime.getTime() / 1000) * 1000).toISOString(),
	};
}

/** The FS name: the user's, or made from the FI name; a file not named FI.… needs the user's. */
export function signatureFileName(fiName: string | undefined, override?: string): string {
	const name = override?.trim() || (fiName ? signatureNameForDeclaration(fiName) : undefined);
	if (!name) {
		throw new SocialSecurityError(
			'FS_NAME_UNKNOWN',
			`The declaration "${(fiName ?? '(no name)').slice(0, 80)}" is not named FI.…, so the name of its signature cannot be made from it.`,
			'Name the declaration with Build Filenames ("Rename Binaries to FI Names") first, or set "Signature File Name".',
		);
	}
	return name;
}

/** Throws when a verification failed: for workflows that must stop on a bad signature. */
export function assertSignatureValid(
	result: { valid: boolean; reason?: string },
	fsName: string,
	fiName: string,
): void {
	if (result.valid) return;
	throw new SocialSecurityError(
		'FS_DOES_NOT_MATCH',
		`The signature ${fsName} does not match ${fiName}: ${result.reason ?? 'invalid'}.`,
		'Sign the exact bytes that are uploaded (ACRF-125). A file changed after signing (e.g. its line endings) no longer matches.',
	);
}

/** Like verifyDetached, but an FS that cannot even be read is an invalid signature, with the reason. */
export async function verifyDetachedOrInvalid(
	fs: Buffer,
	content: Input,
	options: VerifyOptions = {},
): Promise<VerifyResult> {
	try {
		return await verifyDetached(fs, content, options);
	} catch (error) {
		if (error instanceof SocialSecurityError && error.code === 'FS_INVALID') {
			return { valid: false, reason: error.message, digestAlgorithm: 'unknown' };
		}
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
		throw error;
	}
}
