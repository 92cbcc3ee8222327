/**
 * A suite that needs something from the machine (an sshd, a redis-server): skipped with the reason on a
 * developer's machine without it, a failure under CI=true, so CI can never pass without really testing.
 */
export function describeIfAvailable(
	title: string,
	needs: string,
	reason: string | undefined,
	body: () => void,
): void {
	if (reason && process.env.CI === 'true') {
		describe(title, () => {
			it(`needs ${needs}`, () => {
				throw new Error(`CI=true but ${reason}`);
			});
		});
		return;
	}
	if (reason) {
		console.warn(`Skipping "${title}": ${reason}`);
		describe.skip(title, body);
		return;
	}
	describe(title, body);
}
