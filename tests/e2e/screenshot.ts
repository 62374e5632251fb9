import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { launchChromium } from './support/chromium.ts';
import { DashboardPage } from './support/dashboard-page.ts';
import { startE2ePlatform } from './support/e2e-platform.ts';
import { ensureDashboardBuilt } from './support/ensure-dashboard-built.ts';

/**
 * Regenerates the dashboard's screenshots in `docs/`, from a real platform with slowed demo backends:
 *
 * - `docs/dashboard.png`: the session view in the middle of a quiz run, next to a finished one;
 * - `docs/dashboard-waterfall.png`: the waterfall of the finished run (`[data-testid=waterfall]`);
 * - `docs/dashboard-ops.png`: the operations view (`#/ops`) while that run goes on.
 *
 * A view the dashboard does not have (yet) is skipped with a message, and its old PNG is left as it is.
 * Run by hand when the UI changes: `node --import tsx tests/e2e/screenshot.ts`.
 */
const docs = (name: string) => fileURLToPath(new URL(`../../docs/${name}`, import.meta.url));
const SESSION_PNG = docs('dashboard.png');
const WATERFALL_PNG = docs('dashboard-waterfall.png');
const OPS_PNG = docs('dashboard-ops.png');
/** How long a view gets to show up before it counts as missing. */
const VIEW_WAIT_MS = 5000;

/** Waits for `locator`; false (and a message) when it does not appear. */
async function shows(locator: Locator, view: string): Promise<boolean> {
  const found = await locator
    .first()
    .waitFor({ timeout: VIEW_WAIT_MS })
    .then(() => true)
    .catch(() => false);
  if (!found) console.log(`skipped ${view}: the dashboard does not show it (${locator.toString()})`);
  return found;
}

async function save(page: Page, path: string, target?: Locator): Promise<void> {
  await (target ? target.screenshot({ path }) : page.screenshot({ path }));
  console.log(`wrote ${path}`);
}

await ensureDashboardBuilt();
const platform = await startE2ePlatform({ backends: { latencyMs: 1500 } });
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const dashboard = await DashboardPage.open(context, platform.url);
  const { page } = dashboard;
  await page.getByLabel('User', { exact: true }).first().fill('ann');
  const finished = await dashboard.createSession('Operators warm-up');
  await dashboard.startRun('Quiz me on RxJS operators');
  await dashboard.event('run.completed').waitFor({ timeout: 15_000 });

  await page.getByLabel('User', { exact: true }).first().fill('ann');
  await dashboard.createSession('RxJS revision');
  await dashboard.startRun('Quiz me on switchMap and takeUntil');
  await dashboard.event('step', 'start_generate_exam').waitFor({ timeout: 15_000 });
  // Show one folded tool result opened, as a reader would.
  await dashboard.event('tool.completed').filter({ hasText: 'planner' }).locator('summary').first().click();
  await save(page, SESSION_PNG);

  // The operations view while the second run is still going.
  await page.goto(`${platform.url}/#/ops`);
  if (await shows(page.locator('[data-testid="ops"]'), 'the operations view')) {
    await page
      .locator('[data-testid="ops-chart"]')
      .first()
      .waitFor({ timeout: VIEW_WAIT_MS })
      .catch(() => {});
    await save(page, OPS_PNG);
  }

  // The waterfall of the finished run, in that run's own view when runs have one.
  await page.goto(`${platform.url}/#/sessions/${finished}`);
  await dashboard.event('run.completed').waitFor({ timeout: 15_000 });
  const runItem = page.locator('[data-testid="run-item"]');
  if ((await runItem.count()) > 0) await runItem.first().click();
  const waterfall = page.locator('[data-testid="waterfall"]');
  if (await shows(waterfall, 'the waterfall')) await save(page, WATERFALL_PNG, waterfall.first());
} finally {
  await browser.close();
  await platform.close();
}
