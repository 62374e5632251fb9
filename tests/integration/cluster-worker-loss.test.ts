import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Run, SessionEvent } from '../../core/index.ts';
import { startCluster, type ClusterNode, type TestCluster, heldClusterEnv } from '../fixtures/cluster.ts';
import { startHeldService, type HeldRequest, type HeldService } from '../fixtures/held-service.ts';
import { useTestPrefix } from '../fixtures/redis-prefix.ts';
import { postJson as post, getJson as get } from '../fixtures/http-json.ts';

// Whole api and worker processes on one Redis; a loaded 2-core machine takes seconds to start each.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/**
 * A worker lost mid-run (SIGKILL) or shut down (SIGTERM), once per RUN_ON_WORKER_LOSS policy, each
 * policy on a cluster (one api, two workers) and prefix of its own. The held service keeps each run's
 * tool call open, so the run is mid-execution when its worker goes, and it records which process
 * called it: the worker to kill, and whether (and where) the run executed again.
 */
const failRedis = useTestPrefix();
const retryRedis = useTestPrefix();

/** Detection ≈ lock + stalled interval: a few seconds. How long a test waits for it, on a loaded machine. */
const DETECTED_MS = 30_000;

let service: HeldService;
let failing: TestCluster;
let retrying: TestCluster;

function clusterEnv(prefix: { url: string; prefix: string }, onLoss: 'fail' | 'retry') {
  return {
    ...heldClusterEnv(prefix, service),
    RUN_ON_WORKER_LOSS: onLoss,
    WORKER_LOCK_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    // Short, so a SIGTERMed worker gives up its run soon; the held call never ends by itself.
    SHUTDOWN_TIMEOUT_MS: '500',
  };
}

beforeAll(async () => {
  service = await startHeldService();
  [failing, retrying] = await Promise.all([
    startCluster({ apis: 1, workers: 2, env: clusterEnv(failRedis, 'fail') }),
    startCluster({ apis: 1, workers: 2, env: clusterEnv(retryRedis, 'retry') }),
  ]);
});

afterAll(async () => {
  await Promise.all([failing?.stop(), retrying?.stop()]);
  await service?.close();
});

const createSession = async (api: ClusterNode, userId: string) =>
  (await post<{ id: string }>(`${api.url}/v1/sessions`, { user_id: userId })).id;

/** A held run: its one tool call is `/call/<callId>` at the held service. */
const startHeld = (api: ClusterNode, sessionId: string, callId: string) =>
  post<Run>(`${api.url}/v1/sessions/${sessionId}/runs`, {
    flow: 'held',
    input: { question: `held ${callId}`, id: callId },
  });

const getRun = (api: ClusterNode, sessionId: string, runId: string) =>
  get<Run>(`${api.url}/v1/sessions/${sessionId}/runs/${runId}`);

/** The session's stored events: the run's, or every one when `runId` is null. */
async function runEvents(api: ClusterNode, sessionId: string, runId: string | null): Promise<SessionEvent[]> {
  const { items } = await get<{ items: SessionEvent[] }>(
    `${api.url}/v1/sessions/${sessionId}/events?limit=1000`,
  );
  return runId === null ? items : items.filter((event) => event.run_id === runId);
}

/** Polls until `check` returns a value, or fails after `timeoutMs` saying what it waited for. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = DETECTED_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const runReaches = (api: ClusterNode, sessionId: string, runId: string, status: Run['status']) =>
  until(`run ${runId} ${status}`, async () => {
    const run = await getRun(api, sessionId, runId);
    return run.status === status ? run : undefined;
  });

/** The n-th call (1-based) the held service received for `id`. */
const nthCall = (id: string, n: number) =>
  until(`call ${n} of ${id}`, async () => service.requests.filter((r) => r.id === id)[n - 1]);

const workerOf = (cluster: TestCluster, call: HeldRequest): ClusterNode => {
  const worker = cluster.workers.find((node) => String(node.pid) === call.pid);
  if (!worker) throw new Error(`call ${call.id} came from ${call.pid}, not from a worker`);
  return worker;
};

const alive = (node: ClusterNode) =>
  node.server.child.exitCode === null && node.server.child.signalCode === null;

const types = (events: SessionEvent[]) => events.map((event) => event.type);
const TERMINAL = ['run.completed', 'run.failed', 'run.cancelled'];

describe('RUN_ON_WORKER_LOSS=fail', () => {
  let killedSession = '';

  it('fails a run whose worker was killed with RUN_INTERRUPTED, once, without executing it again', async () => {
    const api = failing.apis[0]!;
    const sessionId = await createSession(api, 'fail-user');
    const run = await startHeld(api, sessionId, 'fail-kill');
    const call = await nthCall('fail-kill', 1);
    // Waiting in the session's line behind the run that will be lost.
    const behind = await startHeld(api, sessionId, 'fail-behind');
    const victim = workerOf(failing, call);
    victim.server.child.kill('SIGKILL');
    await victim.server.exited;

    // Not released: only the loss can end it.
    const failed = await runReaches(api, sessionId, run.id, 'failed');
    expect(failed.error).toMatchObject({ code: 'RUN_INTERRUPTED' });
    // The lost run leaves the session's line: the run behind it starts on the surviving worker.
    const survivor = failing.workers.find(alive)!;
    expect((await nthCall('fail-behind', 1)).pid).toBe(String(survivor.pid));
    service.release('fail-behind');
    await runReaches(api, sessionId, behind.id, 'completed');
    // Let a second execution, were there one, reach the service before counting.
    const probeSession = await createSession(api, 'fail-user');
    const probe = await startHeld(api, probeSession, 'fail-probe');
    const probeCall = await nthCall('fail-probe', 1);
    expect(probeCall.pid).toBe(String(survivor.pid));
    service.release('fail-probe');
    await runReaches(api, probeSession, probe.id, 'completed');
    expect(service.requests.filter((r) => r.id === 'fail-kill')).toHaveLength(1);

    const events = await runEvents(api, sessionId, run.id);
    expect(types(events).filter((type) => type === 'run.started')).toHaveLength(1);
    expect(types(events).filter((type) => TERMINAL.includes(type))).toEqual(['run.failed']);
    expect(events.at(-1)).toMatchObject({ type: 'run.failed' });
    // The run behind it started only once the lost run had ended.
    const all = await runEvents(api, sessionId, null);
    const failedSeq = events.at(-1)!.seq;
    const behindStarted = all.find((event) => event.run_id === behind.id && event.type === 'run.started')!;
    expect(behindStarted.seq).toBeGreaterThan(failedSeq);
    expect(events.at(-1)!.meta).toMatchObject({ code: 'RUN_INTERRUPTED' });
    killedSession = sessionId;
  });

  it('lets the session take and complete a new run afterwards: its line was released', async () => {
    const api = failing.apis[0]!;
    expect(killedSession, 'the previous test ran').not.toBe('');
    // The first test's session: its lost run must not hold the line (`reject` would say SESSION_BUSY).
    const next = await post<Run>(`${api.url}/v1/sessions/${killedSession}/runs`, {
      flow: 'held',
      input: { question: 'after the loss', id: 'fail-next' },
      multitask: 'reject',
    });
    service.release('fail-next');
    await runReaches(api, killedSession, next.id, 'completed');
  });

  it('fails the run of a SIGTERMed worker past SHUTDOWN_TIMEOUT_MS, and the worker exits 0', async () => {
    const api = failing.apis[0]!;
    const sessionId = await createSession(api, 'fail-term');
    const run = await startHeld(api, sessionId, 'fail-term');
    const worker = workerOf(failing, await nthCall('fail-term', 1));
    worker.server.child.kill('SIGTERM');
    expect(await worker.server.exited).toBe(0);

    const failed = await runReaches(api, sessionId, run.id, 'failed');
    expect(failed.error).toMatchObject({ code: 'RUN_INTERRUPTED' });
    const events = await runEvents(api, sessionId, run.id);
    expect(types(events).filter((type) => type === 'run.started')).toHaveLength(1);
    expect(types(events).filter((type) => TERMINAL.includes(type))).toEqual(['run.failed']);
    expect(events.at(-1)!.type).toBe('run.failed');
    expect(service.requests.filter((r) => r.id === 'fail-term')).toHaveLength(1);
    // Nothing left running anywhere in the cluster.
    const stats = await get<{ running_runs: number }>(`${api.url}/v1/stats`);
    expect(stats.running_runs).toBe(0);
  });
});

describe('RUN_ON_WORKER_LOSS=retry', () => {
  it('starts a killed worker’s run again on the other worker, with run_attempt 2, and it completes once', async () => {
    const api = retrying.apis[0]!;
    const sessionId = await createSession(api, 'retry-user');
    const run = await startHeld(api, sessionId, 'retry-kill');
    const first = await nthCall('retry-kill', 1);
    const victim = workerOf(retrying, first);
    victim.server.child.kill('SIGKILL');
    await victim.server.exited;

    const second = await nthCall('retry-kill', 2);
    const survivor = retrying.workers.find(alive)!;
    expect(second.pid).toBe(String(survivor.pid));
    service.release('retry-kill');
    await runReaches(api, sessionId, run.id, 'completed');

    expectRetried(await runEvents(api, sessionId, run.id));
    expect(service.requests.filter((r) => r.id === 'retry-kill')).toHaveLength(2);
  });

  it('hands a SIGTERMed worker’s run back (requeued), completes it on another worker, and the worker exits 0', async () => {
    const api = retrying.apis[0]!;
    await retrying.add('worker');
    const sessionId = await createSession(api, 'retry-term');
    const run = await startHeld(api, sessionId, 'retry-term');
    const worker = workerOf(retrying, await nthCall('retry-term', 1));
    worker.server.child.kill('SIGTERM');
    expect(await worker.server.exited).toBe(0);

    const second = await nthCall('retry-term', 2);
    expect(second.pid).not.toBe(String(worker.pid));
    workerOf(retrying, second);
    service.release('retry-term');
    await runReaches(api, sessionId, run.id, 'completed');

    const events = await runEvents(api, sessionId, run.id);
    const requeued = events.filter(
      (event) => event.type === 'run.queued' && event.meta.reason === 'requeued',
    );
    expect(requeued).toHaveLength(1);
    // Handed back between the two executions.
    const starts = events.flatMap((event, index) => (event.type === 'run.started' ? [index] : []));
    const requeuedAt = events.indexOf(requeued[0]!);
    expect(requeuedAt).toBeGreaterThan(starts[0]!);
    expect(requeuedAt).toBeLessThan(starts[1]!);
    expectRetried(events);
    const stats = await get<{ running_runs: number }>(`${api.url}/v1/stats`);
    expect(stats.running_runs).toBe(0);
  });

  it('fails a run lost a second time with RUN_INTERRUPTED, never starting it a third time', async () => {
    const api = retrying.apis[0]!;
    // Two live workers: the run is lost on each of them in turn.
    while (retrying.workers.filter(alive).length < 2) await retrying.add('worker');
    const sessionId = await createSession(api, 'retry-twice');
    const run = await startHeld(api, sessionId, 'retry-twice');
    const first = workerOf(retrying, await nthCall('retry-twice', 1));
    first.server.child.kill('SIGKILL');
    await first.server.exited;
    const second = workerOf(retrying, await nthCall('retry-twice', 2));
    expect(second.pid).not.toBe(first.pid);
    second.server.child.kill('SIGKILL');
    await second.server.exited;
    // No live worker is left: the lost job waits for the next one to take it.
    expect(retrying.workers.filter(alive)).toHaveLength(0);
    await retrying.add('worker');

    const failed = await runReaches(api, sessionId, run.id, 'failed');
    expect(failed.error).toMatchObject({ code: 'RUN_INTERRUPTED' });
    const events = await runEvents(api, sessionId, run.id);
    expect(types(events).filter((type) => type === 'run.started')).toHaveLength(2);
    expect(types(events).filter((type) => TERMINAL.includes(type))).toEqual(['run.failed']);
    expect(events.at(-1)!.type).toBe('run.failed');
    // The new worker takes and completes other work, and never started this run a third time.
    const probeSession = await createSession(api, 'retry-twice');
    const probe = await startHeld(api, probeSession, 'retry-twice-probe');
    await nthCall('retry-twice-probe', 1);
    service.release('retry-twice-probe');
    await runReaches(api, probeSession, probe.id, 'completed');
    expect(service.requests.filter((r) => r.id === 'retry-twice')).toHaveLength(2);
  });
});

/** Two executions, the second's events all `run_attempt: 2`, and one terminal event, completed and last. */
function expectRetried(events: SessionEvent[]): void {
  const starts = events.flatMap((event, index) => (event.type === 'run.started' ? [index] : []));
  expect(starts).toHaveLength(2);
  expect(events[starts[0]!]!.meta.run_attempt).toBeUndefined();
  const secondExecution = events.slice(starts[1]!);
  expect(secondExecution.map((event) => [event.type, event.meta.run_attempt])).toEqual(
    secondExecution.map((event) => [event.type, 2]),
  );
  expect(types(events).filter((type) => TERMINAL.includes(type))).toEqual(['run.completed']);
  expect(events.at(-1)!.type).toBe('run.completed');
}
