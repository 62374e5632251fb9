import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import nock from 'nock';
import { pino } from 'pino';
import { lastValueFrom, map, timer } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  defineFlow,
  defineTool,
  TributaryError,
  type FlowEmission,
  type Runtime,
  type SessionEvent,
} from '../../../core/index.ts';
import { createOtelTelemetry } from '../../../otel/index.ts';
import { fakePlugins } from '../../fixtures/fake-plugins.ts';
import { eventWhere, startRuntime, terminalOf } from '../../fixtures/runtime.ts';
import { useNock } from '../../fixtures/nock-lifecycle.ts';
import { useInMemoryTracing } from './in-memory-tracing.ts';

const tracing = useInMemoryTracing();
useNock();

const BACKEND = 'http://backend.test';
const activeSpanId = (): string | null => trace.getActiveSpan()?.spanContext().spanId ?? null;

/** An HTTP tool: posts to the backend with `ctx.fetch` after an await, and reports the span active then. */
const backend = defineTool<{ q: string }, { status: number; active: string | null }>({
  name: 'backend',
  version: '1.0.0',
  description: 'Posts the query to the backend',
  input: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
  output: { type: 'object', required: ['status'] },
  async execute({ q }, ctx) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const response = await ctx.fetch(`${BACKEND}/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ q }),
    });
    ctx.logger.info('backend answered');
    return { status: response.status, active: activeSpanId() };
  },
});

/** A tool written as an Observable: its value is produced in a timer callback. */
const ticker = defineTool<{ q: string }, { active: string | null }>({
  name: 'ticker',
  version: '1.0.0',
  description: 'Answers after a tick',
  input: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
  output: { type: 'object' },
  execute: () => timer(1).pipe(map(() => ({ active: activeSpanId() }))),
});

/** Calls `backend` then `ticker`; reports the span active in the flow's own body after an await. */
const callFlow = defineFlow<{ question: string }>({
  name: 'call',
  version: '1.0.0',
  description: 'Calls the backend',
  tools: ['backend', 'ticker'],
  input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  async *execute(input, ctx): AsyncGenerator<FlowEmission> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    yield { type: 'step', step: 'calling', meta: { active: activeSpanId() } };
    const called = await lastValueFrom(
      ctx.callTool<{ active: string | null }>('backend', { q: input.question }),
    );
    yield { type: 'step', step: 'ticking' };
    const ticked = await lastValueFrom(
      ctx.callTool<{ active: string | null }>('ticker', { q: input.question }),
    );
    yield { type: 'result', result: { backend: called.active, ticker: ticked.active } };
  },
});

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
});

async function start(logLines?: Record<string, unknown>[]): Promise<Runtime> {
  const logger = logLines
    ? pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) })
    : pino({ level: 'silent' });
  runtime = await startRuntime(
    {},
    { telemetry: createOtelTelemetry(), plugins: [...fakePlugins, backend, ticker, callFlow], logger },
  );
  return runtime;
}

async function runToEnd(
  rt: Runtime,
  sessionId: string,
  input: Record<string, unknown>,
  flow = 'ask',
): Promise<{ runId: string; terminal: SessionEvent }> {
  const run = await rt.runs.create(sessionId, { input, flow });
  return { runId: run.id, terminal: await terminalOf(rt, sessionId, run.id) };
}

const runSpanOf = (runId: string): ReadableSpan => {
  const found = tracing.spans().find((s) => s.attributes['run.id'] === runId && s.name.startsWith('run '));
  if (!found) throw new Error(`no run span for ${runId}`);
  return found;
};

describe('one trace per session', () => {
  it('gives the session a trace id and a W3C traceparent of its root span', async () => {
    const rt = await start();
    const session = await rt.sessions.create({ user_id: 'ann' });
    expect(session.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const root = tracing.span(`session ${session.id}`);
    expect(session.trace_parent).toBe(`00-${session.trace_id}-${root.spanContext().spanId}-01`);
    expect(root.spanContext().traceId).toBe(session.trace_id);
    expect(tracing.parentOf(root)).toBeUndefined();
    expect(root.attributes).toMatchObject({ 'session.id': session.id, 'user.id': 'ann' });
    expect(root.attributes).not.toHaveProperty('agent.id');
  });

  it('puts two runs of one session in the session trace, and every event carries its trace id', async () => {
    const rt = await start();
    const session = await rt.sessions.create({ user_id: 'ann' });
    const first = await runToEnd(rt, session.id, { question: 'one' });
    const second = await runToEnd(rt, session.id, { question: 'two' });
    const root = tracing.span(`session ${session.id}`);
    for (const { runId } of [first, second]) {
      const run = runSpanOf(runId);
      expect(run.name).toBe('run ask');
      expect(run.spanContext().traceId).toBe(session.trace_id);
      expect(tracing.parentOf(run)).toBe(root.spanContext().spanId);
    }
    expect(runSpanOf(first.runId).spanContext().spanId).not.toBe(
      runSpanOf(second.runId).spanContext().spanId,
    );
    expect(new Set(tracing.spans().map((s) => s.spanContext().traceId))).toEqual(new Set([session.trace_id]));

    const events = await rt.store.listEvents(session.id, { after: 0, limit: 1000 });
    expect(events.length).toBeGreaterThan(10);
    for (const event of events) expect(event.trace_id).toBe(session.trace_id);
  });

  it('keeps sessions apart: each has its own trace', async () => {
    const rt = await start();
    const [a, b] = await Promise.all([rt.sessions.create(), rt.sessions.create()]);
    await Promise.all([runToEnd(rt, a!.id, { question: 'a' }), runToEnd(rt, b!.id, { question: 'b' })]);
    expect(a!.trace_id).not.toBe(b!.trace_id);
    const traces = tracing.spans().filter((s) => s.name === 'run ask');
    expect(traces.map((s) => s.spanContext().traceId).sort()).toEqual([a!.trace_id, b!.trace_id].sort());
  });
});

describe('span tree', () => {
  it('is session → run → step → tool, with the run attributes of the port', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const { runId } = await runToEnd(rt, session.id, { question: 'tree' });
    const root = tracing.span(`session ${session.id}`);
    const run = runSpanOf(runId);
    const lookupStep = tracing.span('step start_lookup');
    const tool = tracing.span('tool lookup');
    const doneStep = tracing.span('step lookup_done');

    expect(tracing.parentOf(run)).toBe(root.spanContext().spanId);
    expect(tracing.parentOf(lookupStep)).toBe(run.spanContext().spanId);
    expect(tracing.parentOf(tool)).toBe(lookupStep.spanContext().spanId);
    expect(tracing.parentOf(doneStep)).toBe(run.spanContext().spanId);

    expect(run.attributes).toMatchObject({ 'session.id': session.id, 'run.id': runId, flow: 'ask' });
    expect(run.attributes['run.queue_wait_ms']).toEqual(expect.any(Number));
    expect(tool.attributes).toMatchObject({ 'tool.name': 'lookup', 'tool.attempt': 1, 'run.id': runId });
    expect(lookupStep.attributes).toMatchObject({
      step: 'start_lookup',
      'step.duration_ms': expect.any(Number),
    });
    for (const span of [run, lookupStep, tool, doneStep]) expect(span.status.code).toBe(SpanStatusCode.OK);
  });

  it('links the run span to the caller traceparent given to runs.create', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const run = await rt.runs.create(session.id, {
      input: { question: 'linked' },
      flow: 'ask',
      traceparent: `00-${callerTrace}-00f067aa0ba902b7-01`,
    });
    await terminalOf(rt, session.id, run.id);
    const span = runSpanOf(run.id);
    expect(span.spanContext().traceId).toBe(session.trace_id);
    expect(span.links).toHaveLength(1);
    expect(span.links[0]?.context).toMatchObject({ traceId: callerTrace, spanId: '00f067aa0ba902b7' });
  });
});

describe('failures and cancels', () => {
  it('gives a failed tool error status and an exception event, and fails its step and run', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const { runId, terminal } = await runToEnd(rt, session.id, { question: 'boom', fail: true });
    expect(terminal.type).toBe('run.failed');

    const tool = tracing.span('tool lookup');
    expect(tool.status.code).toBe(SpanStatusCode.ERROR);
    expect(tool.status.message).toContain('lookup backend refused "boom"');
    const exception = tool.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toContain('lookup backend refused');
    expect(tool.attributes['error.type']).toBe('TOOL_FAILED');

    const run = runSpanOf(runId);
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    expect(run.events.map((e) => e.name)).toContain('exception');
    expect(tracing.span('step start_lookup').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('ends a cancelled run span with the cancel recorded (event and attributes, status unset)', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const run = await rt.runs.create(session.id, {
      input: { question: 'slow', delayMs: 60_000 },
      flow: 'ask',
    });
    await eventWhere(rt, session.id, (e) => e.type === 'tool.started' && e.run_id === run.id);
    await rt.runs.cancel(session.id, run.id, 'user pressed stop');

    const span = runSpanOf(run.id);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      'run.cancelled': true,
      'run.cancel_reason': 'user pressed stop',
    });
    const cancelled = span.events.find((e) => e.name === 'run.cancelled');
    expect(cancelled?.attributes).toEqual({ reason: 'user pressed stop' });

    // The in-flight tool call is cancelled with it, not failed.
    const tool = tracing.span('tool lookup');
    expect(tool.status.code).toBe(SpanStatusCode.UNSET);
    expect(tool.attributes['tool.cancelled']).toBe(true);
    expect(tool.events.map((e) => e.name)).toContain('tool.cancelled');
    expect(tracing.span('step start_lookup').attributes['step.cancelled']).toBe(true);
  });

  it('records a cancelled queued run without a span of its own', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const holder = await rt.runs.create(session.id, {
      input: { question: 'hold', delayMs: 60_000 },
      flow: 'ask',
    });
    const queued = await rt.runs.create(session.id, { input: { question: 'wait' }, flow: 'ask' });
    expect(queued.status).toBe('queued');
    await rt.runs.cancel(session.id, queued.id);
    await rt.runs.cancel(session.id, holder.id);
    expect(tracing.spans().filter((s) => s.attributes['run.id'] === queued.id)).toEqual([]);
    expect(runSpanOf(holder.id).attributes['run.cancelled']).toBe(true);
  });
});

describe('context across RxJS and async boundaries', () => {
  it('sends the tool span traceparent (in the session trace) on tool HTTP calls', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    const seen: string[] = [];
    const scope = nock(BACKEND)
      .post('/lookup')
      .matchHeader('traceparent', (value: string) => {
        seen.push(value);
        return value.startsWith(`00-${session.trace_id}-`);
      })
      .reply(200, { ok: true });
    const { terminal } = await runToEnd(rt, session.id, { question: 'http' }, 'call');
    expect(terminal.type).toBe('run.completed');
    expect(scope.isDone()).toBe(true);
    const tool = tracing.span('tool backend');
    expect(seen).toEqual([`00-${session.trace_id}-${tool.spanContext().spanId}-01`]);
  });

  it('makes the run span active in the flow body and the tool span active in the tool, after awaits and timers', async () => {
    const rt = await start();
    const session = await rt.sessions.create();
    nock(BACKEND).post('/lookup').reply(200, { ok: true });
    const { runId } = await runToEnd(rt, session.id, { question: 'ctx' }, 'call');
    const run = await rt.runs.get(session.id, runId);
    expect(run.status).toBe('completed');
    const step = (await rt.store.listEvents(session.id, { after: 0, limit: 100 })).find(
      (e) => e.type === 'step' && e.step === 'calling',
    );
    expect(step?.meta.active).toBe(runSpanOf(runId).spanContext().spanId);
    expect(run.result).toEqual({
      backend: tracing.span('tool backend').spanContext().spanId,
      ticker: tracing.span('tool ticker').spanContext().spanId,
    });
    // Tool spans sit under the step that was open when they were called.
    expect(tracing.parentOf(tracing.span('tool backend'))).toBe(
      tracing.span('step calling').spanContext().spanId,
    );
    expect(tracing.parentOf(tracing.span('tool ticker'))).toBe(
      tracing.span('step ticking').spanContext().spanId,
    );
  });

  it('has no active span outside a run', async () => {
    await start();
    expect(activeSpanId()).toBeNull();
  });
});

describe('logs', () => {
  it('stamps the session trace id on the run logger and on the step done lines', async () => {
    const lines: Record<string, unknown>[] = [];
    const rt = await start(lines);
    const session = await rt.sessions.create();
    nock(BACKEND).post('/lookup').reply(200, { ok: true });
    const { runId } = await runToEnd(rt, session.id, { question: 'logs' }, 'call');
    const toolLine = lines.find((line) => line.msg === 'backend answered');
    expect(toolLine).toMatchObject({ trace_id: session.trace_id, run_id: runId, tool: 'backend' });
    const stepLines = lines.filter((line) => line.msg === 'step done');
    expect(stepLines.map((line) => line.step)).toEqual(['calling', 'ticking']);
    for (const line of stepLines) {
      expect(line).toMatchObject({
        trace_id: session.trace_id,
        run_id: runId,
        duration_ms: expect.any(Number),
      });
    }
  });
});

describe('createOtelTelemetry without the runtime', () => {
  it('starts a run of a session that has no stored parent as the root of its own trace', () => {
    const telemetry = createOtelTelemetry();
    const span = telemetry.startRun({ traceId: null, parent: null }, 'run orphan', { flow: 'x' });
    span.end({ status: 'ok' });
    const ended = tracing.span('run orphan');
    expect(tracing.parentOf(ended)).toBeUndefined();
    expect(span.traceId).toBe(ended.spanContext().traceId);
  });

  it('puts a tool under the run when no step is open, and under the open step otherwise', () => {
    const telemetry = createOtelTelemetry();
    const session = telemetry.startSession('s1', { 'session.id': 's1', 'user.id': undefined });
    const run = telemetry.startRun(session, 'run t', {});
    const before = telemetry.startChild(run, 'tool', 'early', {});
    before.end({ status: 'ok' });
    const step = telemetry.startChild(run, 'step', 'middle', {});
    const during = telemetry.startChild(run, 'tool', 'during', {});
    during.end({ status: 'ok' });
    step.end({ status: 'ok' });
    const after = telemetry.startChild(run, 'tool', 'late', {});
    after.end({ status: 'ok' });
    run.end({ status: 'ok' });
    expect(tracing.parentOf(tracing.span('tool early'))).toBe(run.spanId);
    expect(tracing.parentOf(tracing.span('tool during'))).toBe(step.spanId);
    expect(tracing.parentOf(tracing.span('tool late'))).toBe(run.spanId);
    expect(tracing.span('session s1').attributes).toEqual({ 'session.id': 's1' });
  });

  it('records coded errors and plain values, and ends a span only once', () => {
    const telemetry = createOtelTelemetry();
    const run = telemetry.startRun({ traceId: null, parent: null }, 'run e', {});
    const coded = telemetry.startChild(run, 'tool', 'coded', {});
    coded.end({
      status: 'error',
      error: new TributaryError('TOOL_TIMEOUT', 'timeout after 5 ms calling coded'),
    });
    coded.end({ status: 'ok' });
    const plain = telemetry.startChild(run, 'tool', 'plain', {});
    plain.end({ status: 'error', error: 'just a string' });
    run.end({ status: 'cancelled' });
    const codedSpan = tracing.span('tool coded');
    expect(codedSpan.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'timeout after 5 ms calling coded',
    });
    expect(codedSpan.attributes['error.type']).toBe('TOOL_TIMEOUT');
    const plainSpan = tracing.span('tool plain');
    expect(plainSpan.status.message).toBe('just a string');
    expect(plainSpan.events[0]?.attributes?.['exception.message']).toBe('just a string');
    expect(tracing.span('run e').attributes['run.cancel_reason']).toBe('cancelled');
  });

  it('starts a session trace of its own, linked to the span that was active (the creating request)', () => {
    const telemetry = createOtelTelemetry();
    const request = trace.getTracer('test').startSpan('POST /v1/sessions');
    const session = context.with(trace.setSpan(context.active(), request), () =>
      telemetry.startSession('s2', { 'session.id': 's2' }),
    );
    request.end();
    const root = tracing.span('session s2');
    expect(session.traceId).not.toBe(request.spanContext().traceId);
    expect(tracing.parentOf(root)).toBeUndefined();
    expect(root.links.map((link) => link.context.spanId)).toEqual([request.spanContext().spanId]);
  });

  it('injects the span context with the global propagator, and withSpan ignores spans it did not make', () => {
    const telemetry = createOtelTelemetry();
    const run = telemetry.startRun({ traceId: null, parent: null }, 'run i', {});
    const headers: Record<string, string> = {};
    run.inject(headers);
    expect(headers.traceparent).toBe(`00-${run.traceId}-${run.spanId}-01`);
    expect(telemetry.withSpan(run, activeSpanId)).toBe(run.spanId);
    const foreign = { ...run };
    expect(telemetry.withSpan(foreign, activeSpanId)).toBeNull();
    run.end({ status: 'ok' });
  });
});
