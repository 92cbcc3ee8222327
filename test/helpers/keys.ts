import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh RSA key pair made by ssh-keygen (OpenSSH format, no passphrase), for tests only. */
export function makeRsaKeyPair(
	bits = 2048,
	extraArgs: string[] = [],
): { privateKey: string; publicKey: string; path: string } {
	const dir = mkdtempSync(join(tmpdir(), 'ss-key-'));
	const path = join(dir, 'id_rsa');
	execFileSync('ssh-keygen', [
		'-q',
		'-t',
		'rsa',
		'-b',
		String(bits),
		'-N',
		'',
		'-C',
		'test',
		...extraArgs,
		'-f',
		path,
	]);
	return {
		privateKey: readFileSync(path, 'utf8'),
		publicKey: readFileSync(`${path}.pub`, 'utf8').trim(),
		path,
	};
}
