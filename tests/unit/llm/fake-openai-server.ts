import { EventEmitter, once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the fake answers one request; it may leave `res` open forever (a model that never answers). */
export type Reply = (res: ServerResponse, req: IncomingMessage) => void;

export interface SeenRequest {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/**
 * An OpenAI-compatible chat completions server of our own, on a real port: each request takes the next
 * scripted {@link Reply}. `closed` emits `close` when a response is dropped before it ended, i.e. when the
 * client aborted the request: tests wait on that, not on time.
 */
export interface FakeOpenAi {
  url: string;
  requests: SeenRequest[];
  replies: Reply[];
  /** Responses the client dropped before they ended. */
  aborted: number;
  events: EventEmitter;
  close(): Promise<void>;
}

export async function fakeOpenAi(): Promise<FakeOpenAi> {
  const events = new EventEmitter();
  const fake: Omit<FakeOpenAi, 'url' | 'close'> = { requests: [], replies: [], aborted: 0, events };
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      fake.requests.push({
        headers: req.headers,
        body: JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>,
      });
      res.on('close', () => {
        if (res.writableEnded) return;
        fake.aborted += 1;
        events.emit('aborted');
      });
      const reply =
        fake.replies.shift() ?? ((r: ServerResponse) => r.writeHead(500).end('no reply scripted'));
      reply(res, req);
      events.emit('request');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  });
}

/** One SSE event carrying a chat completion chunk. */
export function chunk(content: string | null, finish: string | null = null): string {
  return `data: ${JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    model: 'fake-model',
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
  })}\n\n`;
}

/** The last chunk of a stream with `include_usage`: no choices, the counts. */
export function usageChunk(input: number, output: number): string {
  return `data: ${JSON.stringify({
    id: 'c1',
    choices: [],
    usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
  })}\n\n`;
}

/** A whole streamed completion: the pieces, `stop`, usage and `[DONE]`. */
export function streamed(pieces: readonly string[], usage: [number, number] = [7, pieces.length]): Reply {
  return (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    finish(res, pieces, usage);
  };
}

/** The rest of a stream whose head is written: the pieces, `stop`, usage and `[DONE]`. */
function finish(res: ServerResponse, pieces: readonly string[], usage: [number, number]): void {
  for (const piece of pieces) res.write(chunk(piece));
  res.write(chunk(null, 'stop'));
  res.end(`${usageChunk(...usage)}data: [DONE]\n\n`);
}

/** A whole streamed completion as one SSE body, for a nock reply. */
export function sseBody(pieces: readonly string[], usage: [number, number] = [7, pieces.length]): string {
  return `${pieces.map((piece) => chunk(piece)).join('')}${chunk(null, 'stop')}${usageChunk(...usage)}data: [DONE]\n\n`;
}

export function status(code: number, body: string, headers: Record<string, string> = {}): Reply {
  return (res) => res.writeHead(code, { 'content-type': 'application/json', ...headers }).end(body);
}

/**
 * A streamed completion
 * that sends its first piece, then holds; each `next()` sends one more, the last with the finish and
 * usage. A test sees each partial answer arrive before it lets the rest out, with no timing involved.
 *
 * @example
 * ```ts
 * const stream = steppedStream(['Hel', 'lo']);
 * fake.replies.push(stream.reply);
 * // … the client shows 'Hel' …
 * stream.next(); // 'lo', then finish_reason stop
 * ```
 */
export function steppedStream(pieces: readonly string[]): { reply: Reply; next(): void } {
  let res: ServerResponse | undefined;
  let sent = 0;
  const send = () => {
    if (!res) throw new Error('the model was not asked yet');
    res.write(chunk(pieces[sent++]!));
    if (sent === pieces.length) {
      res.write(chunk(null, 'stop'));
      res.end(`${usageChunk(5, pieces.length)}data: [DONE]\n\n`);
    }
  };
  const reply: Reply = (response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    res = response;
    send();
  };
  return { reply, next: send };
}
