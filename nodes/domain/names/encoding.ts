/**
 * The sequence element of a name as text (docs/batch-channel.md §3): 5 characters of 0-9A-Z, never `00000`.
 * Encoding and decoding of the base-36 values, and the check of a value the user gives.
 */
import { SocialSecurityError } from '../errors';
import { NameRuleViolation, validateSequence } from './fileNames';

export const SEQUENCE_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const SEQUENCE_LENGTH = 5;
/** `ZZZZZ`: the largest value 5 base-36 characters hold (36^5 - 1 = 60 466 175). */
export const MAX_SEQUENCE_VALUE = 36 ** SEQUENCE_LENGTH - 1;

/** 1 → `00001`, 36 → `00010`, 60 466 175 → `ZZZZZ`. Throws for 0 (refused by the server, ACRF-127) and beyond. */
export function encodeSequence(value: number): string {
	if (!Number.isSafeInteger(value) || value < 1 || value > MAX_SEQUENCE_VALUE) {
		throw new SocialSecurityError(
			'SEQUENCE_OUT_OF_RANGE',
			`${value} cannot be a sequence: it must be a whole number from 1 to ${MAX_SEQUENCE_VALUE} (00001 to ZZZZZ)`,
		);
	}
	return value.toString(36).toUpperCase().padStart(SEQUENCE_LENGTH, '0');
}

/** `0000A` → 10. Throws unless the text is 5 characters of 0-9A-Z (upper case). */
export function decodeSequence(sequence: string): number {
	if (!/^[0-9A-Z]{5}$/.test(sequence)) {
		throw new SocialSecurityError(
			'SEQUENCE_INVALID',
			`"${sequence.slice(0, 20)}" is not a sequence of 5 characters 0-9A-Z`,
		);
	}
	return parseInt(sequence, 36);
}

/**
 * A sequence the user typed or computed. Surrounding spaces (a stray newline from an expression) are removed;
 * nothing else is changed: lower case is refused (ACRF-367), a short value is refused (ACRF-112) rather
 * than padded, because silently changing a name the user chose would hide the mistake.
 */
export function fixedSequence(value: unknown): string {
	const text =
		typeof value === 'number'
			? String(value)
			: typeof value === 'string'
				? value.trim()
				: undefined;
	if (text === undefined || text === '') {
		throw new SocialSecurityError(
			'SEQUENCE_MISSING',
			'No sequence was given',
			'Enter the 5-character sequence of the set, e.g. 00001, or choose the automatic mode.',
		);
	}
	const violations = validateSequence(text);
	if (violations.length > 0) throw sequenceError(violations);
	return text;
}

function sequenceError(violations: NameRuleViolation[]): SocialSecurityError {
	return new SocialSecurityError(
		'SEQUENCE_INVALID',
		`The sequence breaks a rule of the social security: ${violations.map((v) => v.message).join('; ')}`,
		'Use exactly 5 characters from 0-9 and A-Z in upper case, not 00000 — for example 00001 or A1B2C.',
	);
}
