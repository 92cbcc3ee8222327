/**
 * Loads the SSH private key of the SFTP login from whatever the user pasted or uploaded, decrypts it
 * once, checks it against the channel's rules (RSA, 2048–4096 bits) and hands back an unencrypted key
 * text that ssh2 accepts. Every failure is a SocialSecurityError with its own code; messages never
 * contain key material or the passphrase.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { utils as ssh2Utils, type ParsedKey } from 'ssh2';

import { readTlv, tlvChildren, tlvContent, tlvOid, type Tlv } from '../asn1/tlv';
import { OID } from '../asn1/oids';
import { SocialSecurityError } from '../errors';
import { repairPastedKey } from './pastedKey';
import { PPK_HEADER, decryptPpk, isPpk, parsePpk, ssh2PrivateKeyText } from './ppk';
import {
	describePublicBlob,
	sha256Fingerprint,
	sshPublicFromKeyObject,
	WireFormatError,
	WireReader,
	type SshKeyType,
} from './sshWire';

export type { SshKeyType } from './sshWire';

export type SshPrivateKeyFormat = 'openssh' | 'pkcs1' | 'pkcs8' | 'sec1' | 'ppk2' | 'ppk3';

export interface LoadedSshKey {
	/** Unencrypted: PEM PKCS#1 for RSA, OpenSSH format for other types. For ssh2's `privateKey`. */
	privateKey: string;
	type: SshKeyType;
	bits: number;
	/** The format the key was given in. */
	format: SshPrivateKeyFormat;
	/** Whether the given key was protected by a passphrase. */
	encrypted: boolean;
	/** Comment stored in OpenSSH and PuTTY files; '' for PEM. */
	comment: string;
	/** `SHA256:…` as `ssh-keygen -l` prints it. */
	fingerprintSha256: string;
	/** `ssh-rsa AAAA… comment`, the line to register on the portal. */
	publicKeyOpenSsh: string;
}

export interface LoadSshKeyOptions {
	/** Accept any key type ssh2 can use (ed25519, ECDSA, RSA ≥ 1024 bits), e.g. for other SFTP servers. */
	allowAnyKeyType?: boolean;
}

/** What the channel accepts (docs/batch-channel.md §1: "SSH2-RSA, 2048 to 4096 bits"). */
export const CHANNEL_RSA_MIN_BITS = 2048;
export const CHANNEL_RSA_MAX_BITS = 4096;
/** Far above any real key file (an RSA 16384 PPK is ~12 KB); keeps hostile input cheap. */
export const MAX_KEY_TEXT_LENGTH = 64 * 1024;
/** ssh-keygen uses 16 bcrypt rounds (~0.4 s in ssh2's JS bcrypt); 200 is ~5 s, more would let a file stall us. */
export const MAX_OPENSSH_BCRYPT_ROUNDS = 200;
/** PBKDF2 runs ~4 M iterations/s; OpenSSL's default is 2048. */
export const MAX_PKCS8_ITERATIONS = 20_000_000;
export const MAX_PKCS8_SCRYPT_WORK = 2 ** 21;

/** Ciphers ssh2 can decrypt in OpenSSH key files (its chacha20-poly1305 support is for the transport only). */
const OPENSSH_KEY_CIPHERS = new Set([
	'aes128-ctr',
	'aes192-ctr',
	'aes256-ctr',
	'aes128-cbc',
	'aes192-cbc',
	'aes256-cbc',
	'3des-cbc',
	'aes128-gcm@openssh.com',
	'aes256-gcm@openssh.com',
]);

const SUPPORTED_FORMATS =
	'Supported: OpenSSH key files ("OPENSSH PRIVATE KEY"), PEM files ("RSA PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY") and PuTTY .ppk (version 2 or 3), with or without a passphrase.';

const NEW_KEY_HINT =
	'Create an RSA key of 2048 to 4096 bits (for example `ssh-keygen -t rsa -b 4096`, PuTTYgen type "RSA" with 4096 bits, or this package\'s key pair generator) and register its public key for the SFTP channel on the socialsecurity.be portal.';

interface DecodedKey {
	keyObject: KeyObject;
	format: SshPrivateKeyFormat;
	encrypted: boolean;
	comment: string;
	/** Public blob stored next to the private key (OpenSSH, PPK); must match the private key. */
	declaredPublicBlob?: Buffer;
	/** Already built by the PPK decoder. */
	privateKey?: string;
}

export async function loadSshPrivateKey(
	text: string,
	passphrase?: string,
	options: LoadSshKeyOptions = {},
): Promise<LoadedSshKey> {
	if (typeof text !== 'string' || text.trim() === '') {
		throw new SocialSecurityError(
			'SSH_KEY_INVALID',
			'No SSH private key was given.',
			'Paste the complete private key file, including its first and last line.',
		);
	}
	if (text.length > MAX_KEY_TEXT_LENGTH) {
		throw invalid(`The text is ${text.length} characters long, far more than any SSH private key.`);
	}
	if (passphrase !== undefined && passphrase !== null && typeof passphrase !== 'string') {
		throw new SocialSecurityError(
			'SSH_KEY_INVALID',
			'The passphrase must be text.',
			'Enter the passphrase as plain text.',
		);
	}
	const allowAny = options.allowAnyKeyType === true;
	try {
		const decoded = await decode(repairPastedKey(text), passphrase || undefined, allowAny);
		return finish(decoded, allowAny);
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
		if (error instanceof SocialSecurityError) throw error;
		throw invalid('The key could not be read.', error);
	}
}

async function decode(
	text: string,
	passphrase: string | undefined,
	allowAny: boolean,
): Promise<DecodedKey> {
	if (isPpk(text)) return decodePpk(text, passphrase, allowAny);
	if (/---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----/.test(text)) {
		throw new SocialSecurityError(
			'SSH_KEY_UNSUPPORTED_FORMAT',
			'This is an ssh.com (SECSH) private key, which is not supported.',
			`Convert it with PuTTYgen (Load, then "Conversions → Export OpenSSH key", or \`puttygen <file> -O private-openssh-new -o <new file>\`), or, if it has no passphrase, with \`ssh-keygen -i -f <file> > <new file>\`. ${SUPPORTED_FORMATS}`,
		);
	}
	if (
		/---- BEGIN SSH2 PUBLIC KEY ----/.test(text) ||
		/^(?:ssh-(?:rsa|dss|ed25519|ed448)|ecdsa-sha2-\S+)\s+AAAA/.test(text)
	) {
		throw publicKeyGiven();
	}
	if (text.startsWith('-----BEGIN ')) return decodePem(text, passphrase, allowAny);
	if (text.startsWith(PPK_HEADER)) throw invalid('The PuTTY key file is incomplete.');
	throw invalid('This does not look like an SSH private key.');
}

// ---------------------------------------------------------------------------------------------
// PuTTY

async function decodePpk(
	text: string,
	passphrase: string | undefined,
	allowAny: boolean,
): Promise<DecodedKey> {
	const file = parsePpk(text);
	// The public half is in the clear: refuse a wrong key type before spending Argon2 time on it.
	checkPolicy(describeBlob(file.publicBlob), allowAny);
	const ppk = await decryptPpk(file, passphrase);
	return {
		keyObject: ppk.keyObject,
		format: ppk.version === 2 ? 'ppk2' : 'ppk3',
		encrypted: ppk.encrypted,
		comment: ppk.comment,
		declaredPublicBlob: ppk.publicBlob,
		privateKey: ppk.privateKey,
	};
}

// ---------------------------------------------------------------------------------------------
// PEM and OpenSSH

interface PemBlock {
	label: string;
	headers: Map<string, string>;
	body: string;
	text: string;
}

/** Reads the blocks of a text already rebuilt by repairPastedKey. */
function pemBlocks(text: string): PemBlock[] {
	const blocks: PemBlock[] = [];
	const lines = text.split('\n');
	for (let i = 0; i < lines.length; i++) {
		const begin = /^-----BEGIN ([A-Z0-9 ]+)-----$/.exec(lines[i]);
		if (!begin) continue;
		const label = begin[1];
		const endLine = `-----END ${label}-----`;
		const end = lines.indexOf(endLine, i + 1);
		if (end < 0) break;
		const inner = lines.slice(i + 1, end);
		const headers = new Map<string, string>();
		let j = 0;
		for (; j < inner.length; j++) {
			const h = /^([A-Za-z][A-Za-z0-9-]*): ?(.*)$/.exec(inner[j]);
			if (!h) break;
			headers.set(h[1].toLowerCase(), h[2].trim());
		}
		blocks.push({
			label,
			headers,
			body: inner.slice(j).join(''),
			text: [lines[i], ...inner, endLine].join('\n') + '\n',
		});
		i = end;
	}
	return blocks;
}

function decodeBase64Body(block: PemBlock): Buffer {
	const b64 = block.body;
	if (b64.length === 0 || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
		throw invalid('The key text is damaged or incomplete (its base64 body is not valid).');
	}
	return Buffer.from(b64, 'base64');
}

function decodePem(text: string, passphrase: string | undefined, allowAny: boolean): DecodedKey {
	const blocks = pemBlocks(text);
	if (blocks.length === 0) {
		throw invalid(
			'The key text is incomplete: its "-----END …-----" line is missing or does not match the BEGIN line.',
		);
	}
	const block = blocks.find((b) => b.label.endsWith('PRIVATE KEY')) ?? blocks[0];
	switch (block.label) {
		case 'OPENSSH PRIVATE KEY':
			return decodeOpenSsh(block, passphrase, allowAny);
		case 'RSA PRIVATE KEY':
			return decodeWithOpenSsl(block, 'pkcs1', passphrase);
		case 'EC PRIVATE KEY':
			return decodeWithOpenSsl(block, 'sec1', passphrase);
		case 'PRIVATE KEY':
		case 'ENCRYPTED PRIVATE KEY':
			return decodeWithOpenSsl(block, 'pkcs8', passphrase);
		case 'DSA PRIVATE KEY':
			throw notAllowed('This is a DSA key. DSA keys are obsolete and cannot be used.');
		case 'CERTIFICATE':
		case 'X509 CERTIFICATE':
		case 'TRUSTED CERTIFICATE':
			throw invalid(
				'This is a certificate, not an SSH private key.',
				undefined,
				'The SFTP login needs the SSH private key of the technical user, not the signing certificate. Paste the SSH private key file.',
			);
		case 'PUBLIC KEY':
		case 'RSA PUBLIC KEY':
			throw publicKeyGiven();
		default:
			throw new SocialSecurityError(
				'SSH_KEY_UNSUPPORTED_FORMAT',
				`Keys of the kind "${block.label.slice(0, 40)}" are not supported.`,
				SUPPORTED_FORMATS,
			);
	}
}

function decodeOpenSsh(
	block: PemBlock,
	passphrase: string | undefined,
	allowAny: boolean,
): DecodedKey {
	const data = decodeBase64Body(block);
	let cipher: string;
	let kdf: string;
	let rounds = 0;
	let publicBlob: Buffer;
	try {
		const r = new WireReader(data);
		if (r.bytes(15).toString('latin1') !== 'openssh-key-v1\0') throw new WireFormatError('magic');
		cipher = r.name();
		kdf = r.name();
		const kdfOptions = r.string();
		if (r.u32() !== 1) throw new WireFormatError('key count');
		publicBlob = r.string();
		r.string(); // private section, decrypted by ssh2 below
		if (kdf === 'bcrypt') {
			const o = new WireReader(kdfOptions);
			o.string(); // salt
			rounds = o.u32();
		}
	} catch (error) {
		throw invalid('The OpenSSH key is damaged or incomplete.', error);
	}
	const encrypted = cipher !== 'none';
	if (encrypted) {
		if (kdf !== 'bcrypt' || !OPENSSH_KEY_CIPHERS.has(cipher)) {
			throw new SocialSecurityError(
				'SSH_KEY_UNSUPPORTED_FORMAT',
				`The OpenSSH key is encrypted with "${cipher.slice(0, 40)}", which is not supported here.`,
				'Re-encrypt it with the default cipher: `ssh-keygen -p -Z aes256-ctr -f <key file>`.',
			);
		}
		if (rounds < 1) throw invalid('The OpenSSH key is damaged (bad key derivation settings).');
		if (rounds > MAX_OPENSSH_BCRYPT_ROUNDS) {
			throw new SocialSecurityError(
				'SSH_KEY_UNSUPPORTED_FORMAT',
				`The OpenSSH key asks for ${rounds} passphrase-hashing rounds; at most ${MAX_OPENSSH_BCRYPT_ROUNDS} are accepted.`,
				'Re-encrypt it with fewer rounds: `ssh-keygen -p -a 16 -f <key file>`.',
			);
		}
	} else if (kdf !== 'none') {
		throw invalid('The OpenSSH key is damaged (encryption settings do not agree).');
	}
	checkPolicy(describeBlob(publicBlob), allowAny);
	if (encrypted && !passphrase) throw passphraseRequired();

	const parsed: unknown = ssh2Utils.parseKey(block.text, encrypted ? passphrase : undefined);
	// Not `instanceof Error`: node:crypto errors that ssh2 returns may come from another realm.
	const key = (Array.isArray(parsed) ? parsed[0] : parsed) as ParsedKey | undefined;
	if (typeof key?.getPrivatePEM !== 'function') {
		const message = String((parsed as { message?: unknown })?.message ?? '');
		if (encrypted && /bad passphrase|authenticate/i.test(message)) throw passphraseWrong(parsed);
		throw invalid('The OpenSSH key is damaged or incomplete.', parsed);
	}
	const pem = key.getPrivatePEM();
	if (!pem) throw invalid('The OpenSSH key holds no private key.');
	return {
		keyObject: createPrivateKey(pem),
		format: 'openssh',
		encrypted,
		comment: key.comment ?? '',
		declaredPublicBlob: publicBlob,
	};
}

function decodeWithOpenSsl(
	block: PemBlock,
	format: 'pkcs1' | 'sec1' | 'pkcs8',
	passphrase: string | undefined,
): DecodedKey {
	const der = decodeBase64Body(block);
	const legacyEncrypted = /ENCRYPTED/i.test(block.headers.get('proc-type') ?? '');
	const encrypted = legacyEncrypted || block.label === 'ENCRYPTED PRIVATE KEY';
	if (legacyEncrypted) {
		if (
			!/^[A-Za-z0-9-]+,[0-9A-Fa-f]+$/.test(block.headers.get('dek-info') ?? '') ||
			der.length % 8 !== 0
		) {
			throw invalid('The encrypted PEM key is damaged or incomplete.');
		}
	} else {
		checkDerSequence(der);
		if (block.label === 'ENCRYPTED PRIVATE KEY') checkPkcs8EncryptionCost(der);
	}
	if (encrypted && !passphrase) throw passphraseRequired();
	try {
		const keyObject = createPrivateKey({
			key: block.text,
			format: 'pem',
			...(encrypted ? { passphrase: Buffer.from(passphrase ?? '', 'utf8') } : {}),
		});
		return { keyObject, format, encrypted, comment: '' };
	} catch (error) {
		const code = String((error as { code?: unknown })?.code ?? '');
		// A wrong passphrase now and then decrypts to bytes OpenSSL first accepts, then fails with a DECODER
		// 'unsupported' error: only the EVP variant means an unsupported cipher.
		if (code === 'ERR_OSSL_EVP_UNSUPPORTED' || (!encrypted && /UNSUPPORTED/.test(code))) {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- domain code has no n8n import; nodes/shared/nodeErrors.ts turns this into the n8n error on the item
			throw new SocialSecurityError(
				'SSH_KEY_UNSUPPORTED_FORMAT',
				'The key uses an encryption or algorithm that is not supported.',
				`${SUPPORTED_FORMATS} Re-encrypt it with \`ssh-keygen -p -f <key file>\`.`,
				{ cause: error },
			);
		}
		// A wrong passphrase usually fails the padding check but may also yield garbage DER.
		if (encrypted) throw passphraseWrong(error);
		throw invalid('The key is damaged or incomplete.', error);
	}
}

// ---------------------------------------------------------------------------------------------
// DER checks (before OpenSSL sees the data, so hostile parameters cannot make it spin)

/** A private key's DER has a handful of fields per level: more is not a key, and is not read. */
const MAX_FIELDS = 16;

function children(buf: Buffer, tlv: Tlv): Tlv[] {
	return tlvChildren(buf, tlv, MAX_FIELDS);
}

function checkDerSequence(der: Buffer): void {
	try {
		const outer = readTlv(der, 0);
		if (outer.tag !== 0x30 || outer.end !== der.length) throw new WireFormatError('DER outer');
	} catch (error) {
		throw invalid('The key text is damaged or incomplete.', error);
	}
}

function checkPkcs8EncryptionCost(der: Buffer): void {
	let iterations = 0n;
	let scryptWork = 0n;
	try {
		const int = (t: Tlv | undefined): bigint => {
			if (!t || t.tag !== 0x02 || t.end - t.contentStart > 8)
				throw new WireFormatError('DER integer');
			return BigInt('0x' + (tlvContent(der, t).toString('hex') || '0'));
		};
		const [algId] = children(der, readTlv(der, 0));
		const [oid, params] = children(der, algId);
		if (oid?.tag !== 0x06 || params?.tag !== 0x30) throw new WireFormatError('DER algorithm');
		if (tlvOid(der, oid) === OID.pbes2) {
			const [kdf] = children(der, params);
			const [kdfOid, kdfParams] = children(der, kdf);
			const p = children(der, kdfParams);
			if (tlvOid(der, kdfOid) === OID.pbkdf2) iterations = int(p[1]);
			else if (tlvOid(der, kdfOid) === OID.scrypt) scryptWork = int(p[1]) * int(p[2]) * int(p[3]);
		} else {
			// PKCS#5 v1 / PKCS#12 PBE: SEQUENCE { salt, iterations }
			const p = children(der, params);
			if (p[1]?.tag === 0x02) iterations = int(p[1]);
		}
	} catch (error) {
		throw invalid('The encrypted key is damaged or incomplete.', error);
	}
	if (iterations > BigInt(MAX_PKCS8_ITERATIONS) || scryptWork > BigInt(MAX_PKCS8_SCRYPT_WORK)) {
		throw new SocialSecurityError(
			'SSH_KEY_UNSUPPORTED_FORMAT',
			'The encrypted key asks for more passphrase-hashing work than we allow.',
			'Re-encrypt it with default settings, for example `openssl pkcs8 -topk8 -v2 aes256 -in key.pem -out key-enc.pem`.',
		);
	}
}

// ---------------------------------------------------------------------------------------------
// Policy, consistency, result

interface KeyDescription {
	type: string;
	bits: number;
}

function describeBlob(blob: Buffer): KeyDescription {
	try {
		return describePublicBlob(blob);
	} catch (error) {
		throw invalid('The public part of the key is damaged.', error);
	}
}

const SSH_TYPES = new Set<string>([
	'ssh-rsa',
	'ssh-ed25519',
	'ecdsa-sha2-nistp256',
	'ecdsa-sha2-nistp384',
	'ecdsa-sha2-nistp521',
]);

export function describeKeyType(type: string, bits: number): string {
	switch (type) {
		case 'ssh-rsa':
			return `an RSA key of ${bits} bits`;
		case 'ssh-ed25519':
			return 'an Ed25519 key';
		case 'ssh-dss':
			return 'a DSA key';
		case 'ssh-ed448':
			return 'an Ed448 key';
		default:
			return type.startsWith('ecdsa-sha2-')
				? `an ECDSA key (${bits} bits)`
				: 'a key of an unknown type';
	}
}

function checkPolicy(key: KeyDescription, allowAny: boolean): void {
	const what = describeKeyType(key.type, key.bits);
	if (!SSH_TYPES.has(key.type))
		throw notAllowed(`This is ${what}, which cannot be used for SSH here.`);
	// Even when any type is allowed: <1024 is broken, >16384 is absurd and slow to use.
	if (key.type === 'ssh-rsa' && (key.bits < 1024 || key.bits > 16384)) {
		throw notAllowed(
			`This is ${what}; RSA keys must have 1024 to 16384 bits (the channel wants 2048 to 4096).`,
		);
	}
	if (allowAny) return;
	if (
		key.type !== 'ssh-rsa' ||
		key.bits < CHANNEL_RSA_MIN_BITS ||
		key.bits > CHANNEL_RSA_MAX_BITS
	) {
		throw notAllowed(
			`This is ${what}; the social security SFTP channel accepts only RSA keys of ${CHANNEL_RSA_MIN_BITS} to ${CHANNEL_RSA_MAX_BITS} bits.`,
		);
	}
}

function finish(decoded: DecodedKey, allowAny: boolean): LoadedSshKey {
	// Node.js 20 aborts the whole process when it reads the numbers (JWK, key details) of some malformed EC
	// keys that OpenSSL parses (a private number longer than the curve's). A PKCS#8 export fails cleanly on
	// exactly those keys, so it is the gate before anything reads the key.
	try {
		decoded.keyObject.export({ format: 'der', type: 'pkcs8' });
	} catch (error) {
		throw invalid('The private key numbers are inconsistent; the file is damaged.', error);
	}
	const pub = sshPublicFromKeyObject(decoded.keyObject);
	if (!pub) {
		throw notAllowed(
			`This is a ${String(decoded.keyObject.asymmetricKeyType).slice(0, 20)} key, which cannot be used for SSH.`,
		);
	}
	checkPolicy(pub, allowAny);
	if (decoded.declaredPublicBlob && !decoded.declaredPublicBlob.equals(pub.blob)) {
		throw invalid(
			'The private part of the key does not belong to its public part; the file is damaged.',
		);
	}
	// A signature round trip catches damaged private numbers that parse fine.
	const probe = Buffer.from('n8n-nodes-socialsecurity-be key check');
	const algorithm = pub.type === 'ssh-ed25519' ? null : 'sha256';
	let ok = false;
	try {
		ok = verify(
			algorithm,
			probe,
			createPublicKey(decoded.keyObject),
			sign(algorithm, probe, decoded.keyObject),
		);
	} catch (error) {
		throw invalid('The private key numbers are inconsistent; the file is damaged.', error);
	}
	if (!ok) throw invalid('The private key numbers are inconsistent; the file is damaged.');

	const comment = decoded.comment.replace(/\p{Cc}+/gu, ' ').trim();
	return {
		privateKey: decoded.privateKey ?? ssh2PrivateKeyText(decoded.keyObject, comment),
		type: pub.type,
		bits: pub.bits,
		format: decoded.format,
		encrypted: decoded.encrypted,
		comment,
		fingerprintSha256: sha256Fingerprint(pub.blob),
		publicKeyOpenSsh: `${pub.type} ${pub.blob.toString('base64')}${comment ? ' ' + comment : ''}`,
	};
}

// ---------------------------------------------------------------------------------------------
// Errors

function invalid(message: string, cause?: unknown, hint?: string): SocialSecurityError {
	return new SocialSecurityError(
		'SSH_KEY_INVALID',
		message,
		hint ??
			`Paste the complete private key file, including its first and last line. ${SUPPORTED_FORMATS}`,
		cause === undefined ? undefined : { cause },
	);
}

function notAllowed(message: string): SocialSecurityError {
	return new SocialSecurityError('SSH_KEY_NOT_ALLOWED', message, NEW_KEY_HINT);
}

function publicKeyGiven(): SocialSecurityError {
	return invalid(
		'This is a public key; the SFTP login needs the private key.',
		undefined,
		'Paste the private key file (for OpenSSH the file without ".pub"); the public key is the one registered on the portal.',
	);
}

function passphraseRequired(): SocialSecurityError {
	return new SocialSecurityError(
		'SSH_KEY_PASSPHRASE_REQUIRED',
		'This private key is protected by a passphrase, but no passphrase was given.',
		'Enter the passphrase of the key in the credential.',
	);
}

function passphraseWrong(cause: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'SSH_KEY_PASSPHRASE_WRONG',
		'The passphrase does not open this private key.',
		'Check the passphrase (it is case-sensitive). If it is right, the key text was changed or damaged: paste the complete key file again.',
		{ cause },
	);
}
