import type { Observable } from 'rxjs';
import { interval, lastValueFrom, map, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../../core/errors.ts';
import type { ToolContext } from '../../../core/plugins/plugin.ts';
import { callTool } from '../../../core/plugins/tool-call.ts';
import { flaky, shoutTool, testScope, toolDeps } from './scope.ts';

/** Subscribes and waits for the call to end; returns its one value or its error. */
async function outcome(call$: Observable<unknown>): Promise<{ value?: unknown; error?: TributaryError }> {
  try {
    return { value: await lastValueFrom(call$) };
  } catch (error) {
    if (!(error instanceof TributaryError)) throw error;
    return { error };
  }
}

/** A promise that settles when the tool's signal aborts, like a well-behaved HTTP call would. */
function untilAborted(ctx: ToolContext): Promise<never> {
  return new Promise((_resolve, reject) => {
    ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A gate for a test to await until the tool runs: `started(work)` in `execute` passes the tool's promise. */
function toolStarted() {
  let hand!: (box: { work: Promise<unknown> }) => void;
  // Boxed: awaiting the gate must not wait for the tool's own promise too.
  const running = new Promise<{ work: Promise<unknown> }>((resolve) => (hand = resolve));
  return {
    running,
    started: <T>(work: Promise<T>): Promise<T> => {
      hand({ work });
      return work;
    },
  };
}

describe('callTool: success', () => {
  it('is cold, then emits the output once between tool.started and tool.completed', async () => {
    let runs = 0;
    const deps = toolDeps(
      shoutTool({
        execute: async ({ text }) => {
          runs += 1;
          return { upper: text.toUpperCase() };
        },
      }),
    );
    const t = testScope();
    const call$ = callTool<{ upper: string }>(deps, t.scope, 'shout', { text: 'hi', api_key: 'k-123' });
    // Nothing runs, nothing is written, until someone subscribes.
    expect(runs).toBe(0);
    expect(t.events).toEqual([]);

    expect(await outcome(call$)).toEqual({ value: { upper: 'HI' } });
    expect(runs).toBe(1);
    expect(t.events).toEqual([
      {
        type: 'tool.started',
        run_id: 'r1',
        tool: 'shout',
        level: 'info',
        message: 'calling shout',
        meta: { attempt: 1, input: { text: 'hi', api_key: '[redacted]' } },
      },
      {
        type: 'tool.completed',
        run_id: 'r1',
        tool: 'shout',
        level: 'info',
        message: 'shout done',
        meta: { attempt: 1, duration_ms: expect.any(Number), output: { upper: 'HI' } },
      },
    ]);
  });

  it('runs inside a tool span that ends once, ok', async () => {
    const t = testScope();
    await outcome(callTool(toolDeps(shoutTool()), t.scope, 'shout', { text: 'a' }));
    expect(t.spans).toEqual([
      {
        kind: 'tool',
        name: 'shout',
        attributes: { 'tool.name': 'shout', 'tool.attempt': 1, 'session.id': 's1', 'run.id': 'r1' },
        traceparent: expect.any(String),
        ends: [{ status: 'ok' }],
      },
    ]);
  });

  it.each([
    [
      'an Observable (last value wins)',
      () =>
        interval(1).pipe(
          take(3),
          map((n) => ({ upper: `N${n}` })),
        ),
    ],
    ['a Promise', () => Promise.resolve({ upper: 'N2' })],
    [
      'an AsyncIterable (last value wins)',
      () =>
        (async function* () {
          yield { upper: 'N1' };
          await sleep(1);
          yield { upper: 'N2' };
        })(),
    ],
  ])('takes a tool returning %s', async (_kind, execute) => {
    const result = await outcome(
      callTool(toolDeps(shoutTool({ execute })), testScope().scope, 'shout', { text: 'x' }),
    );
    expect(result).toEqual({ value: { upper: 'N2' } });
  });

  it('gives the tool its context and turns progress into tool.progress events of that tool', async () => {
    let seen: Partial<ToolContext> = {};
    const deps = toolDeps(
      shoutTool({
        execute: async ({ text }, ctx) => {
          seen = ctx;
          ctx.progress('halfway', { step: 1, token: 'secret' });
          ctx.logger.info('not shown: the test logger is silent');
          return { upper: text };
        },
      }),
    );
    const t = testScope();
    await outcome(callTool(deps, t.scope, 'shout', { text: 'x' }));
    expect(seen).toMatchObject({ session_id: 's1', run_id: 'r1', attempt: 1 });
    expect(seen.signal?.aborted).toBe(false);
    expect(t.types()).toEqual(['tool.started', 'tool.progress', 'tool.completed']);
    expect(t.ofType('tool.progress')).toEqual([
      {
        type: 'tool.progress',
        run_id: 'r1',
        tool: 'shout',
        level: 'info',
        message: 'halfway',
        meta: { step: 1, token: '[redacted]' },
      },
    ]);
  });

  it('drops progress a tool reports after its attempt is over', async () => {
    let late: (() => void) | undefined;
    const deps = toolDeps(
      shoutTool({
        execute: async ({ text }, ctx) => {
          late = () => ctx.progress('too late');
          return { upper: text };
        },
      }),
    );
    const t = testScope();
    await outcome(callTool(deps, t.scope, 'shout', { text: 'x' }));
    late?.();
    expect(t.types()).toEqual(['tool.started', 'tool.completed']);
  });
});

describe('callTool: validation', () => {
  it('fails an unknown tool with TOOL_NOT_FOUND and a tool.failed event', async () => {
    const t = testScope();
    const { error } = await outcome(callTool(toolDeps(shoutTool()), t.scope, 'nope', {}));
    expect(error).toMatchObject({ code: 'TOOL_NOT_FOUND', field: 'tool' });
    expect(t.events).toEqual([
      {
        type: 'tool.failed',
        run_id: 'r1',
        tool: 'nope',
        level: 'error',
        message: 'tool "nope" is not registered',
        meta: { code: 'TOOL_NOT_FOUND', attempt: 0, duration_ms: expect.any(Number) },
      },
    ]);
  });

  it('checks the input before any I/O and names the field', async () => {
    let runs = 0;
    const deps = toolDeps(
      shoutTool({
        execute: async () => {
          runs += 1;
          return { upper: '' };
        },
      }),
    );
    const t = testScope();
    const { error } = await outcome(callTool(deps, t.scope, 'shout', { text: 42 }));
    expect(runs).toBe(0);
    expect(error).toMatchObject({
      code: 'TOOL_INPUT_INVALID',
      field: 'input.text',
      message: 'invalid input for shout: input.text must be string',
    });
    expect(t.types()).toEqual(['tool.failed']);
    expect(t.ofType('tool.failed')[0]).toMatchObject({
      level: 'error',
      meta: { code: 'TOOL_INPUT_INVALID' },
    });
    expect(t.spans).toEqual([]);
  });

  it('checks the output and does not retry a tool that answers wrongly', async () => {
    let runs = 0;
    const deps = toolDeps(
      shoutTool({
        retries: 3,
        retryDelayMs: 1,
        execute: async () => {
          runs += 1;
          return { upper: 5 };
        },
      }),
    );
    const t = testScope();
    const { error } = await outcome(callTool(deps, t.scope, 'shout', { text: 'x' }));
    expect(error).toMatchObject({
      code: 'TOOL_OUTPUT_INVALID',
      field: 'output.upper',
      retryable: false,
      message: 'shout returned invalid output: output.upper must be string',
    });
    expect(runs).toBe(1);
    expect(t.types()).toEqual(['tool.started', 'tool.failed']);
    expect(t.spans[0]?.ends).toEqual([{ status: 'error', message: error?.message, error }]);
  });

  it('treats a tool that emits nothing as an invalid (undefined) output', async () => {
    const deps = toolDeps(shoutTool({ execute: () => [] }));
    const { error } = await outcome(callTool(deps, testScope().scope, 'shout', { text: 'x' }));
    expect(error).toMatchObject({ code: 'TOOL_OUTPUT_INVALID', field: 'output' });
  });
});

describe('callTool: failures, timeouts and retries', () => {
  it('wraps a thrown error in TOOL_FAILED, including a synchronous throw', async () => {
    const deps = toolDeps(
      shoutTool({
        execute: () => {
          throw new Error('boom');
        },
      }),
    );
    const t = testScope();
    const { error } = await outcome(callTool(deps, t.scope, 'shout', { text: 'x' }));
    expect(error).toMatchObject({ code: 'TOOL_FAILED', message: 'shout failed: boom', retryable: false });
    expect(error?.cause).toEqual(new Error('boom'));
    expect(t.types()).toEqual(['tool.started', 'tool.failed']);
    expect(t.ofType('tool.failed')[0]).toMatchObject({
      level: 'error',
      message: 'shout failed: boom',
      meta: { code: 'TOOL_FAILED', attempt: 1, duration_ms: expect.any(Number) },
    });
  });

  it('keeps a catalog error a tool throws as it is', async () => {
    const own = new TributaryError('INVALID_ARGUMENT', 'no such course', { field: 'input.course' });
    const deps = toolDeps(shoutTool({ execute: () => Promise.reject(own) }));
    expect(await outcome(callTool(deps, testScope().scope, 'shout', { text: 'x' }))).toEqual({ error: own });
  });

  it('times an attempt out, aborting the signal the tool waits on', async () => {
    let abortedSeen = false;
    let reason: unknown;
    const deps = toolDeps(
      shoutTool({
        timeoutMs: 20,
        execute: (_input, ctx) => {
          ctx.signal.addEventListener('abort', () => {
            abortedSeen = ctx.signal.aborted;
            reason = ctx.signal.reason;
          });
          return untilAborted(ctx);
        },
      }),
    );
    const t = testScope();
    const { error } = await outcome(callTool(deps, t.scope, 'shout', { text: 'x' }));
    expect(error).toMatchObject({
      code: 'TOOL_TIMEOUT',
      retryable: true,
      message: 'timeout after 20 ms calling shout',
    });
    expect(abortedSeen).toBe(true);
    expect(reason).toBe(error);
    expect(t.types()).toEqual(['tool.started', 'tool.failed']);
    expect(t.spans[0]?.ends).toMatchObject([{ status: 'error', error }]);
  });

  it('retries a retryable failure with backoff and succeeds', async () => {
    let runs = 0;
    const attempts: number[] = [];
    const deps = toolDeps(
      shoutTool({
        retries: 3,
        retryDelayMs: 5,
        execute: async ({ text }, ctx) => {
          runs += 1;
          attempts.push(ctx.attempt);
          if (runs < 3) throw flaky(`503 on try ${runs}`);
          return { upper: text };
        },
      }),
    );
    const t = testScope();
    expect(await outcome(callTool(deps, t.scope, 'shout', { text: 'x' }))).toEqual({ value: { upper: 'x' } });
    expect(runs).toBe(3);
    expect(attempts).toEqual([1, 2, 3]);
    expect(t.types()).toEqual([
      'tool.started',
      'tool.progress',
      'tool.started',
      'tool.progress',
      'tool.started',
      'tool.completed',
    ]);
    expect(t.ofType('tool.progress').map((e) => [e.level, e.message, e.meta])).toEqual([
      [
        'warn',
        'attempt 1 of shout failed: 503 on try 1; retrying in 5 ms',
        { attempt: 1, code: 'TOOL_FAILED', retry_in_ms: 5 },
      ],
      [
        'warn',
        'attempt 2 of shout failed: 503 on try 2; retrying in 10 ms',
        { attempt: 2, code: 'TOOL_FAILED', retry_in_ms: 10 },
      ],
    ]);
    expect(t.ofType('tool.completed')[0]?.meta).toMatchObject({ attempt: 3 });
    expect(t.spans.map((s) => [s.attributes['tool.attempt'], s.ends.map((e) => e.status)])).toEqual([
      [1, ['error']],
      [2, ['error']],
      [3, ['ok']],
    ]);
  });

  it('gives up after `retries` extra attempts with one tool.failed', async () => {
    let runs = 0;
    const deps = toolDeps(
      shoutTool({
        retries: 2,
        retryDelayMs: 1,
        execute: () => {
          runs += 1;
          return Promise.reject(flaky());
        },
      }),
    );
    const t = testScope();
    const { error } = await outcome(callTool(deps, t.scope, 'shout', { text: 'x' }));
    expect(error).toMatchObject({ code: 'TOOL_FAILED', retryable: true });
    expect(runs).toBe(3);
    expect(t.ofType('tool.failed')).toHaveLength(1);
    expect(t.ofType('tool.failed')[0]?.meta).toMatchObject({ attempt: 3, code: 'TOOL_FAILED' });
  });

  it('retries timeouts, which are retryable', async () => {
    let runs = 0;
    const deps = toolDeps(
      shoutTool({
        timeoutMs: 10,
        retries: 1,
        retryDelayMs: 1,
        execute: (_input, ctx) => {
          runs += 1;
          return untilAborted(ctx);
        },
      }),
    );
    const { error } = await outcome(callTool(deps, testScope().scope, 'shout', { text: 'x' }));
    expect(error?.code).toBe('TOOL_TIMEOUT');
    expect(runs).toBe(2);
  });

  it('does not retry a failure that is not retryable', async () => {
    let runs = 0;
    const deps = toolDeps(
      shoutTool({
        retries: 5,
        retryDelayMs: 1,
        execute: () => {
          runs += 1;
          throw new Error('400 bad request');
        },
      }),
    );
    const t = testScope();
    const { error } = await outcome(callTool(deps, t.scope, 'shout', { text: 'x' }));
    expect(error?.code).toBe('TOOL_FAILED');
    expect(runs).toBe(1);
    expect(t.ofType('tool.progress')).toEqual([]);
  });
});

describe('callTool: cancel', () => {
  it('aborts the tool when unsubscribed and reports no failure', async () => {
    let signal: AbortSignal | undefined;
    const tool = toolStarted();
    const deps = toolDeps(
      shoutTool({
        execute: (_input, ctx) => {
          signal = ctx.signal;
          return tool.started(untilAborted(ctx));
        },
      }),
    );
    const t = testScope();
    const subscription = callTool(deps, t.scope, 'shout', { text: 'x' }).subscribe({
      error: () => expect.fail('unsubscribing is not an error'),
    });
    const { work } = await tool.running;
    expect(signal?.aborted).toBe(false);
    subscription.unsubscribe();
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toMatchObject({ code: 'RUN_CANCELLED' });
    // Once the tool's own promise has settled, anything it could still cause has been written.
    await work.catch(() => undefined);
    expect(t.types()).toEqual(['tool.started']);
    expect(t.spans[0]?.ends).toMatchObject([{ status: 'cancelled', error: { code: 'RUN_CANCELLED' } }]);
  });

  it('stops with RUN_CANCELLED when the run is cancelled, even if the tool ignores its signal', async () => {
    let signal: AbortSignal | undefined;
    const tool = toolStarted();
    const deps = toolDeps(
      shoutTool({
        execute: (_input, ctx) => {
          signal = ctx.signal;
          return tool.started(new Promise(() => {}));
        },
      }),
    );
    const t = testScope();
    const result = outcome(callTool(deps, t.scope, 'shout', { text: 'x' }));
    await tool.running;
    t.controller.abort(new TributaryError('RUN_CANCELLED', 'cancelled by user'));
    expect(await result).toEqual({ error: t.controller.signal.reason });
    expect(signal?.aborted).toBe(true);
    expect(t.types()).toEqual(['tool.started']);
    expect(t.spans[0]?.ends).toMatchObject([{ status: 'cancelled', error: { code: 'RUN_CANCELLED' } }]);
  });

  it('does not retry or report a failure the cancel itself caused', async () => {
    let runs = 0;
    const tool = toolStarted();
    const deps = toolDeps(
      shoutTool({
        retries: 3,
        retryDelayMs: 1,
        execute: (_input, ctx) => {
          runs += 1;
          return tool.started(untilAborted(ctx));
        },
      }),
    );
    const t = testScope();
    const result = outcome(callTool(deps, t.scope, 'shout', { text: 'x' }));
    await tool.running;
    t.controller.abort('user pressed stop');
    const { error } = await result;
    expect(error).toMatchObject({
      code: 'RUN_CANCELLED',
      message: 'run r1 was cancelled',
      cause: 'user pressed stop',
    });
    expect(runs).toBe(1);
    expect(t.types()).toEqual(['tool.started']);
  });

  it("hands the run's cancel reason to the tool as its signal's reason", async () => {
    let seen: unknown;
    const tool = toolStarted();
    const deps = toolDeps(
      shoutTool({
        execute: (_input, ctx) => {
          ctx.signal.addEventListener('abort', () => (seen = ctx.signal.reason), { once: true });
          return tool.started(untilAborted(ctx));
        },
      }),
    );
    const t = testScope();
    const result = outcome(callTool(deps, t.scope, 'shout', { text: 'x' }));
    await tool.running;
    const reason = new TributaryError('RUN_CANCELLED', 'user pressed stop', {
      details: { reason: 'user pressed stop' },
    });
    t.controller.abort(reason);
    expect(seen).toBe(reason);
    expect(await result).toEqual({ error: reason });
  });

  it('tells the run scope an attempt is in flight from its start until it is over, however it ends', async () => {
    const inFlightDuring: unknown[] = [];
    let secondStarted!: () => void;
    const second = new Promise<void>((resolve) => (secondStarted = resolve));
    const deps = toolDeps(
      shoutTool({
        retries: 1,
        retryDelayMs: 1,
        execute: (_input, ctx) => {
          inFlightDuring.push(t.inFlight.map((call) => ({ ...call })));
          if (ctx.attempt === 1) throw flaky();
          secondStarted();
          return untilAborted(ctx);
        },
      }),
    );
    const t = testScope();
    const result = outcome(callTool(deps, t.scope, 'shout', { text: 'x' }));
    await second;
    // The failed first attempt left; only the running second one is in flight.
    expect(inFlightDuring).toEqual([[{ tool: 'shout', attempt: 1 }], [{ tool: 'shout', attempt: 2 }]]);
    t.controller.abort('user pressed stop');
    await result;
    expect(t.inFlight).toEqual([]);
  });

  it('does not start a tool in a run that is already cancelled', async () => {
    let runs = 0;
    const deps = toolDeps(
      shoutTool({
        execute: async () => {
          runs += 1;
          return { upper: '' };
        },
      }),
    );
    const t = testScope();
    t.controller.abort();
    const { error } = await outcome(callTool(deps, t.scope, 'shout', { text: 'x' }));
    expect(error?.code).toBe('RUN_CANCELLED');
    expect(runs).toBe(0);
    expect(t.events).toEqual([]);
  });
});
