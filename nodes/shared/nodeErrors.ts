/**
 * Maps domain errors to n8n errors on the item they concern: NodeApiError for what the server or the
 * network did, NodeOperationError for bad input or configuration. The message and the hint come from
 * the domain, which never puts secrets in them; a non-domain error gets a generic text, because its
 * message could hold anything.
 */
import { ExpressionError, INode, JsonObject, NodeApiError, NodeOperationError } from 'n8n-workflow';
import { SocialSecurityError } from '../domain/errors';

const REMOTE_CODES = new Set([
	'CONNECTION_REFUSED',
	'CONNECTION_TIMEOUT',
	'CONNECTION_LOST',
	'CONNECTION_FAILED',
	'HOST_NOT_FOUND',
	'HOST_KEY_MISMATCH',
	'SSH_LOGIN_REFUSED',
	'SSH_NEGOTIATION_FAILED',
	'OPERATION_TIMEOUT',
	'REMOTE_NOT_FOUND',
	'REMOTE_PERMISSION_DENIED',
	'REMOTE_OPERATION_FAILED',
	'REMOTE_SIZE_MISMATCH',
	'SUBMISSION_FAILED',
]);

export function toNodeError(
	node: INode,
	error: unknown,
	itemIndex?: number,
): NodeApiError | NodeOperationError | ExpressionError {
	// n8n's own errors (a parameter expression that fails, …) already speak to the user.
	if (
		error instanceof NodeApiError ||
		error instanceof NodeOperationError ||
		error instanceof ExpressionError
	)
		return error;
	if (error instanceof SocialSecurityError) {
		const options = { message: error.message, description: error.hint, itemIndex };
		if (REMOTE_CODES.has(error.code)) {
			const apiError = new NodeApiError(
				node,
				{ message: error.message, code: error.code } as JsonObject,
				options,
			);
			// NodeApiError swaps any message holding a Node error code (ECONNRESET, …) for a generic text; ours is better.
			apiError.message = error.message;
			return apiError;
		}
		return new NodeOperationError(node, error.message, options);
	}
	return new NodeOperationError(node, 'An unexpected error occurred in the social security node.', {
		// The raw message is not shown: it could come from anywhere and hold anything.
		description:
			error instanceof Error
				? `An internal ${error.name} that the node did not expect. Please report it, with the steps that led to it, to the maintainers of n8n-nodes-socialsecurity-be.`
				: undefined,
		itemIndex,
	});
}

/**
 * What `error` of an item holds when the node continues on fail (see errorItem in itemResult.ts): the
 * message, and the code, which lets a workflow route on the cause, and the hint when known.
 */
export function errorDetails(error: unknown): JsonObject {
	if (error instanceof SocialSecurityError) {
		return {
			message: error.message,
			code: error.code,
			...(error.hint ? { hint: error.hint } : {}),
		};
	}
	if (
		error instanceof NodeApiError ||
		error instanceof NodeOperationError ||
		error instanceof ExpressionError
	) {
		return { message: error.message, ...(error.description ? { hint: error.description } : {}) };
	}
	return { message: 'An unexpected error occurred in the social security node.' };
}
