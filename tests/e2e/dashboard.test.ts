import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.ts';
import { DashboardPage, QUIZ_STEPS, subscribedAfter } from './support/dashboard-page.ts';
import { APPROVAL_PLUGINS, seqRange, startE2ePlatform, type E2ePlatform } from './support/e2e-platform.ts';
import { ensureDashboardBuilt } from './support/ensure-dashboard-built.ts';

/**
 * The seed's five end-to-end scenarios (plus approvals), in real Chromium against a real platform:
 * the dashboard served by the gateway, REST for commands, Socket.IO for the live timeline.
 */

const ANN_KEY = 'ann-e2e-key-0001';
const BOB_KEY = 'bob-e2e-key-0002';
/** Slow enough that a run is still going when a test reloads, drops the socket or cancels. */
const SLOW_MS = 1500;
const ERROR_RED = 'rgb(176, 0, 32)';

let browser: Browser;
/** Demo backends as shipped, API keys on, and the approval flow loaded. */
let main: E2ePlatform;
/** Every backend call fails (503). */
let failing: E2ePlatform;
/** Every backend call takes SLOW_MS. */
let slow: E2ePlatform;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await ensureDashboardBuilt();
  [browser, main, failing, slow] = await Promise.all([
    launchChromium(),
    startE2ePlatform({ env: { API_KEYS: `${ANN_KEY}:ann,${BOB_KEY}:bob`, PLUGINS: APPROVAL_PLUGINS } }),
    startE2ePlatform({ backends: { failureRate: 1 } }),
    startE2ePlatform({ backends: { latencyMs: SLOW_MS } }),
  ]);
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

afterAll(async () => {
  await Promise.all([browser?.close(), main?.close(), failing?.close(), slow?.close()]);
});

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  return context;
}

describe('dashboard', () => {
  it('happy path: a quiz run from the UI shows the six steps in order, their durations and the quiz', async () => {
    const dashboard = await DashboardPage.open(await newContext(), main.url, { waitForConnection: false });
    // The server has API_KEYS: the key typed in the header field is what lets the page in.
    await dashboard.page.getByLabel('API key').fill(ANN_KEY);
    await dashboard.page.getByLabel('API key').press('Enter');
    await dashboard.connected();
    const sessionId = await dashboard.createSession('RxJS revision');
    await dashboard.startRun('Quiz me on RxJS operators');

    await dashboard.event('run.completed').waitFor();
    expect(await dashboard.steps()).toEqual(QUIZ_STEPS);
    expect(await dashboard.event('step').locator('.duration:not(.running)').count()).toBe(QUIZ_STEPS.length);
    await expect.poll(() => dashboard.runStatus().textContent()).toContain('completed');
    const quiz = dashboard.page.getByTestId('quiz');
    expect(await quiz.getByTestId('quiz-question').count()).toBe(3);
    expect(await dashboard.page.getByTestId('final-answer').textContent()).toContain('Quiz: RxJS operators');
    // Tool calls are there with their input folded away.
    const call = dashboard.event('tool.started').filter({ hasText: 'rag_search' });
    expect(await call.locator('details').getAttribute('open')).toBeNull();
    expect(await call.locator('summary').textContent()).toBe('input');
    // Nothing else is red on a run that went well.
    expect(await dashboard.page.locator('.entry.error').count()).toBe(0);

    const config = (await (await fetch(`${main.url}/dashboard-config.json`)).json()) as {
      jaeger_ui_url: string;
    };
    const traceLink = dashboard.page.getByTestId('trace-link');
    const traceId = (await traceLink.textContent())?.trim();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await traceLink.getAttribute('href')).toBe(`${config.jaeger_ui_url}/trace/${traceId}`);
    expect(await dashboard.seqs()).toEqual(seqRange(1, await main.lastSeq(sessionId, ANN_KEY)));
  });

  it('RAG failure: the tool error is red and the final message says what failed', async () => {
    const dashboard = await DashboardPage.open(await newContext(), failing.url);
    await dashboard.createSession('failing RAG');
    await dashboard.startRun('Quiz me on RxJS operators');

    await dashboard.event('run.failed').waitFor();
    const toolError = dashboard.event('step', 'tool_error');
    expect(await toolError.getAttribute('class')).toContain('error');
    expect(
      await toolError
        .locator('.step')
        .evaluate((element) => element.ownerDocument.defaultView?.getComputedStyle(element).color),
    ).toBe(ERROR_RED);
    expect(await toolError.textContent()).toContain('rag_search failed');
    for (const type of ['tool.failed', 'run.failed'])
      expect(await dashboard.event(type).last().getAttribute('class')).toContain('error');
    const answer = dashboard.page.getByTestId('final-answer');
    expect(await answer.getAttribute('class')).toContain('error');
    expect(await answer.textContent()).toContain('Sorry, I could not search the course material');
    expect(await dashboard.runStatus().textContent()).toContain('failed');
    expect(await dashboard.steps()).toEqual(['intent_determined', 'start_retrieval', 'tool_error']);
  });

  it('reconnect: a reload mid-run replays the history, then goes on live, with no gap and no duplicate', async () => {
    const context = await newContext();
    const dashboard = await DashboardPage.open(context, slow.url);
    const sessionId = await dashboard.createSession('reload');
    await dashboard.startRun('Quiz me on RxJS operators');
    await dashboard.event('step', 'start_retrieval').waitFor();
    const before = await dashboard.seqs();
    expect(before).toEqual(seqRange(1, before.length));

    await dashboard.page.reload();
    await dashboard.connected();
    // The history is back (everything seen before the reload) while the run is still going...
    // (attached, not visible: the last row seen may be a tool's progress, folded into its call)
    await dashboard
      .entries()
      .nth(before.length - 1)
      .waitFor({ state: 'attached' });
    expect(await dashboard.event('run.completed').count()).toBe(0);
    // ...and the rest arrives live.
    await dashboard.event('run.completed').waitFor();
    expect(await dashboard.steps()).toEqual(QUIZ_STEPS);
    expect(await dashboard.seqs()).toEqual(seqRange(1, await slow.lastSeq(sessionId)));
    await dashboard.page.getByTestId('quiz').waitFor();
  });

  it('reconnect: a dropped connection resumes where it stopped, with no gap and no duplicate', async () => {
    const dashboard = await DashboardPage.open(await newContext(), slow.url);
    const sessionId = await dashboard.createSession('dropped');
    await dashboard.startRun('Quiz me on RxJS operators');

    // A connection Socket.IO cannot recover (a new API key reconnects from scratch): the page
    // subscribes again after the last seq it has, not from the start.
    await dashboard.event('step', 'start_retrieval').waitFor();
    const seen = (await dashboard.seqs()).at(-1)!;
    await dashboard.page.getByLabel('API key').fill('any-key-works-without-API_KEYS');
    await dashboard.page.getByLabel('API key').press('Enter');
    await expect.poll(() => subscribedAfter(dashboard.traffic).length).toBe(2);
    const [first, again] = subscribedAfter(dashboard.traffic);
    expect(first).toBe(0);
    expect(again).toBeGreaterThanOrEqual(seen);

    // A transport cut under the page, as a network blip: Socket.IO recovers the connection by itself.
    await dashboard.event('step', 'start_generate_exam').waitFor();
    for (const socket of slow.platform.io!.of('/').sockets.values()) socket.conn.close();
    await dashboard.event('run.completed').waitFor();
    await dashboard.connected();
    expect(await dashboard.steps()).toEqual(QUIZ_STEPS);
    expect(await dashboard.seqs()).toEqual(seqRange(1, await slow.lastSeq(sessionId)));
  });

  it('cancel: the cancel button stops the run, run.cancelled is shown and no step follows', async () => {
    const dashboard = await DashboardPage.open(await newContext(), slow.url);
    const sessionId = await dashboard.createSession('cancelled');
    await dashboard.startRun('Quiz me on RxJS operators');
    await dashboard.event('step', 'start_retrieval').waitFor();
    const cancel = dashboard.page.getByTestId('cancel-run');
    expect(await cancel.isEnabled()).toBe(true);

    await cancel.click();
    await dashboard.event('run.cancelled').waitFor();
    await expect.poll(() => dashboard.runStatus().textContent()).toContain('cancelled');
    // Offered only while the run can be cancelled.
    await cancel.waitFor({ state: 'detached' });
    // Longer than the backend call that was in flight: had the run gone on, its next step would be here.
    await dashboard.page.waitForTimeout(SLOW_MS + 300);
    expect(await dashboard.steps()).toEqual(['intent_determined', 'start_retrieval']);
    expect((await dashboard.attribute('data-type')).at(-1)).toBe('run.cancelled');
    expect(await dashboard.seqs()).toEqual(seqRange(1, await slow.lastSeq(sessionId)));
  });

  it('two sessions in two browsers: each sees only its own events, and not the other user’s session', async () => {
    const [ann, bob] = await Promise.all([
      DashboardPage.open(await newContext(), main.url, { apiKey: ANN_KEY }),
      DashboardPage.open(await newContext(), main.url, { apiKey: BOB_KEY }),
    ]);
    const [annSession, bobSession] = await Promise.all([ann.createSession('ann'), bob.createSession('bob')]);
    await Promise.all([ann.startRun('Quiz me on RxJS operators'), bob.startRun('Quiz me on RxJS operators')]);
    await Promise.all([ann.event('run.completed').waitFor(), bob.event('run.completed').waitFor()]);

    for (const [dashboard, own, other, key] of [
      [ann, annSession, bobSession, ANN_KEY],
      [bob, bobSession, annSession, BOB_KEY],
    ] as const) {
      expect(new Set(await dashboard.attribute('data-session-id'))).toEqual(new Set([own]));
      expect(await dashboard.seqs()).toEqual(seqRange(1, await main.lastSeq(own, key)));
      expect(await dashboard.steps()).toEqual(QUIZ_STEPS);
      // Not just rendered: nothing of the other session ever reached this browser.
      expect(dashboard.traffic.received.join('\n')).not.toContain(other);
    }
    // Bob cannot follow Ann's session even with its id.
    await bob.page.goto(`${main.url}/#/sessions/${annSession}`);
    await bob.page.getByTestId('feed-error').waitFor();
    expect(await bob.entries().count()).toBe(0);
  });

  it('approvals: Approve lets the paused run go on, Reject fails it', async () => {
    const dashboard = await DashboardPage.open(await newContext(), main.url, { apiKey: ANN_KEY });
    await dashboard.createSession('approvals');

    await dashboard.startRun('RxJS', 'reviewed_answer');
    await dashboard.page.getByTestId('approval').waitFor();
    await expect.poll(() => dashboard.runStatus().textContent()).toContain('awaiting approval');
    await dashboard.page.getByTestId('approve').click();
    await dashboard.event('run.completed').waitFor();
    expect(await dashboard.page.getByTestId('approval').count()).toBe(0);
    expect(await dashboard.steps()).toEqual(['draft_ready', 'published']);

    await dashboard.startRun('RxJS', 'reviewed_answer');
    await dashboard.page.getByTestId('approval').waitFor();
    await dashboard.page.getByTestId('reject').click();
    await dashboard.event('run.failed').waitFor();
    expect(await dashboard.page.getByTestId('approval').count()).toBe(0);
    await expect.poll(() => dashboard.runStatus().textContent()).toContain('failed');
  });
});
