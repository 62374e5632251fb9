import { get, type IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../core/index.ts';
import { SSE_QUEUE_LIMIT_BYTES } from '../../../gateway/http/sse.ts';
import { allEvents, INTERNAL_TOKEN, newSession, sleep, useGateway, type Gateway } from './platform.ts';
import type { SseStream } from './sse.ts';

/** Every line the gateway logs at warn or above, parsed. */
const logged: Array<Record<string, unknown>> = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line !== '') logged.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
);

/** About the size of the progress events of the report (forty of 900 KB). */
const BLOB = 'x'.repeat(900_000);
/**
 * The report's forty events (36 MB): far more than the bound plus what the kernel's socket buffers
 * take, so a stream still open after them is buffering without bound.
 */
const MAX_POSTS = 40;

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * An SSE client over `node:http` that reads nothing until `read()`: the response is left paused, so
 * once the socket buffers are full everything the server sends piles up on the server's side.
 */
class StalledClient {
  /** The ids of the whole frames received since `read()`, in order. */
  readonly ids: number[] = [];
  ended = false;
  private text = '';

  private constructor(readonly response: IncomingMessage) {}

  static open(url: string, headers: Record<string, string> = {}): Promise<StalledClient> {
    return new Promise((resolve, reject) => {
      get(url, { headers: { Accept: 'text/event-stream', ...headers } }, (response) =>
        resolve(new StalledClient(response)),
      ).on('error', reject);
    });
  }

  /** Starts reading what reached this client, up to the end the server gives the connection. */
  read(): void {
    this.response.setEncoding('utf8');
    this.response.on('data', (chunk: string) => {
      this.text += chunk;
      let end: number;
      while ((end = this.text.indexOf('\n\n')) !== -1) {
        const id = /^id: (\d+)$/m.exec(this.text.slice(0, end));
        if (id) this.ids.push(Number(id[1]));
        this.text = this.text.slice(end + 2);
      }
    });
    // A connection the server destroyed ends as an aborted response (no last chunk): that is the end too.
    this.response.on('error', () => undefined);
    this.response.on('close', () => (this.ended = true));
  }

  close(): void {
    this.response.destroy();
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const lastId = (stream: SseStream) => Number(stream.frames.findLast((frame) => frame.id)?.id ?? 0);

const progress = (gw: Gateway, sessionId: string, i: number) =>
  gw.call('POST', '/v1/progress', {
    json: { session_id: sessionId, step: 'bulk', message: `blob ${i}`, meta: { i, blob: BLOB } },
    headers: { 'X-Internal-Token': INTERNAL_TOKEN },
  });

describe('SSE back-pressure: a client that stops reading is cut off at a bound, the others are not slowed', () => {
  const gw = useGateway({ INTERNAL_TOKEN }, { logger });
  const subscribers = (id: string) => gw().platform.runtime.events.subscriberCount(id);

  it('disconnects a stalled client (warn with session_id) and releases its subscription; the reader gets every event in order; the stalled one resumes with Last-Event-ID', async () => {
    const id = await newSession(gw().api);
    const url = `${gw().url}/v1/sessions/${id}/events/stream`;
    const reader = await gw().sse(`/v1/sessions/${id}/events/stream`);
    await reader.waitFor(() => lastId(reader) === 1, 10_000, 'session.created');
    const stalled = await StalledClient.open(url);
    await until(() => subscribers(id) === 2, 'both streams subscribed');

    let seq = 1;
    while (subscribers(id) === 2 && seq - 1 < MAX_POSTS) {
      expect((await progress(gw(), id, seq)).status).toBe(202);
      seq += 1;
      // The reader keeps up: each event reaches it before the next is posted. The fan-out to both
      // streams is one synchronous step, so by now the stalled stream has had this event too.
      await reader.waitFor(() => lastId(reader) === seq, 10_000, `event ${seq}`);
    }
    // Cut off long before MAX_POSTS events of 900 KB were queued for it.
    expect(subscribers(id)).toBe(1);
    expect(seq - 1).toBeLessThan(MAX_POSTS);
    const warning = logged.find((line) => line.session_id === id);
    expect(warning).toMatchObject({
      level: 40,
      msg: expect.stringMatching(/too far behind: disconnected/),
      queued_bytes: expect.any(Number),
    });
    expect(warning!.queued_bytes).toBeGreaterThan(SSE_QUEUE_LIMIT_BYTES);

    // The reader goes on receiving: two more events, then every one of them in seq order, none missing.
    for (let i = 0; i < 2; i += 1) {
      expect((await progress(gw(), id, seq)).status).toBe(202);
      seq += 1;
    }
    await reader.waitFor(() => lastId(reader) === seq, 10_000, `event ${seq}`);
    const stored = await allEvents(gw().api, id);
    const streamed = reader.frames.flatMap((frame) =>
      frame.data === undefined ? [] : [JSON.parse(frame.data) as SessionEvent],
    );
    expect(streamed.map((event) => event.seq)).toEqual(range(1, seq));
    expect(streamed.map((event) => event.id)).toEqual(stored.map((event) => event.id));
    reader.close();

    // The stalled client finds its connection closed by the server after a prefix of the stream, and
    // resumes from the last whole event it got with Last-Event-ID: nothing is lost.
    expect(stalled.response.statusCode).toBe(200);
    stalled.read();
    await until(() => stalled.ended, 'the end of the stalled connection');
    const got = stalled.ids.length;
    expect(stalled.ids).toEqual(range(1, got));
    expect(got).toBeLessThan(seq);
    const resumed = await gw().sse(`/v1/sessions/${id}/events/stream`, { 'Last-Event-ID': String(got) });
    await resumed.waitFor(() => lastId(resumed) === seq, 10_000, `resumed up to ${seq}`);
    expect(resumed.frames.flatMap((frame) => (frame.id ? [Number(frame.id)] : []))).toEqual(
      range(got + 1, seq),
    );
    resumed.close();
    await until(() => subscribers(id) === 0, 'no subscriber left');
  }, 120_000);

  it('replays a stored log far larger than the bound at the pace of a slow client: not cut off, nothing lost', async () => {
    const { runtime } = gw().platform;
    const id = await newSession(gw().api);
    // 27 MB stored: many times the bound and the socket buffers.
    for (let i = 0; i < 30; i += 1)
      await runtime.sessions.recordProgress(id, { step: 'bulk', message: `blob ${i}`, meta: { blob: BLOB } });
    const stalled = await StalledClient.open(`${gw().url}/v1/sessions/${id}/events/stream`);
    // A live event while the client is still far behind in the replay: the replay waits for it rather
    // than queueing the log, so this event finds no backlog to cut the client off for.
    const live = await runtime.sessions.recordProgress(id, { step: 'live', message: 'while replaying' });
    expect(live.seq).toBe(32);
    stalled.read();
    await until(() => stalled.ids.length === 32 || stalled.ended, 'the whole log, then the live event');
    expect(stalled.ids).toEqual(range(1, 32));
    expect(stalled.ended).toBe(false);
    expect(logged.filter((line) => line.session_id === id)).toEqual([]);
    stalled.close();
    await until(() => subscribers(id) === 0, 'no subscriber left');
  }, 120_000);
});
