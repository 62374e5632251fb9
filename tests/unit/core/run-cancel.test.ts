import { afterEach, describe, expect, it } from 'vitest';
import { catchError, lastValueFrom, map, of, finalize, type Observable } from 'rxjs';
import {
  defineFlow,
  defineTool,
  isTributaryError,
  type FlowEmission,
  type Runtime,
  type SessionEvent,
} from '../../../core/index.ts';
import { RUN_ENDED } from '../../../core/operators/until-cancelled.ts';
import { eventWhere, startRuntime, terminalOf } from '../../fixtures/runtime.ts';

/** Every signal the `hang` tool got, and every signal a fetch of it got, in order. */
const toolSignals: AbortSignal[] = [];
const fetchSignals: AbortSignal[] = [];
/** What the flows saw of their own stop. */
const stops: string[] = [];

/** Never answers: rejects with the abort's reason once its signal aborts (like a well-behaved HTTP call). */
const hangingFetch: typeof fetch = (_url, init) =>
  new Promise((_resolve, reject) => {
    const signal = init?.signal;
    if (!signal) return;
    fetchSignals.push(signal);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

/** Fails its first attempt as retryable when asked, then waits on a fetch that never answers. */
const hang = defineTool<{ failFirst?: boolean }, { done: boolean }>({
  name: 'hang',
  version: '1.0.0',
  description: 'Waits until cancelled',
  input: { type: 'object', properties: { failFirst: { type: 'boolean' } } },
  output: { type: 'object', properties: { done: { type: 'boolean' } }, required: ['done'] },
  retries: 1,
  retryDelayMs: 1,
  async execute({ failFirst }, ctx) {
    if (failFirst && ctx.attempt === 1) throw Object.assign(new Error('upstream 503'), { retryable: true });
    toolSignals.push(ctx.signal);
    ctx.progress('waiting');
    await ctx.fetch('http://backend.invalid/slow');
    return { done: true };
  },
});

/** An Observable flow: stops when unsubscribed; reacts to a tool failure the way built-in flows do. */
const observableFlow = defineFlow<{ question: string; failFirst?: boolean }>({
  name: 'observable',
  version: '1.0.0',
  description: 'Calls hang, as an Observable',
  tools: ['hang'],
  input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  execute: (input, ctx): Observable<FlowEmission> =>
    ctx.callTool('hang', { failFirst: input.failFirst ?? false }).pipe(
      map((): FlowEmission => ({ type: 'result', result: 'done' })),
      // What a flow does on a tool failure: say so. Seen during a cancel, it must not reach the stream.
      catchError(() => of<FlowEmission>({ type: 'step', step: 'tool_error', level: 'error' })),
      finalize(() => stops.push('observable unsubscribed')),
    ),
});

/** An async-generator flow: stops when its signal aborts (the awaited tool call fails). */
const generatorFlow = defineFlow<{ question: string }>({
  name: 'generator',
  version: '1.0.0',
  description: 'Calls hang, as an async generator',
  tools: ['hang'],
  input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  async *execute(_input, ctx): AsyncGenerator<FlowEmission> {
    try {
      yield { type: 'step', step: 'calling' };
      await lastValueFrom(ctx.callTool('hang', {}));
      yield { type: 'result', result: 'done' };
    } catch (error) {
      stops.push(
        `generator stopped: ${isTributaryError(error) ? `${error.code} ${error.message}` : 'other'}`,
      );
      throw error;
    }
  },
});

/** Answers at once. */
const quick = defineFlow<{ question: string }>({
  name: 'quick',
  version: '1.0.0',
  description: 'Answers at once',
  input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  execute: (_input, ctx) => {
    flowSignals.push(ctx.signal);
    return of<FlowEmission>({ type: 'result', result: 'ok' });
  },
});
const flowSignals: AbortSignal[] = [];

let runtime: Runtime;
afterEach(async () => {
  await runtime?.shutdown();
  toolSignals.length = 0;
  fetchSignals.length = 0;
  stops.length = 0;
});

const start = (env: Record<string, string> = {}) =>
  startRuntime(
    { DEFAULT_FLOW: 'generator', ...env },
    { plugins: [hang, observableFlow, generatorFlow, quick], fetch: hangingFetch },
  );

async function eventsOf(sessionId: string, runId: string): Promise<SessionEvent[]> {
  const events = await runtime.store.listEvents(sessionId, { after: 0, limit: 1000 });
  return events.filter((event) => event.run_id === runId);
}

/**
 * Starts a run of `flow` and waits until its tool is in flight: its own `waiting` progress, not the
 * `tool.progress` (warn) that announces a retry, after which no attempt runs until the delay ends.
 */
async function runningTool(flow: string, input: Record<string, unknown> = {}) {
  const session = await runtime.sessions.create();
  const run = await runtime.runs.create(session.id, { flow, input: { question: 'q', ...input } });
  await eventWhere(
    runtime,
    session.id,
    (e) => e.run_id === run.id && e.type === 'tool.progress' && e.message === 'waiting',
  );
  return { session, run };
}

describe('one cancel path: the reason reaches every tool and fetch, and run.cancelled says what it stopped', () => {
  it.each(['observable', 'generator'])(
    'a %s flow stops through the signal aborted with the reason, then unsubscription',
    async (flow) => {
      runtime = await start();
      const { session, run } = await runningTool(flow);
      await runtime.runs.cancel(session.id, run.id, 'user pressed stop');

      // The tool and its fetch see why, not a bare AbortError.
      for (const signal of [toolSignals[0], fetchSignals[0]]) {
        expect(signal?.aborted).toBe(true);
        const reason: unknown = signal?.reason;
        expect(isTributaryError(reason, 'RUN_CANCELLED') && reason.message).toBe('user pressed stop');
        expect(isTributaryError(reason) && reason.details).toEqual({ reason: 'user pressed stop' });
      }
      // Each kind stopped its own way, both through the one path.
      expect(stops).toEqual(
        flow === 'observable'
          ? ['observable unsubscribed']
          : ['generator stopped: RUN_CANCELLED user pressed stop'],
      );
      const events = await eventsOf(session.id, run.id);
      const terminal = events.at(-1);
      expect(terminal).toMatchObject({
        type: 'run.cancelled',
        meta: { reason: 'user pressed stop', aborted_tool_calls: [{ tool: 'hang', attempt: 1 }] },
      });
      const [call] = terminal?.meta.aborted_tool_calls as Array<{ running_ms: number }>;
      expect(call?.running_ms).toBeGreaterThanOrEqual(0);
      // Neither the tool nor the flow reported the abort as a failure.
      expect(events.map((e) => e.type)).not.toContain('tool.failed');
      expect(events.some((e) => e.type === 'step' && e.step === 'tool_error')).toBe(false);
    },
  );

  it('names the attempt that was running when the cancel came', async () => {
    runtime = await start();
    const { session, run } = await runningTool('observable', { failFirst: true });
    const cancelled = await runtime.runs.cancel(session.id, run.id, 'enough');
    expect(cancelled.status).toBe('cancelled');
    expect((await eventsOf(session.id, run.id)).at(-1)?.meta).toMatchObject({
      reason: 'enough',
      aborted_tool_calls: [{ tool: 'hang', attempt: 2, running_ms: expect.any(Number) }],
    });
  });

  it('a queued run cancelled before it started aborted nothing: aborted_tool_calls is empty', async () => {
    runtime = await start({ CONCURRENCY_LIMIT: '1' });
    await runningTool('generator');
    const other = await runtime.sessions.create();
    const queued = await runtime.runs.create(other.id, { flow: 'quick', input: { question: 'q' } });
    expect(queued.status).toBe('queued');
    await runtime.runs.cancel(other.id, queued.id, 'changed my mind');
    expect((await eventsOf(other.id, queued.id)).at(-1)).toMatchObject({
      type: 'run.cancelled',
      meta: { reason: 'changed my mind', aborted_tool_calls: [] },
    });
  });

  it('a run that ends on its own aborts its signal after the end, saying so', async () => {
    runtime = await start();
    const session = await runtime.sessions.create();
    const run = await runtime.runs.create(session.id, { flow: 'quick', input: { question: 'q' } });
    expect((await terminalOf(runtime, session.id, run.id)).type).toBe('run.completed');
    const reason: unknown = flowSignals.at(-1)?.reason;
    expect(isTributaryError(reason, 'RUN_CANCELLED') && reason.message).toBe(RUN_ENDED);
  });
});

describe('Runs.cancelActive: the one rule for a cancel that names no run', () => {
  it('cancels the run holding the session, not the one queued behind it, with the reason given', async () => {
    runtime = await start();
    const { session, run } = await runningTool('generator');
    const behind = await runtime.runs.create(session.id, { flow: 'quick', input: { question: 'q' } });
    expect(behind.status).toBe('queued');
    const cancelled = await runtime.runs.cancelActive(session.id, 'cancelled over Socket.IO');
    expect(cancelled).toMatchObject({
      id: run.id,
      status: 'cancelled',
      error: { code: 'RUN_CANCELLED', reason: 'cancelled over Socket.IO' },
    });
    expect((await terminalOf(runtime, session.id, behind.id)).type).toBe('run.completed');
  });

  it('RUN_NOT_FOUND naming run_id when the session has no queued or running run; SESSION_NOT_FOUND for no session', async () => {
    runtime = await start();
    const session = await runtime.sessions.create();
    const error = await runtime.runs.cancelActive(session.id, 'x').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: `session ${session.id} has no queued or running run`,
      field: 'run_id',
    });
    await expect(runtime.runs.cancelActive('missing', 'x')).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
  });
});
