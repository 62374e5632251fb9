import type { Browser, BrowserContext, Locator } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertAccessible } from './support/accessibility.ts';
import { launchChromium } from './support/chromium.ts';
import { DashboardPage, QUIZ_STEPS } from './support/dashboard-page.ts';
import { startE2ePlatform, type E2ePlatform } from './support/e2e-platform.ts';
import { ensureDashboardBuilt } from './support/ensure-dashboard-built.ts';

/**
 * The timeline's filters, folds and search in real Chromium, over a session with two real quiz runs:
 * one that went well and one whose search backend failed twice (a retry warning, then errors).
 * Every expectation is checked against the session's events read over REST.
 */

interface Event {
  seq: number;
  type: string;
  level: string;
  run_id: string | null;
  step: string | null;
  tool: string | null;
  message: string;
  meta: Record<string, unknown>;
}

let browser: Browser;
let platform: E2ePlatform;
/** How many of the next backend requests fail with a 503: the demo backends draw from `random`. */
let failNext = 0;
let sessionId: string;
let runs: [string, string];
let events: Event[];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await ensureDashboardBuilt();
  [browser, platform] = await Promise.all([
    launchChromium(),
    startE2ePlatform({ backends: { failureRate: 0.5, random: () => (failNext-- > 0 ? 0 : 0.99) } }),
  ]);
  sessionId = ((await post('/v1/sessions', { name: 'filters' })) as { id: string }).id;
  const ok = await quizRun();
  failNext = 2;
  const failed = await quizRun();
  runs = [ok, failed];
  events = await sessionEvents();
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

afterAll(async () => {
  await Promise.all([browser?.close(), platform?.close()]);
});

async function post(path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${platform.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.ok).toBe(true);
  return response.json();
}

/** A quiz run started over REST, once it ended; its id. */
async function quizRun(): Promise<string> {
  const { id } = (await post(`/v1/sessions/${sessionId}/runs`, {
    flow: 'quiz',
    input: { question: 'Quiz me on RxJS operators' },
  })) as { id: string };
  await runEnd(id);
  return id;
}

/** Reads the session's SSE stream (history, then live) until the run's terminal event. */
async function runEnd(runId: string): Promise<void> {
  const controller = new AbortController();
  const response = await fetch(`${platform.url}/v1/sessions/${sessionId}/events/stream`, {
    signal: controller.signal,
  });
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of response.body!) {
      text += decoder.decode(chunk, { stream: true });
      const ended = text
        .split('\n')
        // The last piece may be a line still coming.
        .slice(0, -1)
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice('data: '.length)) as Event)
        .some((event) => event.run_id === runId && /^run\.(completed|failed|cancelled)$/.test(event.type));
      if (ended) return;
    }
  } finally {
    controller.abort();
  }
}

async function sessionEvents(id = sessionId): Promise<Event[]> {
  const response = await fetch(`${platform.url}/v1/sessions/${id}/events?limit=500`);
  return ((await response.json()) as { items: Event[] }).items;
}

const seqsOf = (filter: (event: Event) => boolean): number[] =>
  events.filter(filter).map((event) => event.seq);

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // A step that cannot happen fails with Playwright's own message, within the test's time.
  context.setDefaultTimeout(8_000);
  contexts.push(context);
  return context;
}

async function openSession(): Promise<DashboardPage> {
  const dashboard = await DashboardPage.open(await newContext(), platform.url, { sessionId });
  // The whole history is there.
  await dashboard.page.locator(`[data-seq="${events.at(-1)!.seq}"]`).waitFor({ state: 'attached' });
  return dashboard;
}

/** The rows a person sees: folded and filtered-out rows are not among them. */
const visibleRows = (dashboard: DashboardPage): Locator =>
  dashboard.page.locator('[data-testid="timeline-entry"]:visible');
const visibleSeqs = (dashboard: DashboardPage): Promise<number[]> =>
  visibleRows(dashboard).evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-seq'))));

describe('timeline filters, folding and search', () => {
  it('setup: one quiz run completed, one failed after a retry', () => {
    expect(events.filter((event) => event.type === 'run.completed').map((event) => event.run_id)).toEqual([
      runs[0],
    ]);
    expect(events.filter((event) => event.type === 'run.failed').map((event) => event.run_id)).toEqual([
      runs[1],
    ]);
    expect(events.some((event) => event.type === 'tool.progress' && event.level === 'warn')).toBe(true);
  });

  it('folds tool progress into its call, showing "N progress", and unfolds it on demand', async () => {
    const dashboard = await openSession();
    // Folded: no progress row is seen, every other row is.
    expect(await visibleSeqs(dashboard)).toEqual(seqsOf((event) => event.type !== 'tool.progress'));

    const started = events.find((event) => event.type === 'tool.started' && event.tool === 'rag_search')!;
    const progress = seqsOf(
      (event) =>
        event.type === 'tool.progress' &&
        event.tool === 'rag_search' &&
        event.run_id === runs[0] &&
        event.seq <
          events.find(
            (other) =>
              other.type === 'tool.completed' && other.tool === 'rag_search' && other.run_id === runs[0],
          )!.seq,
    );
    expect(progress.length).toBeGreaterThan(0);
    const toggle = dashboard.page.locator(`[data-seq="${started.seq}"]`).getByTestId('progress-toggle');
    expect(await toggle.textContent()).toContain(`${progress.length} progress`);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');

    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('true');
    // That call's progress rows, and only those, come into view, right after it.
    expect(await visibleSeqs(dashboard)).toEqual(
      seqsOf((event) => event.type !== 'tool.progress' || progress.includes(event.seq)),
    );
    await assertAccessible(dashboard.page, 'a tool call with its progress unfolded');
    for (const seq of progress)
      expect(await dashboard.page.locator(`[data-seq="${seq}"]`).getAttribute('data-call-seq')).toBe(
        String(started.seq),
      );

    await toggle.click();
    await expect
      .poll(() => visibleSeqs(dashboard))
      .toEqual(seqsOf((event) => event.type !== 'tool.progress'));
  });

  it('filters by event type, level and run, each with its label, and clears', async () => {
    const dashboard = await openSession();
    const page = dashboard.page;
    const types = page.getByRole('group', { name: /Event types/ });

    await types.getByLabel('step', { exact: true }).check();
    await expect.poll(() => visibleSeqs(dashboard)).toEqual(seqsOf((event) => event.type === 'step'));
    expect(await dashboard.steps()).toEqual([
      ...QUIZ_STEPS,
      'intent_determined',
      'start_retrieval',
      'tool_error',
    ]);
    await types.getByLabel('run.failed', { exact: true }).check();
    await expect
      .poll(() => visibleSeqs(dashboard))
      .toEqual(seqsOf((event) => event.type === 'step' || event.type === 'run.failed'));
    await page.getByRole('button', { name: 'Clear filters' }).click();

    await page.getByLabel(/^Level\b/).selectOption({ label: 'error only' });
    const errors = seqsOf((event) => event.level === 'error');
    expect(errors.length).toBeGreaterThan(1);
    await expect.poll(() => visibleSeqs(dashboard)).toEqual(errors);
    // The retry's warning stands on its own: its tool call is not shown.
    await page.getByLabel(/^Level\b/).selectOption({ label: 'warn and above' });
    await expect
      .poll(() => visibleSeqs(dashboard))
      .toEqual(seqsOf((event) => event.level === 'warn' || event.level === 'error'));
    await page.getByLabel(/^Level\b/).selectOption({ label: 'all levels' });

    // The runs are named as the run list names them: flow and the id's last 8 characters.
    const runSelect = page.getByLabel(/^Run\b/);
    expect(await runSelect.locator('option').allTextContents()).toEqual([
      'all runs',
      ...runs.map((id) => `quiz · ${id.slice(-8)}`),
    ]);
    await runSelect.selectOption(runs[1]);
    await expect
      .poll(() => visibleSeqs(dashboard))
      .toEqual(seqsOf((event) => event.run_id === runs[1] && event.type !== 'tool.progress'));
    // The folded progress of that run is there, nothing of the other run or the session.
    expect(new Set(await dashboard.attribute('data-run-id'))).toEqual(new Set([runs[1]]));
    await runSelect.selectOption(runs[0]);
    await expect
      .poll(() => visibleSeqs(dashboard))
      .toEqual(seqsOf((event) => event.run_id === runs[0] && event.type !== 'tool.progress'));

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect
      .poll(() => visibleSeqs(dashboard))
      .toEqual(seqsOf((event) => event.type !== 'tool.progress'));
  });

  it('searches the text in any case, marks the matches and counts the rows', async () => {
    const dashboard = await openSession();
    const step = events.find((event) => event.type === 'step' && event.step === 'generate_done')!;
    // A piece of the step's own text, in another case: "quiz ready: 3 questions" found by "QUIZ READY".
    const words = step.message.split(' ').slice(0, 2).join(' ');
    await dashboard.page.getByLabel(/^Search\b/).fill(words.toUpperCase());

    const found = seqsOf((event) =>
      [event.message, event.step ?? '', event.tool ?? '', event.type].some((text) =>
        text.toLowerCase().includes(words.toLowerCase()),
      ),
    );
    expect(found).toContain(step.seq);
    await expect.poll(() => visibleSeqs(dashboard)).toEqual(found);
    expect(await dashboard.page.getByTestId('timeline-matches').textContent()).toContain(
      `${found.length} ${found.length === 1 ? 'match' : 'matches'}`,
    );
    const row = dashboard.page.locator(`[data-seq="${step.seq}"]`);
    expect(await row.locator('mark').allTextContents()).toEqual([words]);
    await assertAccessible(dashboard.page, 'a searched timeline');

    // Progress rows it finds are shown, though folded otherwise.
    await dashboard.page.getByLabel(/^Search\b/).fill('rag_search');
    const progress = seqsOf((event) => event.type === 'tool.progress' && event.tool === 'rag_search');
    await expect.poll(() => visibleSeqs(dashboard)).toEqual(expect.arrayContaining(progress));
    // Nothing is folded while searching, so no call offers to unfold.
    expect(await dashboard.page.getByTestId('progress-toggle').count()).toBe(0);

    await dashboard.page.getByLabel(/^Search\b/).fill('no row says this');
    await dashboard.page.getByTestId('timeline-none').waitFor();
    expect(await dashboard.page.getByTestId('timeline-matches').textContent()).toContain('0 matches');
  });

  it('keeps the filter across a reload and applies it to events that arrive live', async () => {
    const dashboard = await DashboardPage.open(await newContext(), platform.url);
    const liveSession = await dashboard.createSession('live filter');
    const page = dashboard.page;
    await page
      .getByRole('group', { name: /Event types/ })
      .getByLabel('session.created')
      .check();
    await page.getByLabel(/^Search\b/).fill('CREATED');
    await page.getByLabel(/^Level\b/).selectOption({ label: 'info and above' });

    await page.reload();
    await dashboard.connected();
    await dashboard.event('session.created').waitFor();
    expect(await page.getByLabel(/^Search\b/).inputValue()).toBe('CREATED');
    expect(await page.getByLabel(/^Level\b/).inputValue()).toBe('info');
    expect(
      await page
        .getByRole('group', { name: /Event types/ })
        .getByLabel('session.created')
        .isChecked(),
    ).toBe(true);

    // The rows are filtered as the controls say: the session's first event only.
    await expect.poll(() => visibleSeqs(dashboard)).toEqual([1]);

    // Set before the run starts, the filter sorts its events as they come.
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel(/^Search\b/).fill('Retrieval');
    await dashboard.startRun('Quiz me on RxJS operators');
    await expect.poll(() => dashboard.runStatus().textContent()).toContain('completed');
    const live = await sessionEvents(liveSession);
    const found = live
      .filter((event) =>
        [event.message, event.step ?? '', event.tool ?? '', event.type].some((text) =>
          text.toLowerCase().includes('retrieval'),
        ),
      )
      .map((event) => event.seq);
    expect(found.length).toBeGreaterThanOrEqual(2);
    await expect.poll(() => visibleSeqs(dashboard)).toEqual(found);
    expect(await dashboard.steps()).toEqual(['start_retrieval', 'retrieval_done']);
  });
});
