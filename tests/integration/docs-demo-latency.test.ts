import { pino } from 'pino';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../core/index.ts';
import { createTributaryClient } from '../../clients/api-client.ts';
import { startPlatform, type Platform } from '../../platform/platform.ts';
import { readDemoFaults } from '../../demo-backends/index.ts';

/**
 * `DEMO_LATENCY_MS` and `DEMO_FAILURE_RATE` as `.env.example` and the README document them: they reach the
 * demo backends `npm start` embeds (no RAG_URL / EXAM_URL), not only `npm run demo-backends`.
 */
const BASE_ENV = { STORE: 'memory', PORT: '0', LOG_LEVEL: 'silent', SHUTDOWN_TIMEOUT_MS: '0' };
const QUESTION = 'Quiz me on RxJS mergeMap';

let platform: Platform | undefined;
/** What the platform logged, one parsed JSON line each. */
let logs: Array<Record<string, unknown>> = [];
afterEach(async () => {
  await platform?.close();
  platform = undefined;
  logs = [];
});

async function start(env: Record<string, string>): Promise<Platform> {
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  platform = await startPlatform({ ...BASE_ENV, ...env }, { logger });
  return platform;
}

/** The first event of the session that `match` accepts, stored or live. */
const eventWhere = (p: Platform, sessionId: string, match: (event: SessionEvent) => boolean) =>
  firstValueFrom(p.runtime.events.events$(sessionId).pipe(filter(match)));

describe('DEMO_LATENCY_MS with the embedded demo backends', () => {
  it('slows each call enough that a run can be watched mid-way and cancelled through the API', async () => {
    // The longest latency allowed: the call to the RAG backend cannot be over before the cancel.
    const p = await start({ DEMO_LATENCY_MS: '60000' });
    const listening = logs.filter((line) => line.msg === 'demo backend listening');
    expect(listening.map((line) => [line.service, line.latency_ms])).toEqual([
      ['demo-rag', 60000],
      ['demo-exam', 60000],
    ]);
    const api = createTributaryClient({ baseUrl: p.url });
    const { data: session } = await api.POST('/v1/sessions', { body: { user_id: 'ann' } });
    const sessionId = session!.id;
    const { data: created } = await api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: sessionId } },
      body: { input: { question: QUESTION }, flow: 'quiz' },
    });
    const runId = created!.id;
    const path = { session_id: sessionId, run_id: runId };

    await eventWhere(p, sessionId, (e) => e.type === 'tool.started' && e.tool === 'rag_search');
    const { data: midway } = await api.GET('/v1/sessions/{session_id}/runs/{run_id}', { params: { path } });
    expect(midway?.status).toBe('running');

    const cancel = await api.POST('/v1/sessions/{session_id}/runs/{run_id}/cancel', { params: { path } });
    expect(cancel.response.status).toBe(202);
    await eventWhere(p, sessionId, (e) => e.run_id === runId && e.type === 'run.cancelled');
    const { data: ended } = await api.GET('/v1/sessions/{session_id}/runs/{run_id}', { params: { path } });
    expect(ended?.status).toBe('cancelled');
    const { data: log } = await api.GET('/v1/sessions/{session_id}/events', {
      params: { path: { session_id: sessionId }, query: { after: 0, limit: 1000 } },
    });
    // The RAG call was still waiting on the demo backend when the cancel aborted it.
    expect(log!.items.filter((e) => e.tool === 'rag_search').map((e) => e.type)).not.toContain(
      'tool.completed',
    );
  });

  it('refuses a bad value at start, naming DEMO_LATENCY_MS', async () => {
    await expect(start({ DEMO_LATENCY_MS: '2s' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      field: 'DEMO_LATENCY_MS',
      message: 'DEMO_LATENCY_MS must be an integer from 0 to 60000, got "2s"',
    });
  });

  it('takes DEMO_FAILURE_RATE too: at 1 every call to the demo backends fails', async () => {
    const p = await start({ DEMO_FAILURE_RATE: '1' });
    const session = await p.runtime.sessions.create({ user_id: 'ann' });
    const run = await p.runtime.runs.create(session.id, { input: { question: QUESTION }, flow: 'quiz' });
    const end = await eventWhere(
      p,
      session.id,
      (e) => e.run_id === run.id && /^run\.(completed|failed|cancelled)$/.test(e.type),
    );
    expect(end.type).toBe('run.failed');
    const failed = await eventWhere(p, session.id, (e) => e.type === 'tool.failed');
    expect(failed).toMatchObject({ tool: 'rag_search', message: expect.stringMatching(/^HTTP 503 from /) });
  });
});

describe('readDemoFaults', () => {
  it('reads DEMO_LATENCY_MS and DEMO_FAILURE_RATE, 0 when unset', () => {
    expect(readDemoFaults({})).toEqual({ latencyMs: 0, failureRate: 0 });
    expect(readDemoFaults({ DEMO_LATENCY_MS: '1500', DEMO_FAILURE_RATE: '0.25' })).toEqual({
      latencyMs: 1500,
      failureRate: 0.25,
    });
  });

  it.each([
    ['DEMO_LATENCY_MS', '-1', 'DEMO_LATENCY_MS must be an integer from 0 to 60000, got "-1"'],
    ['DEMO_LATENCY_MS', '60001', 'DEMO_LATENCY_MS must be an integer from 0 to 60000, got "60001"'],
    ['DEMO_FAILURE_RATE', '2', 'DEMO_FAILURE_RATE must be a number from 0 to 1, got "2"'],
  ])('refuses %s=%s', (name, value, message) => {
    expect(() => readDemoFaults({ [name]: value })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', field: name, message }),
    );
  });
});
