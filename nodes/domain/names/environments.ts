/** The three environments of the channel: the last element of a name decides the folders (ACRF-118/119/257). */
export type Environment = 'R' | 'T' | 'S';

export interface EnvironmentFolders {
	environment: Environment;
	label: string;
	uploadFolder: string;
	responseFolder: string;
	/** Whether the server expects an FS beside each FI by default (production: always). */
	signatureRequiredByDefault: boolean;
}

export const ENVIRONMENTS: Readonly<Record<Environment, EnvironmentFolders>> = {
	R: {
		environment: 'R',
		label: 'Production',
		uploadFolder: 'IN',
		responseFolder: 'OUT',
		signatureRequiredByDefault: true,
	},
	T: {
		environment: 'T',
		label: 'Test / simulation (circuit test)',
		uploadFolder: 'INTEST',
		responseFolder: 'OUTTEST',
		signatureRequiredByDefault: true,
	},
	S: {
		environment: 'S',
		label: 'DmfA declaration test',
		uploadFolder: 'INTEST-S',
		responseFolder: 'OUTTEST-S',
		signatureRequiredByDefault: false,
	},
};

export const ALL_FOLDERS: readonly string[] = Object.values(ENVIRONMENTS).flatMap((e) => [
	e.uploadFolder,
	e.responseFolder,
]);

export function isEnvironment(value: string): value is Environment {
	return value === 'R' || value === 'T' || value === 'S';
}
