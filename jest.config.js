/**
 * Projects: unit (Node only), integration (a real sshd, see sandbox/sshdSandbox.ts), faults (faults and
 * abuse against the real sshd, bounded to minutes), e2e (the package inside two real n8n versions).
 * `npm test` runs unit + integration + faults; `npm run test:e2e` runs e2e.
 */
const base = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
};
module.exports = {
	projects: [
		// Timeouts are generous bounds against a stuck test on a loaded 2-core machine, not performance targets.
		{ ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], testTimeout: 60_000 },
		{ ...base, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'], testTimeout: 120_000 },
		{ ...base, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'], testTimeout: 300_000 },
		{ ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'], testTimeout: 1_800_000 },
	],
};
