/**
 * Text layouts of the signature file (FS): the base64 of the DER SignedData.
 * Officially one line, or 76-column lines separated by a single CR; peers also send the PEM body
 * (64 columns, CRLF) and it is accepted. See docs/batch-channel.md §4.
 */
import { SocialSecurityError } from '../errors';

export type SignatureLayout = 'single-line' | 'cr-76' | 'pem-body';

export const SIGNATURE_LAYOUTS: readonly SignatureLayout[] = ['single-line', 'cr-76', 'pem-body'];

function lines(text: string, width: number): string[] {
	const out: string[] = [];
	for (let i = 0; i < text.length; i += width) out.push(text.slice(i, i + width));
	return out;
}

/** The FS text for a DER signature. 'single-line' and 'cr-76' end without a line break. */
export function formatSignature(der: Buffer, layout: SignatureLayout = 'single-line'): string {
	const b64 = der.toString('base64');
	switch (layout) {
		case 'single-line':
			return b64;
		case 'cr-76':
			return lines(b64, 76).join('\r');
		case 'pem-body':
			// Every line ends with CRLF, as a PEM file from which BEGIN/END were removed.
			return lines(b64, 64)
				.map((line) => `${line}\r\n`)
				.join('');
		default:
			throw new SocialSecurityError(
				'FS_LAYOUT_UNKNOWN',
				`Unknown signature file layout "${String(layout)}".`,
				`Choose one of: ${SIGNATURE_LAYOUTS.join(', ')}.`,
			);
	}
}

/** The FS file content (ASCII bytes) for a DER signature. */
export function encodeSignatureFile(der: Buffer, layout: SignatureLayout = 'single-line'): Buffer {
	return Buffer.from(formatSignature(der, layout), 'ascii');
}

function fsInvalid(detail: string): SocialSecurityError {
	return new SocialSecurityError(
		'FS_INVALID',
		`The signature file (FS) cannot be read: ${detail}.`,
		'An FS holds the base64 of a PKCS#7/CMS signature (one line, CR-separated lines, or a PEM body).',
	);
}

/** True when `buf` is exactly one DER element with a definite length. */
function isSingleDerElement(buf: Buffer): boolean {
	if (buf.length < 2 || buf[0] !== 0x30) return false;
	let length = buf[1];
	let header = 2;
	if (length & 0x80) {
		const n = length & 0x7f;
		if (n === 0 || n > 4 || buf.length < 2 + n) return false;
		length = 0;
		for (let i = 0; i < n; i++) length = length * 256 + buf[2 + i];
		header += n;
	}
	return header + length === buf.length;
}

/**
 * The DER of a signature file in any of the layouts, in full PEM (BEGIN/END lines, headers) or raw
 * DER. Throws FS_INVALID for anything else. Does not check that the DER is a SignedData.
 */
export function decodeSignatureFile(input: Buffer | string): Buffer {
	if (Buffer.isBuffer(input) && isSingleDerElement(input)) return input;
	let text = Buffer.isBuffer(input) ? input.toString('latin1') : String(input);
	if (text.charCodeAt(0) === 0xfeff || text.startsWith('\u00ef\u00bb\u00bf'))
		text = text.replace(/^(\ufeff|\u00ef\u00bb\u00bf)/, '');
	const armoured = /-----BEGIN [^-\r\n]+-----([\s\S]*?)-----END [^-\r\n]+-----/.exec(text);
	if (armoured) {
		// RFC 1421 headers ("Name: value") may precede the body, ended by an empty line.
		text = armoured[1].replace(/^[\s\S]*?:[^\r\n]*(\r\n|\r|\n)(\r\n|\r|\n)/, '');
	} else if (text.includes('-----')) {
		throw fsInvalid('a PEM BEGIN line without its END line (or the reverse)');
	}
	const compact = text.replace(/[\s]+/g, '');
	if (compact.length === 0) throw fsInvalid('the file is empty');
	if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 === 1) {
		throw fsInvalid('it is neither base64 text nor a DER signature');
	}
	const der = Buffer.from(compact, 'base64');
	if (!isSingleDerElement(der)) throw fsInvalid('the base64 text does not hold a DER signature');
	return der;
}
