/**
 * A sequence store shared by machines: whoever claims a value first owns it, wherever it runs. Implemented
 * by redisStore.ts on n8n's own Redis in queue mode (docs/queue-mode.md).
 */
import type { Environment } from './environments';

export interface SharedSequenceStore {
	/** Where the values are kept, in words for errors (never a password). */
	readonly description: string;
	/** True when this call claimed the value; false when someone already holds it. Throws when unreachable. */
	claim(date: string, environment: Environment, sequence: string): Promise<boolean>;
}
