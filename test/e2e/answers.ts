/**
 * Answers as the real server leaves them, for the end-to-end tests: a CO (a ZIP holding the FO) with an
 * FS made by `openssl cms` over the ZIP's bytes, and an empty GO — and small workflows around Poll
 * Social Security Responses.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SshdSandbox } from '../../sandbox/sshdSandbox';
import { buildZip } from '../helpers/zip';

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A throwaway "social security" signer made by openssl (self-signed; the test trusts it). */
export interface AnswerSigner {
	certificatePem: string;
	sign(content: Buffer): string;
}

export function makeAnswerSigner(work: string): AnswerSigner {
	const dir = mkdtempSync(join(work, 'signer-'));
	const cert = join(dir, 'cert.pem');
	const key = join(dir, 'key.pem');
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-sha256',
			'-days',
			'2',
			'-subj',
			'/C=BE/O=E2E social security/CN=E2E answers',
			'-keyout',
			key,
			'-out',
			cert,
		],
		{ stdio: ['ignore', 'ignore', 'pipe'] },
	);
	return {
		certificatePem: readFileSync(cert, 'utf8'),
		sign: (content) => {
			const input = join(dir, `in-${randomUUID()}`);
			const output = `${input}.der`;
			writeFileSync(input, content);
			try {
				execFileSync('openssl', [
					...['cms', '-sign', '-binary', '-md', 'sha256', '-outform', 'DER'],
					...['-in', input, '-signer', cert, '-inkey', key, '-out', output],
				]);
				// The server writes the FS as base64 on one line.
				return readFileSync(output).toString('base64');
			} finally {
				rmSync(input, { force: true });
				rmSync(output, { force: true });
			}
		},
	};
}

/**
 * Puts a CO triplet in `folder`: `CO.<id>` (a ZIP holding `FO.<id>`), `FS.<id>` signing the ZIP,
 * and the GO last. Returns the ZIP's bytes as they are on the server.
 */
export function putCoAnswer(
	sandbox: SshdSandbox,
	folder: string,
	answerId: string,
	fo: Buffer,
	signer: AnswerSigner,
): Buffer {
	const zip = buildZip([{ name: `FO.${answerId}`, data: fo }]);
	sandbox.writeFile(folder, `CO.${answerId}`, zip);
	sandbox.writeFile(folder, `FS.${answerId}`, signer.sign(zip));
	sandbox.writeFile(folder, `GO.${answerId}`, '');
	return readFileSync(sandbox.pathOf(folder, `CO.${answerId}`));
}

interface WorkflowNode {
	name: string;
	type: string;
	parameters: Record<string, unknown>;
	typeVersion?: number;
	credentials?: Record<string, { id: string; name: string }>;
}

/** A workflow of nodes run one after the other (first output of each to the next). */
export function chainWorkflow(id: string, nodes: WorkflowNode[]): Record<string, unknown> {
	const connections: Record<string, unknown> = {};
	for (let i = 0; i + 1 < nodes.length; i += 1)
		connections[nodes[i].name] = {
			main: [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]],
		};
	return {
		id,
		name: `E2E ${id}`,
		active: false,
		settings: { executionOrder: 'v1' },
		connections,
		nodes: nodes.map((node, index) => ({
			id: randomUUID(),
			typeVersion: 1,
			position: [index * 240, 0],
			...node,
		})),
	};
}
