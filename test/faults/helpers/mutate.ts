/**
 * Mutators for the fuzz tests: they start from a valid input and damage it where parsers look —
 * bytes, ASN.1 nodes (integers, OIDs, lengths, tags, nesting, also inside OCTET STRINGs that hold DER),
 * SSH wire length fields, text framing. All randomness comes from the seeded PRNG given.
 */
import { forge } from '../../../nodes/domain/asn1/der';

type Asn1 = ReturnType<typeof forge.asn1.create>;

export class Mutator {
	constructor(readonly rand: () => number) {}

	int(n: number): number {
		return Math.floor(this.rand() * n);
	}

	pick<T>(items: readonly T[]): T {
		return items[this.int(items.length)];
	}

	chance(p: number): boolean {
		return this.rand() < p;
	}

	bytes(n: number): Buffer {
		const out = Buffer.alloc(n);
		for (let i = 0; i < n; i++) out[i] = this.int(256);
		return out;
	}

	/** Flips, overwrites, inserts, deletes or duplicates a few bytes; or truncates. */
	bytesOf(input: Buffer): Buffer {
		if (input.length === 0) return this.bytes(this.int(64));
		const op = this.int(6);
		if (op === 0) return input.subarray(0, this.int(input.length));
		const copy = Buffer.from(input);
		if (op === 1 || op === 2) {
			for (let i = 0, n = 1 + this.int(6); i < n; i++) {
				const at = this.int(copy.length);
				copy[at] = op === 1 ? copy[at] ^ (1 << this.int(8)) : this.int(256);
			}
			return copy;
		}
		const at = this.int(input.length);
		if (op === 3)
			return Buffer.concat([
				input.subarray(0, at),
				this.bytes(1 + this.int(16)),
				input.subarray(at),
			]);
		if (op === 4)
			return Buffer.concat([
				input.subarray(0, at),
				input.subarray(Math.min(input.length, at + 1 + this.int(32))),
			]);
		const len = 1 + this.int(Math.min(64, input.length - at));
		return Buffer.concat([
			input.subarray(0, at + len),
			input.subarray(at, at + len),
			input.subarray(at + len),
		]);
	}

	/** An edge value for an integer field, as big-endian two's complement bytes. */
	edgeInteger(): Buffer {
		return this.pick([
			Buffer.from([0]),
			Buffer.from([1]),
			Buffer.from([0xff]),
			Buffer.from([0x7f, 0xff, 0xff, 0xff]),
			Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff]),
			Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0]),
			Buffer.from([0x01, 0, 0, 0, 0, 0, 0, 0, 0]),
			Buffer.alloc(40, 0x7f),
			Buffer.alloc(0),
			Buffer.from([0, 0, 0, 5]),
			Buffer.from([(this.int(8000) >> 8) & 0x7f, this.int(256)]),
		]);
	}

	/**
	 * Parses DER (leniently) and damages one node: an integer, an OID, a primitive's content, the children
	 * of a constructed node, its tag; or descends into an OCTET STRING that holds DER and damages that.
	 * Falls back to byte damage when the input does not parse or cannot be written back.
	 */
	der(input: Buffer, depth = 0): Buffer {
		const root = parseLenient(input);
		if (!root) return this.bytesOf(input);
		const nodes: Asn1[] = [];
		collect(root, nodes);
		const node = this.pick(nodes);
		const T = forge.asn1.Type;
		const primitive = typeof node.value === 'string';
		const op = this.int(9);
		try {
			if (op === 0 && primitive && node.type === T.INTEGER)
				node.value = this.edgeInteger().toString('binary');
			else if (op === 1 && primitive && node.type === T.OID)
				node.value = forge.asn1.oidToDer(this.pick(OIDS)).getBytes();
			else if (
				op === 2 &&
				primitive &&
				depth < 3 &&
				parseLenient(Buffer.from(node.value as string, 'binary'))
			) {
				node.value = this.der(Buffer.from(node.value as string, 'binary'), depth + 1).toString(
					'binary',
				);
			} else if (op === 3 && primitive)
				node.value = this.bytesOf(Buffer.from(node.value as string, 'binary')).toString('binary');
			else if (op === 4 && !primitive && (node.value as Asn1[]).length > 0)
				(node.value as Asn1[]).splice(this.int((node.value as Asn1[]).length), 1);
			else if (op === 5 && !primitive && (node.value as Asn1[]).length > 0) {
				const children = node.value as Asn1[];
				const copy = children[this.int(children.length)];
				for (let i = 0, n = this.chance(0.2) ? 30 : 1; i < n; i++)
					children.splice(this.int(children.length + 1), 0, copy);
			} else if (op === 6)
				node.type = this.pick<number>([
					T.BOOLEAN,
					T.INTEGER,
					T.BITSTRING,
					T.OCTETSTRING,
					T.NULL,
					T.OID,
					T.UTF8,
					T.SEQUENCE,
					T.SET,
					T.UTCTIME,
					30,
				]) as typeof node.type;
			else if (op === 7)
				node.tagClass = this.pick([
					forge.asn1.Class.CONTEXT_SPECIFIC,
					forge.asn1.Class.APPLICATION,
					forge.asn1.Class.UNIVERSAL,
				]);
			else if (op === 8 && !primitive) {
				const children = node.value as Asn1[];
				node.value = [forge.asn1.create(forge.asn1.Class.UNIVERSAL, T.SEQUENCE, true, children)];
			} else return this.bytesOf(input);
			return Buffer.from(forge.asn1.toDer(root).getBytes(), 'binary');
		} catch {
			return this.bytesOf(input);
		}
	}

	/** Damages a text: characters replaced, inserted or removed; lines dropped, doubled or swapped; truncation. */
	text(input: string, alphabet: string): string {
		const op = this.int(6);
		if (op === 0) return input.slice(0, this.int(input.length + 1));
		if (op === 1 || op === 2) {
			const chars = [...input];
			for (let i = 0, n = 1 + this.int(4); i < n; i++) {
				const at = this.int(chars.length + 1);
				const c = this.pick([...alphabet]);
				if (op === 1 && at < chars.length) chars[at] = c;
				else chars.splice(at, 0, c);
			}
			return chars.join('');
		}
		if (op === 3) {
			const at = this.int(input.length);
			return input.slice(0, at) + input.slice(at + 1 + this.int(8));
		}
		const lines = input.split('\n');
		const i = this.int(lines.length);
		const j = this.int(lines.length);
		if (op === 4) lines.splice(i, 1);
		else [lines[i], lines[j]] = [lines[j], lines[i]];
		return lines.join('\n');
	}
}

/** Object identifiers a PKCS#12 or CMS parser reacts to. */
export const OIDS = [
	'1.2.840.113549.1.7.1',
	'1.2.840.113549.1.7.2',
	'1.2.840.113549.1.7.3',
	'1.2.840.113549.1.7.6',
	'1.2.840.113549.1.12.10.1.1',
	'1.2.840.113549.1.12.10.1.2',
	'1.2.840.113549.1.12.10.1.3',
	'1.2.840.113549.1.12.10.1.6',
	'1.2.840.113549.1.5.13',
	'1.2.840.113549.1.5.12',
	'1.2.840.113549.1.12.1.3',
	'1.2.840.113549.1.12.1.6',
	'2.16.840.1.101.3.4.1.42',
	'2.16.840.1.101.3.4.2.1',
	'1.3.14.3.2.26',
	'1.2.840.113549.1.1.1',
	'1.2.840.113549.1.1.11',
	'1.2.840.113549.1.1.10',
	'1.2.840.10045.2.1',
	'1.2.840.10045.4.3.2',
	'1.2.840.113549.1.9.3',
	'1.2.840.113549.1.9.4',
	'1.2.840.113549.1.9.5',
	'1.2.840.113549.1.9.15',
	'1.2.3.4.5.6.7.8.9.10.11.12.13.14.15',
	'2.999',
];

function parseLenient(input: Buffer): Asn1 | undefined {
	try {
		return forge.asn1.fromDer(forge.util.createBuffer(input.toString('binary')), {
			strict: false,
			parseAllBytes: false,
			decodeBitStrings: false,
		});
	} catch {
		return undefined;
	}
}

function collect(node: Asn1, out: Asn1[], depth = 0): void {
	out.push(node);
	if (depth < 40 && Array.isArray(node.value))
		for (const child of node.value) collect(child, out, depth + 1);
}

/** Wraps base64 in lines of `width` (a PEM body). */
export function wrapLines(base64: string, width: number): string {
	return base64.match(new RegExp(`.{1,${width}}`, 'g'))?.join('\n') ?? '';
}

/** The body of the first PEM block, decoded; with the label. */
export function pemBody(text: string): { label: string; der: Buffer; headers: string } | undefined {
	const m =
		/-----BEGIN ([A-Z0-9 ]+)-----\n((?:[A-Za-z-]+:.*\n)*\n?)?([\s\S]*?)-----END \1-----/.exec(text);
	if (!m) return undefined;
	return { label: m[1], headers: m[2] ?? '', der: Buffer.from(m[3].replace(/\s+/g, ''), 'base64') };
}

export function pem(label: string, der: Buffer, headers = '', width = 64): string {
	return `-----BEGIN ${label}-----\n${headers}${wrapLines(der.toString('base64'), width)}\n-----END ${label}-----\n`;
}

/**
 * Offsets of the u32 length fields of an OpenSSH private key body: the top-level strings and, when the
 * private section is not encrypted, the strings inside it.
 */
export function opensshLengthFields(body: Buffer): number[] {
	const offsets: number[] = [];
	let pos = 15; // "openssh-key-v1\0"
	const readString = (limit: number): [number, number] | undefined => {
		if (pos + 4 > limit) return undefined;
		const len = body.readUInt32BE(pos);
		offsets.push(pos);
		const start = pos + 4;
		if (start + len > limit) return undefined;
		pos = start + len;
		return [start, start + len];
	};
	const cipher = readString(body.length);
	readString(body.length); // kdf
	readString(body.length); // kdf options
	pos += 4; // key count
	readString(body.length); // public key
	const priv = readString(body.length);
	if (cipher && priv && body.subarray(cipher[0], cipher[1]).toString() === 'none') {
		pos = priv[0] + 8; // two check integers
		for (let i = 0; i < 8 && pos < priv[1]; i++) if (!readString(priv[1])) break;
	}
	return offsets;
}

/**
 * Replaces the first OCTET STRING whose content is `from` by `to`, also inside OCTET STRINGs that hold DER
 * (a PKCS#12 nests its bags that way), re-encoding every enclosing length. Undefined when not found.
 */
export function replaceOctetString(
	der: Buffer,
	from: Buffer,
	to: Buffer,
	depth = 0,
): Buffer | undefined {
	const root = parseLenient(der);
	if (!root || depth > 8) return undefined;
	if (!Buffer.from(forge.asn1.toDer(root).getBytes(), 'binary').equals(der)) return undefined;
	let done = false;
	const visit = (node: Asn1): void => {
		if (done) return;
		if (typeof node.value !== 'string') {
			node.value.forEach(visit);
			return;
		}
		const bytes = Buffer.from(node.value, 'binary');
		if (node.type === forge.asn1.Type.OCTETSTRING && bytes.equals(from)) {
			node.value = to.toString('binary');
			done = true;
			return;
		}
		const inner = bytes.length > 2 ? replaceOctetString(bytes, from, to, depth + 1) : undefined;
		if (inner) {
			node.value = inner.toString('binary');
			done = true;
		}
	};
	visit(root);
	return done ? Buffer.from(forge.asn1.toDer(root).getBytes(), 'binary') : undefined;
}
