/**
 * Shared by the channel credential tests: the recognisable secrets, a credential builder, the
 * "no secret anywhere" check, a .p12 maker and a TCP server that accepts and never answers.
 * Keys and certificates are made at test time with the real tools (ssh-keygen, openssl, puttygen).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { inspect } from 'node:util';

import type { ChannelCheckResult } from '../../nodes/domain/channel/channelCheck';
import type { ChannelCredentialData } from '../../nodes/domain/channel/channelCredential';
import { SocialSecurityError } from '../../nodes/domain/errors';
import type { SshdSandbox } from '../../sandbox/sshdSandbox';
import { exportP12, openssl } from './certificates';

/** The SSH key passphrase every encrypted test key uses. */
export const PASSPHRASE = 'S3cret-Passphrase-XYZ';
/** What a user types by mistake: still recognisable, so a leak of it is caught too. */
export const WRONG_PASSPHRASE = 'S3cret-Passphrase-XYZ-typo';
export const P12_PASSWORD = 'P12-Password-QRS';
export const WRONG_P12_PASSWORD = 'P12-Password-QRS-typo';

/** Strings that must never appear in an error or a check result. */
export class SecretRegistry {
	private readonly fragments = new Set<string>([
		PASSPHRASE,
		WRONG_PASSPHRASE,
		P12_PASSWORD,
		WRONG_P12_PASSWORD,
		'-----BEGIN',
	]);

	/**
	 * Every line of a key or certificate file, and 24-character pieces of its base64 (catches re-wrapped
	 * copies). `publicTexts` (the public key, which may be shown) are exempt: an OpenSSH private key file
	 * embeds its public key, and with some header lengths the two base64 texts share aligned pieces.
	 */
	addKeyText(text: string, publicTexts: string[] = []): void {
		const lines = text
			.replace(/\r/g, '')
			.split('\n')
			.map((l) => l.trim())
			.filter((l) => l.length >= 16);
		const base64Lines = lines.filter((l) => /^[A-Za-z0-9+/=]+$/.test(l));
		const pieces = [...lines, ...aligned(base64Lines.join(''))];
		const publicCompact = publicTexts.map((p) => p.replace(/\s+/g, ''));
		for (const piece of pieces)
			if (!publicCompact.some((p) => p.includes(piece))) this.fragments.add(piece);
	}

	/** 24-character aligned pieces of a base64 text: any copy of 47+ characters of it contains one. */
	addBase64(base64: string): void {
		for (const piece of aligned(base64)) this.fragments.add(piece);
	}

	leaksIn(text: string): string[] {
		return [...this.fragments]
			.filter((f) => text.includes(f))
			.map((f) => (f.length > 30 ? `${f.slice(0, 30)}…` : f));
	}

	get size(): number {
		return this.fragments.size;
	}
}

function aligned(base64: string): string[] {
	const compact = base64.replace(/\s+/g, '');
	const out: string[] = [];
	for (let i = 0; i + 24 <= compact.length; i += 24) out.push(compact.slice(i, i + 24));
	return out;
}

/** Everything a person or a log could see of an error: message, hint, JSON, and the full inspection with its cause chain. */
export function errorSurface(error: unknown): string {
	const e = error as SocialSecurityError;
	const parts = [
		String(e?.message),
		String(e?.hint ?? ''),
		JSON.stringify(e),
		inspect(e, { depth: 8 }),
	];
	let cause: unknown = (e as { cause?: unknown })?.cause;
	for (let i = 0; cause !== undefined && i < 5; i++) {
		parts.push(String((cause as Error)?.message ?? cause), JSON.stringify(cause) ?? '');
		cause = (cause as { cause?: unknown })?.cause;
	}
	return parts.join('\n');
}

export function resultSurface(result: ChannelCheckResult): string {
	return [
		result.message,
		...result.warnings,
		JSON.stringify(result),
		inspect(result, { depth: 8 }),
	].join('\n');
}

/** A credential for the sandbox, as n8n hands it over (port as typed, timeouts in seconds). */
export function sandboxCredential(
	sandbox: SshdSandbox,
	over: Partial<ChannelCredentialData>,
): ChannelCredentialData {
	return {
		host: sandbox.host,
		port: sandbox.port,
		username: sandbox.username,
		hostFingerprint: sandbox.hostKeys[0].fingerprint, // RSA first: the channel prefers RSA host keys
		...over,
		advanced: { connectTimeout: 15, operationTimeout: 15, ...over.advanced },
	};
}

/** Resolves to the SocialSecurityError the promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<SocialSecurityError> {
	try {
		await promise;
	} catch (error) {
		expect(error).toBeInstanceOf(SocialSecurityError);
		return error as SocialSecurityError;
	}
	throw new Error('expected a failure, but it succeeded');
}

/** Times a promise, whatever its outcome. */
export async function timed<T>(promise: Promise<T>): Promise<{ value: T; ms: number }> {
	const start = Date.now();
	const value = await promise;
	return { value, ms: Date.now() - start };
}

export interface MadeP12 {
	/** base64 of the .p12, as the credential field holds it. */
	base64: string;
	/** The certificate's subject as the check shows it, e.g. `C=BE, O=…, CN=…`. */
	subject: string;
	/** notAfter as YYYY-MM-DD (UTC), read by openssl. */
	notAfterDay: string;
	keyPem: string;
}

/** Exports key + certificate (paths relative to dir) as a .p12 with `openssl pkcs12 -export` (OpenSSL 3 defaults). */
export function p12Of(
	dir: string,
	name: string,
	pair: { key: string; cert: string },
	password = P12_PASSWORD,
): MadeP12 {
	const bytes = exportP12(dir, name, password, ['-inkey', pair.key, '-in', pair.cert]);
	return {
		base64: bytes.toString('base64'),
		...certificateFacts(dir, pair.cert),
		keyPem: readFileSync(join(dir, pair.key), 'utf8'),
	};
}

/** Subject and end date as openssl prints them, turned into the check's notation. */
export function certificateFacts(
	dir: string,
	certFile: string,
): { subject: string; notAfterDay: string } {
	const subject = openssl(dir, [
		'x509',
		'-in',
		certFile,
		'-noout',
		'-subject',
		'-nameopt',
		'sep_comma_plus_space,sname,utf8',
	])
		.toString()
		.trim()
		.replace(/^subject=\s*/, '');
	const endDate = openssl(dir, ['x509', '-in', certFile, '-noout', '-enddate'])
		.toString()
		.trim()
		.replace(/^notAfter=/, '');
	return { subject, notAfterDay: new Date(endDate).toISOString().slice(0, 10) };
}

/** `YYYYMMDDHHMMSSZ` for openssl ca -startdate/-enddate. */
export function asn1Time(date: Date): string {
	return date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
}

/** A TCP server that accepts connections and never sends a byte; counts what it accepted. */
export async function startSilentServer(): Promise<{
	port: number;
	accepted: () => number;
	close: () => Promise<void>;
}> {
	const sockets: Socket[] = [];
	const server: Server = createServer((socket) => {
		sockets.push(socket);
		socket.on('error', () => undefined);
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const port = (server.address() as { port: number }).port;
	return {
		port,
		accepted: () => sockets.length,
		close: async () => {
			for (const s of sockets) s.destroy();
			server.close();
			await once(server, 'close');
		},
	};
}

/** The sshd log line of a successful public-key login with the key of this fingerprint. */
export function loggedInWith(sandbox: SshdSandbox, fingerprint: string): boolean {
	return sandbox
		.log()
		.split('\n')
		.some(
			(line) =>
				line.includes(`Accepted publickey for ${sandbox.username} from 127.0.0.1`) &&
				line.includes(`RSA ${fingerprint}`),
		);
}
