// The Socket.IO clients of bench/fanout.ts, in a worker thread so they do not share the servers'
// event loop. Two groups of clients ('bridge' and 'bare'), each on its own server; every client
// counts the `session_event`s it gets, checks their seq follows on, and records each one's latency
// (receive time minus the `meta.sent_at` stamped by the sender, both on the epoch clock
// `performance.timeOrigin + performance.now()`). Plain JS: a worker's entry cannot be .ts on Node 20.
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { io } from 'socket.io-client';

const now = () => performance.timeOrigin + performance.now();

/** group name -> { url, clients: [{ socket, lastSeq }] } */
const groups = new Map();

/** The round being measured: how many events each client of `group` should get. */
let round = null;

function onEvent(group, client, event) {
  const at = now();
  if (!round || round.group !== group) return;
  if (event.seq !== client.lastSeq + 1) round.outOfOrder += 1;
  client.lastSeq = event.seq;
  const sentAt = event.meta?.sent_at;
  if (typeof sentAt === 'number' && round.received < round.latencies.length)
    round.latencies[round.received] = at - sentAt;
  round.received += 1;
  round.lastAt = at;
  if (round.received === round.expected) finishRound();
}

function finishRound() {
  const done = round;
  round = null;
  clearTimeout(done.timer);
  const latencies = done.latencies.subarray(0, Math.min(done.received, done.latencies.length)).sort();
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  done.reply({
    received: done.received,
    expected: done.expected,
    outOfOrder: done.outOfOrder,
    lastAt: done.lastAt,
    p50: at(0.5),
    p99: at(0.99),
  });
}

function connectOne(url, token) {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: token ? { token } : {},
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => reject(error));
  });
}

const handlers = {
  /** Adds `count` clients to `group` (connected 50 at a time). */
  async connect({ group, url, count }) {
    const entry = groups.get(group) ?? { url, clients: [] };
    groups.set(group, entry);
    for (let done = 0; done < count; done += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, count - done) }, () => connectOne(url)),
      );
      for (const socket of batch) {
        const client = { socket, lastSeq: 0 };
        socket.on('session_event', (event) => onEvent(group, client, event));
        entry.clients.push(client);
      }
    }
    return { clients: entry.clients.length };
  },
  /** Every client of `group` not yet joined emits `command` with `payload` and waits for its ack. */
  async join({ group, command, payload, lastSeq }) {
    const entry = groups.get(group);
    const pending = entry.clients.filter((client) => !client.joined);
    await Promise.all(
      pending.map(async (client) => {
        const ack = await client.socket.timeout(30_000).emitWithAck(command, payload);
        if (ack && ack.ok === false) throw new Error(`${command}: ${ack.error.code} ${ack.error.message}`);
        client.joined = true;
      }),
    );
    for (const client of entry.clients) client.lastSeq = lastSeq;
    return { joined: entry.clients.length };
  },
  /** Starts counting: resolves once every client of `group` got `events` events (or after `timeoutMs`). */
  expect({ group, events, timeoutMs }, reply) {
    const clients = groups.get(group).clients.length;
    const expected = clients * events;
    round = {
      group,
      expected,
      received: 0,
      outOfOrder: 0,
      lastAt: 0,
      latencies: new Float64Array(expected),
      reply,
      timer: setTimeout(() => finishRound(), timeoutMs),
    };
    // Ready to count: the sender may start.
    return { ready: true, clients };
  },
  /** This thread's clock, to measure the offset against the main thread's. */
  clock() {
    return { at: now() };
  },
  close() {
    for (const entry of groups.values()) for (const client of entry.clients) client.socket.disconnect();
    groups.clear();
    return { closed: true };
  },
};

parentPort.on('message', async ({ id, type, ...args }) => {
  try {
    if (type === 'expect') {
      const reply = (result) => parentPort.postMessage({ id, type: 'finished', result });
      parentPort.postMessage({ id, type: 'started', result: handlers.expect(args, reply) });
      return;
    }
    parentPort.postMessage({ id, type: 'result', result: await handlers[type](args) });
  } catch (error) {
    parentPort.postMessage({ id, type: 'error', error: String(error?.stack ?? error) });
  }
});
