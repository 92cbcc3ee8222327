/**
 * Projects: unit (Node only), integration (a real sshd, see sandbox/sshdSandbox.ts), faults (faults and
 * abuse against the real sshd, bounded to minutes), e2e (the package inside two real n8n versions).
 * `npm test` runs unit + integration + faults; `npm run test:e2e` runs e2e; `npm run test:queue` runs queue.
 */
const base = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': 'ts-jest' },
};
module.exports = {
	// A generous bound against a stuck test on a loaded 2-core machine, not a performance target; the fault
	// and end-to-end files set their own.
	testTimeout: 120_000,
	projects: [
		{ ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
		{ ...base, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
		{ ...base, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'] },
		{ ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'] },
		// n8n in queue mode (Postgres, Redis, a main and two workers): ~9 minutes, its own command.
		{ ...base, displayName: 'queue', testMatch: ['<rootDir>/test/e2e/queue.test.ts'] },
	],
};
