/**
 * DER element positions without copying and without node-forge: the part of the DER reader
 * (asn1/der.ts) that private keys use, so reading an SSH key never loads forge.
 */

/** Malformed structure. Never shown to users as such: callers map it to their error. */
export class DerError extends Error {}

/** A DER element's position in a buffer (definite lengths only). */
export interface Tlv {
	tag: number;
	start: number;
	contentStart: number;
	end: number;
}

/** Reads one DER element without copying; throws on BER indefinite lengths, multi-byte tags and truncation. */
export function readTlv(buf: Buffer, pos: number, limit: number = buf.length): Tlv {
	if (pos + 2 > limit) throw new DerError('truncated');
	const tag = buf[pos];
	if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tag');
	let length = buf[pos + 1];
	let p = pos + 2;
	if (length & 0x80) {
		const n = length & 0x7f;
		if (n === 0 || n > 4 || p + n > limit) throw new DerError('unsupported length');
		length = 0;
		for (let i = 0; i < n; i++) length = length * 256 + buf[p++];
	}
	if (p + length > limit) throw new DerError('truncated');
	return { tag, start: pos, contentStart: p, end: p + length };
}

/** The elements inside `parent`, at most `max` of them (the rest is not read). */
export function tlvChildren(buf: Buffer, parent: Tlv, max = Infinity): Tlv[] {
	const out: Tlv[] = [];
	for (let p = parent.contentStart; p < parent.end && out.length < max; ) {
		const child = readTlv(buf, p, parent.end);
		out.push(child);
		p = child.end;
	}
	return out;
}

/** The whole element, header included. */
export function tlvBytes(buf: Buffer, tlv: Tlv): Buffer {
	return buf.subarray(tlv.start, tlv.end);
}

/** The content octets only. */
export function tlvContent(buf: Buffer, tlv: Tlv): Buffer {
	return buf.subarray(tlv.contentStart, tlv.end);
}

/** Dotted form of an OBJECT IDENTIFIER element's content, without forge. */
export function tlvOid(buf: Buffer, tlv: Tlv): string {
	if (tlv.tag !== 0x06 || tlv.end === tlv.contentStart)
		throw new DerError('expected an object identifier');
	const arcs: number[] = [];
	let value = 0;
	for (let i = tlv.contentStart; i < tlv.end; i++) {
		value = value * 128 + (buf[i] & 0x7f);
		if (value > Number.MAX_SAFE_INTEGER) throw new DerError('object identifier arc too large');
		if ((buf[i] & 0x80) === 0) {
			arcs.push(value);
			value = 0;
		} else if (i === tlv.end - 1) throw new DerError('object identifier truncated');
	}
	const first = arcs[0] < 80 ? Math.floor(arcs[0] / 40) : 2;
	return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
}
