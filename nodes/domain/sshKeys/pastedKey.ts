/**
 * Repairs private keys that were damaged on the way into a form field: n8n's one-line password fields
 * drop the newlines on paste, environment variables and JSON carry literal `\n`, Windows adds CR.
 * The result has the exact line structure the parsers (ssh2, OpenSSL, our PPK reader) expect.
 * Anything that is not recognised comes back trimmed but otherwise untouched, so the loader can say
 * what it is. All scanning is linear: the input may be hostile.
 */

import { PPK_HEADER } from './ppk';

const PPK_HEADERS = [
	'Encryption:',
	'Comment:',
	'Public-Lines:',
	'Key-Derivation:',
	'Argon2-Memory:',
	'Argon2-Passes:',
	'Argon2-Parallelism:',
	'Argon2-Salt:',
	'Private-Lines:',
	'Private-MAC:',
	'Private-Hash:',
] as const;

const PPK_LINE_WIDTH = 64;

export function repairPastedKey(text: string): string {
	return repair(String(text ?? ''), 0);
}

function repair(input: string, depth: number): string {
	let s = normaliseText(input);

	// Some people base64-encode the whole key file to get it through a one-line field.
	if (depth === 0 && s.length >= 40 && /^[A-Za-z0-9+/=\s]+$/.test(s)) {
		const decoded = Buffer.from(s.replace(/\s+/g, ''), 'base64').toString('utf8');
		if (new RegExp(`^\\s*(-----BEGIN |${PPK_HEADER}-)`).test(decoded))
			return repair(decoded, depth + 1);
	}

	if (s.includes('-----BEGIN ')) {
		const pem = repairPemBlocks(s);
		if (pem !== undefined) return pem;
		return s;
	}
	const ppkStart = s.search(new RegExp(`${PPK_HEADER}-\\d{1,2}:`));
	if (ppkStart >= 0) {
		s = s.slice(ppkStart);
		return repairPpk(s) ?? s;
	}
	return s;
}

function normaliseText(input: string): string {
	let s = input.replace(/^\uFEFF/, '').trim();
	// Surrounding quotes from JSON, shell or .env files, possibly nested ("'...'").
	for (let i = 0; i < 3 && s.length >= 2; i++) {
		const first = s[0];
		if ((first === '"' || first === "'" || first === '`') && s[s.length - 1] === first) {
			s = s.slice(1, -1).trim();
		} else break;
	}
	// Literal escape sequences (backslash + n); keys never contain a backslash otherwise.
	s = s.replace(/\\r\\n|\\n|\\r/g, '\n');
	s = s.replace(/\r\n?/g, '\n');
	return s.trim();
}

// ---------------------------------------------------------------------------------------------
// PEM and OpenSSH ("-----BEGIN X-----" … "-----END X-----")

interface PemBlock {
	label: string;
	inner: string;
}

/** Rebuilds every complete PEM block; text around the blocks (e.g. "Bag Attributes") is dropped. */
function repairPemBlocks(s: string): string | undefined {
	const blocks: PemBlock[] = [];
	const noEndAfter = new Map<string, number>();
	let pos = 0;
	while (blocks.length < 16) {
		const begin = s.indexOf('-----BEGIN ', pos);
		if (begin < 0) break;
		const labelStart = begin + '-----BEGIN '.length;
		const labelEnd = s.indexOf('-----', labelStart);
		if (labelEnd < 0 || labelEnd - labelStart > 64) {
			pos = labelStart;
			continue;
		}
		const label = s.slice(labelStart, labelEnd).replace(/\s+/g, ' ').trim();
		if (!/^[A-Z0-9 ]+$/.test(label)) {
			pos = labelStart;
			continue;
		}
		const endMarker = `-----END ${label}-----`;
		const known = noEndAfter.get(label);
		// A missing END for this label stays missing further on: avoids quadratic rescans.
		const end = known !== undefined && known <= labelEnd ? -1 : s.indexOf(endMarker, labelEnd + 5);
		if (end < 0) {
			noEndAfter.set(label, labelEnd);
			pos = labelStart;
			continue;
		}
		blocks.push({ label, inner: s.slice(labelEnd + 5, end) });
		pos = end + endMarker.length;
	}
	if (blocks.length === 0) return undefined;
	return blocks.map(rebuildPemBlock).join('');
}

function rebuildPemBlock(block: PemBlock): string {
	let rest = block.inner.trim();
	const headers: string[] = [];
	// RFC 1421 headers, used by OpenSSL's legacy encrypted PEM (Proc-Type, DEK-Info).
	for (let i = 0; i < 8; i++) {
		const m = /^([A-Za-z][A-Za-z0-9-]{0,40}):[ \t]*/.exec(rest);
		if (!m) break;
		const name = m[1];
		rest = rest.slice(m[0].length);
		let value: string;
		if (/^Proc-Type$/i.test(name)) {
			const v = /^\d+,(?:ENCRYPTED|MIC-ONLY|MIC-CLEAR|CRL)/.exec(rest);
			value = v ? v[0] : firstToken(rest);
		} else if (/^DEK-Info$/i.test(name)) {
			value = dekInfoValue(rest);
		} else {
			// Unknown header: up to the end of the line if there is one, else one token.
			const nl = rest.indexOf('\n');
			value = nl >= 0 ? rest.slice(0, nl).trim() : firstToken(rest);
		}
		headers.push(`${name}: ${value}`);
		rest = rest.slice(rest.indexOf(value) + value.length).trim();
	}
	const body = rest.replace(/\s+/g, '');
	const width = block.label === 'OPENSSH PRIVATE KEY' ? 70 : 64;
	const lines: string[] = [];
	for (let i = 0; i < body.length; i += width) lines.push(body.slice(i, i + width));
	const head = headers.length > 0 ? headers.join('\n') + '\n\n' : '';
	return `-----BEGIN ${block.label}-----\n${head}${lines.join('\n')}${lines.length ? '\n' : ''}-----END ${block.label}-----\n`;
}

function firstToken(s: string): string {
	const m = /^\S*/.exec(s);
	return m ? m[0] : '';
}

/** `CIPHER,IVHEX`; the IV length follows from the cipher when the body is glued to it. */
function dekInfoValue(rest: string): string {
	const token = firstToken(rest);
	const m = /^([A-Za-z0-9-]+),([0-9A-Fa-f]*)/.exec(rest);
	if (!m) return token;
	const cipher = m[1].toUpperCase();
	const ivHex = /^(AES|CAMELLIA|ARIA|SEED|SM4)/.test(cipher)
		? 32
		: /^(DES|BF|CAST|IDEA|RC2)/.test(cipher)
			? 16
			: 0;
	if (ivHex === 0 || m[2].length < ivHex) return token;
	return `${m[1]},${m[2].slice(0, ivHex)}`;
}

// ---------------------------------------------------------------------------------------------
// PuTTY PPK (v2/v3)

/**
 * Finds the headers in their fixed order; their names contain '-' or ':' and so can never occur in
 * base64 or hex, which lets us cut values apart even when newlines vanished without a trace.
 */
function repairPpk(s: string): string | undefined {
	const first = new RegExp(`^${PPK_HEADER}-(\\d{1,2}):`).exec(s);
	if (!first) return undefined;
	const found: { name: string; start: number; valueStart: number }[] = [
		{ name: first[0], start: 0, valueStart: first[0].length },
	];
	let pos = first[0].length;
	for (const name of PPK_HEADERS) {
		// Prefer a header at the start of a line: then a comment that mentions a header name
		// cannot fake one. Without newlines, take the first occurrence.
		let idx = s.indexOf('\n' + name, pos);
		idx = idx >= 0 ? idx + 1 : s.indexOf(name, pos);
		if (idx < 0) continue;
		found.push({ name, start: idx, valueStart: idx + name.length });
		pos = idx + name.length;
	}
	const values = new Map<string, string>();
	for (let i = 0; i < found.length; i++) {
		const end = i + 1 < found.length ? found[i + 1].start : s.length;
		values.set(found[i].name, s.slice(found[i].valueStart, end));
	}

	const out: string[] = [`${first[0]} ${(values.get(first[0]) ?? '').trim()}`];
	const simple = (name: string): void => {
		const v = values.get(name);
		if (v !== undefined) out.push(`${name} ${v.trim()}`);
	};
	simple('Encryption:');
	const comment = values.get('Comment:');
	if (comment !== undefined) out.push(`Comment: ${ppkComment(s, comment)}`);
	if (!pushLines(out, 'Public-Lines:', values.get('Public-Lines:'))) return undefined;
	simple('Key-Derivation:');
	simple('Argon2-Memory:');
	simple('Argon2-Passes:');
	simple('Argon2-Parallelism:');
	simple('Argon2-Salt:');
	if (!pushLines(out, 'Private-Lines:', values.get('Private-Lines:'))) return undefined;
	const mac = values.get('Private-MAC:') ?? values.get('Private-Hash:');
	const macName = values.has('Private-MAC:') ? 'Private-MAC:' : 'Private-Hash:';
	if (mac !== undefined) out.push(`${macName} ${firstToken(mac.trim())}`);
	return out.join('\n') + '\n';
}

/** The comment is covered by the MAC, so keep it exact: from its own line when lines survived. */
function ppkComment(whole: string, value: string): string {
	const line = /^Comment: ?(.*)$/m.exec(whole);
	if (line && /\nPublic-Lines:/.test(whole)) return line[1];
	return value.replace(/^ /, '').trimEnd();
}

/** `n` then n base64 lines; n may be glued to the base64 when the newline vanished. */
function pushLines(out: string[], name: string, value: string | undefined): boolean {
	if (value === undefined) return true;
	const tokens = value
		.trim()
		.split(/\s+/)
		.filter((t) => t.length > 0);
	let count: number | undefined;
	let b64: string;
	if (tokens.length > 1 && /^\d{1,4}$/.test(tokens[0])) {
		count = Number(tokens[0]);
		b64 = tokens.slice(1).join('');
	} else {
		const joined = tokens.join('');
		b64 = joined;
		for (let k = 1; k <= 4 && k < joined.length; k++) {
			if (!/^\d+$/.test(joined.slice(0, k))) break;
			const n = Number(joined.slice(0, k));
			const restLength = joined.length - k;
			if (n > 0 && Math.ceil(restLength / PPK_LINE_WIDTH) === n) {
				count = n;
				b64 = joined.slice(k);
				break;
			}
		}
		if (count === undefined) {
			const digits = /^\d{1,4}/.exec(joined);
			if (!digits) return false;
			count = Number(digits[0]);
			b64 = joined.slice(digits[0].length);
		}
	}
	out.push(`${name} ${count}`);
	for (let i = 0; i < b64.length; i += PPK_LINE_WIDTH) out.push(b64.slice(i, i + PPK_LINE_WIDTH));
	return true;
}
