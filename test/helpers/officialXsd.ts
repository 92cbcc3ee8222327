/**
 * Checks XML against the official XSDs with xmllint (Debian's libxml2-utils), for tests only. The XSDs
 * are not in the repository (they belong to the social security and change every quarter; see
 * docs/codes.md): they are read from `$SOCIALSECURITY_REFERENCE_DIR/xsd`, by default
 * ../shared/reference/xsd beside the repository. `officialXsdUnavailable()` says why a check cannot run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REFERENCE_DIR } from '../../scripts/generate-code-tables';

export const XSD_DIR = join(DEFAULT_REFERENCE_DIR, 'xsd');

/** The official XSD of an answer or declaration, by its root element. */
export const XSD_BY_ROOT: Readonly<Record<string, string>> = {
	ACRF: 'ACRF_20231.xsd',
	NOTIFICATION: 'NOTIFICATION_20223.xsd',
	DmfAUpdateNotification: 'DmfAUpdateNotification_20223.xsd',
	DmfAPID: 'DmfAPID_20224.xsd',
	DmfAConsultationAnswer: 'DmfAConsultationAnswer_20224.xsd',
	IDFLUX: 'IDFLUX_20231.xsd',
	DmfAOriginal: 'DmfAOriginal_20223.xsd',
	Dimona: 'Dimona_20231.xsd',
};

/** Why the XSD checks cannot run here (they are then skipped), or undefined; under CI=true it throws instead. */
export function officialXsdUnavailable(): string | undefined {
	let reason: string | undefined;
	if (spawnSync('xmllint', ['--version']).error)
		reason = 'xmllint is not installed (Debian: apt-get install libxml2-utils)';
	else if (!existsSync(join(XSD_DIR, 'ACRF_20231.xsd')))
		reason = `the official XSDs are not in ${XSD_DIR} (set SOCIALSECURITY_REFERENCE_DIR)`;
	// scripts/ensure-system-deps.sh installs xmllint and CI has the reference files beside the clone.
	if (reason && process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
	return reason;
}

export function rootOf(xml: string | Buffer): string {
	const match = /<([A-Za-z_][\w.-]*)[\s>/]/.exec(
		String(xml)
			.replace(/<\?[\s\S]*?\?>/g, '')
			.replace(/<!--[\s\S]*?-->/g, ''),
	);
	return match ? match[1] : '';
}

export interface XsdCheck {
	valid: boolean;
	xsd: string;
	/** xmllint's messages (empty when valid). */
	errors: string;
}

/** Validates with the XSD given, or the one of the root element. */
export function validateOfficial(xml: string | Buffer, xsd?: string): XsdCheck {
	const schema = xsd ?? XSD_BY_ROOT[rootOf(xml)];
	if (schema === undefined) return { valid: false, xsd: '', errors: `no XSD for <${rootOf(xml)}>` };
	const dir = mkdtempSync(join(tmpdir(), 'xsd-'));
	try {
		const file = join(dir, 'doc.xml');
		writeFileSync(file, xml);
		const run = spawnSync(
			'xmllint',
			['--noout', '--nonet', '--schema', join(XSD_DIR, schema), file],
			{
				encoding: 'utf8',
			},
		);
		return {
			valid: run.status === 0,
			xsd: schema,
			errors: run.status === 0 ? '' : `${run.stderr}`.trim(),
		};
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
