/**
 * Child processes that start together: each runs `script` under ts-node, prints `ready\n` when set up,
 * waits for `go\n` on stdin, then prints its result as JSON. Used to make several processes (as several
 * n8n processes or machines) race for sequences at the same moment.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export async function runGatedChildren<T>(count: number, script: string): Promise<T[]> {
	const children = Array.from({ length: count }, () => {
		const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
			cwd: resolve(__dirname, '../..'),
			stdio: ['pipe', 'pipe', 'pipe'],
		});
		let out = '';
		let err = '';
		let signalReady: () => void = () => undefined;
		const ready = new Promise<void>((resolveReady) => (signalReady = resolveReady));
		child.stdout.on('data', (chunk: Buffer) => {
			out += chunk.toString();
			if (out.startsWith('ready\n')) signalReady();
		});
		child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
		const done = new Promise<T>((resolveDone, reject) => {
			child.on('error', reject);
			child.on('close', (code) =>
				code === 0
					? resolveDone(JSON.parse(out.slice('ready\n'.length)) as T)
					: reject(new Error(`child exited ${code}: ${err}`)),
			);
		});
		return { child, ready, done };
	});
	await Promise.all(children.map((c) => c.ready));
	for (const { child } of children) child.stdin.write('go\n');
	return await Promise.all(children.map((c) => c.done));
}
