/**
 * The routers of the nodes (nodes/<Node>/actions/router.ts, helpers in nodes/shared/router.ts): every
 * operation a node offers has an execute in its router, and an operation it does not offer (a
 * hand-edited or older workflow) fails clearly instead of falling through to another operation.
 */
import type { INodeProperties, INodeType } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { BuildFilenames } from '../../../nodes/BuildFilenames/BuildFilenames.node';
import { PollResponses } from '../../../nodes/PollResponses/PollResponses.node';
import { SignFi } from '../../../nodes/SignFi/SignFi.node';
import { SubmitToSocialSecurity } from '../../../nodes/SubmitToSocialSecurity/SubmitToSocialSecurity.node';
import { forEachItem, operationFor } from '../../../nodes/shared/router';
import { SocialSecurityError } from '../../../nodes/domain/errors';
import { executeFunctions } from '../../helpers/n8nStub';

const nodes: Array<[string, INodeType]> = [
	['Build Filenames', new BuildFilenames()],
	['Sign FI', new SignFi()],
	['Submit to Social Security', new SubmitToSocialSecurity()],
	['Poll Social Security Responses', new PollResponses()],
];

function operationValues(node: INodeType): string[] {
	const operation = node.description.properties.find((p) => p.name === 'operation');
	return ((operation as INodeProperties).options ?? []).map((o) =>
		String((o as { value: string }).value),
	);
}

describe.each(nodes)('%s', (_name, node) => {
	it('fails an operation it does not offer with NodeOperationError naming the ones it does', async () => {
		const { ctx } = executeFunctions({
			description: node.description,
			params: { operation: 'nonsense' },
		});
		const run = node.execute!.call(ctx);
		await expect(run).rejects.toBeInstanceOf(NodeOperationError);
		await expect(run).rejects.toThrow('The operation "nonsense" is not one of this node');
		const error = (await run.catch((e: unknown) => e)) as NodeOperationError;
		const named = /^Choose one of: (.*)\.$/.exec(String(error.description))?.[1].split(', ');
		expect(named?.sort()).toEqual(operationValues(node).sort());
	});

	it('shows every property of an operation only for that operation', () => {
		const operations = operationValues(node);
		for (const property of node.description.properties) {
			const shownFor = property.displayOptions?.show?.operation as string[] | undefined;
			if (shownFor) expect(operations).toEqual(expect.arrayContaining(shownFor));
		}
	});
});

describe('operationFor', () => {
	const node = executeFunctions().ctx.getNode();
	it('does not take an inherited property for an operation', () => {
		expect(() => operationFor(node, { build: 1 }, 'toString')).toThrow(NodeOperationError);
		expect(operationFor(node, { build: 1 }, 'build')).toBe(1);
	});
});

describe('forEachItem', () => {
	const items = [{ json: { a: 1 } }, { json: { a: 2 } }, { json: { a: 3 } }];
	const failSecond = async (itemIndex: number) => {
		if (itemIndex === 1) throw new SocialSecurityError('X_FAILED', 'Item two failed.', 'Fix it.');
		return { json: { done: itemIndex }, pairedItem: { item: itemIndex } };
	};

	it('puts an error item in place of a failed one under Continue on Fail, in item order', async () => {
		const { ctx } = executeFunctions({ items, continueOnFail: true });
		const output = await forEachItem(ctx, failSecond);
		expect(output.map((o) => o.json)).toEqual([
			{ done: 0 },
			{ a: 2, error: { message: 'Item two failed.', code: 'X_FAILED', hint: 'Fix it.' } },
			{ done: 2 },
		]);
		expect(output.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	it('otherwise fails on that item with the mapped error, and runs no later item', async () => {
		const { ctx } = executeFunctions({ items });
		const work = jest.fn(failSecond);
		const error = (await forEachItem(ctx, work).catch((e: unknown) => e)) as NodeOperationError;
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('Item two failed.');
		expect(error.context.itemIndex).toBe(1);
		expect(work).toHaveBeenCalledTimes(2);
	});
});
