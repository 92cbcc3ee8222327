/**
 * package.json is really linted by n8n's rules (eslint.config.mjs parses it the way @n8n/node-cli does):
 * the real one passes, and each variant below, which n8n's rules forbid, fails.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..', '..');
const ESLINT = join(REPO, 'node_modules', 'eslint', 'bin', 'eslint.js');
const real = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<
	string,
	unknown
>;

/** The ids of the rules that fail on this package.json text. */
function failingRules(text: string): string[] {
	let output: string;
	try {
		output = execFileSync(
			process.execPath,
			[ESLINT, '--format', 'json', '--stdin', '--stdin-filename', 'package.json'],
			// NODE_ENV=test (set by jest) makes eslint-plugin-n8n-nodes-base look for its own test fixtures.
			{
				cwd: REPO,
				input: text,
				stdio: ['pipe', 'pipe', 'pipe'],
				env: { ...process.env, NODE_ENV: '' },
			},
		).toString();
	} catch (error) {
		// ESLint exits 1 when a rule fails; the report is still on stdout.
		output = String((error as { stdout?: Buffer }).stdout ?? '');
	}
	const [result] = JSON.parse(output) as Array<{
		messages: Array<{ ruleId: string | null; severity: number; message: string }>;
	}>;
	return result.messages.filter((m) => m.severity === 2).map((m) => m.ruleId ?? m.message);
}

const variant = (edit: (p: Record<string, unknown>) => void): string => {
	const copy = structuredClone(real);
	edit(copy);
	return JSON.stringify(copy, null, '\t');
};

describe('package.json under n8n lint rules', () => {
	it('passes as it is', () => {
		expect(failingRules(JSON.stringify(real, null, '\t'))).toEqual([]);
	});

	it('fails without the community keyword', () => {
		const rules = failingRules(
			variant((p) => {
				p.keywords = (p.keywords as string[]).filter((k) => k !== 'n8n-community-node-package');
			}),
		);
		expect(rules).toContain('n8n-nodes-base/community-package-json-keywords-without-official-tag');
	});

	it('fails with runtime dependencies', () => {
		const rules = failingRules(variant((p) => (p.dependencies = { ssh2: '^1.17.0' })));
		expect(rules).toContain('@n8n/community-nodes/no-runtime-dependencies');
	});

	it('fails with an install script', () => {
		const rules = failingRules(
			variant((p) => (p.scripts = { ...(p.scripts as object), postinstall: 'node x.js' })),
		);
		expect(rules).toContain('@n8n/community-nodes/no-forbidden-lifecycle-scripts');
	});

	it('fails with an overrides field', () => {
		const rules = failingRules(variant((p) => (p.overrides = { yauzl: '3.0.0' })));
		expect(rules).toContain('@n8n/community-nodes/no-overrides-field');
	});

	it('fails with a name outside the n8n-nodes-* convention', () => {
		const rules = failingRules(variant((p) => (p.name = 'socialsecurity-be')));
		expect(rules).toContain('@n8n/community-nodes/package-name-convention');
	});
});
