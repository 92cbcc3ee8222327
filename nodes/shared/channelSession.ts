/**
 * The channel of one node execution: credential read once, SSH key decrypted once, connection opened
 * on first use and shared by every item, closed (with a bounded wait) at the end.
 */
import type { IExecuteFunctions, IPollFunctions } from 'n8n-workflow';
import {
	ChannelCredentialData,
	ChannelSettings,
	channelSettingsFromCredential,
} from '../domain/channel/channelCredential';
import { SigningIdentity } from '../domain/signing/pkcs12';
import { loadSigningIdentity } from '../domain/signing/declarationSigner';
import { SftpChannel } from '../domain/transport/sftpChannel';
import { CREDENTIAL_NAME } from './credentialTest';

export class ChannelSession {
	private credential: ChannelCredentialData | undefined;
	private settings: Promise<ChannelSettings> | undefined;
	private channel: Promise<SftpChannel> | undefined;
	private identity: SigningIdentity | undefined;

	constructor(private readonly ctx: IExecuteFunctions | IPollFunctions) {}

	async credentialData(): Promise<ChannelCredentialData> {
		this.credential ??= (await this.ctx.getCredentials(CREDENTIAL_NAME)) as ChannelCredentialData;
		return this.credential;
	}

	async channelSettings(): Promise<ChannelSettings> {
		this.settings ??= this.credentialData().then((data) =>
			channelSettingsFromCredential(data, { requireFingerprint: true }),
		);
		return this.settings;
	}

	async open(): Promise<SftpChannel> {
		// A connection that died (server gone, timeout) is replaced for the next item instead of failing it too.
		if (
			this.channel &&
			(await this.channel.then(
				(c) => c.usable === false,
				() => true,
			))
		)
			this.channel = undefined;
		if (!this.channel) {
			const pending = this.channelSettings().then((settings) =>
				SftpChannel.open(settings.connection),
			);
			// Let the next item try again instead of failing on a cached rejection forever.
			pending.catch(() => {
				if (this.channel === pending) this.channel = undefined;
			});
			this.channel = pending;
		}
		return this.channel;
	}

	async signingIdentity(): Promise<SigningIdentity> {
		if (!this.identity) {
			const data = await this.credentialData();
			this.identity = loadSigningIdentity(data.certificateP12, data.certificatePassword);
		}
		return this.identity;
	}

	async close(): Promise<void> {
		const channel = this.channel;
		this.channel = undefined;
		if (channel) await channel.then((c) => c.close()).catch(() => undefined);
	}
}
