// n8n's community-node rules (both the current @n8n plugin and the classic n8n-nodes-base rules) on top of
// typescript-eslint. The configuration is the self-hosted one ("without n8n Cloud support").
import tseslint from 'typescript-eslint';
import community from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import * as jsonParser from 'jsonc-eslint-parser';

const classic = (name) => ({ ...n8nNodesBase.configs[name].rules });

export default tseslint.config(
	{
		ignores: [
			'dist/**',
			'node_modules/**',
			'coverage/**',
			'.n8n-cache/**',
			'.n8n-dev/**',
			'demo-output/**',
			'.sandbox/**',
			'eslint.config.mjs',
			'jest.config.js',
			'gulpfile.js',
		],
	},
	...tseslint.configs.recommended,
	{
		// n8n's rules are about what ships to n8n: the nodes, credentials and package entry. Tests, the
		// sandbox and benchmarks are development tools that must spawn sshd/openssl, so they are not in scope.
		files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'index.ts', 'package.json'],
		...community.configs.recommendedWithoutN8nCloudSupport,
	},
	{
		files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'index.ts', 'package.json'],
		rules: {
			// This is a self-hosted community package: SSH/SFTP needs sockets (ssh2), and the signature needs
			// node-forge's ASN.1, so runtime dependencies are a requirement, not an accident. n8n Cloud's
			// "verified" nodes may not have any; we do not target n8n Cloud.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		rules: {
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
			],
		},
	},
	{
		files: ['nodes/**/*.ts', 'credentials/**/*.ts'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...classic('nodes'),
			...classic('credentials'),
			// This classic rule wants a slug of n8n's own docs site; a community package links a full URL,
			// which @n8n/community-nodes/credential-documentation-url requires.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			// These classic rules predate NodeConnectionTypes and want the string 'main'; the current
			// @n8n/community-nodes/node-connection-type-literal rule wants the constant. We follow the current one.
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
	{
		// The domain layer has no n8n import by design (it is usable from a plain script and testable alone),
		// so it throws SocialSecurityError; nodes/shared/nodeErrors.ts turns those into NodeApiError or
		// NodeOperationError on the item concerned. The rule stays on for every node file.
		files: ['nodes/domain/**/*.ts'],
		rules: { '@n8n/community-nodes/require-node-api-error': 'off' },
	},
	{
		files: ['package.json'],
		languageOptions: { parser: jsonParser },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: { ...classic('community') },
	},
);
