/**
 * The credential test: can we log in, is the server the one we pinned, does the account have its six
 * folders, and is the signing certificate usable. Returns a verdict for people, never throws.
 */
import { SocialSecurityError } from '../errors';
import { ALL_FOLDERS } from '../names/environments';
import { checkCertificateValidity, loadPkcs12 } from '../signing/pkcs12';
import { SftpChannel } from '../transport/sftpChannel';
import { ChannelCredentialData, channelSettingsFromCredential } from './channelCredential';

export interface ChannelCheckResult {
	ok: boolean;
	message: string;
	/** The fingerprint the server presented, when the handshake got that far. */
	serverFingerprint?: string;
	warnings: string[];
}

export async function checkChannel(
	data: ChannelCredentialData,
	now: Date = new Date(),
): Promise<ChannelCheckResult> {
	const warnings: string[] = [];
	let certificateSummary = '';
	try {
		const settings = await channelSettingsFromCredential(data);
		if (settings.hasCertificate) {
			const identity = loadPkcs12(
				String(data.certificateP12),
				String(data.certificatePassword ?? ''),
			);
			const validity = checkCertificateValidity(identity.certificate, now, 30);
			if (!validity.valid) return { ok: false, message: validity.message, warnings };
			if (validity.expiresSoon) warnings.push(validity.message);
			certificateSummary = ` Signing certificate: ${identity.certificate.subject}, valid until ${identity.certificate.notAfter.toISOString().slice(0, 10)}.`;
		}
		const channel = await SftpChannel.open(settings.connection);
		try {
			const present = new Set(
				(await channel.list('/')).filter((e) => e.type === 'dir').map((e) => e.name),
			);
			const missing = ALL_FOLDERS.filter((f) => !present.has(f));
			if (missing.length > 0) {
				return {
					ok: false,
					message: `Logged in, but the account lacks the folder(s) ${missing.join(', ')}. Check that this is the technical user of a batch channel.`,
					serverFingerprint: channel.presentedFingerprint,
					warnings,
				};
			}
			return {
				ok: true,
				message: `Connected as ${settings.connection.username} to ${settings.connection.host}:${settings.connection.port} (host key ${channel.presentedFingerprint}); all six folders are there.${certificateSummary}${
					warnings.length > 0 ? ` Warning: ${warnings.join(' ')}` : ''
				}`,
				serverFingerprint: channel.presentedFingerprint,
				warnings,
			};
		} finally {
			await channel.close();
		}
	} catch (error) {
		if (error instanceof SocialSecurityError) {
			return {
				ok: false,
				message: [error.message, error.hint].filter(Boolean).join(' '),
				serverFingerprint: error.details?.presentedFingerprint,
				warnings,
			};
		}
		return {
			ok: false,
			message: 'The channel could not be checked because of an unexpected error.',
			warnings,
		};
	}
}
