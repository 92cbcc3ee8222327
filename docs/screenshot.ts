/**
 * Makes the README screenshots from a running `npm run dev`: docs/editor.png (the example workflow in the
 * editor, just run) and docs/build-filenames.png (the Build Filenames node open, with a help text shown).
 *
 *   npm run dev                                   # in another terminal; wait for "is running"
 *   mkdir -p /tmp/pw && (cd /tmp/pw && npm install playwright-core)   # outside the repository
 *   apt-get install -y chromium
 *   PLAYWRIGHT_CORE=/tmp/pw/node_modules/playwright-core npx ts-node --transpile-only docs/screenshot.ts
 *
 * Options: --base URL (default http://127.0.0.1:5678), --out DIR (default docs/). CHROMIUM=/path/to/chromium
 * overrides /usr/bin/chromium. It logs in with the demo login of scripts/dev.ts and runs the submit example
 * once (against the sandbox), so that the canvas shows the items that went through.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEMO_LOGIN } from '../scripts/dev';

/** The little of playwright-core used here (it is not a dependency of this package). */
interface Locator {
	click(): Promise<void>;
	dblclick(): Promise<void>;
	hover(): Promise<void>;
	fill(value: string): Promise<void>;
	first(): Locator;
	locator(selector: string, options?: { hasText?: string }): Locator;
	getByText(text: string, options?: { exact?: boolean }): Locator;
}
interface Page {
	goto(url: string, options?: { waitUntil?: string; timeout?: number }): Promise<unknown>;
	waitForSelector(selector: string, options?: { timeout?: number }): Promise<unknown>;
	waitForURL(predicate: (url: URL) => boolean, options?: { timeout?: number }): Promise<void>;
	waitForFunction(fn: () => boolean, arg: null, options?: { timeout?: number }): Promise<unknown>;
	waitForTimeout(ms: number): Promise<void>;
	locator(selector: string, options?: { hasText?: string }): Locator;
	addStyleTag(options: { content: string }): Promise<unknown>;
	screenshot(options: { path: string }): Promise<unknown>;
	keyboard: { press(key: string): Promise<void> };
	mouse: { move(x: number, y: number): Promise<void> };
}
interface BrowserContext {
	pages(): Page[];
	newPage(): Promise<Page>;
	close(): Promise<void>;
}
interface PlaywrightCore {
	chromium: {
		launchPersistentContext(
			userDataDir: string,
			options: Record<string, unknown>,
		): Promise<BrowserContext>;
	};
}

const MAX_BYTES = 400 * 1024;
const WORKFLOW = 'SsBeSubmitDeclaration';

function option(name: string, fallback: string): string {
	const i = process.argv.indexOf(name);
	return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function loadPlaywright(): Promise<PlaywrightCore> {
	const where = process.env.PLAYWRIGHT_CORE;
	try {
		return (await import(where ? resolve(where) : 'playwright-core')) as PlaywrightCore;
	} catch {
		throw new Error(
			'playwright-core was not found. Install it outside the repository (mkdir -p /tmp/pw && cd /tmp/pw && npm install playwright-core) ' +
				'and set PLAYWRIGHT_CORE=/tmp/pw/node_modules/playwright-core',
		);
	}
}

/** Navigates, retrying: Chromium reports ERR_NETWORK_CHANGED when interfaces change (the netem benchmarks do). */
async function open(page: Page, url: string): Promise<void> {
	for (let attempt = 1; ; attempt++) {
		try {
			await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
			return;
		} catch (error) {
			if (attempt >= 5) throw error;
			await page.waitForTimeout(1000);
		}
	}
}

async function main(): Promise<void> {
	const base = option('--base', 'http://127.0.0.1:5678').replace(/\/$/, '');
	const out = resolve(option('--out', __dirname));
	const { chromium } = await loadPlaywright();
	const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
		headless: true,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--no-first-run',
		],
		viewport: { width: 1440, height: 900 },
		deviceScaleFactor: 1,
	});
	try {
		const page = context.pages()[0] ?? (await context.newPage());

		await open(page, `${base}/signin`);
		await page.waitForSelector('input[type=password]', { timeout: 60_000 });
		await page.locator('input').first().fill(DEMO_LOGIN.email);
		await page.locator('input[type=password]').fill(DEMO_LOGIN.password);
		await page.keyboard.press('Enter');
		await page.waitForURL((url) => !url.pathname.includes('signin'), { timeout: 30_000 });

		await open(page, `${base}/workflow/${WORKFLOW}`);
		await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 60_000 });
		await page.waitForTimeout(1500);
		await page.locator('[data-test-id="execute-workflow-button"]').click();
		// Done when every connection shows its item count.
		await page.waitForFunction(
			() => {
				const edges = [...document.querySelectorAll('[data-test-id="edge-label"]')];
				return edges.length > 0 && edges.every((edge) => /\bitems?\b/.test(edge.textContent ?? ''));
			},
			null,
			{ timeout: 90_000 },
		);
		await page.addStyleTag({ content: '.el-notification { display: none !important; }' });
		await page.mouse.move(720, 880);
		await page.waitForTimeout(1000);
		const editor = join(out, 'editor.png');
		await page.screenshot({ path: editor });

		await page.locator('[data-test-id="canvas-node"]', { hasText: 'Build Filenames' }).dblclick();
		await page.waitForSelector('[data-test-id="output-panel"]', { timeout: 30_000 });
		await page.waitForTimeout(1000);
		await page.locator('[data-test-id="output-panel"]').getByText('JSON', { exact: true }).click();
		const label = page.locator('[data-test-id="input-label"]', { hasText: 'Sender Number' });
		await label.hover();
		await page.waitForTimeout(300);
		await label.locator('[data-icon="circle-help"]').hover();
		await page.waitForTimeout(1200);
		const node = join(out, 'build-filenames.png');
		await page.screenshot({ path: node });

		for (const file of [editor, node]) {
			const size = statSync(file).size;
			process.stdout.write(`${file}  ${Math.round(size / 1024)} KB\n`);
			if (size > MAX_BYTES) throw new Error(`${file} is larger than ${MAX_BYTES / 1024} KB`);
		}
	} finally {
		await context.close();
		rmSync(profile, { recursive: true, force: true });
	}
}

main().catch((error: unknown) => {
	process.stderr.write(
		`The screenshots failed: ${error instanceof Error ? error.message : String(error)}\n`,
	);
	process.exit(1);
});
