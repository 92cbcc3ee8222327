// n8n's own lint preset for self-hosted community packages: `configWithoutCloudSupport` of
// @n8n/node-cli 0.48.3 (dist/configs/eslint.js), rebuilt here from the same plugins because the CLI
// itself pulls in n8n's AI SDK (LangChain and more) just to lint. Keep it in step with that file.
import js from '@eslint/js';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import { globalIgnores } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importPlugin from 'eslint-plugin-import-x';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import tseslint from 'typescript-eslint';

const selfHosted = n8nCommunityNodesPlugin.configs.recommendedWithoutN8nCloudSupport;

// What n8n loads (tsconfig.build.json compiles exactly these) gets the whole preset.
const SHIPPED = [
	'nodes/**/*.ts',
	'credentials/**/*.ts',
	'index.ts',
	'scripts/generate-key-pair.ts',
];

export default tseslint.config(
	globalIgnores([
		'dist',
		'coverage',
		'demo-output',
		'.sandbox',
		'.n8n-cache',
		'.n8n-dev',
		'*.js',
		'*.mjs',
	]),
	{
		files: ['**/*.ts'],
		extends: [
			js.configs.recommended,
			tseslint.configs.recommended,
			importPlugin.configs['flat/recommended'],
		],
		rules: { 'prefer-spread': 'off' },
	},
	{
		// Tests, the sandbox, benchmarks and build scripts never run inside n8n (they spawn sshd, openssl
		// and n8n, and print to a terminal), so n8n's rules for node code are applied to what ships only.
		files: SHIPPED,
		extends: [selfHosted],
		rules: { 'no-console': 'error' },
	},
	{
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
	},
	{
		files: ['package.json'],
		extends: [selfHosted],
		rules: { ...n8nNodesBase.configs.community.rules },
		languageOptions: {
			parser: tseslint.parser,
			parserOptions: { extraFileExtensions: ['.json'] },
		},
	},
	{
		files: ['credentials/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
			'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
		},
	},
);
