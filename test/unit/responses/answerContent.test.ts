import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interpretAnswer, sniffAnswerFormat } from '../../../nodes/domain/responses/answerContent';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/answers', name));

describe('interpreting the content of an answer', () => {
	it('sniffs XML, PDF and binary content', () => {
		expect(sniffAnswerFormat(Buffer.from('<?xml version="1.0"?><a/>'))).toBe('xml');
		expect(sniffAnswerFormat(Buffer.from('\r\n  \t<ACRF/>'))).toBe('xml');
		expect(
			sniffAnswerFormat(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a/>')])),
		).toBe('xml');
		expect(
			sniffAnswerFormat(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<a/>', 'utf16le')])),
		).toBe('xml');
		expect(sniffAnswerFormat(Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj'))).toBe('pdf');
		expect(sniffAnswerFormat(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]))).toBe('binary');
		expect(sniffAnswerFormat(Buffer.alloc(0))).toBe('binary');
	});

	it('reads an ACRF', () => {
		const result = interpretAnswer({
			type: 'ACRF',
			contentName: 'FO.ACRF.999999.20250410.00011.T',
			bytes: fixture('acrf-rejected-3-errors.xml'),
		});
		expect(result.format).toBe('xml');
		expect(result.rootElement).toBe('ACRF');
		expect(result.acrf?.errors.map((e) => e.code)).toEqual(['ACRF-125', 'ACRF-158', 'ACRF-312']);
		expect(result.noti).toBeUndefined();
		expect(Object.keys(result.object ?? {})).toEqual(['ACRF']);
	});

	it('reads a NOTI', () => {
		const result = interpretAnswer({
			type: 'NOTI',
			contentName: 'FO.NOTI.999999.20250411.00004.T',
			bytes: fixture('noti-anomalies.xml'),
		});
		expect(result).toMatchObject({
			format: 'xml',
			rootElement: 'NOTIFICATION',
			noti: { accepted: false, ticket: '03804LA9F3H6Z' },
		});
		expect(result.acrf).toBeUndefined();
	});

	it('goes by the root element when the type says nothing', () => {
		expect(
			interpretAnswer({ type: 'XXXX', contentName: 'a', bytes: fixture('acrf-accepted.xml') }).acrf
				?.accepted,
		).toBe(true);
		expect(
			interpretAnswer({ type: 'XXXX', contentName: 'a', bytes: fixture('noti-accepted.xml') }).noti
				?.accepted,
		).toBe(true);
	});

	it('gives other XML answers as a plain object', () => {
		const result = interpretAnswer({
			type: 'DMNO',
			contentName: 'FO.DMNO.999999.20250410.00031.T',
			bytes: Buffer.from('<DMNO><Form><X>1</X></Form></DMNO>'),
		});
		expect(result).toEqual({
			format: 'xml',
			rootElement: 'DMNO',
			object: { DMNO: { Form: { X: '1' } } },
		});
	});

	it('does not parse a PDF or binary answer', () => {
		expect(
			interpretAnswer({ type: 'AOAT', contentName: 'x', bytes: Buffer.from('%PDF-1.4 ...') }),
		).toEqual({ format: 'pdf' });
		expect(
			interpretAnswer({ type: 'DMPI', contentName: 'x', bytes: Buffer.from([0, 1, 2, 3]) }),
		).toEqual({ format: 'binary' });
	});

	it('refuses an ACRF or NOTI that is not XML, or an ACRF with another root', () => {
		expect(() =>
			interpretAnswer({ type: 'ACRF', contentName: 'FO.ACRF.x', bytes: Buffer.from('%PDF-1.4') }),
		).toThrow(
			expect.objectContaining({
				code: 'RESPONSE_CONTENT_UNEXPECTED',
				message: expect.stringMatching(/should be XML but is a PDF/),
			}),
		);
		expect(() =>
			interpretAnswer({ type: 'NOTI', contentName: 'FO.NOTI.x', bytes: Buffer.from('garbage') }),
		).toThrow(expect.objectContaining({ code: 'RESPONSE_CONTENT_UNEXPECTED' }));
		expect(() =>
			interpretAnswer({
				type: 'ACRF',
				contentName: 'FO.ACRF.x',
				bytes: fixture('noti-accepted.xml'),
			}),
		).toThrow(expect.objectContaining({ code: 'RESPONSE_NOT_ACRF' }));
	});

	it('applies the XML limits and names the file in errors', () => {
		expect(() =>
			interpretAnswer(
				{ type: 'NOTI', contentName: 'FO.NOTI.big', bytes: fixture('noti-anomalies.xml') },
				{ maxBytes: 100 },
			),
		).toThrow(
			expect.objectContaining({
				code: 'RESPONSE_XML_TOO_LARGE',
				message: expect.stringContaining('FO.NOTI.big'),
			}),
		);
	});
});
