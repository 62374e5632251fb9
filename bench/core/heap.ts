import { randomUUID } from 'node:crypto';
import type { Runtime, SessionEvent } from '../../core/index.ts';
import { stepDraft, stepEvent } from '../lib/fixtures.ts';
import { compare, settledHeapUsed, type Compared } from '../lib/measure.ts';
import { withRuntime, type StoreKind } from '../lib/runtime.ts';

/** Sessions held per measured run. */
export const SESSIONS = 100;
/** Events per session, `session.created` included: the hub's default hot window. */
export const EVENTS_PER_SESSION = 200;
const WARMUP_SESSIONS = 20;

/** Creates a session and commits its other events through the log, one per commit, pipelined. */
async function fillSession(runtime: Runtime): Promise<void> {
  const session = await runtime.sessions.create();
  const runId = randomUUID();
  const commits: Promise<SessionEvent[]>[] = [];
  for (let n = 1; n < EVENTS_PER_SESSION; n += 1) {
    commits.push(
      runtime.log.commit({ session_id: session.id, trace_id: null, events: [stepDraft(runId, n)] }),
    );
  }
  await Promise.all(commits);
}

/** Heap bytes each idle session (no subscriber) adds to a running runtime over `kind`. */
function heapThroughRuntime(kind: StoreKind, sessions: number): Promise<number> {
  return withRuntime(kind, async (runtime) => {
    const before = await settledHeapUsed();
    for (let i = 0; i < sessions; i += 1) await fillSession(runtime);
    await runtime.log.flush();
    const after = await settledHeapUsed();
    if (runtime.events.subscriberCount() !== 0) throw new Error('heap bench expects idle sessions');
    return (after - before) / sessions;
  });
}

/**
 * The baseline: heap bytes per session for the same events held as plain objects, parsed from
 * their JSON. (Parsing gives flat strings: a fresh `randomUUID()` is a rope of ~600 bytes until read.)
 */
async function heapOfPlainEvents(sessions: number): Promise<number> {
  const before = await settledHeapUsed();
  const held = new Map<string, SessionEvent[]>();
  for (let i = 0; i < sessions; i += 1) {
    const sessionId = randomUUID();
    const runId = randomUUID();
    const events = Array.from({ length: EVENTS_PER_SESSION }, (_, n) =>
      stepEvent(sessionId, runId, n, n + 1),
    );
    held.set(sessionId, JSON.parse(JSON.stringify(events)) as SessionEvent[]);
  }
  const after = await settledHeapUsed();
  if (held.size !== sessions) throw new Error('baseline lost sessions');
  return (after - before) / sessions;
}

/** Median bytes per idle session in the runtime (value) and as plain parsed events (baseline); needs `--expose-gc`. */
export async function measureHeap(kind: StoreKind): Promise<Compared> {
  await heapThroughRuntime(kind, WARMUP_SESSIONS);
  await heapOfPlainEvents(WARMUP_SESSIONS);
  return compare(
    { warmup: 0, runs: 3 },
    () => heapThroughRuntime(kind, SESSIONS),
    () => heapOfPlainEvents(SESSIONS),
  );
}
