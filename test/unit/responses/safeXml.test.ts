import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SocialSecurityError } from '../../../nodes/domain/errors';
import {
	DEFAULT_MAX_XML_BYTES,
	asArray,
	childNamed,
	decodePredefinedEntities,
	findElements,
	parseSafeXml,
	textOf,
} from '../../../nodes/domain/responses/safeXml';

function errorOf(fn: () => unknown): SocialSecurityError {
	try {
		fn();
	} catch (error) {
		if (error instanceof SocialSecurityError) return error;
		throw error;
	}
	throw new Error('expected a SocialSecurityError');
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ACRF><Form><Identification>&lol9;</Identification></Form></ACRF>`;

describe('safe XML parsing', () => {
	afterEach(() => jest.restoreAllMocks());

	it('reads an answer into a plain object, keeping values as text', () => {
		const doc = parseSafeXml(
			'<?xml version="1.0" encoding="UTF-8"?>\n<ACRF><Form><ResultCode> 1 </ResultCode><Seq>00001</Seq><Empty/></Form></ACRF>',
		);
		expect(doc.rootElement).toBe('ACRF');
		expect(doc.root).toEqual({ Form: { ResultCode: '1', Seq: '00001', Empty: '' } });
		expect(doc.document).toEqual({ ACRF: doc.root });
		expect(Object.getPrototypeOf(doc.document)).toBe(Object.prototype);
	});

	it('refuses the "billion laughs" XML bomb fast, before any parsing', () => {
		const parse = jest.spyOn(XMLParser.prototype, 'parse');
		const started = process.hrtime.bigint();
		const error = errorOf(() => parseSafeXml(BILLION_LAUGHS));
		const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
		expect(error.code).toBe('RESPONSE_XML_FORBIDDEN');
		expect(error.message).toMatch(/DOCTYPE/);
		expect(elapsedMs).toBeLessThan(100);
		expect(parse).not.toHaveBeenCalled();
	});

	it('refuses an external entity and never resolves it', () => {
		const parse = jest.spyOn(XMLParser.prototype, 'parse');
		const validate = jest.spyOn(XMLValidator, 'validate');
		const xxe =
			'<?xml version="1.0"?><!DOCTYPE ACRF [<!ENTITY x SYSTEM "file:///etc/passwd">]><ACRF><Form><Identification>&x;</Identification></Form></ACRF>';
		const error = errorOf(() => parseSafeXml(Buffer.from(xxe)));
		expect(error.code).toBe('RESPONSE_XML_FORBIDDEN');
		expect(error.message).not.toMatch(/root:/);
		expect(parse).not.toHaveBeenCalled();
		expect(validate).not.toHaveBeenCalled();
	});

	it('refuses an entity declaration even without DOCTYPE, and a lower-case doctype', () => {
		expect(errorOf(() => parseSafeXml('<a><!ENTITY x "y"></a>')).code).toBe(
			'RESPONSE_XML_FORBIDDEN',
		);
		expect(errorOf(() => parseSafeXml('<!doctype a><a/>')).code).toBe('RESPONSE_XML_FORBIDDEN');
	});

	it('refuses a 50 MB answer over the limit without parsing or even validating it', () => {
		const parse = jest.spyOn(XMLParser.prototype, 'parse');
		const validate = jest.spyOn(XMLValidator, 'validate');
		const big = `<ACRF><Form>${'x'.repeat(50 * 1024 * 1024)}</Form></ACRF>`;
		const started = Date.now();
		const error = errorOf(() => parseSafeXml(big));
		expect(error.code).toBe('RESPONSE_XML_TOO_LARGE');
		expect(error.message).toContain('10 MiB');
		expect(errorOf(() => parseSafeXml(Buffer.from(big))).code).toBe('RESPONSE_XML_TOO_LARGE');
		expect(Date.now() - started).toBeLessThan(2000);
		expect(parse).not.toHaveBeenCalled();
		expect(validate).not.toHaveBeenCalled();
	});

	it('applies a custom size limit, counting UTF-8 bytes of a string', () => {
		expect(DEFAULT_MAX_XML_BYTES).toBe(10 * 1024 * 1024);
		expect(parseSafeXml('<a>éé</a>', { maxBytes: 11 }).root).toBe('éé');
		expect(errorOf(() => parseSafeXml('<a>ééé</a>', { maxBytes: 11 })).code).toBe(
			'RESPONSE_XML_TOO_LARGE',
		);
	});

	it('decodes only the five XML entities and character references, in one pass', () => {
		const doc = parseSafeXml(
			'<a><b>x &amp; &lt;y&gt; &quot;&apos; &#233;&#xE9; &amp;lt; &nbsp; &foo;</b><c k="&lt;&#233;&gt;"/></a>',
		);
		expect(doc.root).toEqual({ b: 'x & <y> "\' éé &lt; &nbsp; &foo;', c: { '@_k': '<é>' } });
		expect(decodePredefinedEntities('&#0; &#xD800; &#65;')).toBe('&#0; &#xD800; A');
	});

	it('keeps CDATA as written', () => {
		expect(parseSafeXml('<a><![CDATA[<b>&amp;</b>]]></a>').root).toBe('<b>&amp;</b>');
	});

	it('removes namespace prefixes and drops namespace declarations', () => {
		const doc = parseSafeXml(
			'<ns:NOTIFICATION xmlns:ns="urn:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="N.xsd"><ns:Form><ns:Ticket>T1</ns:Ticket></ns:Form></ns:NOTIFICATION>',
		);
		expect(doc.rootElement).toBe('NOTIFICATION');
		expect(doc.root).toEqual({ '@_noNamespaceSchemaLocation': 'N.xsd', Form: { Ticket: 'T1' } });
	});

	it('refuses broken XML, several roots, text, and attribute surprises', () => {
		for (const bad of [
			'<a><b></a>',
			'<a/><b/>',
			'not xml at all',
			'',
			'<a b="1" b="2"/>',
			'<a b/>',
			'<a>x</a>trailing',
		]) {
			expect(errorOf(() => parseSafeXml(bad)).code).toBe('RESPONSE_XML_INVALID');
		}
	});

	it('refuses names that would pollute prototypes and leaves Object.prototype alone', () => {
		for (const bad of [
			'<a><__proto__><polluted>yes</polluted></__proto__></a>',
			'<a><constructor>x</constructor></a>',
		]) {
			expect(errorOf(() => parseSafeXml(bad)).code).toBe('RESPONSE_XML_INVALID');
		}
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
	});

	it('reads bytes by their byte-order mark or declared encoding', () => {
		expect(
			parseSafeXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>é</a>')])).root,
		).toBe('é');
		expect(
			parseSafeXml(
				Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>\u00e9</a>', 'latin1'),
			).root,
		).toBe('é');
		expect(
			parseSafeXml(
				Buffer.from('<?xml version="1.0" encoding="windows-1252"?><a>\u0080</a>', 'latin1'),
			).root,
		).toBe('€');
		expect(
			parseSafeXml(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<a>é</a>', 'utf16le')]))
				.root,
		).toBe('é');
		expect(parseSafeXml('\ufeff  <a>x</a>').root).toBe('x');
		expect(
			errorOf(() => parseSafeXml(Buffer.from('<?xml version="1.0" encoding="x-made-up"?><a/>')))
				.code,
		).toBe('RESPONSE_XML_INVALID');
	});

	it('names the file in its messages without echoing control characters', () => {
		const error = errorOf(() => parseSafeXml('<a>', { sourceName: 'FO.ACRF\u0007.x' }));
		expect(error.message).toContain('FO.ACRF?.x');
		expect(error.message).not.toMatch(/\p{Cc}/u);
	});

	it('offers helpers that do not depend on the exact shape', () => {
		const { root } = parseSafeXml('<r><E>1</E><e k="v">2</e><X><E>3</E></X><Y a="b"/></r>');
		expect(asArray(childNamed(root, 'missing'))).toEqual([]);
		expect(textOf(childNamed(root, 'E'))).toBe('1');
		expect(findElements(root, ['e']).map((f) => textOf(f.value))).toEqual(['1', '2', '3']);
		expect(textOf(childNamed(root, 'Y'))).toBe('');
		expect(textOf(childNamed(root, 'X'))).toBeUndefined();
	});
});
