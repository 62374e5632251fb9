import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DASHBOARD_DIST, DASHBOARD_ROOT } from './paths.ts';

/** What the bundle is made from: a change to any of these makes `dist/` stale. */
const SOURCES = ['index.html', 'vite.config.ts', 'src'];

/**
 * Bundles the dashboard with Vite into `clients/dashboard/dist` (what `npm run build:dashboard`
 * and `npm install` run). Vite is imported lazily: the gateway itself never needs it.
 *
 * @example
 * ```ts
 * if (await dashboardIsStale()) await buildDashboard();
 * ```
 */
export async function buildDashboard(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(DASHBOARD_ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

/** True when `dist/index.html` is missing or older than any source file. */
export async function dashboardIsStale(): Promise<boolean> {
  const built = await stat(join(DASHBOARD_DIST, 'index.html')).catch(() => undefined);
  if (!built) return true;
  for (const source of SOURCES) {
    if ((await newestChange(join(DASHBOARD_ROOT, source))) > built.mtimeMs) return true;
  }
  return false;
}

async function newestChange(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  const times = await Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map(async (entry) => (await stat(join(entry.parentPath, entry.name))).mtimeMs),
  );
  return Math.max(info.mtimeMs, ...times);
}
