/** The "Rename Binaries to FI Names" option of Build: which binaries hold the parts, checked before a sequence is taken. */
import type { IBinaryKeyData, INodeExecutionData } from 'n8n-workflow';
import { SocialSecurityError } from '../../domain/errors';

/** The binary properties listed in the option, in part order. */
export function binaryList(value: unknown): string[] {
	if (typeof value !== 'string') return [];
	return value
		.split(',')
		.map((entry) => entry.trim())
		.filter((entry) => entry !== '');
}

/** Throws when the list does not name one existing binary per part. */
export function checkBinaries(item: INodeExecutionData, list: string[], parts: number): void {
	if (list.length !== parts) {
		throw new SocialSecurityError(
			'RENAME_COUNT_MISMATCH',
			`"Rename Binaries to FI Names" lists ${list.length} binary propert${list.length === 1 ? 'y' : 'ies'} but the set has ${parts} part${parts === 1 ? '' : 's'}`,
			'List one binary property per part, in part order, separated by commas (e.g. data,data2,data3), or change the number of parts.',
		);
	}
	const duplicate = list.find((entry, index) => list.indexOf(entry) !== index);
	if (duplicate !== undefined) {
		throw new SocialSecurityError(
			'RENAME_DUPLICATE',
			`The binary property "${duplicate}" is listed twice in "Rename Binaries to FI Names"`,
			'Each part needs its own file: list each binary property once.',
		);
	}
	const available = Object.keys(item.binary ?? {});
	const missing = list.filter((entry) => !available.includes(entry));
	if (missing.length > 0) {
		throw new SocialSecurityError(
			'BINARY_MISSING',
			`The input item has no binary property ${missing.map((m) => `"${m}"`).join(', ')}`,
			available.length > 0
				? `Binary properties of this item: ${available.join(', ')}. Use these names in "Rename Binaries to FI Names".`
				: 'This item has no file at all: read the declaration files first (e.g. with Read/Write Files from Disk) or remove the option.',
		);
	}
}

/** The item's binaries with each listed one named after the FI of its part. */
export function renamedBinaries(
	source: IBinaryKeyData | undefined,
	list: string[],
	fiNames: string[],
): IBinaryKeyData | undefined {
	if (list.length === 0 || !source) return source;
	const binary: IBinaryKeyData = { ...source };
	list.forEach((property, part) => {
		binary[property] = { ...source[property], fileName: fiNames[part] };
	});
	return binary;
}
