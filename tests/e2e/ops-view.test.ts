import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HELD_PLUGINS_MODULE } from '../fixtures/held-plugins.ts';
import { startHeldService, type HeldService } from '../fixtures/held-service.ts';
import { assertAccessible } from './support/accessibility.ts';
import { launchChromium } from './support/chromium.ts';
import { DashboardPage } from './support/dashboard-page.ts';
import { startE2ePlatform, type E2ePlatform } from './support/e2e-platform.ts';
import { ensureDashboardBuilt } from './support/ensure-dashboard-built.ts';

/**
 * The operations view (#/ops) in real Chromium: its figures follow held runs (one running, one
 * queued behind it: CONCURRENCY_LIMIT=1) as they are released, its chart counts the runs that
 * finished, and with API keys it shows the key's user's runs only.
 */

const ANN_KEY = 'ann-ops-key-0001';
const BOB_KEY = 'bob-ops-key-0002';

let browser: Browser;
let held: HeldService;
let main: E2ePlatform;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await ensureDashboardBuilt();
  held = await startHeldService();
  // The held flow's tool reads it from the environment of the process running the run: this one.
  process.env.HELD_SERVICE_URL = held.url;
  [browser, main] = await Promise.all([
    launchChromium(),
    startE2ePlatform({
      env: {
        API_KEYS: `${ANN_KEY}:ann,${BOB_KEY}:bob`,
        PLUGINS: HELD_PLUGINS_MODULE,
        CONCURRENCY_LIMIT: '1',
      },
    }),
  ]);
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

afterAll(async () => {
  held?.release();
  await Promise.all([browser?.close(), main?.close()]);
  await held?.close();
  delete process.env.HELD_SERVICE_URL;
});

interface RunRecord {
  id: string;
  status: string;
}

/** A REST call as `key`'s user; the JSON answer. */
async function rest<T>(key: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${main.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok, `${path}: HTTP ${response.status}`).toBe(true);
  return (await response.json()) as T;
}

const newSession = async (key: string) => (await rest<{ id: string }>(key, '/v1/sessions', {})).id;

/** Starts a `held` run whose tool call is `<id>` at the held service. */
const startHeld = (key: string, sessionId: string, id: string) =>
  rest<RunRecord>(key, `/v1/sessions/${sessionId}/runs`, { flow: 'held', input: { id, question: id } });

const runStatus = async (key: string, sessionId: string, runId: string) =>
  (await rest<RunRecord>(key, `/v1/sessions/${sessionId}/runs/${runId}`)).status;

/** Polls until the page shows it: the view reads the stats every 2 s, and a loaded machine is slow. */
const until = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });

/** The figure a `data-testid` shows, as text. */
const figure = (page: Page, testId: string) => page.getByTestId(testId).textContent();

/** What the chart's bars say together: runs finished over the window. */
async function chartTotal(page: Page): Promise<number> {
  const counts = await page
    .getByTestId('ops-minute')
    .evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute('data-finished'))));
  return counts.reduce((sum, n) => sum + n, 0);
}

describe('operations view', () => {
  it("counts a running and a queued run, follows them as they end, and charts the key's finished runs", async () => {
    // bob's run finishes first: with ann's key it must count nowhere.
    const bobSession = await newSession(BOB_KEY);
    held.release('bob-done');
    const bobRun = await startHeld(BOB_KEY, bobSession, 'bob-done');
    await until(() => runStatus(BOB_KEY, bobSession, bobRun.id)).toBe('completed');

    // ann: one run done, one held in its tool call, one queued behind it (one slot).
    const first = await newSession(ANN_KEY);
    const second = await newSession(ANN_KEY);
    held.release('ann-done');
    const done = await startHeld(ANN_KEY, first, 'ann-done');
    await until(() => runStatus(ANN_KEY, first, done.id)).toBe('completed');
    const holding = await startHeld(ANN_KEY, first, 'ann-hold');
    await held.received('ann-hold');
    const waiting = await startHeld(ANN_KEY, second, 'ann-next');
    expect(waiting.status).toBe('queued');

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const dashboard = await DashboardPage.open(context, main.url, { apiKey: ANN_KEY });
    const { page } = dashboard;
    // Reached from the header, by its own hash route.
    await page.getByTestId('ops-link').click();
    await page.waitForURL(/#\/ops$/);
    await until(() => figure(page, 'ops-scope')).toBe("your key's sessions");

    await until(() => figure(page, 'ops-running')).toBe('1');
    await until(() => figure(page, 'ops-queued')).toBe('1');
    expect(await figure(page, 'ops-queue-depth')).toBe('1');
    expect(await figure(page, 'ops-active-sessions')).toBe('2');
    expect(await figure(page, 'ops-status-completed')).toBe('1');
    expect(await figure(page, 'ops-recent-total')).toBe('1');
    expect(await chartTotal(page)).toBe(1);
    expect(await page.getByTestId('ops-minute').count()).toBe(15);
    expect(await figure(page, 'ops-p50')).toMatch(/^\d+(\.\d+)? (ms|s)$/);
    await assertAccessible(page, 'the operations view');
    // At 420 px the view is one column, with nothing past the page's right edge.
    await page.setViewportSize({ width: 420, height: 900 });
    await until(() =>
      page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
    ).toBe(0);
    await page.setViewportSize({ width: 1280, height: 900 });

    // The held call answers: that run completes and the queued one takes the slot (and holds).
    held.release('ann-hold');
    await held.received('ann-next');
    await until(() => figure(page, 'ops-status-completed')).toBe('2');
    await until(() => figure(page, 'ops-queued')).toBe('0');
    expect(await figure(page, 'ops-running')).toBe('1');
    expect(await figure(page, 'ops-queue-depth')).toBe('0');
    await until(() => chartTotal(page)).toBe(2);

    held.release('ann-next');
    await until(() => figure(page, 'ops-running')).toBe('0');
    await until(() => figure(page, 'ops-status-completed')).toBe('3');
    await until(() => chartTotal(page)).toBe(3);
    expect(await figure(page, 'ops-recent-total')).toBe('3');
    expect(await runStatus(ANN_KEY, first, holding.id)).toBe('completed');
    expect(await runStatus(ANN_KEY, second, waiting.id)).toBe('completed');

    // bob's key shows bob's one run, and the chart's bars say so in words too.
    await page.getByLabel('API key').fill(BOB_KEY);
    await page.getByLabel('API key').press('Enter');
    await until(() => figure(page, 'ops-status-completed')).toBe('1');
    expect(await figure(page, 'ops-running')).toBe('0');
    await until(() => chartTotal(page)).toBe(1);
    const busy = page.getByTestId('ops-minute').filter({ has: page.locator('rect.ops-seg-completed') });
    expect(await busy.locator('title').textContent()).toMatch(/1 run finished \(1 completed\)$/);

    // Colour is not the only carrier of an outcome: failed is hatched and cancelled dotted, in bars and legend.
    // A string, run in the page: the test's own TypeScript has no DOM types.
    const looks = (await page.evaluate(`(() => {
      const probe = (status) => {
        const bar = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
        bar.setAttribute('class', 'ops-seg ops-seg-' + status);
        document.querySelector('[data-testid=ops-chart]').append(bar);
        const fill = getComputedStyle(bar).fill;
        bar.remove();
        const swatch = document.querySelector('.ops-swatch.ops-seg-' + status);
        return { fill, swatch: getComputedStyle(swatch).backgroundImage };
      };
      return { failed: probe('failed'), cancelled: probe('cancelled'), completed: probe('completed') };
    })()`)) as Record<'failed' | 'cancelled' | 'completed', { fill: string; swatch: string }>;
    expect(looks.failed.fill).toContain('#ops-pattern-failed');
    expect(looks.cancelled.fill).toContain('#ops-pattern-cancelled');
    expect(looks.failed.swatch).toContain('gradient');
    expect(looks.cancelled.swatch).toContain('gradient');
    expect(looks.completed.swatch).toBe('none');
    expect(await page.locator('#ops-pattern-failed').count()).toBe(1);
  }, 90_000);
});
