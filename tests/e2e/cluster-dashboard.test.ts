import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_PLUGINS_MODULE } from '../fixtures/approval-plugins.ts';
import { startCluster, type TestCluster } from '../fixtures/cluster.ts';
import { useTestPrefix } from '../fixtures/redis-prefix.ts';
import { launchChromium } from './support/chromium.ts';
import { DashboardPage, QUIZ_STEPS } from './support/dashboard-page.ts';
import { ensureDashboardBuilt } from './support/ensure-dashboard-built.ts';

// The dashboard, unchanged, on an API process of a cluster whose runs execute on a worker process.
const redis = useTestPrefix();
let browser: Browser;
let cluster: TestCluster;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await ensureDashboardBuilt();
  [browser, cluster] = await Promise.all([
    launchChromium(),
    startCluster({
      apis: 1,
      workers: 1,
      env: { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, PLUGINS: APPROVAL_PLUGINS_MODULE },
    }),
  ]);
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

afterAll(async () => {
  await Promise.all([browser?.close(), cluster?.stop()]);
});

async function open(): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  return DashboardPage.open(context, cluster.apis[0]!.url);
}

describe('dashboard against an API process of a cluster', () => {
  it('shows a quiz run executed on the worker, step by step, to its end', async () => {
    const dashboard = await open();
    await dashboard.createSession('quiz on a cluster');
    await dashboard.startRun('Quiz me on RxJS operators');
    await dashboard.event('run.completed').waitFor();
    expect(await dashboard.steps()).toEqual(QUIZ_STEPS);
    expect(await dashboard.page.getByTestId('quiz').getByTestId('quiz-question').count()).toBe(3);
  });

  it('Approve reaches the paused run on the worker', async () => {
    const dashboard = await open();
    await dashboard.createSession('approval on a cluster');
    await dashboard.startRun('RxJS', 'reviewed_answer');
    await dashboard.page.getByTestId('approval').waitFor();
    await dashboard.page.getByTestId('approve').click();
    await dashboard.event('run.completed').waitFor();
    expect(await dashboard.steps()).toEqual(['draft_ready', 'published']);
  });
});
