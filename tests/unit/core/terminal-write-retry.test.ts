import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TERMINAL_EVENT_TYPES,
  TributaryError,
  type Logger,
  type Run,
  type Runtime,
  type SessionEvent,
  type WriteBatch,
} from '../../../core/index.ts';
import { MemoryStore } from '../../../stores/index.ts';
import { fakePlugins } from '../../fixtures/fake-plugins.ts';
import { gate, gatePlugins } from '../../fixtures/gate-plugins.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';

const isTerminal = (event: { type: string }) =>
  (TERMINAL_EVENT_TYPES as readonly string[]).includes(event.type);

/**
 * The memory store with a switch: while `down`, writes and run reads throw STORE_UNAVAILABLE, as a
 * store that does not answer. `lieOnce` applies the next terminal write and then throws, as a reply
 * lost with the connection. Each refused terminal write is counted, and `untilRefused(n)` waits for it.
 */
class DownableStore extends MemoryStore {
  down = false;
  lieOnce = false;
  private refusedTerminals = 0;
  private waiters: { count: number; resolve: () => void }[] = [];

  override async writeMany(batches: readonly WriteBatch[]) {
    const terminal = batches.some((batch) => batch.events?.some(isTerminal));
    if (this.down) {
      if (terminal) this.refused();
      throw new TributaryError('STORE_UNAVAILABLE', 'test store: down');
    }
    const written = await super.writeMany(batches);
    if (terminal && this.lieOnce) {
      this.lieOnce = false;
      throw new TributaryError('STORE_UNAVAILABLE', 'test store: the reply was lost');
    }
    return written;
  }

  override async getRun(sessionId: string, runId: string): Promise<Run | null> {
    if (this.down) throw new TributaryError('STORE_UNAVAILABLE', 'test store: down');
    return super.getRun(sessionId, runId);
  }

  /** Resolves once `count` terminal writes have been refused in all. */
  untilRefused(count: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.refusedTerminals >= count) return resolve();
      this.waiters.push({ count, resolve });
    });
  }

  private refused(): void {
    this.refusedTerminals += 1;
    for (const waiter of this.waiters.filter((w) => w.count <= this.refusedTerminals)) waiter.resolve();
  }
}

/** A logger that keeps every line and tells when one matching a message is written. */
function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const waiters: { match: string; resolve: () => void }[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const method =
      (level: string) =>
      (fieldsOrMessage: object | string, message?: string): void => {
        const [fields, text] =
          typeof fieldsOrMessage === 'string' ? [{}, fieldsOrMessage] : [fieldsOrMessage, message ?? ''];
        lines.push({ level, fields: { ...bindings, ...fields }, message: text });
        for (const waiter of waiters.filter((w) => text.includes(w.match))) waiter.resolve();
      };
    return {
      debug: method('debug'),
      info: method('info'),
      warn: method('warn'),
      error: method('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return {
    logger: make({}),
    lines,
    until: (match: string) =>
      new Promise<void>((resolve) => {
        if (lines.some((line) => line.message.includes(match))) return resolve();
        waiters.push({ match, resolve });
      }),
  };
}

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
});

async function start(store: MemoryStore, logger?: Logger): Promise<Runtime> {
  runtime = await startRuntime(
    {},
    { store, plugins: [...fakePlugins, ...gatePlugins], ...(logger && { logger }) },
  );
  return runtime;
}

/** A run of the `gated` flow, held in its tool until the test opens the gate. */
async function heldRun(rt: Runtime) {
  const session = await rt.sessions.create({ user_id: 'ann' });
  const held = gate(randomUUID());
  const run = await rt.runs.create(session.id, { flow: 'gated', input: { gate: held.name } });
  await held.reached;
  return { sessionId: session.id, run, open: held.open };
}

async function eventsOf(store: MemoryStore, sessionId: string): Promise<SessionEvent[]> {
  return store.listEvents(sessionId, { after: 0, limit: 1000 });
}

describe('a run whose store goes down mid-run', () => {
  it('ends with exactly one run.failed once the store is back: the terminal write is retried, nothing half written', async () => {
    const store = new DownableStore();
    const rt = await start(store);
    const { sessionId, run, open } = await heldRun(rt);

    store.down = true;
    open(); // the tool ends: its tool.completed cannot be stored, which fails the run
    await store.untilRefused(2); // the terminal write was refused, and tried again
    const ended = terminalOf(rt, sessionId, run.id);
    store.down = false;

    expect(await ended).toMatchObject({
      type: 'run.failed',
      meta: { code: 'STORE_UNAVAILABLE', message: 'store write failed: the session store did not answer' },
    });
    expect(await store.getRun(sessionId, run.id)).toMatchObject({
      status: 'failed',
      error: { code: 'STORE_UNAVAILABLE' },
      finished_at: expect.any(String),
    });
    const events = await eventsOf(store, sessionId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const ofRun = events.filter((e) => e.run_id === run.id);
    expect(ofRun.filter(isTerminal).map((e) => e.type)).toEqual(['run.failed']);
    expect(ofRun.at(-1)?.type).toBe('run.failed');
    // The refused batches left nothing: no tool end, no message, no result of the flow.
    expect(ofRun.map((e) => e.type)).not.toContain('tool.completed');
    expect(await store.listMessages(sessionId)).not.toContainEqual(
      expect.objectContaining({ role: 'assistant' }),
    );
    expect((await store.getSession(sessionId))?.active_run_id).toBeNull();
    // The session serves the next run.
    const next = await rt.runs.create(sessionId, { input: { question: 'again' }, flow: 'ask' });
    expect((await terminalOf(rt, sessionId, next.id)).type).toBe('run.completed');
  });

  it('does not write the terminal event twice when a try was applied but its answer was lost', async () => {
    const store = new DownableStore();
    const { logger, until } = recordingLogger();
    const rt = await start(store, logger);
    const { sessionId, run, open } = await heldRun(rt);

    store.lieOnce = true;
    open();
    // The second try settles either way: found applied (right), or written again (the defect).
    await Promise.race([
      until('terminal write of run was applied after all'),
      until('terminal write of run stored'),
    ]);

    expect(await store.getRun(sessionId, run.id)).toMatchObject({ status: 'completed' });
    const terminal = (await eventsOf(store, sessionId)).filter((e) => e.run_id === run.id && isTerminal(e));
    expect(terminal.map((e) => e.type)).toEqual(['run.completed']);
  });

  it('shutdown while the store is down gives the terminal write one last try, then stops waiting', async () => {
    const store = new DownableStore();
    const { logger, lines } = recordingLogger();
    const rt = await start(store, logger);
    const { sessionId, run, open } = await heldRun(rt);

    store.down = true;
    open();
    await store.untilRefused(2);
    runtime = undefined;
    await rt.shutdown();

    const gaveUp = lines.filter((line) => line.message.startsWith('terminal write of run failed'));
    expect(gaveUp).toEqual([
      expect.objectContaining({ level: 'error', fields: expect.objectContaining({ run_id: run.id }) }),
    ]);
    expect(gaveUp[0]?.fields.session_id).toBe(sessionId);
  });
});
