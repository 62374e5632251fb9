import type { Browser, BrowserContext, Locator } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertAccessible } from './support/accessibility.ts';
import { launchChromium } from './support/chromium.ts';
import { DashboardPage, QUIZ_STEPS } from './support/dashboard-page.ts';
import { APPROVAL_PLUGINS, startE2ePlatform, type E2ePlatform } from './support/e2e-platform.ts';
import { ensureDashboardBuilt } from './support/ensure-dashboard-built.ts';
import { startHeldBackend, type HeldBackend } from './support/held-backend.ts';
import { startDemoBackends, type DemoBackends } from '../../demo-backends/index.ts';

/**
 * Runs of a session and the waterfall of a run (issue 15 items 1 and 2), in real Chromium against
 * a real platform: the run list kept live from the events, each run's own view at its URL, and the
 * waterfall growing while the run goes on.
 */

const QUESTION = 'Quiz me on RxJS operators';
/** expect.poll's 1 s default is short for a loaded machine: these wait for the page, not for time. */
const POLL = { timeout: 10_000 };

let browser: Browser;
/** The RAG backend behind a proxy that holds rag_search until the test releases it. */
let held: E2ePlatform;
let heldRag: HeldBackend;
let ragTarget: DemoBackends;
/** Every backend call fails (503), and the approval flow (no backend) is loaded. */
let failing: E2ePlatform;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await ensureDashboardBuilt();
  ragTarget = await startDemoBackends();
  heldRag = await startHeldBackend(ragTarget.ragUrl);
  [browser, held, failing] = await Promise.all([
    launchChromium(),
    startE2ePlatform({ env: { RAG_URL: heldRag.url } }),
    startE2ePlatform({ backends: { failureRate: 1 }, env: { PLUGINS: APPROVAL_PLUGINS } }),
  ]);
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

afterAll(async () => {
  heldRag?.release();
  await Promise.all([
    browser?.close(),
    held?.close(),
    failing?.close(),
    heldRag?.close(),
    ragTarget?.close(),
  ]);
});

async function open(url: string): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  return DashboardPage.open(context, url);
}

/** Each bar as `kind name outcome`, in the order the waterfall lists them. */
function bars(waterfall: Locator): Promise<string[]> {
  return waterfall
    .getByTestId('waterfall-bar')
    .evaluateAll((items) =>
      items.map((item) =>
        ['data-kind', 'data-name', 'data-outcome'].map((name) => item.getAttribute(name)).join(' '),
      ),
    );
}

/** The runs in the list, as `state` per run id, top (newest) first. */
function listed(dashboard: DashboardPage): Promise<Array<[string, string]>> {
  return dashboard.page
    .getByTestId('run-item')
    .evaluateAll((items) =>
      items.map((item) => [item.getAttribute('data-run-id') ?? '', item.getAttribute('data-state') ?? '']),
    );
}

/** Opens the run at `index` of the list (0: newest) and waits for its view; returns its id. */
async function openRun(dashboard: DashboardPage, index: number): Promise<string> {
  const item = dashboard.page.getByTestId('run-item').nth(index);
  const runId = (await item.getAttribute('data-run-id'))!;
  await item.click();
  await dashboard.page.locator(`[data-testid="run-view"][data-run-id="${runId}"]`).waitFor();
  return runId;
}

describe('runs of a session and the waterfall of a run', () => {
  it('the waterfall of a quiz run shows a bar per step and tool call in order, and grows while the run goes on', async () => {
    const dashboard = await open(held.url);
    const sessionId = await dashboard.createSession('waterfall');
    await dashboard.startRun(QUESTION);
    await dashboard.page.getByTestId('run-item').waitFor();
    const runId = await openRun(dashboard, 0);
    expect(new URL(dashboard.page.url()).hash).toBe(`#/sessions/${sessionId}/runs/${runId}`);

    // Mid-run: the proxy holds rag_search; what ran so far is drawn, the open bars are running.
    await heldRag.reached;
    const waterfall = dashboard.page.getByTestId('waterfall');
    const ragSearch = waterfall.locator('[data-testid="waterfall-bar"][data-name="rag_search"]');
    await waterfall
      .locator('[data-testid="waterfall-bar"][data-name="rag_search"][data-outcome="running"]')
      .waitFor();
    expect(await bars(waterfall)).toEqual([
      'queue queue waiting',
      'tool planner ok',
      'step intent_determined ok',
      'step start_retrieval running',
      'tool rag_search running',
    ]);
    expect(await waterfall.getAttribute('data-live')).toBe('true');
    // It grows with no new event: the axis and the open call get longer while rag_search is held.
    const axisBefore = Number(await waterfall.getAttribute('data-total-ms'));
    const callBefore = Number(await ragSearch.getAttribute('data-duration-ms'));
    await expect
      .poll(async () => Number(await waterfall.getAttribute('data-total-ms')), POLL)
      .toBeGreaterThan(axisBefore);
    await expect
      .poll(async () => Number(await ragSearch.getAttribute('data-duration-ms')), POLL)
      .toBeGreaterThan(callBefore);

    // The run's question is the first row of its timeline.
    const firstRow = dashboard.page.getByTestId('timeline').locator('li').first();
    expect(await firstRow.getAttribute('data-testid')).toBe('run-question');
    expect(await firstRow.textContent()).toContain(QUESTION);
    // The run's timeline holds that run's events only.
    expect(new Set(await dashboard.attribute('data-run-id'))).toEqual(new Set([runId]));

    heldRag.release();
    await dashboard.page.locator('[data-testid="waterfall"][data-live="false"]').waitFor();
    const tools: Record<string, string> = {
      start_retrieval: 'rag_search',
      start_generate_exam: 'generate_exam',
    };
    expect(await bars(waterfall)).toEqual([
      'queue queue waiting',
      'tool planner ok',
      ...QUIZ_STEPS.flatMap((step) => [
        `step ${step} ok`,
        ...(tools[step] ? [`tool ${tools[step]} ok`] : []),
      ]),
    ]);
    // On one time axis, in start order: no bar starts before the one above it.
    const starts = await waterfall
      .getByTestId('waterfall-bar')
      .evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-start-ms'))));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    // The held call lasted at least as long as it was seen growing.
    expect(Number(await ragSearch.getAttribute('data-duration-ms'))).toBeGreaterThan(callBefore);

    // Details of a bar by click, and by keyboard focus; the outcome is in words too.
    await ragSearch.click();
    const details = dashboard.page.getByTestId('waterfall-bar-details');
    expect(await details.textContent()).toMatch(/rag_search[\s\S]*ok[\s\S]*Attempt\s*1/);
    expect(await ragSearch.getAttribute('aria-label')).toMatch(/^tool rag_search, attempt 1: ok, from \+/);
    await ragSearch.click();
    const planner = waterfall.locator('[data-testid="waterfall-bar"][data-name="planner"]');
    await planner.focus();
    await expect
      .poll(() => details.getAttribute('data-bar-id'), POLL)
      .toBe(await planner.getAttribute('data-bar-id'));
    // And by hovering, with the mouse alone.
    const retrievalDone = waterfall.locator('[data-testid="waterfall-bar"][data-name="retrieval_done"]');
    await retrievalDone.hover();
    await expect
      .poll(() => details.getAttribute('data-bar-id'), POLL)
      .toBe(await retrievalDone.getAttribute('data-bar-id'));
    expect(await details.textContent()).toMatch(/retrieval_done[\s\S]*Starts at\s*\+/);

    const traceLink = dashboard.page.getByTestId('waterfall-trace-link');
    expect(await traceLink.getAttribute('href')).toBe(
      await dashboard.page.getByTestId('trace-link').getAttribute('href'),
    );

    await assertAccessible(dashboard.page, "a finished run's view with its waterfall");
    // At 420 px the waterfall and the run list fit: the page does not scroll sideways.
    await dashboard.page.setViewportSize({ width: 420, height: 900 });
    await expect
      .poll(
        () =>
          dashboard.page.evaluate('document.documentElement.scrollWidth <= innerWidth') as Promise<boolean>,
        POLL,
      )
      .toBe(true);

    // A reload comes back to the run's own view, with the same waterfall.
    await dashboard.page.reload();
    await dashboard.connected();
    await dashboard.page.locator(`[data-testid="run-view"][data-run-id="${runId}"]`).waitFor();
    await dashboard.page.locator('[data-testid="waterfall"][data-live="false"]').waitFor();
    expect(await bars(waterfall)).toHaveLength(2 + QUIZ_STEPS.length + 2);
  }, 60_000);

  it('the run list shows every run, newest first, with its status after runs that completed, failed and were cancelled', async () => {
    const dashboard = await open(failing.url);
    await dashboard.createSession('runs');
    const runState = (runId: string) =>
      dashboard.page.locator(`[data-testid="run-item"][data-run-id="${runId}"]`).getAttribute('data-state');

    // Failed: the quiz's backend answers 503, twice.
    await dashboard.startRun(QUESTION);
    await dashboard.event('run.failed').waitFor();
    await dashboard.page.locator('[data-testid="run-item"][data-state="failed"]').waitFor();
    const failed = await openRun(dashboard, 0);
    // Each attempt of the retried call is its own bar, the first marked as retried.
    const waterfall = dashboard.page.getByTestId('waterfall');
    await dashboard.page.locator('[data-testid="waterfall"][data-live="false"]').waitFor();
    const attempts = waterfall.locator('[data-testid="waterfall-bar"][data-name="rag_search"]');
    expect(
      await attempts.evaluateAll((items) => items.map((item) => item.getAttribute('data-attempt'))),
    ).toEqual(['1', '2']);
    expect(await waterfall.locator('.wf-outcome').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('failed, retried')]),
    );
    expect(await dashboard.page.getByTestId('run-error').textContent()).toContain('TOOL_FAILED');
    expect(await dashboard.page.getByTestId('final-answer').textContent()).toContain(
      'Sorry, I could not search the course material',
    );
    expect(await dashboard.page.getByTestId('run-cancel').count()).toBe(0);

    // Completed: the approval flow needs no backend; approved, it ends well.
    await dashboard.startRun('RxJS', 'reviewed_answer');
    await dashboard.page.getByTestId('approval').waitFor();
    await dashboard.page.getByTestId('approve').click();
    await dashboard.page.locator('[data-testid="run-item"][data-state="completed"]').waitFor();
    const completed = (await listed(dashboard))[0]![0];

    // Cancelled while running (waiting for its approval), and one cancelled while queued behind it.
    await dashboard.startRun('RxJS', 'reviewed_answer');
    await dashboard.page.locator('[data-testid="run-item"][data-state="awaiting approval"]').waitFor();
    await dashboard.startRun('RxJS', 'reviewed_answer');
    await dashboard.page.locator('[data-testid="run-item"][data-state="queued"]').waitFor();
    const [[queued], [awaiting]] = (await listed(dashboard)) as [[string, string], [string, string]];

    await openRun(dashboard, 0);
    expect(await dashboard.page.getByTestId('run-question').textContent()).toContain('RxJS');
    await dashboard.page.getByTestId('run-cancel').click();
    await expect.poll(() => runState(queued), POLL).toBe('cancelled');
    // Ended: no Cancel button any more.
    await dashboard.page.getByTestId('run-cancel').waitFor({ state: 'detached' });

    // A run's view shows that run's answer, not the newest run's.
    await openRun(dashboard, 2);
    await expect
      .poll(() => dashboard.page.getByTestId('final-answer').textContent(), POLL)
      .toContain('Published an answer about RxJS');
    await openRun(dashboard, 1);
    await dashboard.page.getByTestId('run-cancel').click();
    await expect.poll(() => runState(awaiting), POLL).toBe('cancelled');
    await dashboard.page.getByTestId('run-cancel').waitFor({ state: 'detached' });
    // The approval wait it was in ends cancelled on the waterfall.
    await dashboard.page
      .locator('[data-testid="waterfall-bar"][data-kind="approval"][data-outcome="cancelled"]')
      .waitFor();
    await assertAccessible(dashboard.page, "a cancelled run's view");

    const expected: Array<[string, string]> = [
      [queued, 'cancelled'],
      [awaiting, 'cancelled'],
      [completed, 'completed'],
      [failed, 'failed'],
    ];
    expect(await listed(dashboard)).toEqual(expected);
    // The state is in words with an icon, not colour only.
    expect(
      (await dashboard.page.getByTestId('run-item').getByTestId('run-state').allTextContents()).map((text) =>
        text.replace(/\s+/g, ' ').trim(),
      ),
    ).toEqual(['⊘ cancelled', '⊘ cancelled', '✓ completed', '✕ failed']);

    // After a reload the list comes from the stored runs: the same runs, the same states.
    await dashboard.page.reload();
    await dashboard.connected();
    await expect.poll(() => listed(dashboard), POLL).toEqual(expected);
    expect(
      await dashboard.page
        .locator(`[data-testid="run-item"][aria-current="page"]`)
        .getAttribute('data-run-id'),
    ).toBe(awaiting);
  }, 60_000);
});
