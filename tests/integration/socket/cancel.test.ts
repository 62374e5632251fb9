import { afterEach, describe, expect, it, vi } from 'vitest';
import { TEST_PLUGINS, useGateway } from '../gateway/platform.ts';
import { eventually, trackedClients } from './socket-client.ts';

describe('Socket.IO cancel: the run to cancel is chosen by core', () => {
  const gw = useGateway({ PLUGINS: TEST_PLUGINS, DEFAULT_FLOW: 'tick' }, { socketGraceMs: 0 });
  const runtime = () => gw().platform.runtime;
  const clients = trackedClients(() => gw().url);
  const startTick = async (sessionId: string) =>
    runtime().runs.create(sessionId, {
      flow: 'tick',
      input: { question: 'tick', ticks: 100_000, everyMs: 5 },
    });

  afterEach(async () => {
    vi.restoreAllMocks();
    clients.closeAll();
    await eventually(() => runtime().events.subscriberCount() === 0, 'every channel released');
  });

  it('cancel {session_id} asks core for the active run (runs.cancelActive) with the socket reason', async () => {
    const session = await runtime().sessions.create();
    const running = await startTick(session.id);
    const queued = await startTick(session.id);
    const cancelActive = vi.spyOn(runtime().runs, 'cancelActive');
    const cancel = vi.spyOn(runtime().runs, 'cancel');
    const c = await clients.connect();

    const ack = await c.socket.timeout(10_000).emitWithAck('cancel', { session_id: session.id });
    expect(ack).toEqual({ ok: true, run_id: running.id, status: 'cancelled' });
    expect(cancelActive.mock.calls).toEqual([[session.id, 'cancelled over Socket.IO']]);
    expect((await runtime().runs.get(session.id, running.id)).error).toMatchObject({
      reason: 'cancelled over Socket.IO',
    });

    // Naming the run goes straight to it; core's rule is not asked.
    cancelActive.mockClear();
    cancel.mockClear();
    const named = await c.socket
      .timeout(10_000)
      .emitWithAck('cancel', { session_id: session.id, run_id: queued.id });
    expect(named).toEqual({ ok: true, run_id: queued.id, status: 'cancelled' });
    expect(cancelActive).not.toHaveBeenCalled();
    expect(cancel.mock.calls).toEqual([[session.id, queued.id, 'cancelled over Socket.IO']]);
  });
});
