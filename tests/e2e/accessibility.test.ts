import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertAccessible, WITH_TARGET_SIZE } from './support/accessibility.ts';
import { launchChromium } from './support/chromium.ts';
import { DashboardPage } from './support/dashboard-page.ts';
import { APPROVAL_PLUGINS, startE2ePlatform, type E2ePlatform } from './support/e2e-platform.ts';
import { ensureDashboardBuilt } from './support/ensure-dashboard-built.ts';

/**
 * The dashboard for people who do not see colour, use no mouse or hold a phone: axe-core finds no
 * violation of serious or critical impact in any state a session goes through, sessions are chosen
 * with the keyboard alone, failures say so in words, and a 420 px screen needs no sideways scroll.
 */

let browser: Browser;
/** Demo backends as shipped, and the approval flow loaded. */
let main: E2ePlatform;
/** Every backend call fails (503). */
let failing: E2ePlatform;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await ensureDashboardBuilt();
  [browser, main, failing] = await Promise.all([
    launchChromium(),
    startE2ePlatform({ env: { PLUGINS: APPROVAL_PLUGINS } }),
    startE2ePlatform({ backends: { failureRate: 1 } }),
  ]);
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

afterAll(async () => {
  await Promise.all([browser?.close(), main?.close(), failing?.close()]);
});

async function open(url: string, width = 1280): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  contexts.push(context);
  return DashboardPage.open(context, url);
}

async function createSessionOverRest(url: string, name: string): Promise<string> {
  const response = await fetch(`${url}/v1/sessions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/** What has the keyboard focus: its `data-testid`, `data-session-id` and `data-run-id`. */
function focusedItem(page: Page): Promise<{ testid: string; session: string; run: string }> {
  // A script string: the tests are compiled without the DOM types.
  return page.evaluate(`(() => {
    const element = document.activeElement;
    const read = (name) => element?.getAttribute(name) ?? '';
    return { testid: read('data-testid'), session: read('data-session-id'), run: read('data-run-id') };
  })()`) as Promise<{ testid: string; session: string; run: string }>;
}

/** A focus ring of our own (:focus-visible) on the focused element, thicker than Chromium's 1 px default. */
async function expectFocusRing(page: Page): Promise<void> {
  const ring = (await page.evaluate(
    '(({ outlineStyle, outlineWidth }) => ({ outlineStyle, outlineWidth }))(getComputedStyle(document.activeElement))',
  )) as { outlineStyle: string; outlineWidth: string };
  expect(ring.outlineStyle).not.toBe('none');
  expect(parseFloat(ring.outlineWidth)).toBeGreaterThanOrEqual(2);
}

describe('accessibility checks (axe-core)', () => {
  it('the check itself fails on a serious violation, naming the rule, its impact and the element', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.setContent(
      '<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>t</h1>' +
        '<input id="nameless"></main></body></html>',
    );
    const failure = await assertAccessible(page, 'a bare page').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/on a bare page:\nlabel \(critical\): .*\n\s+#nameless/);
  });

  it('the empty page has no serious violation', async () => {
    const dashboard = await open(main.url);
    await dashboard.page.getByTestId('session-list').or(dashboard.page.getByTestId('no-sessions')).waitFor();
    await assertAccessible(dashboard.page, 'the empty page', WITH_TARGET_SIZE);
  });

  it('a finished quiz run, its quiz form (with an error, then graded), a run awaiting approval and that run cancelled have none', async () => {
    const dashboard = await open(main.url);
    await dashboard.createSession('a11y quiz');
    await dashboard.startRun('Quiz me on RxJS operators');
    await dashboard.event('run.completed').waitFor();
    await dashboard.page.getByTestId('quiz').waitFor();
    await expect.poll(() => dashboard.runStatus().textContent()).toContain('completed');
    await assertAccessible(dashboard.page, 'a finished quiz run', WITH_TARGET_SIZE);

    // The learner's quiz form: sent empty it says what is missing; answered, it is graded.
    const { page } = dashboard;
    await page.getByTestId('quiz-submit').click();
    await page.getByTestId('quiz-error').waitFor();
    await assertAccessible(page, 'a quiz form with an error', WITH_TARGET_SIZE);
    const groups = page.getByTestId('quiz-form').getByRole('group');
    for (let index = 0; index < (await groups.count()); index++) {
      const group = groups.nth(index);
      if ((await group.getByRole('radio').count()) > 0) await group.getByRole('radio').first().check();
      else await group.getByRole('textbox').fill('no idea');
    }
    await page.getByTestId('quiz-submit').click();
    await page.getByTestId('quiz-score').waitFor();
    await assertAccessible(page, 'a graded quiz', WITH_TARGET_SIZE);

    await dashboard.startRun('RxJS', 'reviewed_answer');
    await dashboard.page.getByTestId('approval').waitFor();
    await expect.poll(() => dashboard.runStatus().textContent()).toContain('awaiting approval');
    await assertAccessible(dashboard.page, 'a run awaiting approval', WITH_TARGET_SIZE);

    await dashboard.page.getByTestId('cancel-run').click();
    await dashboard.event('run.cancelled').waitFor();
    await expect.poll(() => dashboard.runStatus().textContent()).toContain('cancelled');
    await assertAccessible(dashboard.page, 'a cancelled run', WITH_TARGET_SIZE);
  });

  it('a failed run has none, and says it failed in words, not only in red', async () => {
    const dashboard = await open(failing.url);
    await dashboard.createSession('a11y failure');
    await dashboard.startRun('Quiz me on RxJS operators');
    await dashboard.event('run.failed').waitFor();
    await expect.poll(() => dashboard.runStatus().textContent()).toContain('failed');
    await assertAccessible(dashboard.page, 'a failed run', WITH_TARGET_SIZE);

    // Every red row carries the word "error"; the red answer panel says "failed".
    const red = dashboard.page.locator('[data-testid="timeline-entry"].error');
    expect(await red.count()).toBeGreaterThanOrEqual(3);
    expect(await red.getByTestId('error-mark').allTextContents()).toEqual(
      Array.from({ length: await red.count() }, () => 'error'),
    );
    expect(await dashboard.page.locator('.entry:not(.error) [data-testid="error-mark"]').count()).toBe(0);
    // The retries' warnings say "warn" (folded into their tool call or not).
    const warned = dashboard.page.locator('[data-testid="timeline-entry"][data-level="warn"]:not(.error)');
    expect(await warned.count()).toBeGreaterThanOrEqual(1);
    expect(await warned.getByTestId('warn-mark').count()).toBe(await warned.count());
    expect(await dashboard.page.getByTestId('final-answer').getByTestId('error-mark').textContent()).toBe(
      'failed',
    );
  });
});

describe('keyboard', () => {
  it('Tab reaches the sessions, arrow keys move between them, Enter selects one, and focus is visible', async () => {
    // Three sessions: the one chosen has one above it and one below it in the list.
    const oldest = await createSessionOverRest(main.url, 'keyboard oldest');
    const older = await createSessionOverRest(main.url, 'keyboard older');
    const newer = await createSessionOverRest(main.url, 'keyboard newer');
    const dashboard = await open(main.url);
    const { page } = dashboard;
    const item = (id: string) => page.locator(`[data-testid="session-item"][data-session-id="${id}"]`);
    await item(oldest).waitFor();
    const focused = () => focusedItem(page);

    // Tab through the header and the forms until the first session (the newest) has focus.
    for (let presses = 0; presses < 25 && (await focused()).testid !== 'session-item'; presses++)
      await page.keyboard.press('Tab');
    const ids = await page
      .getByTestId('session-item')
      .evaluateAll((items) => items.map((element) => element.getAttribute('data-session-id')));
    expect(await focused()).toMatchObject({ testid: 'session-item', session: ids[0] });
    expect(ids.indexOf(newer)).toBeLessThan(ids.indexOf(older));
    expect(ids.indexOf(older)).toBeLessThan(ids.indexOf(oldest));
    await expectFocusRing(page);

    // Down the list to the older session, and Enter opens it.
    for (let presses = 0; presses < ids.length && (await focused()).session !== older; presses++)
      await page.keyboard.press('ArrowDown');
    expect((await focused()).session).toBe(older);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`#/sessions/${older}$`));
    await dashboard.event('session.created').waitFor();
    expect(await item(older).getAttribute('aria-current')).toBe('true');
    // The list is one Tab stop: Tab leaves it, Shift+Tab comes back to the selected session.
    await page.keyboard.press('Tab');
    expect((await focused()).testid).not.toBe('session-item');
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toMatchObject({ testid: 'session-item', session: older });

    // Home goes back to the top; Space selects as well.
    await page.keyboard.press('Home');
    expect((await focused()).session).toBe(ids[0]);
    await page.keyboard.press('End');
    expect((await focused()).session).toBe(ids.at(-1));
    await page.keyboard.press('Home');
    await page.keyboard.press('Space');
    await page.waitForURL(new RegExp(`#/sessions/${ids[0]}$`));
    expect(await item(ids[0]!).getAttribute('aria-current')).toBe('true');
  });

  it('Tab reaches the runs of a session, an arrow key moves to an older run and Enter opens its view, which passes axe', async () => {
    const dashboard = await open(main.url);
    const { page } = dashboard;
    await dashboard.createSession('keyboard runs');
    for (const topic of ['operators', 'subjects']) {
      await dashboard.startRun(`Quiz me on RxJS ${topic}`);
      await expect.poll(() => dashboard.event('run.completed').count()).toBe(topic === 'operators' ? 1 : 2);
    }
    const runs = page.locator('[data-testid="run-item"]');
    await expect.poll(() => page.locator('[data-testid="run-item"][data-state="completed"]').count()).toBe(2);
    const [newest, older] = await runs.evaluateAll((items) =>
      items.map((element) => element.getAttribute('data-run-id') ?? ''),
    );

    // From the selected session, Tab goes through the session's controls to the runs: one stop, the newest.
    await page.locator('[data-testid="session-item"][aria-current="true"]').focus();
    for (let presses = 0; presses < 40 && (await focusedItem(page)).testid !== 'run-item'; presses++)
      await page.keyboard.press('Tab');
    expect(await focusedItem(page)).toMatchObject({ testid: 'run-item', run: newest });
    await expectFocusRing(page);
    await page.keyboard.press('ArrowDown');
    expect(await focusedItem(page)).toMatchObject({ testid: 'run-item', run: older });
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/runs/${older}$`));
    await page.getByTestId('run-view').waitFor();
    await page.locator('[data-testid="waterfall"]').waitFor();
    await assertAccessible(page, "a finished run's view with its waterfall", WITH_TARGET_SIZE);
    expect(
      await page.locator(`[data-testid="run-item"][data-run-id="${older}"]`).getAttribute('aria-current'),
    ).toBe('page');
  });
});

describe('narrow screens', () => {
  it('at 420 px a finished run with long unbroken text needs no horizontal scroll of the page', async () => {
    const word = 'switchMapmergeMapconcatMapexhaustMap'.repeat(4);
    const dashboard = await open(main.url, 420);
    await dashboard.createSession(`narrow-${word}`);
    await dashboard.startRun(`Quiz me on ${word}`);
    await dashboard.event('run.completed').waitFor();
    await dashboard.page.getByTestId('final-answer').waitFor();

    const widths = (await dashboard.page.evaluate(
      '({ scroll: document.documentElement.scrollWidth, inner: innerWidth })',
    )) as { scroll: number; inner: number };
    expect(widths.inner).toBe(420);
    expect(widths.scroll).toBeLessThanOrEqual(widths.inner);
    // The long word is on the page, and every box that holds it ends inside the screen.
    const rights = await dashboard.page
      .locator('[data-testid="timeline-entry"] .message', { hasText: word })
      .evaluateAll((elements) => elements.map((element) => element.getBoundingClientRect().right));
    expect(rights.length).toBeGreaterThan(0);
    for (const right of rights) expect(right).toBeLessThanOrEqual(420);
    await assertAccessible(dashboard.page, 'a finished run at 420 px', WITH_TARGET_SIZE);
  });
});
