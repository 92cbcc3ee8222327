/**
 * The one DER/ASN.1 reader of the domain, used by PKCS#12 (signing/pkcs12*.ts), CMS
 * (signing/cms*.ts) and private keys (sshKeys/privateKey.ts). Two views of the same bytes:
 *
 * - a tree (`parseAsn1`, `kids`, `octets`, `oidOf`, …) on node-forge's ASN.1 module, strict and
 *   depth-limited, for structures read field by field;
 * - positions (`readTlv`, `tlvChildren`, `tlvBytes`, in tlv.ts, without forge), without copying or
 *   re-encoding, where the original bytes must be kept (a certificate's issuer inside CMS) or checked
 *   before OpenSSL sees them (a private key's encryption parameters; that path never loads forge).
 *
 * Every failure is a `DerError`; callers turn it into their own SocialSecurityError. Why forge's
 * ASN.1 and not a schema library: docs/signing-and-keys.md "Reading DER".
 */
import { createRequire } from 'node:module';
import type * as Forge from 'node-forge';

import { DerError } from './tlv';

export { DerError, readTlv, tlvBytes, tlvChildren, tlvContent, tlvOid, type Tlv } from './tlv';

declare module 'node-forge' {
	// eslint-disable-next-line @typescript-eslint/no-namespace -- augments forge's own namespace: its typings omit fromDer's options form
	namespace asn1 {
		function fromDer(
			bytes: util.ByteBuffer,
			options: {
				strict?: boolean;
				parseAllBytes?: boolean;
				decodeBitStrings?: boolean;
				maxDepth?: number;
			},
		): Asn1;
	}
}

/**
 * Only forge's ASN.1 (with its util and OIDs) and RC2: loading the whole of node-forge costs ~50 ms
 * and ~8 MiB, a noticeable part of signing a file in a fresh process. scripts/bundle-dependencies.ts
 * rewrites these three paths to the bundle.
 */
export const forge: typeof Forge = (() => {
	const load = createRequire(__filename);
	load('node-forge/lib/asn1');
	load('node-forge/lib/rc2');
	return load('node-forge/lib/forge') as typeof Forge;
})();

export type Asn1 = Forge.asn1.Asn1;

export const T = forge.asn1.Type;
export const C = forge.asn1.Class;

const MAX_DEPTH = 64;

/** Strict DER/BER parse into forge's tree; never decodes BIT STRING contents. */
export function parseAsn1(bytes: Buffer): Asn1 {
	return forge.asn1.fromDer(forge.util.createBuffer(bytes.toString('binary')), {
		strict: true,
		parseAllBytes: true,
		decodeBitStrings: false,
		maxDepth: MAX_DEPTH,
	});
}

export function asn1ToBuffer(node: Asn1): Buffer {
	return Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary');
}

/** Children of a constructed node, checking its tag. */
export function kids(
	node: Asn1 | undefined,
	type?: number,
	tagClass: number = C.UNIVERSAL,
): Asn1[] {
	if (!node || !Array.isArray(node.value)) throw new DerError('expected a constructed value');
	if (type !== undefined && (node.type !== type || node.tagClass !== tagClass)) {
		throw new DerError(`unexpected tag ${node.tagClass}/${node.type}`);
	}
	return node.value;
}

/** Content octets of a primitive node, or of a BER constructed string (segments joined). */
export function octets(node: Asn1 | undefined, depth = 0): Buffer {
	if (!node) throw new DerError('missing value');
	if (typeof node.value === 'string') return Buffer.from(node.value, 'binary');
	if (depth > 8) throw new DerError('string nested too deep');
	return Buffer.concat(node.value.map((child) => octets(child, depth + 1)));
}

export function oidOf(node: Asn1 | undefined): string {
	if (
		!node ||
		node.type !== T.OID ||
		node.tagClass !== C.UNIVERSAL ||
		typeof node.value !== 'string'
	) {
		throw new DerError('expected an object identifier');
	}
	return forge.asn1.derToOid(node.value);
}

export function isContext(node: Asn1 | undefined, tag: number): node is Asn1 {
	return !!node && node.tagClass === C.CONTEXT_SPECIFIC && node.type === tag;
}

/** Non-negative INTEGER up to 2^53. */
export function smallInt(node: Asn1 | undefined): number {
	if (!node || node.type !== T.INTEGER || typeof node.value !== 'string')
		throw new DerError('expected an integer');
	const bytes = Buffer.from(node.value, 'binary');
	if (bytes.length === 0 || bytes[0] & 0x80) throw new DerError('negative or empty integer');
	let value = 0;
	for (const b of bytes) {
		value = value * 256 + b;
		if (value > Number.MAX_SAFE_INTEGER) throw new DerError('integer too large');
	}
	return value;
}

/** UTCTime or GeneralizedTime to a Date. */
export function timeOf(node: Asn1 | undefined): Date {
	if (!node || typeof node.value !== 'string') throw new DerError('expected a time');
	let date: Date;
	if (node.type === T.UTCTIME) date = forge.asn1.utcTimeToDate(node.value);
	else if (node.type === T.GENERALIZEDTIME) date = forge.asn1.generalizedTimeToDate(node.value);
	else throw new DerError('expected a time');
	if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new DerError('invalid time');
	return date;
}
