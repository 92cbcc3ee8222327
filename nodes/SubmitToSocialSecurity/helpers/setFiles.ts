/** The FI and FS files of an item, as the user chose to find them ("Find Files By"). */
import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';
import { SocialSecurityError } from '../../domain/errors';
import type { SetFile } from '../../domain/submission/declarationSet';
import { binarySize, openBinary } from '../../shared/binaryData';

export async function collectSetFiles(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<{ declarations: SetFile[]; signatures: SetFile[] }> {
	const filesFrom = this.getNodeParameter('filesFrom', itemIndex, 'fileNames') as string;
	const binaries = this.getInputData()[itemIndex].binary ?? {};
	const toSetFile = async (property: string, binary: IBinaryData): Promise<SetFile> => {
		if (!binary.fileName) {
			throw new SocialSecurityError(
				'BINARY_WITHOUT_NAME',
				`The binary "${property}" has no file name, so it cannot be placed in the set.`,
				'Use Build Filenames with "Rename Binaries to FI Names" before this node.',
			);
		}
		return {
			name: binary.fileName,
			size: await binarySize(this, binary),
			open: () => openBinary(this, binary),
		};
	};
	if (filesFrom === 'properties') {
		const list = (name: string) =>
			String(this.getNodeParameter(name, itemIndex, ''))
				.split(',')
				.map((p) => p.trim())
				.filter(Boolean);
		const read = (property: string) =>
			toSetFile(property, this.helpers.assertBinaryData(itemIndex, property));
		return {
			declarations: await Promise.all(list('declarationProperties').map(read)),
			signatures: await Promise.all(list('signatureProperties').map(read)),
		};
	}
	const declarations: SetFile[] = [];
	const signatures: SetFile[] = [];
	for (const [property, binary] of Object.entries(binaries)) {
		const name = binary.fileName ?? '';
		if (name.startsWith('FI.')) declarations.push(await toSetFile(property, binary));
		else if (name.startsWith('FS.')) signatures.push(await toSetFile(property, binary));
	}
	if (declarations.length === 0) {
		const names = Object.entries(binaries).map(([p, b]) => `${p}: ${b.fileName ?? '(no name)'}`);
		throw new SocialSecurityError(
			'SET_NO_DECLARATION',
			`The item has no binary whose file name starts with FI. ${names.length > 0 ? `(it has ${names.join(', ')})` : '(it has no binary at all)'}.`,
			'Put Build Filenames with "Rename Binaries to FI Names" before this node, or choose "Find Files By: Binary Properties".',
		);
	}
	return { declarations, signatures };
}
