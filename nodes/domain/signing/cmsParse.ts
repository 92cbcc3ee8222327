/**
 * Reads the structure of a detached CMS SignedData (RFC 5652 §5): its certificates and its signers,
 * keeping the exact bytes of what the signature covers. Checked by cmsVerify.ts.
 */
import {
	asn1ToBuffer,
	C,
	forge,
	kids,
	octets,
	oidOf,
	parseAsn1,
	readTlv,
	T,
	tlvBytes,
	tlvChildren,
	type Asn1,
} from '../asn1/der';
import { OID } from '../asn1/oids';
import { SocialSecurityError } from '../errors';

const asn1 = forge.asn1;
const der = asn1ToBuffer;

export interface ParsedSigner {
	sid: { issuerDer: Buffer; serialDer: Buffer } | { subjectKeyIdentifier: Buffer };
	digestOid: string;
	/** The signed attributes as a SET (what the signature covers), or undefined when absent. */
	signedAttributesSet?: Buffer;
	attributes: Map<string, Asn1[]>;
	signatureOid: string;
	signatureParams?: Asn1;
	signature: Buffer;
}

export interface ParsedSignedData {
	certificates: Buffer[];
	signers: ParsedSigner[];
	detached: boolean;
}

export class FsStructureError extends Error {}

export function fsInvalid(detail: string, cause?: unknown): SocialSecurityError {
	return new SocialSecurityError(
		'FS_INVALID',
		`The signature file (FS) is not a valid PKCS#7/CMS signature (${detail}).`,
		'Sign the file again; an FS holds the base64 of a detached CMS SignedData.',
		{ cause },
	);
}

/** Exact bytes of the certificates and signed attributes; forge's re-encoding when the FS is BER. */
function rawParts(
	bytes: Buffer,
): { certificates: Buffer[]; signedAttributes: Array<Buffer | undefined> } | undefined {
	try {
		const [, wrapper] = tlvChildren(bytes, readTlv(bytes, 0));
		const signedData = tlvChildren(bytes, readTlv(bytes, wrapper.contentStart, wrapper.end));
		const certs = signedData.find((t) => t.tag === 0xa0);
		const signerInfos = signedData[signedData.length - 1];
		return {
			certificates: certs ? tlvChildren(bytes, certs).map((t) => tlvBytes(bytes, t)) : [],
			signedAttributes: tlvChildren(bytes, signerInfos).map((si) => {
				const attrs = tlvChildren(bytes, si).find((t) => t.tag === 0xa0);
				return attrs
					? Buffer.concat([Buffer.from([0x31]), bytes.subarray(attrs.start + 1, attrs.end)])
					: undefined;
			}),
		};
	} catch {
		return undefined;
	}
}

export function parseSignedData(bytes: Buffer): ParsedSignedData {
	const [typeNode, wrapper] = kids(parseAsn1(bytes), T.SEQUENCE);
	if (oidOf(typeNode) !== OID.signedData) throw new FsStructureError('it is not a SignedData');
	const fields = kids(kids(wrapper, 0, C.CONTEXT_SPECIFIC)[0], T.SEQUENCE);
	const [, , encap] = fields;
	const encapFields = kids(encap, T.SEQUENCE);
	if (oidOf(encapFields[0]) !== OID.data)
		throw new FsStructureError('the signed content is not of type data');
	const certificatesNode = fields.find((f) => f.tagClass === C.CONTEXT_SPECIFIC && f.type === 0);
	const signerInfos = kids(fields[fields.length - 1], T.SET);
	if (signerInfos.length === 0) throw new FsStructureError('it has no signer');
	const raw = rawParts(bytes);

	const certificates =
		raw?.certificates ?? (certificatesNode ? kids(certificatesNode).map(der) : []);
	const signers = signerInfos.map((si, index): ParsedSigner => {
		const siFields = kids(si, T.SEQUENCE);
		let i = 1;
		const sidNode = siFields[i++];
		let sid: ParsedSigner['sid'];
		if (sidNode.tagClass === C.CONTEXT_SPECIFIC && sidNode.type === 0) {
			sid = { subjectKeyIdentifier: octets(sidNode) };
		} else {
			const [issuer, serial] = kids(sidNode, T.SEQUENCE);
			sid = { issuerDer: der(issuer), serialDer: der(serial) };
		}
		const digestOid = oidOf(kids(siFields[i++], T.SEQUENCE)[0]);
		let signedAttributesSet: Buffer | undefined;
		const attributes = new Map<string, Asn1[]>();
		const maybeAttrs = siFields[i];
		if (maybeAttrs && maybeAttrs.tagClass === C.CONTEXT_SPECIFIC && maybeAttrs.type === 0) {
			i++;
			for (const attr of kids(maybeAttrs)) {
				const [attrOid, values] = kids(attr, T.SEQUENCE);
				const oid = oidOf(attrOid);
				if (attributes.has(oid)) throw new FsStructureError('a signed attribute occurs twice');
				attributes.set(oid, kids(values, T.SET));
			}
			signedAttributesSet =
				raw?.signedAttributes[index] ??
				der(asn1.create(C.UNIVERSAL, T.SET, true, kids(maybeAttrs)));
		}
		const [sigOidNode, sigParams] = kids(siFields[i++], T.SEQUENCE);
		const signatureNode = siFields[i];
		if (!signatureNode || signatureNode.type !== T.OCTETSTRING)
			throw new FsStructureError('the signature value is missing');
		return {
			sid,
			digestOid,
			signedAttributesSet,
			attributes,
			signatureOid: oidOf(sigOidNode),
			signatureParams: sigParams,
			signature: octets(signatureNode),
		};
	});
	return { certificates, signers, detached: encapFields.length === 1 };
}
