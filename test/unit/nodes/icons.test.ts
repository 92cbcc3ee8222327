/**
 * Every node and the credential point at the one pair of pictures in icons/ (gulpfile.js copies it to
 * dist/icons). n8n resolves `file:` relative to the folder of the compiled class, which mirrors the
 * source tree, so the paths are checked from the sources' folders.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ICredentialType, INodeType } from 'n8n-workflow';
import { BelgianSocialSecuritySftpApi } from '../../../credentials/BelgianSocialSecuritySftpApi.credentials';
import { BuildFilenames } from '../../../nodes/BuildFilenames/BuildFilenames.node';
import { PollResponses } from '../../../nodes/PollResponses/PollResponses.node';
import { SignFi } from '../../../nodes/SignFi/SignFi.node';
import { SocialSecurityTrigger } from '../../../nodes/SocialSecurityTrigger/SocialSecurityTrigger.node';
import { SubmitToSocialSecurity } from '../../../nodes/SubmitToSocialSecurity/SubmitToSocialSecurity.node';

const REPO = resolve(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
	n8n: { nodes: string[]; credentials: string[] };
};

type Icon = { light: string; dark: string };

function iconFiles(icon: unknown, sourceFile: string): string[] {
	const { light, dark } = icon as Icon;
	return [light, dark].map((path) => {
		expect(path).toMatch(/^file:/);
		return resolve(dirname(join(REPO, sourceFile)), path.slice('file:'.length));
	});
}

const classes: Record<string, new () => INodeType | ICredentialType> = {
	BelgianSocialSecuritySftpApi,
	BuildFilenames,
	PollResponses,
	SignFi,
	SocialSecurityTrigger,
	SubmitToSocialSecurity,
};

describe('icons', () => {
	it('are two files in icons/, one light and one dark', () => {
		expect(readdirSync(join(REPO, 'icons')).sort()).toEqual([
			'socialsecurity.dark.svg',
			'socialsecurity.svg',
		]);
	});

	it.each([...manifest.n8n.nodes, ...manifest.n8n.credentials])(
		'%s points at both, from where it is compiled',
		(compiled) => {
			const source = compiled.replace(/^dist\//, '').replace(/\.js$/, '.ts');
			const className = source.split('/').pop()!.split('.')[0];
			const instance = new classes[className]();
			const icon = 'description' in instance ? instance.description.icon : instance.icon;
			const files = iconFiles(icon, source);
			expect(files).toEqual([
				join(REPO, 'icons/socialsecurity.svg'),
				join(REPO, 'icons/socialsecurity.dark.svg'),
			]);
			for (const file of files) expect(existsSync(file)).toBe(true);
		},
	);
});
