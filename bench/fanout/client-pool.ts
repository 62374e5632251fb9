import { Worker } from 'node:worker_threads';

/** One client group's result for a round. */
export interface RoundResult {
  received: number;
  expected: number;
  /** Deliveries whose seq did not follow the client's previous one (a gap or a duplicate). */
  outOfOrder: number;
  /** When the last delivery arrived, on this thread's epoch clock. */
  lastAt: number;
  /** Delivery latency percentiles, ms. */
  p50: number;
  p99: number;
}

type Reply =
  | { id: number; type: 'result' | 'started' | 'finished'; result: unknown }
  | { id: number; type: 'error'; error: string };

/** Epoch ms with sub-ms precision; comparable across threads once {@link ClientPool.clockOffset} is applied. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/**
 * The Socket.IO clients of the fan-out bench, in a worker thread (`clients-worker.mjs`) so that
 * receiving does not compete with sending on one event loop. Clients are in named groups, one per server.
 *
 * @example
 * ```ts
 * const pool = await ClientPool.start();
 * await pool.connect('bare', url, 100);
 * const round = await pool.round('bare', 300, () => send300());
 * ```
 */
export class ClientPool {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(reply: Reply): void }>();
  /** Worker clock minus main clock, ms. */
  private offset = 0;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => {
      const entry = this.waiting.get(reply.id);
      if (!entry) return;
      this.waiting.delete(reply.id);
      entry.resolve(reply);
    });
  }

  static async start(): Promise<ClientPool> {
    const pool = new ClientPool(
      new Worker(new URL('./clients-worker.mjs', import.meta.url), { execArgv: [] }),
    );
    await pool.calibrate();
    return pool;
  }

  /** Connects `count` more clients of `group` to `url` (websocket transport, one connection each). */
  async connect(group: string, url: string, count: number): Promise<void> {
    await this.call('connect', { group, url, count });
  }

  /** Every client of `group` not yet joined sends `command` (`payload`) and waits for its ack. */
  async join(group: string, command: string, payload: unknown, lastSeq: number): Promise<void> {
    await this.call('join', { group, command, payload, lastSeq });
  }

  /**
   * One measured round: the clients of `group` start counting, `send` emits `events` events, and the
   * round ends when every client got every one. Returns the clients' figures with `lastAt` on this
   * thread's clock; throws on a missing, duplicated or out-of-order delivery.
   */
  async round(
    group: string,
    events: number,
    send: () => Promise<void>,
    timeoutMs = 120_000,
  ): Promise<RoundResult> {
    const id = this.nextId++;
    const started = new Promise<Reply>((resolve) => this.waiting.set(id, { resolve }));
    this.worker.postMessage({ id, type: 'expect', group, events, timeoutMs });
    const ready = await started;
    if (ready.type === 'error') throw new Error(ready.error);
    const finished = new Promise<Reply>((resolve) => this.waiting.set(id, { resolve }));
    await send();
    const reply = await finished;
    if (reply.type === 'error') throw new Error(reply.error);
    const result = reply.result as RoundResult;
    if (result.received !== result.expected || result.outOfOrder > 0)
      throw new Error(
        `${group}: ${result.received} of ${result.expected} deliveries, ${result.outOfOrder} out of order`,
      );
    // The worker stamps on its own clock: bring its times onto this thread's.
    return {
      ...result,
      lastAt: result.lastAt - this.offset,
      p50: result.p50 - this.offset,
      p99: result.p99 - this.offset,
    };
  }

  async close(): Promise<void> {
    await this.call('close', {});
    await this.worker.terminate();
  }

  /** The worker's clock offset, from the exchange with the shortest round trip of 20. */
  private async calibrate(): Promise<void> {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 20; i += 1) {
      const sent = epochNow();
      const { at } = (await this.call('clock', {})) as { at: number };
      const back = epochNow();
      if (back - sent < best) {
        best = back - sent;
        this.offset = at - (sent + back) / 2;
      }
    }
  }

  private async call(type: string, args: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve) => {
      this.waiting.set(id, { resolve });
      this.worker.postMessage({ id, type, ...args });
    });
    if (reply.type === 'error') throw new Error(`clients worker, ${type}: ${reply.error}`);
    return reply.result;
  }
}
