import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runtime, SessionEvent } from '../core/index.ts';
import type { EventDraft } from '../core/events/event.ts';
import { startPlatform } from '../platform/platform.ts';
import { startBareSocketServer, type BareSocketServer } from './fanout/bare-socket-server.ts';
import { ClientPool, epochNow, type RoundResult } from './fanout/client-pool.ts';
import { stepDraft, stepEvent } from './lib/fixtures.ts';
import { median } from './lib/measure.ts';
import type { BenchModule } from './lib/module.ts';
import type { Row } from './lib/table.ts';

/** Subscribed clients per measurement. */
export const CLIENT_COUNTS = [100, 1_000] as const;
/** Events sent as fast as the sender can per throughput round: 50k deliveries at 100 clients, 200k at 1,000. */
export const BURST_EVENTS: Readonly<Record<(typeof CLIENT_COUNTS)[number], number>> = {
  100: 500,
  1_000: 200,
};
/** Untimed rounds on each side first, then timed rounds alternating bridge / bare. */
export const WARMUP_ROUNDS = 1;
export const ROUNDS = 5;
/** A latency round: this many events, one every `PACE_MS`; the median of `LATENCY_ROUNDS` rounds per side. */
export const PACED_EVENTS = 30;
export const PACE_MS = 100;
export const LATENCY_ROUNDS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const count = (n: number) => n.toLocaleString('en-US');

/** What one side of the comparison does: send `n` events to its room, and how to tell its clients to join. */
interface Side {
  group: 'bridge' | 'bare';
  url: string;
  /** Sends one event now (stamped with `meta.sent_at`); the promise settles when it is handed over. */
  sendOne(): Promise<unknown>;
  /** The join command and payload of a client, and the seq its first event will follow. */
  joinCommand(): { command: string; payload: unknown; lastSeq: number };
}

/** The bridge: a run-like writer commits to the session's log; the bridge broadcasts to the room. */
function bridgeSide(runtime: Runtime, url: string, sessionId: string): Side {
  let n = 0;
  let lastSeq = 1;
  const draft = (): EventDraft => {
    n += 1;
    const step = stepDraft(null, n);
    return { ...step, meta: { ...step.meta, sent_at: epochNow() } };
  };
  return {
    group: 'bridge',
    url,
    sendOne: () =>
      runtime.log.commit({ session_id: sessionId, trace_id: null, events: [draft()] }).then((events) => {
        lastSeq = Math.max(lastSeq, events.at(-1)?.seq ?? 0);
      }),
    joinCommand: () => ({
      command: 'subscribe',
      payload: { session_id: sessionId, after_seq: lastSeq },
      lastSeq,
    }),
  };
}

/** The baseline: the same envelopes, `io.to(room).emit` on a bare Socket.IO server. */
function bareSide(bare: BareSocketServer, sessionId: string): Side {
  const room = `session:${sessionId}`;
  let seq = 0;
  return {
    group: 'bare',
    url: bare.url,
    sendOne: () => {
      seq += 1;
      const event: SessionEvent = stepEvent(sessionId, null, seq, seq);
      bare.emit(room, { ...event, meta: { ...event.meta, sent_at: epochNow() } });
      return Promise.resolve();
    },
    joinCommand: () => ({ command: 'join', payload: room, lastSeq: seq }),
  };
}

interface Burst {
  /** Deliveries per second: every client gets every event, from the first send to the last delivery. */
  rate: number;
  /** The sender's time per event (for the bridge: envelope, store write, publish and the room emit), µs. */
  sendUs: number;
}

async function burst(pool: ClientPool, side: Side, clients: number, events: number): Promise<Burst> {
  let started = 0;
  let sentAt = 0;
  const result = await pool.round(side.group, events, async () => {
    started = epochNow();
    const sent: Promise<unknown>[] = [];
    for (let i = 0; i < events; i += 1) sent.push(side.sendOne());
    await Promise.all(sent);
    sentAt = epochNow();
  });
  return {
    rate: (clients * events) / ((result.lastAt - started) / 1000),
    sendUs: ((sentAt - started) * 1000) / events,
  };
}

/** Latency under a steady trickle: one event every PACE_MS. */
async function paced(pool: ClientPool, side: Side): Promise<RoundResult> {
  return pool.round(side.group, PACED_EVENTS, async () => {
    const sent: Promise<unknown>[] = [];
    for (let i = 0; i < PACED_EVENTS; i += 1) {
      sent.push(side.sendOne());
      await sleep(PACE_MS);
    }
    await Promise.all(sent);
  });
}

async function measureClients(
  pool: ClientPool,
  sides: readonly [Side, Side],
  clients: (typeof CLIENT_COUNTS)[number],
  progress: (message: string) => void,
): Promise<Row[]> {
  const tag = `${count(clients)} clients`;
  const events = BURST_EVENTS[clients];
  const bursts = { bridge: [] as Burst[], bare: [] as Burst[] };
  for (let i = 0; i < WARMUP_ROUNDS + ROUNDS; i += 1) {
    progress(
      `${tag}: burst round ${i + 1} of ${WARMUP_ROUNDS + ROUNDS} (${i < WARMUP_ROUNDS ? 'warm-up' : 'timed'})`,
    );
    for (const side of sides) {
      globalThis.gc?.();
      const result = await burst(pool, side, clients, events);
      if (i >= WARMUP_ROUNDS) bursts[side.group].push(result);
    }
  }
  const latencies = { bridge: [] as RoundResult[], bare: [] as RoundResult[] };
  for (let i = 0; i < LATENCY_ROUNDS; i += 1) {
    progress(
      `${tag}: latency round ${i + 1} of ${LATENCY_ROUNDS}, ${PACED_EVENTS} events ${PACE_MS} ms apart`,
    );
    for (const side of sides) latencies[side.group].push(await paced(pool, side));
  }
  const p = (group: Side['group'], key: 'p50' | 'p99') => median(latencies[group].map((round) => round[key]));
  const b = (group: Side['group'], key: keyof Burst) => median(bursts[group].map((round) => round[key]));
  return [
    {
      metric: `delivered events/s, ${tag}`,
      unit: 'ev/s',
      value: b('bridge', 'rate'),
      baseline: b('bare', 'rate'),
      target: { op: '>=', limit: 0.8, on: 'ratio' },
    },
    {
      metric: `sender time per event, ${tag}`,
      unit: 'µs',
      value: b('bridge', 'sendUs'),
      baseline: b('bare', 'sendUs'),
      target: null,
    },
    {
      metric: `p50 latency, ${tag}`,
      unit: 'ms',
      value: p('bridge', 'p50'),
      baseline: p('bare', 'p50'),
      target: null,
    },
    {
      metric: `p99 latency, ${tag}`,
      unit: 'ms',
      value: p('bridge', 'p99'),
      baseline: p('bare', 'p99'),
      target: clients >= 1_000 ? { op: '<', limit: 50, on: 'value' } : null,
    },
  ];
}

const fanout: BenchModule = {
  title: 'Socket.IO fan-out',
  notes: [
    `value: one session of the whole gateway (startPlatform as \`npm start\` boots it, SQLite store, LOG_LEVEL=silent, no API keys) whose log gets \`step\` events (runtime.log.commit, as a run writes them), fanned out by the Socket.IO bridge to N clients subscribed to its room; baseline: the same envelopes sent with \`io.to(room).emit\` on a bare Socket.IO server with the same options (connection state recovery on) to N clients of its own, in the same process and run`,
    `clients: N socket.io-client connections per side (websocket transport, one connection each) in one worker thread, off the servers' event loop; each checks that every event arrives once and in seq order (a miss fails the bench)`,
    `events/s: deliveries (events × clients) per second of a burst of ${BURST_EVENTS[100]} events (100 clients) or ${BURST_EVENTS[1_000]} (1,000 clients) sent as fast as the sender can, from the first send to the last delivery; ${WARMUP_ROUNDS} warm-up round, then the median of ${ROUNDS} timed rounds alternating bridge / bare`,
    'sender time per event: the main thread’s time for the burst ÷ its events, until the last emit returned (bridge: envelope, SQLite write, publish, room emit to N sockets; bare: envelope and room emit); the clients’ decoding is not in it',
    `latency: rounds of ${PACED_EVENTS} events ${PACE_MS} ms apart, alternating bridge / bare, the median of ${LATENCY_ROUNDS} rounds' percentiles; each delivery's receive time minus the send time stamped in \`meta.sent_at\` (for the bridge, before the store write); the clients' clock is matched to the sender's by the shortest of 20 round trips`,
  ],
  async run(progress) {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-fanout-'));
    const platform = await startPlatform(
      {
        PORT: '0',
        SQLITE_PATH: join(dir, 'bench.db'),
        LOG_LEVEL: 'silent',
        SHUTDOWN_TIMEOUT_MS: '0',
        MAX_SESSIONS_PER_USER: '0',
      },
      { socketGraceMs: 0 },
    );
    const bare = await startBareSocketServer();
    const pool = await ClientPool.start();
    try {
      const session = await platform.runtime.sessions.create({ name: 'fan-out bench' });
      const sides = [
        bridgeSide(platform.runtime, platform.url, session.id),
        bareSide(bare, session.id),
      ] as const;
      const rows: Row[] = [];
      let connected = 0;
      for (const clients of CLIENT_COUNTS) {
        progress(`connecting ${count(clients - connected)} more clients to each server`);
        for (const side of sides) {
          await pool.connect(side.group, side.url, clients - connected);
          const { command, payload, lastSeq } = side.joinCommand();
          await pool.join(side.group, command, payload, lastSeq);
        }
        connected = clients;
        rows.push(...(await measureClients(pool, sides, clients, progress)));
      }
      return rows;
    } finally {
      await pool.close();
      await bare.close();
      await platform.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default fanout;
