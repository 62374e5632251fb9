import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { LEVELS } from '../../core/events/event.ts';
import type { LlmSettings } from '../../core/llm/language-model.ts';
import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import { PluginRegistry } from '../../core/plugins/plugin-registry.ts';
import { useNock } from '../fixtures/nock-lifecycle.ts';
import { toolHarness } from './tool-harness.ts';
import type { ToolHarness } from './tool-harness.ts';

/** Says whether a hang that is not an HTTP request (a queue, a subprocess, …) started and was aborted. */
export interface HangProbe {
  started(): boolean;
  aborted(): boolean;
}

/** What the suite needs to know about one tool in one setup. */
export interface ToolFixture {
  /** Names the suite when one tool is checked in several setups, e.g. `planner (LLM)`. */
  label?: string;
  /** Input a successful call is made with. */
  validInput: unknown;
  /** Input the tool's schema must refuse. */
  invalidInput: unknown;
  /** Tools this one lists in `dependencies`. */
  companions?: Array<ToolDefinition<never, unknown>>;
  /**
   * Arranges the outside I/O of one successful call (nock scopes); the function it may return runs after the
   * call, e.g. `() => scope.done()`. Leave it out for a tool that does no I/O: the suite then checks that none happens.
   */
  arrange?(): (() => void) | void;
  /**
   * Arranges a call that hangs until it is aborted, e.g. a nock interceptor with `.delay(10_000)`. When the hang
   * is not an HTTP request sent with `ctx.fetch`, return a probe that sees it. Leave it out for a tool that
   * never waits on anything: the in-flight cancel tests are then left out.
   */
  arrangeHang?(): HangProbe | void;
  /** Set to false for a tool that reports no `tool.progress` on success; built-in tools all do. */
  reportsProgress?: boolean;
  /** The language model the tool gets as `ctx.llm` (its endpoint answered by `arrange`); none when left out. */
  llm?: LlmSettings;
}

/** What a successful call may emit between `tool.started` and `tool.completed`: progress and a streamed answer. */
const DURING_A_CALL: ReadonlySet<string> = new Set(['tool.progress', 'message.delta', 'message']);

/** A tool's name, version and description, as every catalogue and span shows them. */
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
/** Lets a cancelled tool misbehave for a while before the suite checks it stayed quiet. */
const SETTLE_MS = 50;
/** Polls end as soon as the probe says yes; the long limit only keeps a loaded machine from failing them. */
const POLL = { timeout: 10_000 };

/**
 * The one test suite every tool passes, built-in or written by a plugin author (after hono's shared router
 * cases): it registers, refuses bad input before any I/O, succeeds with `tool.started` then `tool.completed`
 * and an output its schema accepts, reports progress in the event envelope, and stops its in-flight work when
 * the call is unsubscribed or the run is cancelled. Calls go through the core's real `callTool`.
 * Outside HTTP is nock's: unmatched hosts are refused (127.0.0.1 stays open for in-process servers).
 *
 * @example
 * ```ts
 * describeToolConformance(ragSearch({ baseUrl: 'http://rag.test' }), {
 *   validInput: { query: 'rxjs' },
 *   invalidInput: { query: 42 },
 *   arrange: () => { const scope = nock('http://rag.test').post('/search').reply(200, { chunks: [] }); return () => scope.done(); },
 *   arrangeHang: () => void nock('http://rag.test').post('/search').delay(10_000).reply(200, { chunks: [] }),
 * });
 * ```
 */
export function describeToolConformance(tool: ToolDefinition<never, unknown>, fixture: ToolFixture): void {
  const companions = fixture.companions ?? [];
  const harness = () => toolHarness(tool, companions, fixture.llm);

  describe(`tool conformance: ${fixture.label ?? tool.name}`, () => {
    useNock();

    it('is well-formed and registers: its schemas compile', () => {
      expect(tool.kind).toBe('tool');
      expect(tool.version).toMatch(SEMVER);
      expect(tool.description.trim().length).toBeGreaterThan(10);
      const registry = new PluginRegistry().register(tool, companions).validate();
      expect(registry.tools().map((entry) => entry.name)).toContain(tool.name);
      expect(registry.tool(tool.name).validateInput(fixture.validInput)).toBe(true);
    });

    it('refuses bad input with TOOL_INPUT_INVALID before any I/O', async () => {
      fixture.arrange?.();
      const pending = nock.pendingMocks();
      const h = harness();
      const { error } = await h.outcome(fixture.invalidInput);
      expect(error).toMatchObject({ code: 'TOOL_INPUT_INVALID' });
      expect(h.http.requests).toEqual([]);
      expect(nock.pendingMocks()).toEqual(pending);
      expect(h.run.types()).toEqual(['tool.failed']);
    });

    it.runIf(isPlainObject(fixture.validInput))(
      'refuses input properties its schema does not name',
      async () => {
        const h = harness();
        const { error } = await h.outcome({ ...(fixture.validInput as object), not_in_the_schema: true });
        expect(error).toMatchObject({ code: 'TOOL_INPUT_INVALID', field: 'input.not_in_the_schema' });
        expect(h.http.requests).toEqual([]);
      },
    );

    it('succeeds: tool.started, then tool.completed, with an output its schema accepts', async () => {
      const check = fixture.arrange?.();
      const h = harness();
      const { value, error } = await h.outcome(fixture.validInput);
      expect(error).toBeUndefined();
      expect(h.registry.tool(tool.name).validateOutput(value)).toBe(true);
      const lifecycle = h.run.types().filter((type) => !DURING_A_CALL.has(type));
      expect(lifecycle).toEqual(['tool.started', 'tool.completed']);
      expect(h.run.types().at(0)).toBe('tool.started');
      expect(h.run.types().at(-1)).toBe('tool.completed');
      expect(h.run.ofType('tool.completed')[0]?.meta).toMatchObject({ attempt: 1, output: value });
      if (fixture.arrange === undefined) expect(h.http.requests).toEqual([]);
      if (typeof check === 'function') check();
    });

    it('reports progress as tool.progress events of this tool and run', async () => {
      fixture.arrange?.();
      const h = harness();
      await h.outcome(fixture.validInput);
      const progress = h.run.ofType('tool.progress');
      if (fixture.reportsProgress !== false) expect(progress.length).toBeGreaterThan(0);
      for (const event of progress) {
        expect(event).toMatchObject({ type: 'tool.progress', tool: tool.name, run_id: h.run.scope.run_id });
        expect(LEVELS).toContain(event.level);
        expect(event.message).toEqual(expect.stringMatching(/\S/));
        // Events are stored and sent as JSON: meta must survive the trip.
        expect(JSON.parse(JSON.stringify(event.meta))).toEqual(event.meta);
      }
    });

    it('unsubscribed before it answers, reports neither tool.completed nor tool.failed', async () => {
      fixture.arrange?.();
      const h = harness();
      h.call(fixture.validInput)
        .subscribe({ error: () => {} })
        .unsubscribe();
      await sleep(SETTLE_MS);
      expect(h.run.types()).not.toContain('tool.completed');
      expect(h.run.types()).not.toContain('tool.failed');
    });

    // A tool that never waits on anything has nothing in flight to abort.
    const { arrangeHang } = fixture;
    if (arrangeHang === undefined) return;
    /** Arranges the hang; an HTTP hang is watched through the requests the tool sent. */
    const hang = (h: ToolHarness): HangProbe =>
      arrangeHang() ?? { started: () => h.http.requests.length > 0, aborted: () => h.http.allAborted() };

    describe('cancel in flight', () => {
      it('unsubscribing aborts the in-flight work, and no event follows', async () => {
        const h = harness();
        const probe = hang(h);
        const subscription = h.call(fixture.validInput).subscribe({ error: () => {} });
        await expect.poll(() => probe.started(), POLL).toBe(true);
        const seen = h.run.types();
        subscription.unsubscribe();
        await expect.poll(() => probe.aborted(), POLL).toBe(true);
        await sleep(SETTLE_MS);
        expect(h.run.types()).toEqual(seen);
        expect(seen).not.toContain('tool.completed');
        expect(seen).not.toContain('tool.failed');
      });

      it('cancelling the run aborts the in-flight work and ends the call with RUN_CANCELLED', async () => {
        const h = harness();
        const probe = hang(h);
        const ended = h.outcome(fixture.validInput);
        await expect.poll(() => probe.started(), POLL).toBe(true);
        h.run.controller.abort();
        expect((await ended).error).toMatchObject({ code: 'RUN_CANCELLED' });
        await expect.poll(() => probe.aborted(), POLL).toBe(true);
        await sleep(SETTLE_MS);
        expect(h.run.types()).not.toContain('tool.completed');
        expect(h.run.types()).not.toContain('tool.failed');
      });
    });
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
