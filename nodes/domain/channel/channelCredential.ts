/**
 * The credential of one channel, as plain data, turned into what the transport and the signer need.
 * No n8n import: n8n hands us the decrypted credential object, a script can build it by hand.
 */
import { SocialSecurityError } from '../errors';
import { loadSshPrivateKey } from '../sshKeys/privateKey';
import { normalizeFingerprint } from '../sshKeys/hostKey';
import { SftpChannel, SftpChannelOptions } from '../transport/sftpChannel';

export interface ChannelCredentialData {
	host?: string;
	port?: number | string;
	username?: string;
	sender?: string;
	privateKey?: string;
	passphrase?: string;
	hostFingerprint?: string;
	certificateP12?: string;
	certificatePassword?: string;
	advanced?: {
		allowAnyKeyType?: boolean;
		connectTimeout?: number;
		operationTimeout?: number;
		hostAlgorithms?: string;
		legacySshRsa?: boolean;
	};
}

export interface ChannelSettings {
	connection: SftpChannelOptions;
	/** The sender number of the channel when the credential says it (6 digits), for ACRF-108 checks. */
	sender?: string;
	hasCertificate: boolean;
}

/** Validates the credential and decrypts the SSH key once. Throws SocialSecurityError with a hint. */
export async function channelSettingsFromCredential(
	data: ChannelCredentialData,
	options: { requireFingerprint?: boolean } = {},
): Promise<ChannelSettings> {
	const host = String(data.host ?? '').trim();
	const port = Number(data.port ?? 8022);
	const username = String(data.username ?? '').trim();
	if (!host)
		throw credentialError(
			'The credential has no host.',
			'Fill in the host: sftp.socialsecurity.be for the real channel.',
		);
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw credentialError(
			`The port "${String(data.port)}" is not a valid port number.`,
			'The social security channel uses port 8022.',
		);
	}
	if (!username)
		throw credentialError(
			'The credential has no technical user.',
			'Fill in the technical user of the channel (EXP… or UM…).',
		);
	if (!data.privateKey?.trim()) {
		throw credentialError(
			'The credential has no SSH private key.',
			'Paste the private key whose public key is registered on the portal.',
		);
	}
	const sender = String(data.sender ?? '').trim();
	if (sender && !/^\d{6}$/.test(sender)) {
		throw credentialError(
			`The sender number "${sender.slice(0, 20)}" must be exactly 6 digits.`,
			'Pad it with zeros on the left, e.g. 012345.',
		);
	}
	const fingerprints = String(data.hostFingerprint ?? '')
		.split(/[,\n]+/)
		.map((f) => f.trim())
		.filter(Boolean)
		.map((f) => normalizeFingerprint(f).display);
	if (options.requireFingerprint && fingerprints.length === 0) {
		throw new SocialSecurityError(
			'HOST_FINGERPRINT_MISSING',
			'No server host key fingerprint is set in the credential.',
			'Run the credential test once: it shows the fingerprint the server presents. Compare it with the published one and paste it into "Server Host Key Fingerprint".',
		);
	}
	const key = await loadSshPrivateKey(data.privateKey, data.passphrase || undefined, {
		allowAnyKeyType: data.advanced?.allowAnyKeyType === true,
	});
	const seconds = (value: number | undefined, fallback: number) =>
		value !== undefined && Number.isFinite(Number(value)) && Number(value) > 0
			? Number(value) * 1000
			: fallback;
	const algorithms = String(data.advanced?.hostAlgorithms ?? '')
		.split(',')
		.map((a) => a.trim())
		.filter(Boolean);
	return {
		connection: {
			host,
			port,
			username,
			privateKey: key.privateKey,
			keyFingerprint: key.fingerprintSha256,
			hostFingerprints: fingerprints,
			hostKeyAlgorithms: algorithms.length > 0 ? algorithms : undefined,
			connectTimeoutMs: seconds(data.advanced?.connectTimeout, 20_000),
			operationTimeoutMs: seconds(data.advanced?.operationTimeout, 60_000),
			legacySshRsaLogin: data.advanced?.legacySshRsa === true,
		},
		sender: sender || undefined,
		hasCertificate: Boolean(data.certificateP12?.trim()),
	};
}

/** Opens the channel; one per node execution, shared by all items. */
export async function openChannel(
	data: ChannelCredentialData,
): Promise<{ channel: SftpChannel; settings: ChannelSettings }> {
	const settings = await channelSettingsFromCredential(data);
	return { channel: await SftpChannel.open(settings.connection), settings };
}

function credentialError(message: string, hint: string): SocialSecurityError {
	return new SocialSecurityError('CREDENTIAL_INVALID', message, hint);
}
