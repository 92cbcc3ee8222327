/**
 * Test keys, certificates and .p12 files, made with the real `openssl` CLI in a temp dir at test time
 * (no key is ever committed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
	const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
	return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs openssl; throws with stderr on failure. */
export function openssl(dir: string, args: string[]): Buffer {
	return execFileSync('openssl', args, {
		cwd: dir,
		stdio: ['ignore', 'pipe', 'pipe'],
		maxBuffer: 64 * 1024 * 1024,
	});
}

/** Runs openssl and reports success instead of throwing. */
export function opensslOk(dir: string, args: string[]): { ok: boolean; stderr: string } {
	const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
	return { ok: result.status === 0, stderr: result.stderr };
}

export type KeyKind = 'rsa2048' | 'rsa4096' | 'ec384';

function keyArgs(kind: KeyKind): string[] {
	if (kind === 'ec384') return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'];
	return ['-newkey', kind === 'rsa4096' ? 'rsa:4096' : 'rsa:2048'];
}

/** `openssl req` arguments that make a new unencrypted key `<name>.key` and write `out` for `subject`. */
function newKeyRequest(kind: KeyKind, name: string, out: string, subject: string): string[] {
	return [...keyArgs(kind), '-nodes', '-keyout', `${name}.key`, '-out', out, '-subj', subject];
}

export interface KeyPair {
	key: string;
	cert: string;
}

/** Self-signed certificate (a CA when `ca`). Paths are relative to dir. */
export function selfSigned(
	dir: string,
	name: string,
	kind: KeyKind,
	subject: string,
	options: { days?: number; ca?: boolean } = {},
): KeyPair {
	const ext = options.ca
		? [
				'-addext',
				'basicConstraints=critical,CA:TRUE',
				'-addext',
				'keyUsage=critical,keyCertSign,cRLSign',
			]
		: ['-addext', 'keyUsage=critical,digitalSignature,nonRepudiation'];
	openssl(dir, [
		'req',
		'-x509',
		...newKeyRequest(kind, name, `${name}.pem`, subject),
		'-days',
		String(options.days ?? 365),
		...ext,
	]);
	return { key: `${name}.key`, cert: `${name}.pem` };
}

/** End-entity certificate issued by `ca`. */
export function issued(
	dir: string,
	name: string,
	kind: KeyKind,
	subject: string,
	ca: KeyPair,
	options: { keyUsage?: string } = {},
): KeyPair {
	openssl(dir, ['req', '-new', ...newKeyRequest(kind, name, `${name}.csr`, subject)]);
	writeFileSync(
		join(dir, `${name}.ext`),
		`basicConstraints=CA:FALSE\nkeyUsage=${options.keyUsage ?? 'digitalSignature,nonRepudiation'}\n`,
	);
	openssl(dir, [
		'x509',
		'-req',
		'-in',
		`${name}.csr`,
		'-CA',
		ca.cert,
		'-CAkey',
		ca.key,
		'-CAcreateserial',
		'-days',
		'200',
		'-extfile',
		`${name}.ext`,
		'-out',
		`${name}.pem`,
	]);
	return { key: `${name}.key`, cert: `${name}.pem` };
}

/** Self-signed certificate with explicit dates (YYYYMMDDHHMMSSZ) through `openssl ca`. */
export function datedCertificate(
	dir: string,
	name: string,
	startdate: string,
	enddate: string,
): KeyPair {
	const db = join(dir, `${name}-ca`);
	execFileSync('mkdir', ['-p', db]);
	writeFileSync(join(db, 'index.txt'), '');
	writeFileSync(join(db, 'serial'), '01\n');
	writeFileSync(
		join(db, 'ca.cnf'),
		[
			'[ ca ]',
			'default_ca = d',
			'[ d ]',
			`database = ${db}/index.txt`,
			`new_certs_dir = ${db}`,
			`serial = ${db}/serial`,
			'default_md = sha256',
			'policy = p',
			'unique_subject = no',
			'[ p ]',
			'commonName = supplied',
			'[ ext ]',
			'basicConstraints = CA:FALSE',
			'keyUsage = digitalSignature, nonRepudiation',
			'',
		].join('\n'),
	);
	openssl(dir, ['req', '-new', ...newKeyRequest('rsa2048', name, `${name}.csr`, `/CN=${name}`)]);
	openssl(dir, [
		'ca',
		'-batch',
		'-config',
		`${db}/ca.cnf`,
		'-selfsign',
		'-keyfile',
		`${name}.key`,
		'-in',
		`${name}.csr`,
		'-startdate',
		startdate,
		'-enddate',
		enddate,
		'-extensions',
		'ext',
		'-out',
		`${name}.pem`,
	]);
	return { key: `${name}.key`, cert: `${name}.pem` };
}

/** `openssl pkcs12 -export`; returns the file's bytes. */
export function exportP12(dir: string, name: string, password: string, args: string[]): Buffer {
	openssl(dir, [
		'pkcs12',
		'-export',
		...args,
		'-out',
		`${name}.p12`,
		'-passout',
		`pass:${password}`,
	]);
	return readFileSync(join(dir, `${name}.p12`));
}

export function read(dir: string, file: string): Buffer {
	return readFileSync(join(dir, file));
}

/** DER of a PEM certificate file. */
export function certDer(dir: string, pemFile: string): Buffer {
	return openssl(dir, ['x509', '-in', pemFile, '-outform', 'DER']);
}
