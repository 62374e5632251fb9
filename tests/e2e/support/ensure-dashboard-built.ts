import { buildDashboard, dashboardIsStale } from '../../../clients/dashboard/build-dashboard.ts';

/**
 * Builds the dashboard when `dist/` is missing or older than its sources, so the browser tests
 * always drive the code under test (a fresh clone has it from `npm ci`; an edit since needs a rebuild).
 */
export async function ensureDashboardBuilt(): Promise<void> {
  if (await dashboardIsStale()) await buildDashboard();
}
