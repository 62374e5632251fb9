import { fileURLToPath } from 'node:url';
import { launchChromium } from './support/chromium.ts';
import { DashboardPage } from './support/dashboard-page.ts';
import { startE2ePlatform } from './support/e2e-platform.ts';
import { ensureDashboardBuilt } from './support/ensure-dashboard-built.ts';

/**
 * Writes `docs/dashboard.png`: the dashboard in the middle of a quiz run, next to a finished one.
 * Run by hand when the UI changes: `node --import tsx tests/e2e/screenshot.ts`.
 */
const OUT = fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url));

await ensureDashboardBuilt();
const platform = await startE2ePlatform({ backends: { latencyMs: 1500 } });
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const dashboard = await DashboardPage.open(context, platform.url);
  await dashboard.page.getByLabel('User', { exact: true }).first().fill('ann');
  await dashboard.createSession('Operators warm-up');
  await dashboard.startRun('Quiz me on RxJS operators');
  await dashboard.event('run.completed').waitFor({ timeout: 15_000 });

  await dashboard.page.getByLabel('User', { exact: true }).first().fill('ann');
  await dashboard.createSession('RxJS revision');
  await dashboard.startRun('Quiz me on switchMap and takeUntil');
  await dashboard.event('step', 'start_generate_exam').waitFor({ timeout: 15_000 });
  // Show one folded tool result opened, as a reader would.
  await dashboard.event('tool.completed').filter({ hasText: 'planner' }).locator('summary').click();
  await dashboard.page.screenshot({ path: OUT });
  console.log(`wrote ${OUT}`);
} finally {
  await browser.close();
  await platform.close();
}
