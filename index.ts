/**
 * The package's public surface: n8n loads the nodes and credentials through package.json's `n8n` block;
 * everything else here is the domain API, usable from a plain Node script without n8n.
 */
export { BelgianSocialSecuritySftpApi } from './credentials/BelgianSocialSecuritySftpApi.credentials';

export * from './nodes/domain/errors';
export * from './nodes/domain/names/applicationCodes';
export * from './nodes/domain/names/environments';
export * from './nodes/domain/names/brusselsTime';
export * from './nodes/domain/names/fileNames';
