import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_PLUGINS_MODULE } from '../fixtures/approval-plugins.ts';
import { startCluster, type TestCluster } from '../fixtures/cluster.ts';
import { HELD_PLUGINS_MODULE } from '../fixtures/held-plugins.ts';
import { startHeldService, type HeldService } from '../fixtures/held-service.ts';
import { useTestPrefix } from '../fixtures/redis-prefix.ts';

interface Event {
  seq: number;
  type: string;
  run_id: string | null;
  message: string;
  meta: Record<string, unknown>;
}

const TOKEN = 'internal-token-for-cluster-tests';
const redis = useTestPrefix();
let service: HeldService;
let cluster: TestCluster;
let api: string;

beforeAll(async () => {
  service = await startHeldService();
  cluster = await startCluster({
    apis: 1,
    workers: 1,
    env: {
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      PLUGINS: `${HELD_PLUGINS_MODULE},${APPROVAL_PLUGINS_MODULE}`,
      HELD_SERVICE_URL: service.url,
      INTERNAL_TOKEN: TOKEN,
    },
  });
  api = cluster.apis[0]!.url;
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  await service?.close();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function events(sessionId: string): Promise<Event[]> {
  const { status, body } = await call('GET', `/v1/sessions/${sessionId}/events?limit=1000`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body.items as Event[];
}

/** Polls the session's events until `found` picks one; the run executes in the worker process. */
async function until(sessionId: string, found: (events: Event[]) => Event | undefined): Promise<Event> {
  for (;;) {
    const event = found(await events(sessionId));
    if (event) return event;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function startRun(flow: string, input: Record<string, unknown>) {
  const session = await call('POST', '/v1/sessions', { user_id: 'ann' });
  const sessionId = session.body.id as string;
  const run = await call('POST', `/v1/sessions/${sessionId}/runs`, { flow, input });
  expect(run.status).toBe(202);
  return { sessionId, runId: run.body.id as string };
}

const terminal = (runId: string) => (list: Event[]) =>
  list.find((e) => e.run_id === runId && /^run\.(completed|failed|cancelled)$/.test(e.type));

describe('commands for a run executing on another process', () => {
  it('answers an approval sent to an API process that does not execute the run', async () => {
    const { sessionId, runId } = await startRun('reviewed_answer', { question: 'RxJS' });
    const requested = await until(sessionId, (list) => list.find((e) => e.type === 'approval.requested'));
    const approvalId = requested.meta.approval_id as string;

    const wrong = await call('POST', `/v1/sessions/${sessionId}/runs/${runId}/approvals/${randomUUID()}`, {
      approve: true,
    });
    expect(wrong.status).toBe(404);
    expect(wrong.body.code).toBe('APPROVAL_NOT_FOUND');

    const answered = await call('POST', `/v1/sessions/${sessionId}/runs/${runId}/approvals/${approvalId}`, {
      approve: true,
    });
    expect(answered.status).toBe(200);
    expect((await until(sessionId, terminal(runId))).type).toBe('run.completed');
    const types = (await events(sessionId)).filter((e) => e.run_id === runId).map((e) => e.type);
    expect(types).toContain('approval.resolved');
  }, 60_000);

  it('writes progress for a run executing on a worker, and refuses it once the run has ended', async () => {
    const id = `progress-${Date.now()}`;
    const { sessionId, runId } = await startRun('held', { question: 'hold', id });
    await service.received(id);
    const headers = { 'x-internal-token': TOKEN };
    const posted = await call(
      'POST',
      '/v1/progress',
      { session_id: sessionId, run_id: runId, step: 'indexing', message: 'half way' },
      headers,
    );
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({ type: 'progress', run_id: runId, message: 'half way' });

    service.release(id);
    const end = await until(sessionId, terminal(runId));
    expect(end.type).toBe('run.completed');
    expect(end.seq).toBeGreaterThan(posted.body.seq as number);

    const late = await call(
      'POST',
      '/v1/progress',
      { session_id: sessionId, run_id: runId, step: 'indexing', message: 'too late' },
      headers,
    );
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'RUN_FINISHED' });
    const list = await events(sessionId);
    expect(list.at(-1)).toMatchObject({ type: 'run.completed', run_id: runId });
  }, 60_000);
});
