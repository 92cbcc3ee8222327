/**
 * Test helper: makes keys with the real tools at test time and asks the same tools for the expected
 * public key and fingerprint, so the tests never compare our code with itself.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SocialSecurityError } from '../../nodes/domain/errors';

/**
 * Whether a key tool is installed. Tests that need it skip without it on a developer's machine; under
 * CI=true a missing tool is a failure, so CI never passes without really testing.
 */
export function hasTool(name: string): boolean {
	const present = spawnSync(name, ['--help'], { stdio: 'ignore' }).error === undefined;
	if (!present && process.env.CI === 'true')
		throw new Error(
			`CI=true but ${name} is not installed (scripts/ensure-system-deps.sh installs it)`,
		);
	return present;
}

/** The SocialSecurityError code a promise rejects with, or NO_ERROR. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
	} catch (error) {
		expect(error).toBeInstanceOf(SocialSecurityError);
		return (error as SocialSecurityError).code;
	}
	return 'NO_ERROR';
}

export interface MadeKey {
	path: string;
	text: string;
	passphrase?: string;
	/** `type base64` as the tools print it (no comment). */
	publicKey: string;
	/** `SHA256:…` from `ssh-keygen -l -E sha256`. */
	fingerprint: string;
}

export class KeyLab {
	private counter = 0;
	private made?: string;

	/** Created on first use, so a skipped or filtered-out suite leaves nothing behind. */
	get dir(): string {
		this.made ??= mkdtempSync(join(tmpdir(), 'sshkeys-test-'));
		return this.made;
	}

	name(base: string): string {
		return join(this.dir, `${base}-${++this.counter}`);
	}

	write(content: string, base = 'file'): string {
		const path = this.name(base);
		writeFileSync(path, content, { mode: 0o600 });
		return path;
	}

	run(cmd: string, args: string[]): string {
		return execFileSync(cmd, args, {
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'pipe'],
			timeout: 120_000,
		});
	}

	private passFile(passphrase: string | undefined): string {
		return this.write(passphrase ?? '', 'pass');
	}

	/** First two fields of a public key line. */
	static bare(line: string): string {
		return line.trim().split(/\s+/).slice(0, 2).join(' ');
	}

	fingerprintOfPublic(publicKey: string): string {
		const out = this.run('ssh-keygen', [
			'-l',
			'-E',
			'sha256',
			'-f',
			this.write(publicKey + '\n', 'pub'),
		]);
		const m = /SHA256:[A-Za-z0-9+/]+/.exec(out);
		if (!m) throw new Error(`no fingerprint in: ${out}`);
		return m[0];
	}

	/** What ssh-keygen -y derives from an OpenSSH/PEM private key file. */
	publicOfOpenSshFile(path: string, passphrase?: string): string {
		return KeyLab.bare(this.run('ssh-keygen', ['-y', '-P', passphrase ?? '', '-f', path]));
	}

	private finish(path: string, passphrase: string | undefined, publicKey: string): MadeKey {
		chmodSync(path, 0o600);
		return {
			path,
			text: readFileSync(path, 'utf8'),
			passphrase,
			publicKey,
			fingerprint: this.fingerprintOfPublic(publicKey),
		};
	}

	sshKeygen(opts: {
		type?: string;
		bits?: number;
		format?: 'PEM' | 'PKCS8';
		passphrase?: string;
		comment?: string;
	}): MadeKey {
		const path = this.name('sshkey');
		const args = [
			'-q',
			'-t',
			opts.type ?? 'rsa',
			'-N',
			opts.passphrase ?? '',
			'-C',
			opts.comment ?? 'test key',
			'-f',
			path,
		];
		if (opts.bits) args.push('-b', String(opts.bits));
		if (opts.format) args.push('-m', opts.format);
		this.run('ssh-keygen', args);
		return this.finish(path, opts.passphrase, this.publicOfOpenSshFile(path, opts.passphrase));
	}

	/** `openssl genpkey` (PKCS#8) and, with a passphrase, `openssl pkcs8 -topk8 -v2 aes256`. */
	openssl(opts: { bits: number; passphrase?: string }): MadeKey {
		const plain = this.name('openssl');
		this.run('openssl', [
			'genpkey',
			'-algorithm',
			'RSA',
			'-pkeyopt',
			`rsa_keygen_bits:${opts.bits}`,
			'-out',
			plain,
		]);
		if (!opts.passphrase) return this.finish(plain, undefined, this.publicOfOpenSshFile(plain));
		const enc = this.name('openssl-enc');
		this.run('openssl', [
			'pkcs8',
			'-topk8',
			'-v2',
			'aes256',
			'-in',
			plain,
			'-out',
			enc,
			'-passout',
			`pass:${opts.passphrase}`,
		]);
		return this.finish(enc, opts.passphrase, this.publicOfOpenSshFile(enc, opts.passphrase));
	}

	puttygen(opts: {
		type?: string;
		bits?: number;
		version?: 2 | 3;
		passphrase?: string;
		comment?: string;
		kdf?: 'argon2id' | 'argon2i' | 'argon2d';
	}): MadeKey {
		const path = this.name('putty') + '.ppk';
		const args = [
			'-q',
			'-t',
			opts.type ?? 'rsa',
			'-C',
			opts.comment ?? 'putty key',
			'-o',
			path,
			'--new-passphrase',
			this.passFile(opts.passphrase),
		];
		if (opts.bits) args.push('-b', String(opts.bits));
		const params: string[] = [];
		if (opts.version === 2) params.push('version=2');
		if (opts.kdf) params.push(`kdf=${opts.kdf}`);
		if (params.length) args.push('--ppk-param', params.join(','));
		this.run('puttygen', args);
		const publicKey = KeyLab.bare(
			this.run('puttygen', [path, '-L', '--old-passphrase', this.passFile(opts.passphrase)]),
		);
		return this.finish(path, opts.passphrase, publicKey);
	}

	cleanup(): void {
		if (this.made) rmSync(this.made, { recursive: true, force: true });
		this.made = undefined;
	}
}

/** The ways a key arrives damaged from forms, env vars and JSON. */
export function pastedVariants(text: string): Record<string, string> {
	const lf = text.replace(/\r\n/g, '\n').trim();
	return {
		'newlines → spaces': lf.replace(/\n/g, ' '),
		'newlines removed': lf.replace(/\n/g, ''),
		'literal \\n': lf.replace(/\n/g, '\\n'),
		'literal \\r\\n': lf.replace(/\n/g, '\\r\\n'),
		CRLF: lf.replace(/\n/g, '\r\n') + '\r\n',
		'quoted, padded': `  "${lf.replace(/\n/g, '\\n')}"\n `,
		'base64 of the file': Buffer.from(lf + '\n').toString('base64'),
	};
}
