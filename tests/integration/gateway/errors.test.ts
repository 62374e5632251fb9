import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../stores/index.ts';
import {
  expectProblem,
  newSession,
  problemFields,
  startGateway,
  useGateway,
  type Gateway,
} from './platform.ts';
import { spec } from './spec-conformance.ts';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** Sessions in the store and the last seq of one session: what a refused request must not change. */
async function footprint(gw: Gateway, sessionId: string): Promise<[number, number]> {
  const stats = await gw.api.GET('/v1/stats');
  const session = await gw.api.GET('/v1/sessions/{session_id}', {
    params: { path: { session_id: sessionId } },
  });
  return [stats.data!.total_sessions, session.data!.last_seq];
}

describe('bad input gets its precise problem, changes nothing, and the server stays up', () => {
  const gw = useGateway({ BODY_LIMIT: '16kb' });

  it('malformed JSON is 400 INVALID_JSON naming the body', async () => {
    const id = await newSession(gw().api);
    const before = await footprint(gw(), id);
    for (const raw of ['{"name":', '{bad json}', 'undefined', '']) {
      // '' goes as a stream with no bytes: either no body at all or an empty chunked one, 400 both ways.
      const body = raw === '' ? new ReadableStream({ start: (controller) => controller.close() }) : raw;
      const reply = await gw().call('POST', '/v1/sessions', {
        raw: body,
        headers: { 'Content-Type': 'application/json' },
      });
      expectProblem(
        reply,
        400,
        'INVALID_JSON',
        raw === ''
          ? /^(request body is not valid JSON|a JSON request body is required)/
          : /^request body is not valid JSON/,
      );
      expect(problemFields(reply)).toEqual(['body']);
    }
    const patch = await gw().call('PATCH', `/v1/sessions/${id}`, {
      raw: '{"name": "x",}',
      headers: { 'Content-Type': 'application/json' },
    });
    expectProblem(patch, 400, 'INVALID_JSON');
    expect(await footprint(gw(), id)).toEqual(before);
  });

  it('a missing required body is 400; an empty object where one is enough is fine', async () => {
    expectProblem(
      await gw().call('POST', '/v1/sessions'),
      400,
      'INVALID_JSON',
      'a JSON request body is required',
    );
    const id = await newSession(gw().api);
    const run = await gw().call('POST', `/v1/sessions/${id}/runs`, {
      headers: { 'Content-Type': 'application/json' },
    });
    expectProblem(run, 400, 'INVALID_JSON', 'a JSON request body is required');
  });

  it('another content type is 415, and so is none', async () => {
    const text = await gw().call('POST', '/v1/sessions', {
      raw: '{}',
      headers: { 'Content-Type': 'text/plain' },
    });
    expectProblem(
      text,
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'expected Content-Type: application/json, got text/plain',
    );
    const form = await gw().call('POST', '/v1/sessions', {
      raw: 'name=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expectProblem(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const none = await gw().call('POST', '/v1/sessions', { raw: new Uint8Array([123, 125]) });
    expectProblem(none, 415, 'UNSUPPORTED_MEDIA_TYPE', /got none$/);
    // A charset parameter and the +json suffix family are still JSON.
    const charset = await gw().call('POST', '/v1/sessions', {
      raw: '{}',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
    });
    expect(charset.status).toBe(201);
  });

  it('schema-invalid bodies are 400 INVALID_ARGUMENT naming each field', async () => {
    const id = await newSession(gw().api);
    const before = await footprint(gw(), id);
    const cases: [string, string, unknown, string[]][] = [
      ['POST', '/v1/sessions', { user_id: '' }, ['body.user_id']],
      ['POST', '/v1/sessions', { nope: 1 }, ['body.nope']],
      ['POST', '/v1/sessions', { name: 7, metadata: 'x' }, ['body.name', 'body.metadata']],
      ['POST', '/v1/sessions', [], ['body']],
      ['POST', '/v1/sessions', null, ['body']],
      ['PATCH', `/v1/sessions/${id}`, {}, ['body']],
      ['PATCH', `/v1/sessions/${id}`, { state: 'expired' }, ['body.state']],
      ['POST', `/v1/sessions/${id}/runs`, { input: {} }, ['body.input.question']],
      [
        'POST',
        `/v1/sessions/${id}/runs`,
        { input: { question: 'q' }, multitask: 'later' },
        ['body.multitask'],
      ],
      ['POST', `/v1/sessions/${id}/runs`, { input: { question: 'q' }, flow: 'Bad Flow' }, ['body.flow']],
      ['POST', '/v1/runs', { input: { question: 'q' }, session_id: 'nope' }, ['body.session_id']],
      ['POST', `/v1/sessions/${id}/checkpoints`, { state: [] }, ['body.state']],
    ];
    for (const [method, path, json, fields] of cases) {
      const reply = await gw().call(method, path, {
        raw: JSON.stringify(json),
        headers: { 'Content-Type': 'application/json' },
      });
      expectProblem(reply, 400, 'INVALID_ARGUMENT');
      expect(problemFields(reply), `${method} ${path} ${JSON.stringify(json)}`).toEqual(
        expect.arrayContaining(fields),
      );
      expect((reply.body as { detail: string }).detail).toContain(fields[0]);
    }
    expect(await footprint(gw(), id)).toEqual(before);
  });

  it('bad uuids are 400 naming the path parameter; unknown ids are 404', async () => {
    const id = await newSession(gw().api);
    for (const path of [
      '/v1/sessions/not-a-uuid',
      '/v1/sessions/123/events',
      '/v1/sessions/zzz/checkpoints/latest',
    ]) {
      const reply = await gw().call('GET', path);
      expectProblem(reply, 400, 'INVALID_ARGUMENT', 'path.session_id must match format "uuid"');
      expect(problemFields(reply)).toEqual(['path.session_id']);
    }
    expect(problemFields(await gw().call('GET', `/v1/sessions/${id}/runs/xyz`))).toEqual(['path.run_id']);
    expectProblem(
      await gw().call('GET', `/v1/sessions/${UNKNOWN}`),
      404,
      'SESSION_NOT_FOUND',
      `session ${UNKNOWN} not found`,
    );
    expectProblem(await gw().call('DELETE', `/v1/sessions/${UNKNOWN}`), 404, 'SESSION_NOT_FOUND');
    expectProblem(await gw().call('GET', `/v1/sessions/${id}/runs/${UNKNOWN}`), 404, 'RUN_NOT_FOUND');
    expectProblem(await gw().call('GET', `/v1/sessions/${UNKNOWN}/events/stream`), 404, 'SESSION_NOT_FOUND');
  });

  it('limit must be 1..1000, after >= 0, a cursor must be one the server gave', async () => {
    const id = await newSession(gw().api);
    const cases: [string, string][] = [
      ['/v1/sessions?limit=0', 'query.limit must be >= 1'],
      ['/v1/sessions?limit=-5', 'query.limit must be >= 1'],
      ['/v1/sessions?limit=1001', 'query.limit must be <= 1000'],
      ['/v1/sessions?limit=99999999999999999999999', 'query.limit must be <= 1000'],
      ['/v1/sessions?limit=2.5', 'query.limit must be integer'],
      ['/v1/sessions?limit=ten', 'query.limit must be integer'],
      [`/v1/sessions/${id}/events?limit=-1`, 'query.limit must be >= 1'],
      [`/v1/sessions/${id}/events?limit=100000`, 'query.limit must be <= 1000'],
      [`/v1/sessions/${id}/events?after=-1`, 'query.after must be >= 0'],
      ['/v1/sessions?state=sleeping', 'query.state must be one of ["active","idle","archived","expired"]'],
    ];
    for (const [path, detail] of cases) {
      const reply = await gw().call('GET', path);
      expectProblem(reply, 400, 'INVALID_ARGUMENT');
      expect((reply.body as { detail: string }).detail).toContain(detail);
    }
    expectProblem(await gw().call('GET', '/v1/sessions?cursor=not-a-cursor'), 400, 'INVALID_CURSOR');
    expect((await gw().call('GET', '/v1/sessions?limit=1000')).status).toBe(200);
  });

  it('bodies over BODY_LIMIT are 413, whether declared by Content-Length or streamed', async () => {
    const big = JSON.stringify({ metadata: { blob: 'x'.repeat(20 * 1024) } });
    const declared = await gw().call('POST', '/v1/sessions', {
      raw: big,
      headers: { 'Content-Type': 'application/json' },
    });
    expectProblem(
      declared,
      413,
      'PAYLOAD_TOO_LARGE',
      `request body of ${big.length} bytes exceeds the limit of 16384 bytes`,
    );
    const chunk = new TextEncoder().encode(' '.repeat(4096));
    let sent = 0;
    const streamed = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"metadata":{"a":"'));
        sent += 1;
        if (sent > 8) return controller.close();
        controller.enqueue(chunk);
      },
    });
    const chunked = await gw().call('POST', '/v1/sessions', {
      raw: streamed,
      headers: { 'Content-Type': 'application/json' },
    });
    expectProblem(chunked, 413, 'PAYLOAD_TOO_LARGE', 'request body exceeds the limit of 16384 bytes');
    // Just under the limit goes through.
    const fits = JSON.stringify({ metadata: { blob: 'x'.repeat(15 * 1024) } });
    expect(
      (
        await gw().call('POST', '/v1/sessions', {
          raw: fits,
          headers: { 'Content-Type': 'application/json' },
        })
      ).status,
    ).toBe(201);
  });

  it('a known path with a method it does not take is 405 with Allow; an unknown path is a 404 problem', async () => {
    const id = await newSession(gw().api);
    const cases: [string, string, string][] = [
      ['PUT', '/v1/sessions', 'HEAD, GET, POST, DELETE'],
      ['DELETE', '/healthz', 'HEAD, GET'],
      ['POST', '/openapi.json', 'HEAD, GET'],
      ['GET', '/v1/progress', 'POST'],
      ['PUT', `/v1/sessions/${id}`, 'HEAD, GET, DELETE, PATCH'],
      ['DELETE', `/v1/sessions/${id}/events`, 'HEAD, GET'],
    ];
    for (const [method, path, allow] of cases) {
      const reply = await gw().call(method, path);
      expectProblem(reply, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
      expect(reply.headers.get('allow')).toBe(allow);
    }
    for (const path of ['/nope', '/v1', '/v1/sessions/x/y/z/w', '/v2/sessions']) {
      expectProblem(await gw().call('GET', path), 404, 'NOT_FOUND', 'no such route; see /docs for the API');
    }
  });

  it('echoes a well-formed X-Request-Id and replaces a bad one', async () => {
    const mine = await gw().call('GET', `/v1/sessions/${UNKNOWN}`, {
      headers: { 'X-Request-Id': 'trace-me.42' },
    });
    expect(mine.headers.get('x-request-id')).toBe('trace-me.42');
    expect((mine.body as { request_id: string }).request_id).toBe('trace-me.42');
    const bad = await gw().call('GET', '/healthz', { headers: { 'X-Request-Id': 'no spaces <allowed>' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves /openapi.json (the spec), /docs (HTML) and its assets; stays up after all of the above', async () => {
    const document = await gw().call('GET', '/openapi.json');
    expect(document.status).toBe(200);
    expect(document.body).toEqual(JSON.parse(JSON.stringify(spec)));
    const docs = await gw().call('GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    expect(docs.text).toContain('SwaggerUIBundle');
    expect(docs.text).toContain("url: '/openapi.json'");
    const css = await gw().call('GET', '/docs/swagger-ui.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expectProblem(await gw().call('GET', '/docs/secrets.txt'), 404, 'NOT_FOUND');
    expectProblem(await gw().call('GET', '/docs/..%2Fpackage.json'), 404, 'NOT_FOUND');
    expect((await gw().call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await gw().call('GET', '/readyz')).body).toEqual({ status: 'ready', store: 'sqlite' });
  });
});

describe('the default BODY_LIMIT', () => {
  const gw = useGateway();

  it('is 1 MiB: one byte over is 413, at the limit is accepted', async () => {
    const limit = 1024 * 1024;
    const wrap = (size: number) => {
      const prefix = '{"metadata":{"blob":"';
      const suffix = '"}}';
      return prefix + 'x'.repeat(size - prefix.length - suffix.length) + suffix;
    };
    const over = await gw().call('POST', '/v1/sessions', {
      raw: wrap(limit + 1),
      headers: { 'Content-Type': 'application/json' },
    });
    expectProblem(
      over,
      413,
      'PAYLOAD_TOO_LARGE',
      `request body of ${limit + 1} bytes exceeds the limit of ${limit} bytes`,
    );
    const at = await gw().call('POST', '/v1/sessions', {
      raw: wrap(limit),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(at.status).toBe(201);
  });
});

/** A store that fails the way a bug would: a plain Error with internals in its message. */
class BrokenStore extends MemoryStore {
  override async listRuns(): Promise<never> {
    throw new Error('disk quota exceeded writing /var/lib/secret/tributary.db');
  }
}

class UnreachableStore extends MemoryStore {
  down = false;
  override async ping(): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED 10.1.2.3:6379');
  }
}

describe('failures inside the server', () => {
  it('an unexpected error is a 500 with a generic detail and the request id, no stack; it is logged', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()),
    });
    const gw = await startGateway({}, { store: new BrokenStore(), logger: pino({ level: 'error' }, sink) });
    try {
      const id = await newSession(gw.api);
      const reply = await gw.call('GET', `/v1/sessions/${id}/runs`);
      expectProblem(reply, 500, 'INTERNAL');
      const problem = reply.body as Record<string, unknown>;
      expect(Object.keys(problem).sort()).toEqual([
        'code',
        'detail',
        'request_id',
        'status',
        'title',
        'type',
      ]);
      expect(problem.detail).toBe(
        `unexpected error; quote request id ${String(problem.request_id)} when reporting it`,
      );
      expect(reply.text).not.toMatch(/disk|secret|tributary\.db|at .*\.ts|stack/i);
      const logged = lines.map(
        (line) => JSON.parse(line) as { request_id?: string; err?: { message: string; stack: string } },
      );
      const entry = logged.find((line) => line.request_id === problem.request_id);
      expect(entry?.err?.message).toContain('disk quota exceeded');
      expect(entry?.err?.stack).toContain('listRuns');
      // Still serving.
      expect((await gw.call('GET', `/v1/sessions/${id}`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it('/readyz is 503 when the store does not answer, and 200 again when it does', async () => {
    const store = new UnreachableStore();
    const gw = await startGateway({}, { store });
    try {
      expect((await gw.call('GET', '/readyz')).body).toEqual({ status: 'ready', store: 'memory' });
      store.down = true;
      const down = await gw.call('GET', '/readyz');
      expectProblem(down, 503, 'STORE_UNAVAILABLE', 'the session store does not answer; try again later');
      expect(down.headers.get('retry-after')).toBe('5');
      expect(down.text).not.toContain('10.1.2.3');
      expect((await gw.call('GET', '/healthz')).status).toBe(200);
      store.down = false;
      expect((await gw.call('GET', '/readyz')).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it('with the SQLite store closed under it: /readyz and store-backed calls are 503, /healthz stays 200', async () => {
    const gw = await startGateway();
    try {
      const id = await newSession(gw.api);
      await gw.platform.runtime.store.close();
      const ready = await gw.call('GET', '/readyz');
      expectProblem(ready, 503, 'STORE_UNAVAILABLE', 'the session store does not answer; try again later');
      expect(ready.text).not.toContain(gw.dir);
      const read = await gw.call('GET', `/v1/sessions/${id}`);
      expectProblem(read, 503, 'STORE_UNAVAILABLE');
      expect(read.text).not.toContain(gw.dir);
      expectProblem(await gw.call('POST', '/v1/sessions', { json: {} }), 503, 'STORE_UNAVAILABLE');
      expect((await gw.call('GET', '/healthz')).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});
