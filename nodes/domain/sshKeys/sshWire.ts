/**
 * SSH wire encoding (RFC 4251 §5) and the small conversions between it, JWK and OpenSSH key files.
 * Internal helper of the sshKeys modules; no n8n imports.
 */
import { createHash, type KeyObject } from 'node:crypto';

/** Thrown by WireReader on malformed input; callers turn it into a SocialSecurityError. */
export class WireFormatError extends Error {}

export class WireReader {
	private pos = 0;

	constructor(private readonly buf: Buffer) {}

	get remaining(): number {
		return this.buf.length - this.pos;
	}

	u32(): number {
		if (this.remaining < 4) throw new WireFormatError('truncated uint32');
		const value = this.buf.readUInt32BE(this.pos);
		this.pos += 4;
		return value;
	}

	bytes(length: number): Buffer {
		if (length > this.remaining) throw new WireFormatError('truncated field');
		const value = this.buf.subarray(this.pos, this.pos + length);
		this.pos += length;
		return value;
	}

	string(): Buffer {
		return this.bytes(this.u32());
	}

	/** An SSH string that must be printable ASCII (algorithm names, cipher names). */
	name(maxLength = 64): string {
		const raw = this.string();
		if (raw.length > maxLength || !/^[\x21-\x7e]*$/.test(raw.toString('latin1'))) {
			throw new WireFormatError('bad name');
		}
		return raw.toString('latin1');
	}

	/** An mpint as an unsigned big-endian magnitude without leading zeros; negatives are refused. */
	mpint(): Buffer {
		const raw = this.string();
		if (raw.length > 0 && (raw[0] & 0x80) !== 0) throw new WireFormatError('negative mpint');
		return stripLeadingZeros(raw);
	}

	rest(): Buffer {
		return this.bytes(this.remaining);
	}
}

export function stripLeadingZeros(buf: Buffer): Buffer {
	let i = 0;
	while (i < buf.length && buf[i] === 0) i++;
	return buf.subarray(i);
}

export function wireU32(value: number): Buffer {
	const out = Buffer.alloc(4);
	out.writeUInt32BE(value >>> 0, 0);
	return out;
}

export function wireString(value: Buffer | string): Buffer {
	const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
	return Buffer.concat([wireU32(data.length), data]);
}

/** mpint from an unsigned magnitude: a 0x00 is prepended when the high bit is set (RFC 4251). */
export function wireMpint(magnitude: Buffer): Buffer {
	const m = stripLeadingZeros(magnitude);
	const body = m.length > 0 && (m[0] & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), m]) : m;
	return wireString(body);
}

export function bigIntFromBytes(buf: Buffer): bigint {
	return buf.length === 0 ? 0n : BigInt('0x' + buf.toString('hex'));
}

export function bytesFromBigInt(value: bigint): Buffer {
	if (value === 0n) return Buffer.alloc(0);
	let hex = value.toString(16);
	if (hex.length % 2) hex = '0' + hex;
	return Buffer.from(hex, 'hex');
}

export function b64url(buf: Buffer): string {
	return buf.toString('base64url');
}

export function fromB64url(value: string | undefined): Buffer {
	if (typeof value !== 'string') throw new WireFormatError('missing JWK member');
	return Buffer.from(value, 'base64url');
}

/** `SHA256:…` exactly as `ssh-keygen -l` prints it (base64 without padding). */
export function sha256Fingerprint(publicBlob: Buffer): string {
	return 'SHA256:' + createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '');
}

export type SshKeyType =
	| 'ssh-rsa'
	| 'ssh-ed25519'
	| 'ecdsa-sha2-nistp256'
	| 'ecdsa-sha2-nistp384'
	| 'ecdsa-sha2-nistp521';

export const EC_CURVES: Record<
	string,
	{ sshType: SshKeyType; sshCurve: string; jwkCrv: string; bits: number }
> = {
	prime256v1: { sshType: 'ecdsa-sha2-nistp256', sshCurve: 'nistp256', jwkCrv: 'P-256', bits: 256 },
	secp384r1: { sshType: 'ecdsa-sha2-nistp384', sshCurve: 'nistp384', jwkCrv: 'P-384', bits: 384 },
	secp521r1: { sshType: 'ecdsa-sha2-nistp521', sshCurve: 'nistp521', jwkCrv: 'P-521', bits: 521 },
};

export function curveBySshName(sshCurve: string): (typeof EC_CURVES)[string] | undefined {
	return Object.values(EC_CURVES).find((c) => c.sshCurve === sshCurve);
}

/** What a public key blob says about itself (no validation of the math). */
export interface PublicBlobInfo {
	type: string;
	bits: number;
}

/** Reads the algorithm and size from an SSH public key blob, without trusting it further. */
export function describePublicBlob(blob: Buffer): PublicBlobInfo {
	const r = new WireReader(blob);
	const type = r.name();
	switch (type) {
		case 'ssh-rsa': {
			r.mpint(); // e
			const n = r.mpint();
			return { type, bits: bitLength(n) };
		}
		case 'ssh-dss': {
			const p = r.mpint();
			return { type, bits: bitLength(p) };
		}
		case 'ssh-ed25519':
			return { type, bits: 256 };
		case 'ssh-ed448':
			return { type, bits: 456 };
		default: {
			const curve = type.startsWith('ecdsa-sha2-')
				? curveBySshName(type.slice('ecdsa-sha2-'.length))
				: undefined;
			return { type, bits: curve ? curve.bits : 0 };
		}
	}
}

export function bitLength(magnitude: Buffer): number {
	const m = stripLeadingZeros(magnitude);
	if (m.length === 0) return 0;
	return (m.length - 1) * 8 + (32 - Math.clz32(m[0]));
}

/** The SSH public blob, type and size of a private or public KeyObject of a type SSH can use. */
export function sshPublicFromKeyObject(
	key: KeyObject,
): { blob: Buffer; type: SshKeyType; bits: number } | undefined {
	switch (key.asymmetricKeyType) {
		case 'rsa': {
			const jwk = key.export({ format: 'jwk' });
			const n = fromB64url(jwk.n);
			const blob = Buffer.concat([
				wireString('ssh-rsa'),
				wireMpint(fromB64url(jwk.e)),
				wireMpint(n),
			]);
			return { blob, type: 'ssh-rsa', bits: bitLength(n) };
		}
		case 'ed25519': {
			const jwk = key.export({ format: 'jwk' });
			const blob = Buffer.concat([wireString('ssh-ed25519'), wireString(fromB64url(jwk.x))]);
			return { blob, type: 'ssh-ed25519', bits: 256 };
		}
		case 'ec': {
			const curve = EC_CURVES[String(key.asymmetricKeyDetails?.namedCurve)];
			if (!curve) return undefined;
			const jwk = key.export({ format: 'jwk' });
			const q = Buffer.concat([Buffer.from([4]), fromB64url(jwk.x), fromB64url(jwk.y)]);
			const blob = Buffer.concat([
				wireString(curve.sshType),
				wireString(curve.sshCurve),
				wireString(q),
			]);
			return { blob, type: curve.sshType, bits: curve.bits };
		}
		default:
			return undefined;
	}
}

/**
 * An unencrypted OpenSSH-format private key ("openssh-key-v1") for ed25519/ECDSA keys: ssh2 reads it,
 * while it does not read the PKCS#8 PEM that node:crypto would export for them.
 */
export function openSshPrivateKeyFromKeyObject(key: KeyObject, comment: string): string {
	const pub = sshPublicFromKeyObject(key);
	if (!pub) throw new WireFormatError('key type has no OpenSSH encoding');
	const jwk = key.export({ format: 'jwk' });
	let privateFields: Buffer;
	switch (pub.type) {
		case 'ssh-rsa': {
			privateFields = Buffer.concat([
				wireMpint(fromB64url(jwk.n)),
				wireMpint(fromB64url(jwk.e)),
				wireMpint(fromB64url(jwk.d)),
				wireMpint(fromB64url(jwk.qi)),
				wireMpint(fromB64url(jwk.p)),
				wireMpint(fromB64url(jwk.q)),
			]);
			break;
		}
		case 'ssh-ed25519': {
			const x = fromB64url(jwk.x);
			privateFields = Buffer.concat([
				wireString(x),
				wireString(Buffer.concat([fromB64url(jwk.d), x])),
			]);
			break;
		}
		default: {
			const curve = curveBySshName(pub.type.slice('ecdsa-sha2-'.length));
			if (!curve) throw new WireFormatError('unknown curve');
			const q = Buffer.concat([Buffer.from([4]), fromB64url(jwk.x), fromB64url(jwk.y)]);
			privateFields = Buffer.concat([
				wireString(curve.sshCurve),
				wireString(q),
				wireMpint(fromB64url(jwk.d)),
			]);
		}
	}
	// The check integers only detect a wrong passphrase; for an unencrypted file any equal pair does.
	const check = wireU32(0x5eed5eed);
	let section = Buffer.concat([
		check,
		check,
		wireString(pub.type),
		privateFields,
		wireString(comment),
	]);
	const padding: number[] = [];
	for (let i = 1; (section.length + padding.length) % 8 !== 0; i++) padding.push(i);
	section = Buffer.concat([section, Buffer.from(padding)]);
	const body = Buffer.concat([
		Buffer.from('openssh-key-v1\0', 'latin1'),
		wireString('none'),
		wireString('none'),
		wireString(''),
		wireU32(1),
		wireString(pub.blob),
		wireString(section),
	]);
	return pemWrap('OPENSSH PRIVATE KEY', body.toString('base64'), 70);
}

export function pemWrap(
	label: string,
	base64: string,
	width: number,
	headers: string[] = [],
): string {
	const lines: string[] = [];
	for (let i = 0; i < base64.length; i += width) lines.push(base64.slice(i, i + width));
	const head = headers.length > 0 ? headers.join('\n') + '\n\n' : '';
	return `-----BEGIN ${label}-----\n${head}${lines.join('\n')}\n-----END ${label}-----\n`;
}
