/**
 * PEM (PKCS#1, PKCS#8, SEC1, encrypted or not) and OpenSSH private key files, decoded to a KeyObject.
 * The DER is checked before OpenSSL sees it, so hostile parameters cannot make it spin.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { utils as ssh2Utils, type ParsedKey } from 'ssh2';

import { readTlv, tlvChildren, tlvContent, tlvOid, type Tlv } from '../asn1/tlv';
import { OID } from '../asn1/oids';
import { SocialSecurityError } from '../errors';
import { WireFormatError, WireReader } from './sshWire';
import {
	checkPolicy,
	describeBlob,
	invalid,
	notAllowed,
	passphraseRequired,
	passphraseWrong,
	publicKeyGiven,
	SUPPORTED_FORMATS,
} from './keyPolicy';

export type SshPrivateKeyFormat = 'openssh' | 'pkcs1' | 'pkcs8' | 'sec1' | 'ppk2' | 'ppk3';

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

export interface DecodedKey {
	keyObject: KeyObject;
	format: SshPrivateKeyFormat;
	encrypted: boolean;
	comment: string;
	/** Public blob stored next to the private key (OpenSSH, PPK); must match the private key. */
	declaredPublicBlob?: Buffer;
	/** Already built by the PPK decoder. */
	privateKey?: string;
}

interface PemBlock {
	label: string;
	headers: Map<string, string>;
	body: string;
	text: string;
}

/** Reads the blocks of a text already rebuilt by repairPastedKey. */
export function pemBlocks(text: string): PemBlock[] {
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

export function decodePem(
	text: string,
	passphrase: string | undefined,
	allowAny: boolean,
): DecodedKey {
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

export function decodeOpenSsh(
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
