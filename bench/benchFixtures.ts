/**
 * What several benches prepare the same way: the domain modules transpiled for a child process that is
 * measured alone (no ts-node in its figures), and a throw-away signing certificate made by openssl.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

export const ROOT = join(__dirname, '..');

/** Transpiles `files` (paths from the repository root) into `outDir`, keeping their relative layout. */
export function transpileInto(outDir: string, files: readonly string[]): void {
	for (const file of files) {
		const { outputText } = ts.transpileModule(readFileSync(join(ROOT, file), 'utf8'), {
			compilerOptions: {
				module: ts.ModuleKind.CommonJS,
				target: ts.ScriptTarget.ES2022,
				esModuleInterop: true,
			},
			fileName: file,
		});
		const target = join(outDir, file.replace(/\.ts$/, '.js'));
		mkdirSync(dirname(target), { recursive: true });
		writeFileSync(target, outputText);
	}
}

/**
 * A self-signed RSA 2048 signer in `dir`: key.pem, cert.pem and signer.p12 (password `bench`), as the
 * certificate of a channel would be, for the sign and submit benches.
 */
export function makeBenchSigner(dir: string): void {
	const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
	openssl([
		...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem'],
		...['-subj', '/CN=Bench Signer', '-days', '30'],
	]);
	openssl([
		...['pkcs12', '-export', '-in', 'cert.pem', '-inkey', 'key.pem', '-out', 'signer.p12'],
		...['-passout', 'pass:bench'],
	]);
}
