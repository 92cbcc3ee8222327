/**
 * Which answers to collect and how, read from the parameters of Poll Responses and the trigger (their
 * fields are in answerQueryProperties.ts).
 */
import { DEFAULT_PARALLEL } from '../domain/responses/collectAnswers';
import type { Environment } from '../domain/names/environments';
import type { CodeLanguage } from '../domain/codes/describeError';

export interface AnswerQuery {
	environments: Environment[];
	types: string[];
	max: number;
	deleteAfterStore: boolean;
	verifySignature: boolean;
	trustedCertificatesPem?: string;
	binaryPropertyName: string;
	alreadyDelivered?: Set<string>;
	ignoreIds?: Set<string>;
	onlyRejections?: boolean;
	parallel: number;
	/** Language of the anomalies' explanations (docs/codes.md). */
	language?: CodeLanguage;
}

/** The options collection of answerQueryProperties.ts: a new option goes there and here. */
export interface AnswerOptions {
	types?: string[];
	binaryPropertyName?: string;
	deleteAfterDownload?: boolean;
	max?: number;
	parallel?: number;
	trustedCertificatesPem?: string;
	verifySignature?: boolean;
	language?: string;
}

export function answerQueryFrom(
	environments: unknown,
	options: AnswerOptions,
	manualRun = false,
): AnswerQuery {
	const envs = (Array.isArray(environments) ? environments : []).filter(
		(e): e is Environment => e === 'R' || e === 'T' || e === 'S',
	);
	return {
		environments: envs.length > 0 ? envs : ['R', 'T', 'S'],
		types: options.types ?? [],
		max: options.max ?? 100,
		parallel: options.parallel ?? DEFAULT_PARALLEL,
		// Clicking "Test step" must not clear production answers unless the user asked for it in so many words.
		deleteAfterStore: options.deleteAfterDownload ?? !manualRun,
		verifySignature: options.verifySignature ?? false,
		trustedCertificatesPem: options.trustedCertificatesPem,
		binaryPropertyName: options.binaryPropertyName || 'data',
		language:
			options.language === 'nl' || options.language === 'fr' || options.language === 'en'
				? options.language
				: 'en',
	};
}
