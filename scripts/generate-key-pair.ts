#!/usr/bin/env node
/**
 * Creates the SSH key pair of a technical user for the social security SFTP channel.
 *
 *   npx -p n8n-nodes-socialsecurity-be socialsecurity-ssh-pair [--bits 4096] [--comment text] [--out dir]
 *
 * The passphrase comes from the environment variable SSH_KEY_PASSPHRASE (never from the command
 * line, where other users and the shell history would see it). Without --out the private key is
 * printed to stdout; with --out it is written to <dir>/socialsecurity_rsa (mode 0600, never
 * overwritten) next to socialsecurity_rsa.pub and socialsecurity_rsa.rfc4716.pub.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { isSocialSecurityError } from '../nodes/domain/errors';
import {
	generatePortalKeyPair,
	type PortalKeyBits,
} from '../nodes/domain/sshKeys/keyPairGenerator';

const USAGE =
	'Usage: socialsecurity-ssh-pair [--bits 2048|3072|4096] [--comment text] [--out dir]\n' +
	'Passphrase: set SSH_KEY_PASSPHRASE in the environment (optional).\n';

interface CliArgs {
	bits: number;
	comment?: string;
	out?: string;
}

function parseCliArgs(argv: string[]): CliArgs {
	if (argv.includes('--passphrase') || argv.some((a) => a.startsWith('--passphrase=')))
		throw new UsageError(
			'the passphrase is read from SSH_KEY_PASSPHRASE, not from the command line',
		);
	const parsed = (() => {
		try {
			return parseArgs({
				args: argv,
				options: {
					bits: { type: 'string' },
					comment: { type: 'string' },
					out: { type: 'string' },
					help: { type: 'boolean', short: 'h' },
				},
			});
		} catch (error) {
			return error instanceof Error ? error : new Error(String(error));
		}
	})();
	if (parsed instanceof Error) throw new UsageError(parsed.message);
	const { values } = parsed;
	if (values.help) throw new UsageError(''); // --help
	return {
		bits: values.bits === undefined ? 4096 : Number(values.bits),
		comment: values.comment,
		out: values.out,
	};
}

class UsageError extends Error {}

async function main(): Promise<number> {
	let args: CliArgs;
	try {
		args = parseCliArgs(process.argv.slice(2));
	} catch (error) {
		if (error instanceof UsageError) {
			if (!error.message) {
				process.stdout.write(USAGE); // --help
				return 0;
			}
			process.stderr.write(`socialsecurity-ssh-pair: ${error.message}\n${USAGE}`);
			return 2;
		}
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- a command-line tool, not a node: an unexpected error ends it with its message
		throw error;
	}
	const pair = await generatePortalKeyPair({
		bits: args.bits as PortalKeyBits,
		comment: args.comment,
		passphrase: process.env.SSH_KEY_PASSPHRASE || undefined,
	});

	const out: string[] = [
		`Fingerprint: ${pair.fingerprintSha256}`,
		`Encrypted:   ${process.env.SSH_KEY_PASSPHRASE ? 'yes (SSH_KEY_PASSPHRASE)' : 'no'}`,
		'',
		'Public key (OpenSSH):',
		pair.publicKeyOpenSsh,
		'',
		'Public key (RFC 4716 / SSH2):',
		pair.publicKeyRfc4716,
	];
	if (args.out) {
		mkdirSync(args.out, { recursive: true, mode: 0o700 });
		const base = join(args.out, 'socialsecurity_rsa');
		if ([base, `${base}.pub`, `${base}.rfc4716.pub`].some((f) => existsSync(f))) {
			process.stderr.write(
				`socialsecurity-ssh-pair: ${base} (or its .pub) already exists; choose another --out.\n`,
			);
			return 1;
		}
		// 'wx': refuse to overwrite an existing key; mode applies on creation.
		writeFileSync(base, pair.privateKeyOpenSsh, { mode: 0o600, flag: 'wx' });
		writeFileSync(`${base}.pub`, pair.publicKeyOpenSsh + '\n', { mode: 0o644, flag: 'wx' });
		writeFileSync(`${base}.rfc4716.pub`, pair.publicKeyRfc4716, { mode: 0o644, flag: 'wx' });
		out.push(
			`Private key written to ${base} (mode 0600).`,
			`Public keys written to ${base}.pub and ${base}.rfc4716.pub.`,
		);
	} else {
		out.push(
			'Private key (OpenSSH) — store it safely, it is shown only once:',
			pair.privateKeyOpenSsh,
		);
	}
	process.stdout.write(out.join('\n') + '\n');
	return 0;
}

main().then(
	(code) => {
		process.exitCode = code;
	},
	(error: unknown) => {
		if (isSocialSecurityError(error)) {
			process.stderr.write(
				`socialsecurity-ssh-pair: ${error.message}${error.hint ? `\n${error.hint}` : ''}\n`,
			);
		} else if ((error as { code?: string })?.code === 'EEXIST') {
			process.stderr.write(
				'socialsecurity-ssh-pair: a key file already exists in that folder; choose another --out.\n',
			);
		} else {
			process.stderr.write(
				`socialsecurity-ssh-pair: ${error instanceof Error ? error.message : String(error)}\n`,
			);
		}
		process.exitCode = 1;
	},
);
