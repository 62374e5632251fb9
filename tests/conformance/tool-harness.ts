import type { Observable } from 'rxjs';
import { lastValueFrom } from 'rxjs';
import { ApprovalBook } from '../../core/runs/approvals.ts';
import { TributaryError } from '../../core/errors.ts';
import type { LlmSettings } from '../../core/llm/language-model.ts';
import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import { PluginRegistry } from '../../core/plugins/plugin-registry.ts';
import { callTool } from '../../core/plugins/tool-call.ts';
import type { ToolCallDeps } from '../../core/plugins/tool-call.ts';
import { testScope } from '../unit/registry/scope.ts';
import type { TestScope } from '../unit/registry/scope.ts';
import { recordingFetch } from './recording-fetch.ts';
import type { RecordingFetch } from './recording-fetch.ts';

/** How a call ended: its one value, or the catalog error it failed with. */
export interface CallOutcome<O = unknown> {
  value?: O;
  error?: TributaryError;
}

/** One tool, registered for real, called through the core's `callTool` in a recording run scope. */
export interface ToolHarness {
  readonly registry: PluginRegistry;
  readonly deps: ToolCallDeps;
  /** Run `s1`/`r1`: its events, spans (each injects a `traceparent`) and cancel controller. */
  readonly run: TestScope;
  /** What the tool sent over HTTP. */
  readonly http: RecordingFetch;
  /** The cold call, as a flow would make it. */
  call<O = unknown>(input: unknown): Observable<O>;
  /** Subscribes and waits for the call to end. */
  outcome<O = unknown>(input: unknown): Promise<CallOutcome<O>>;
}

/**
 * Registers `tool` (and the tools it depends on) in a fresh registry and calls it the way a flow would:
 * validation, retries, timeouts, events and cancel are the core's real ones.
 *
 * @example
 * ```ts
 * const h = toolHarness(ragSearch({ baseUrl: 'http://rag.test' }));
 * const { value, error } = await h.outcome({ query: 'rxjs' });
 * expect(h.run.types()).toEqual(['tool.started', 'tool.progress', 'tool.progress', 'tool.completed']);
 * ```
 */
export function toolHarness(
  tool: ToolDefinition<never, unknown>,
  companions: ReadonlyArray<ToolDefinition<never, unknown>> = [],
  llm?: LlmSettings,
): ToolHarness {
  const registry = new PluginRegistry().register(tool, [...companions]).validate();
  const http = recordingFetch();
  const deps: ToolCallDeps = { registry, approvals: new ApprovalBook(), fetch: http.fetch, llm };
  const run = testScope();
  const call = <O>(input: unknown): Observable<O> => callTool<O>(deps, run.scope, tool.name, input);
  return {
    registry,
    deps,
    run,
    http,
    call,
    async outcome<O>(input: unknown): Promise<CallOutcome<O>> {
      try {
        return { value: await lastValueFrom(call<O>(input)) };
      } catch (error) {
        if (!(error instanceof TributaryError)) throw error;
        return { error };
      }
    },
  };
}
