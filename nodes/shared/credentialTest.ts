import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { checkChannel } from '../domain/channel/channelCheck';
import type { ChannelCredentialData } from '../domain/channel/channelCredential';

export const CREDENTIAL_NAME = 'belgianSocialSecuritySftpApi';

/** n8n's "Test" button for the channel credential (declared with `testedBy` on every node that uses it). */
export async function socialSecurityChannelTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const result = await checkChannel((credential.data ?? {}) as ChannelCredentialData);
	return { status: result.ok ? 'OK' : 'Error', message: result.message };
}
