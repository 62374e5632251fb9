/**
 * What the test of a plugin scaffolded outside this repo imports, in one module resolved from the repo.
 * Out there `vitest` and `nock` cannot be found by name (no node_modules), and a second copy of vitest
 * would not see the suites the conformance module declares: everything comes from the repo's copies.
 *
 * @example
 * ```ts
 * import { describe, describeToolConformance, expect, it, nock } from '/srv/tributary/scaffold/test-kit.ts';
 * ```
 */
export { default as nock } from 'nock';
export { afterEach, beforeEach, describe, expect, it } from 'vitest';
export { describeToolConformance } from '../tests/conformance/tool-conformance.ts';
export type { ToolFixture } from '../tests/conformance/tool-conformance.ts';
export { toolHarness } from '../tests/conformance/tool-harness.ts';
