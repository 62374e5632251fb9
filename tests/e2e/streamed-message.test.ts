import type { Browser, BrowserContext, Locator } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STREAMING_PLUGINS_MODULE } from '../fixtures/streaming-plugins.ts';
import { steppedStream } from '../unit/llm/fake-openai-server.ts';
import { fakeOpenAi, type FakeOpenAi } from '../unit/llm/fake-openai-server.ts';
import { launchChromium } from './support/chromium.ts';
import { DashboardPage } from './support/dashboard-page.ts';
import { startE2ePlatform, type E2ePlatform } from './support/e2e-platform.ts';
import { ensureDashboardBuilt } from './support/ensure-dashboard-built.ts';

/**
 * A model's answer streamed into the dashboard for real: the `streamed_answer` flow's tool calls
 * `ctx.llm.chat(…, { stream: true })` against our fake OpenAI-compatible server, which lets the answer
 * out piece by piece only when the test says so. The page must show one row growing in place.
 */

const PIECES = ['RxJS turns events ', 'into streams ', 'you compose with operators.'] as const;

let browser: Browser;
let fake: FakeOpenAi;
let platform: E2ePlatform;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await ensureDashboardBuilt();
  fake = await fakeOpenAi();
  [browser, platform] = await Promise.all([
    launchChromium(),
    startE2ePlatform({
      env: { PLUGINS: STREAMING_PLUGINS_MODULE, LLM_URL: fake.url, LLM_MODEL: 'fake-model' },
    }),
  ]);
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

afterAll(async () => {
  await Promise.all([browser?.close(), platform?.close()]);
  await fake?.close();
});

async function open(sessionId?: string): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  return DashboardPage.open(context, platform.url, sessionId ? { sessionId } : {});
}

/** The rows of streamed messages (`data-message-id`), whatever their state. */
const messageRows = (dashboard: DashboardPage): Locator => dashboard.page.locator('[data-message-id]');
const rowText = (dashboard: DashboardPage) =>
  messageRows(dashboard).getByTestId('message-text').textContent();
const answerText = (dashboard: DashboardPage) => dashboard.page.getByTestId('answer-text').textContent();

describe('streamed model text in the dashboard', () => {
  it('grows in one timeline row (and the answer panel), for a page that joined mid-answer too, and ends as one message', async () => {
    const stream = steppedStream(PIECES);
    fake.replies.push(stream.reply);
    const dashboard = await open();
    const sessionId = await dashboard.createSession('streamed');
    await dashboard.startRun('What is RxJS?', 'streamed_answer');

    await expect.poll(() => rowText(dashboard)).toBe(PIECES[0]);
    expect(await messageRows(dashboard).getAttribute('data-state')).toBe('streaming');
    expect(await answerText(dashboard)).toBe(PIECES[0]);
    expect(await dashboard.page.getByTestId('final-answer').getAttribute('data-streaming')).toBe('true');
    // Marks the element: at the end the message must be this very row, grown in place, not a new one.
    await messageRows(dashboard).evaluate((row) => row.setAttribute('data-marked', 'first piece'));
    // A second page joins mid-answer: it gets the piece so far replayed, then the rest live.
    const joiner = await open(sessionId);
    await expect.poll(() => rowText(joiner)).toBe(PIECES[0]);

    stream.next();
    for (const page of [dashboard, joiner])
      await expect.poll(() => rowText(page)).toBe(PIECES[0] + PIECES[1]);
    expect(await answerText(dashboard)).toBe(PIECES[0] + PIECES[1]);
    expect(await messageRows(dashboard).count()).toBe(1);

    stream.next();
    const whole = PIECES.join('');
    await dashboard.event('run.completed').waitFor();
    for (const page of [dashboard, joiner]) {
      await expect.poll(() => messageRows(page).getAttribute('data-state')).toBe('done');
      expect(await messageRows(page).count()).toBe(1);
      expect(await messageRows(page).getAttribute('data-type')).toBe('message');
      expect(await rowText(page)).toBe(whole);
      expect(await page.event('message.delta').count()).toBe(0);
      expect(await page.event('message').count()).toBe(1);
      expect(await answerText(page)).toBe(whole);
    }
    expect(await messageRows(dashboard).getAttribute('data-marked')).toBe('first piece');
    expect(await dashboard.page.getByTestId('final-answer').getAttribute('data-streaming')).toBeNull();

    // A page opened after the end shows the message once, not its pieces and then the message.
    const late = await open(sessionId);
    await late.event('run.completed').waitFor();
    expect(await late.event('message').count()).toBe(1);
    expect(await late.event('message.delta').count()).toBe(0);
    expect(await late.event('message').locator('.content').textContent()).toBe(whole);
  });

  it('a run cancelled mid-answer keeps the text so far, marked "(stopped: run cancelled)"', async () => {
    const stream = steppedStream(PIECES);
    fake.replies.push(stream.reply);
    const dashboard = await open();
    await dashboard.createSession('cancelled mid-answer');
    await dashboard.startRun('What is RxJS?', 'streamed_answer');
    await expect.poll(() => rowText(dashboard)).toBe(PIECES[0]);

    await dashboard.page.getByTestId('cancel-run').click();
    await dashboard.event('run.cancelled').waitFor();
    await expect.poll(() => messageRows(dashboard).getAttribute('data-state')).toBe('incomplete');
    expect(await messageRows(dashboard).count()).toBe(1);
    expect(await rowText(dashboard)).toBe(PIECES[0]);
    expect(await dashboard.page.getByTestId('message-stopped').textContent()).toBe(
      '(stopped: run cancelled)',
    );
    expect(await dashboard.page.getByTestId('answer-stopped').textContent()).toBe('(stopped: run cancelled)');
  });
});
