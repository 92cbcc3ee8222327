/**
 * The package's public surface. n8n loads the nodes and the credential through package.json's `n8n`
 * block; everything here is also usable from a plain Node script, without n8n: build names, sign,
 * verify, submit a set and collect the answers with the same code the nodes use.
 */
export { BelgianSocialSecuritySftpApi } from './credentials/BelgianSocialSecuritySftpApi.credentials';
export { BuildFilenames } from './nodes/BuildFilenames/BuildFilenames.node';
export { SignFi } from './nodes/SignFi/SignFi.node';
export { SubmitToSocialSecurity } from './nodes/SubmitToSocialSecurity/SubmitToSocialSecurity.node';
export { PollResponses } from './nodes/PollResponses/PollResponses.node';
export { SocialSecurityTrigger } from './nodes/SocialSecurityTrigger/SocialSecurityTrigger.node';

export * from './nodes/domain/errors';
// Names, folders and sequences.
export * from './nodes/domain/names/applicationCodes';
export * from './nodes/domain/names/environments';
export * from './nodes/domain/names/brusselsTime';
export * from './nodes/domain/names/fileNames';
export * from './nodes/domain/names/sequence';
// Signing.
export {
	loadPkcs12,
	checkCertificateValidity,
	assertCertificateValid,
	describeCertificate,
} from './nodes/domain/signing/pkcs12';
export type {
	SigningIdentity,
	CertificateInfo,
	CertificateValidity,
} from './nodes/domain/signing/pkcs12';
export { signDetached, verifyDetached } from './nodes/domain/signing/cmsSignature';
export type {
	SignOptions,
	SignResult,
	VerifyOptions,
	VerifyResult,
	SignDigest,
} from './nodes/domain/signing/cmsSignature';
export * from './nodes/domain/signing/signatureLayout';
export { createCrlfTransform, convertToCrlf } from './nodes/domain/signing/lineEndings';
export * from './nodes/domain/signing/declarationSigner';
// SSH keys and host keys.
export { loadSshPrivateKey } from './nodes/domain/sshKeys/privateKey';
export type { LoadedSshKey, LoadSshKeyOptions } from './nodes/domain/sshKeys/privateKey';
export { repairPastedKey } from './nodes/domain/sshKeys/pastedKey';
export { normalizeFingerprint } from './nodes/domain/sshKeys/hostKey';
export { generatePortalKeyPair } from './nodes/domain/sshKeys/keyPairGenerator';
// Transport, channel, submission and answers.
export * from './nodes/domain/transport/sftpChannel';
export * from './nodes/domain/channel/channelCredential';
export * from './nodes/domain/channel/channelCheck';
export * from './nodes/domain/submission/declarationSet';
export * from './nodes/domain/submission/uploadSet';
export * from './nodes/domain/responses/collectAnswers';
export * from './nodes/domain/responses/answerSummary';
export * from './nodes/domain/responses/answeredSet';
export { parseAcrf } from './nodes/domain/responses/acrf';
export type { AcrfAnswer, AcrfError } from './nodes/domain/responses/acrf';
export { parseNoti } from './nodes/domain/responses/noti';
export type { NotiAnswer, NotiAnomaly } from './nodes/domain/responses/noti';
export { describeAcrfError, ACRF_ERROR_CODES } from './nodes/domain/responses/acrfErrorCodes';
export {
	describeError,
	describeSignatureError,
	describeZone,
	zoneValues,
} from './nodes/domain/codes/describeError';
export type { CodeLanguage, ErrorExplanation } from './nodes/domain/codes/describeError';
export { pairAnswerFiles } from './nodes/domain/responses/answerTriplets';
export type { Answer } from './nodes/domain/responses/answerTriplets';
