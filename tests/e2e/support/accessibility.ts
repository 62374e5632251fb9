import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AxeResults, ImpactValue, Result, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';

/** axe-core's browser build, injected as it is: plain JavaScript shipped in the npm package. */
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** The impacts that fail a check: what Lighthouse and WCAG audits treat as blocking. */
export const BLOCKING_IMPACTS: readonly ImpactValue[] = ['serious', 'critical'];

/**
 * axe's defaults plus WCAG 2.2's target size (2.5.8: a control at least 24 px, or that far from the
 * next), which axe leaves off by default and Lighthouse checks.
 *
 * @example
 * ```ts
 * await assertAccessible(page, 'the quiz form', WITH_TARGET_SIZE);
 * ```
 */
export const WITH_TARGET_SIZE: RunOptions = { rules: { 'target-size': { enabled: true } } };

/** One violated rule as a test reports it: which rule, how bad, and where. */
export interface AccessibilityViolation {
  id: string;
  impact: ImpactValue | null;
  help: string;
  /** One CSS selector path per offending element (axe's `target`, nested frames joined by ` >> `). */
  targets: string[];
}

/**
 * Runs axe-core on the page as it is now (injecting axe first if the page does not have it) and
 * returns every violation, whatever its impact.
 *
 * @example
 * ```ts
 * const violations = await runAxe(dashboard.page);
 * ```
 */
export async function runAxe(page: Page, options: RunOptions = {}): Promise<AccessibilityViolation[]> {
  const loaded = await page.evaluate(() => 'axe' in globalThis);
  // Evaluated rather than added as a <script>: the gateway's CSP (script-src 'self') rightly blocks
  // inline scripts, and the page must be checked under its real headers.
  if (!loaded) await page.evaluate(await readFile(AXE_SOURCE, 'utf8'));
  // The tests are compiled without the DOM types: axe is reached through globalThis.
  const results = await page.evaluate(
    (runOptions) =>
      (
        globalThis as unknown as { axe: { run(context: string, o: RunOptions): Promise<AxeResults> } }
      ).axe.run('html', runOptions),
    { resultTypes: ['violations'], ...options } satisfies RunOptions,
  );
  return results.violations.map(toViolation);
}

function toViolation(result: Result): AccessibilityViolation {
  return {
    id: result.id,
    impact: result.impact ?? null,
    help: result.help,
    targets: result.nodes.map((node) => node.target.map((part) => String(part)).join(' >> ')),
  };
}

/** The violations of `serious` or `critical` impact only. */
export function blocking(violations: readonly AccessibilityViolation[]): AccessibilityViolation[] {
  return violations.filter((violation) => violation.impact && BLOCKING_IMPACTS.includes(violation.impact));
}

/**
 * A readable list for a failed test: one line per rule (`id (impact): help`), then its elements.
 *
 * @example
 * ```ts
 * formatViolations([{ id: 'label', impact: 'critical', help: 'Form elements must have labels', targets: ['#q'] }]);
 * // 'label (critical): Form elements must have labels\n    #q'
 * ```
 */
export function formatViolations(violations: readonly AccessibilityViolation[]): string {
  return violations
    .map(
      (violation) =>
        `${violation.id} (${violation.impact ?? 'unknown'}): ${violation.help}\n${violation.targets
          .map((target) => `    ${target}`)
          .join('\n')}`,
    )
    .join('\n');
}

/**
 * Fails (throws) when axe finds a violation of serious or critical impact on the page, listing
 * each rule with its impact and the selectors of the elements that break it. `where` names the
 * page state in the message, e.g. `'a failed run'`.
 *
 * @example
 * ```ts
 * await dashboard.event('run.completed').waitFor();
 * await assertAccessible(dashboard.page, 'a finished quiz run');
 * ```
 */
export async function assertAccessible(page: Page, where: string, options: RunOptions = {}): Promise<void> {
  const found = blocking(await runAxe(page, options));
  if (found.length > 0)
    throw new Error(
      `${found.length} serious or critical accessibility violation(s) on ${where}:\n${formatViolations(found)}`,
    );
}
