import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Run, SessionEvent } from '../../core/index.ts';
import { startCluster, type ClusterNode, type TestCluster, heldClusterEnv } from '../fixtures/cluster.ts';
import { startHeldService, type HeldRequest, type HeldService } from '../fixtures/held-service.ts';
import { useTestPrefix } from '../fixtures/redis-prefix.ts';

// Four whole processes on one Redis; a loaded 2-core machine takes seconds to start each.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const redis = useTestPrefix();
/** The cluster-wide limit; each worker could run as many, so only the global limit bounds. */
const LIMIT = 3;
/** How long a wait for something the cluster must do gets before the test fails (never a timing assertion). */
const WAIT_MS = 20_000;

let service: HeldService;
let cluster: TestCluster;

beforeAll(async () => {
  service = await startHeldService();
  cluster = await startCluster({
    apis: 2,
    workers: 2,
    env: {
      ...heldClusterEnv(redis, service),
      CONCURRENCY_LIMIT: String(LIMIT),
      WORKER_CONCURRENCY: String(LIMIT),
    },
  });
});

afterAll(async () => {
  await cluster?.stop();
  await service?.close();
});

const TERMINAL = new Set(['run.completed', 'run.failed', 'run.cancelled']);

interface Answer<T> {
  status: number;
  body: T;
}

async function post<T>(url: string, body: unknown): Promise<Answer<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function get<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function createSession(node: ClusterNode, userId: string): Promise<string> {
  const created = await post<{ id: string }>(`${node.url}/v1/sessions`, { user_id: userId });
  expect(created.status).toBe(201);
  return created.body.id;
}

/** A run of the `held` flow: one call to the held service with this id. */
function startRun(
  node: ClusterNode,
  sessionId: string,
  callId: string,
  multitask: 'enqueue' | 'reject' | 'interrupt',
): Promise<Answer<Run & { code?: string; detail?: string }>> {
  return post(`${node.url}/v1/sessions/${sessionId}/runs`, {
    flow: 'held',
    input: { question: `held ${callId}`, id: callId },
    multitask,
  });
}

/**
 * The run, accepted: 202. Every run is stored `queued` first, but the answer reads it back after
 * its job is queued, so a worker may have started it already (openapi: `queued` or `running`).
 */
async function accepted(answer: Promise<Answer<Run>>): Promise<Run> {
  const { status, body } = await answer;
  expect(status, JSON.stringify(body)).toBe(202);
  expect(['queued', 'running']).toContain(body.status);
  return body;
}

/** The session's whole stored log, page by page, and the `last_seq` it reports. */
async function storedEvents(node: ClusterNode, sessionId: string): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  for (;;) {
    const after = events.at(-1)?.seq ?? 0;
    const page = await get<{ items: SessionEvent[]; last_seq: number }>(
      `${node.url}/v1/sessions/${sessionId}/events?after=${after}&limit=1000`,
    );
    events.push(...page.items);
    if (page.items.length === 0 || events.at(-1)!.seq >= page.last_seq) {
      expect(events.at(-1)?.seq ?? 0, `last_seq of ${sessionId}`).toBe(page.last_seq);
      return events;
    }
  }
}

/**
 * Polls `check` every `everyMs` until it gives a value; fails naming `what` if the cluster never
 * gets there.
 */
async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`waited ${WAIT_MS} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** `promise`, or a failure naming `what` if the cluster never gets there. */
async function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${WAIT_MS} ms for ${what}`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with the runs once every one of them has ended. */
function ended(node: ClusterNode, sessionId: string, runIds: readonly string[]): Promise<Run[]> {
  return until(
    `runs ${runIds.join(', ')} to end`,
    async () => {
      const runs = await Promise.all(
        runIds.map((id) => get<Run>(`${node.url}/v1/sessions/${sessionId}/runs/${id}`)),
      );
      return runs.every((run) => ['completed', 'failed', 'cancelled'].includes(run.status))
        ? runs
        : undefined;
      // Over HTTP, and many sessions at once: a gentler pace.
    },
    50,
  );
}

/** Calls that arrived and are still held: neither answered nor aborted. */
const heldNow = (): HeldRequest[] =>
  service.requests.filter((r) => r.answeredAt === undefined && r.abortedAt === undefined);

/** The largest number of intervals open at once; at equal times ends count before starts. */
function mostAtOnce(intervals: readonly { from: number; to: number }[]): number {
  const edges = intervals.flatMap(({ from, to }) => [
    { at: from, step: 1 },
    { at: to, step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let open = 0;
  let most = 0;
  for (const { step } of edges) {
    open += step;
    most = Math.max(most, open);
  }
  return most;
}

/** Checks the log of one session: `seq` 1..n, and each run's one terminal event is its last. */
function expectWholeLog(events: readonly SessionEvent[], runIds: readonly string[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  for (const runId of runIds) {
    const own = events.filter((e) => e.run_id === runId);
    const terminals = own.filter((e) => TERMINAL.has(e.type));
    expect(terminals, `terminal events of run ${runId}`).toHaveLength(1);
    expect(own.at(-1), `last event of run ${runId}`).toBe(terminals[0]);
  }
}

const ofType = (events: readonly SessionEvent[], type: string) => events.filter((e) => e.type === type);

describe('runs on a cluster of two api and two worker processes', () => {
  it(`runs 30 runs of 10 sessions at most ${LIMIT} at once across the cluster, each session's in submit order`, async () => {
    const SESSIONS = 10;
    const PER_SESSION = 3;
    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, (_, s) => createSession(cluster.apis[s % 2]!, `load-user-${s}`)),
    );
    // Each session's runs one after another (their submit order is known), the sessions side by
    // side, each request to the other api node than the one before.
    const submitted = await Promise.all(
      sessions.map(async (sessionId, s) => {
        const runs: Run[] = [];
        for (let k = 0; k < PER_SESSION; k++) {
          const node = cluster.apis[(s + k) % 2]!;
          runs.push(await accepted(startRun(node, sessionId, `load-${s}-${k}`, 'enqueue')));
        }
        return runs;
      }),
    );

    // Release the held calls one at a time, each time once the cluster holds as many as it may:
    // `LIMIT` while that many sessions have runs left. Holding all of them proves the limit is
    // reached (a too strict one never gets there); a 4th arriving meanwhile shows in the count.
    const answered = new Map<number, number>();
    let releases = 0;
    while (releases < SESSIONS * PER_SESSION) {
      const sessionsLeft = sessions.filter((_, s) => (answered.get(s) ?? 0) < PER_SESSION).length;
      const expected = Math.min(LIMIT, sessionsLeft);
      const held = await until(`${expected} held calls (release ${releases})`, () => {
        const now = heldNow().filter((r) => r.id.startsWith('load-'));
        return now.length >= expected ? now : undefined;
      });
      expect(
        held.map((r) => r.id),
        `calls held at release ${releases}`,
      ).toHaveLength(expected);
      const oldest = held[0]!;
      service.release(oldest.id);
      const s = Number(oldest.id.split('-')[1]);
      answered.set(s, (answered.get(s) ?? 0) + 1);
      releases += 1;
    }

    const runIds = submitted.flat().map((run) => run.id);
    const finished = (
      await Promise.all(
        sessions.map((sessionId, s) =>
          ended(
            cluster.apis[s % 2]!,
            sessionId,
            submitted[s]!.map((r) => r.id),
          ),
        ),
      )
    ).flat();
    expect(finished.map((run) => run.status)).toEqual(runIds.map(() => 'completed'));

    const logs = await Promise.all(
      sessions.map((sessionId, s) => storedEvents(cluster.apis[(s + 1) % 2]!, sessionId)),
    );
    logs.forEach((events, s) => {
      const ids = submitted[s]!.map((run) => run.id);
      expectWholeLog(events, ids);
      // Started in submit order, each after the one before it ended (one active run per session).
      expect(ofType(events, 'run.started').map((e) => e.run_id)).toEqual(ids);
      for (let k = 1; k < ids.length; k++) {
        const before = events.find((e) => e.run_id === ids[k - 1] && TERMINAL.has(e.type))!;
        const started = events.find((e) => e.run_id === ids[k] && e.type === 'run.started')!;
        expect(started.seq).toBeGreaterThan(before.seq);
      }
      // Queued behind the session's active run, at the place the submit order gives.
      const queued = ofType(events, 'run.queued');
      expect(queued.map((e) => e.run_id)).toEqual(ids);
      expect(queued.slice(1).map((e) => e.meta)).toEqual([
        expect.objectContaining({ position: 1, reason: 'session_busy' }),
        expect.objectContaining({ position: 2, reason: 'session_busy' }),
      ]);
    });

    // Running at once, from the events: a run executes between its run.started and its terminal
    // event (both written inside its BullMQ job; one machine clock for every process).
    const all = logs.flat();
    const runIntervals = runIds.map((id) => ({
      from: Date.parse(all.find((e) => e.run_id === id && e.type === 'run.started')!.ts),
      to: Date.parse(all.find((e) => e.run_id === id && TERMINAL.has(e.type))!.ts),
    }));
    expect(mostAtOnce(runIntervals)).toBeLessThanOrEqual(LIMIT);
    // From the held service's one clock: each call lies within its run's execution.
    const calls = service.requests.filter((r) => r.id.startsWith('load-'));
    expect(calls.map((r) => r.id).sort()).toEqual(
      sessions.flatMap((_, s) => Array.from({ length: PER_SESSION }, (__, k) => `load-${s}-${k}`)).sort(),
    );
    expect(mostAtOnce(calls.map((r) => ({ from: r.receivedAt, to: r.answeredAt! })))).toBe(LIMIT);

    // Executed by the workers only, never by an api node. (Which worker takes a job is BullMQ's
    // choice: that both do is likely, not promised, so it is not asserted.)
    const workerPids = cluster.workers.map((w) => String(w.pid));
    expect(calls.filter((r) => !workerPids.includes(r.pid)).map((r) => [r.id, r.pid])).toEqual([]);
  });

  it('two api nodes racing `reject` for a fresh session: one run accepted, the other 409 SESSION_BUSY', async () => {
    const [a, b] = cluster.apis as [ClusterNode, ClusterNode];
    const rounds = await Promise.all(
      Array.from({ length: 10 }, (_, i) => createSession(a, `reject-user-${i}`)),
    );
    const winners: { sessionId: string; run: Run }[] = [];
    for (const [i, sessionId] of rounds.entries()) {
      const answers = await Promise.all([
        startRun(a, sessionId, `reject-${i}-a`, 'reject'),
        startRun(b, sessionId, `reject-${i}-b`, 'reject'),
      ]);
      expect(answers.map((x) => x.status).sort(), `round ${i}`).toEqual([202, 409]);
      const won = answers.find((x) => x.status === 202)!.body;
      const lost = answers.find((x) => x.status === 409)!.body;
      expect(lost.code).toBe('SESSION_BUSY');
      expect(lost.detail).toContain(won.id);
      winners.push({ sessionId, run: won });
      // Its call is answered at once: the next round's run has a slot.
      service.release(`reject-${i}-a`);
      service.release(`reject-${i}-b`);
    }
    for (const { sessionId, run } of winners) {
      const [done] = await ended(b, sessionId, [run.id]);
      expect(done!.status).toBe('completed');
      // The refused run was never stored.
      const runs = await get<{ items: Run[] }>(`${a.url}/v1/sessions/${sessionId}/runs`);
      expect(runs.items.map((r) => r.id)).toEqual([run.id]);
      expectWholeLog(await storedEvents(a, sessionId), [run.id]);
    }
  });

  it('two api nodes racing `enqueue` behind an active run: all accepted, run one at a time in line order', async () => {
    const [a, b] = cluster.apis as [ClusterNode, ClusterNode];
    const sessionId = await createSession(a, 'enqueue-user');
    const active = await accepted(startRun(a, sessionId, 'enqueue-0', 'enqueue'));
    await within('the active run to call the service', service.received('enqueue-0'));

    // While it runs, `reject` from both nodes at once: both refused.
    const refused = await Promise.all([
      startRun(a, sessionId, 'enqueue-refused-a', 'reject'),
      startRun(b, sessionId, 'enqueue-refused-b', 'reject'),
    ]);
    expect(refused.map((x) => [x.status, x.body.code])).toEqual([
      [409, 'SESSION_BUSY'],
      [409, 'SESSION_BUSY'],
    ]);

    const WAITING = 8;
    const waiting = await Promise.all(
      Array.from({ length: WAITING }, (_, k) =>
        accepted(startRun(k % 2 === 0 ? a : b, sessionId, `enqueue-${k + 1}`, 'enqueue')),
      ),
    );
    for (let k = 0; k <= WAITING; k++) service.release(`enqueue-${k}`);
    const ids = [active.id, ...waiting.map((run) => run.id)];
    const runs = await ended(b, sessionId, ids);
    expect(runs.map((run) => run.status)).toEqual(ids.map(() => 'completed'));

    const events = await storedEvents(b, sessionId);
    expectWholeLog(events, ids);
    // The line decided each one's place atomically: distinct positions 1..8 behind the active run.
    const positionOf = new Map(
      ofType(events, 'run.queued')
        .filter((e) => e.run_id !== active.id)
        .map((e) => [e.run_id, e.meta] as const),
    );
    for (const meta of positionOf.values()) expect(meta).toMatchObject({ reason: 'session_busy' });
    const inLine = [...waiting]
      .map((run) => ({ id: run.id, position: Number(positionOf.get(run.id)?.position) }))
      .sort((x, y) => x.position - y.position);
    expect(inLine.map((x) => x.position)).toEqual(Array.from({ length: WAITING }, (_, k) => k + 1));
    // Started in that order, each once the one before it has ended.
    const started = ofType(events, 'run.started');
    expect(started.map((e) => e.run_id)).toEqual([active.id, ...inLine.map((x) => x.id)]);
    for (let k = 1; k < started.length; k++) {
      const before = events.find((e) => e.run_id === started[k - 1]!.run_id && TERMINAL.has(e.type))!;
      expect(started[k]!.seq, `run ${k} starts after run ${k - 1} ended`).toBeGreaterThan(before.seq);
    }
  });

  it('`interrupt` on one node cancels the run active on a worker; the interrupting run goes next, ahead of one enqueued at the same instant', async () => {
    const [a, b] = cluster.apis as [ClusterNode, ClusterNode];
    const sessionId = await createSession(a, 'interrupt-user');
    const active = await accepted(startRun(a, sessionId, 'interrupt-1', 'enqueue'));
    await within('the active run to call the service', service.received('interrupt-1'));

    // Whichever the line takes first, the interrupting run is placed right behind the active one.
    const [interrupting, enqueued] = await Promise.all([
      accepted(startRun(b, sessionId, 'interrupt-2', 'interrupt')),
      accepted(startRun(a, sessionId, 'interrupt-3', 'enqueue')),
    ]);
    // The active run's in-flight call is aborted at the service.
    await within('the active run’s call to be aborted', service.aborted('interrupt-1'));
    const [cancelled] = await ended(a, sessionId, [active.id]);
    expect(cancelled!.status).toBe('cancelled');

    // Next to call the service is the interrupting run; the enqueued one waits behind it.
    const next = await until('the next run to call the service', () =>
      service.requests.find((r) => r.id === 'interrupt-2' || r.id === 'interrupt-3'),
    );
    expect(next.id).toBe('interrupt-2');
    service.release('interrupt-2');
    await within('the enqueued run to call the service', service.received('interrupt-3'));
    service.release('interrupt-3');

    const ids = [active.id, interrupting.id, enqueued.id];
    const runs = await ended(b, sessionId, ids);
    expect(runs.map((run) => run.status)).toEqual(['cancelled', 'completed', 'completed']);
    const events = await storedEvents(b, sessionId);
    expectWholeLog(events, ids);
    const cancelEvent = events.find((e) => e.run_id === active.id && e.type === 'run.cancelled')!;
    expect(String(cancelEvent.meta.reason)).toMatch(/interrupted/);
    expect(String(cancelEvent.meta.reason)).toContain(interrupting.id);
    expect(ofType(events, 'run.started').map((e) => e.run_id)).toEqual(ids);
    const interruptStarted = events.find((e) => e.run_id === interrupting.id && e.type === 'run.started')!;
    expect(interruptStarted.seq).toBeGreaterThan(cancelEvent.seq);
  });
});
