import nock from 'nock';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { getJson, postJson } from './index.ts';
import type { HttpContext } from './index.ts';
import { toolHarness } from '../../tests/conformance/tool-harness.ts';
import { describeHttpFailures } from '../../tests/conformance/http-failure-matrix.ts';
import { useNock } from '../../tests/fixtures/nock-lifecycle.ts';
import { probeTool } from '../../tests/fixtures/probe-tool.ts';

const BACKEND = 'http://backend.test';
const url = `${BACKEND}/call`;

/** A tool context for calling the kit directly: the global fetch (nock's) and a signal the test owns. */
function kitContext(signal: AbortSignal = new AbortController().signal): HttpContext {
  return { fetch: (input, init) => globalThis.fetch(input, init), signal, logger: pino({ level: 'silent' }) };
}

/** The kit's rejection, or a failure of the test when it resolves. */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (value) => expect.unreachable(`resolved with ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
}

describeHttpFailures({
  make: probeTool,
  origin: BACKEND,
  path: '/call',
  input: { q: 'rxjs' },
  reply: { answer: 42 },
  output: { answer: 42 },
});

describe('HTTP kit', () => {
  useNock();

  it('GETs with an accept header and no body', async () => {
    const scope = nock(BACKEND)
      .get('/healthz')
      .matchHeader('accept', 'application/json')
      .matchHeader('content-type', (value) => value === undefined)
      .reply(200, { ok: true });
    expect(await getJson(kitContext(), { tool: 'probe', url: `${BACKEND}/healthz` })).toEqual({ ok: true });
    scope.done();
  });

  it('sends the tool’s own headers and keeps them out of errors and events', async () => {
    const h = toolHarness(probeTool({ baseUrl: BACKEND, headers: { authorization: 'Bearer sk-secret-1' } }));
    nock(BACKEND).post('/call').matchHeader('authorization', 'Bearer sk-secret-1').reply(401, 'bad key');
    const { error } = await h.outcome({ q: 'x' });
    expect(error).toMatchObject({ code: 'TOOL_FAILED', message: `HTTP 401 from ${url}: bad key` });
    expect(JSON.stringify({ error, details: error?.details, events: h.run.events })).not.toContain(
      'sk-secret',
    );
  });

  it('shows URLs without user info, query or fragment', async () => {
    nock(BACKEND).post('/call').query(true).reply(500);
    const error = await rejection(
      postJson(kitContext(), { tool: 'probe', url: `${url}?api_key=k-123#frag`, body: {} }),
    );
    expect(error).toMatchObject({ message: `HTTP 500 from ${url}`, details: { url, status: 500 } });
  });

  it('limits bodies to 1 MiB by default', async () => {
    nock(BACKEND)
      .post('/call')
      .reply(200, { padding: 'x'.repeat(1_048_576) });
    const error = await rejection(postJson(kitContext(), { tool: 'probe', url, body: {} }));
    expect(error).toMatchObject({
      code: 'TOOL_FAILED',
      message: `response from ${url} exceeds 1048576 bytes`,
    });
  });

  it('fails on a declared content-length past the limit before reading the body', async () => {
    const body = JSON.stringify({ padding: 'x'.repeat(200) });
    nock(BACKEND)
      .post('/call')
      .reply(200, body, { 'content-length': String(body.length) });
    const error = await rejection(postJson(kitContext(), { tool: 'probe', url, body: {}, maxBytes: 100 }));
    expect(error).toMatchObject({ message: `response from ${url} exceeds 100 bytes` });
  });

  it('reads a body of exactly the limit', async () => {
    const body = JSON.stringify({ padding: 'x'.repeat(50) });
    nock(BACKEND).post('/call').reply(200, body);
    const reply = await postJson(kitContext(), { tool: 'probe', url, body: {}, maxBytes: body.length });
    expect(reply).toEqual({ padding: 'x'.repeat(50) });
  });

  it.each([
    ['an empty body', '', `invalid JSON from ${url}`],
    ['an array', '[1, 2]', `invalid JSON from ${url}: expected an object`],
    ['null', 'null', `invalid JSON from ${url}: expected an object`],
    ['a string', '"ok"', `invalid JSON from ${url}: expected an object`],
  ])('refuses %s as a reply', async (_what, body, message) => {
    nock(BACKEND).post('/call').reply(200, body);
    const error = await rejection(postJson(kitContext(), { tool: 'probe', url, body: {} }));
    expect(error).toMatchObject({ code: 'TOOL_FAILED', retryable: false, message });
  });

  it.each([
    ['an HTML error page', '<!doctype html><h1>Not Found</h1>', `HTTP 404 from ${url}`],
    ['a problem title', { title: 'Not Found', status: 404 }, `HTTP 404 from ${url}: Not Found`],
    ['a long text', `${'word '.repeat(100)}`, `HTTP 404 from ${url}: ${'word '.repeat(32).trim()}…`],
  ])('quotes %s of a 4xx sensibly', async (_what, body, message) => {
    nock(BACKEND).post('/call').reply(404, body);
    const error = await rejection(postJson(kitContext(), { tool: 'probe', url, body: {} }));
    expect(error).toMatchObject({ message });
  });

  it('does not call a refused host a blip', async () => {
    // nock refuses hosts with no interceptor: not a network blip, so not retryable.
    const error = await rejection(
      postJson(kitContext(), { tool: 'probe', url: 'http://elsewhere.test/x', body: {} }),
    );
    expect(error).toMatchObject({ code: 'TOOL_FAILED', retryable: false });
    expect((error as Error).message).toMatch(
      /^connection failed calling probe at http:\/\/elsewhere\.test\/x: /,
    );
  });

  it('rethrows the run’s abort reason untouched, while waiting for headers', async () => {
    const run = new AbortController();
    const reason = new Error('run r1 was cancelled');
    // Aborted once the backend has the request, before it answers: the phase, not a timer, decides.
    nock(BACKEND)
      .post('/call')
      .delay(10_000)
      .reply(200, {})
      .on('request', () => run.abort(reason));
    const call = postJson(kitContext(run.signal), { tool: 'probe', url, body: {} });
    expect(await rejection(call)).toBe(reason);
  });

  it('rethrows the run’s abort reason untouched, while reading the body', async () => {
    nock(BACKEND).post('/call').delayBody(10_000).reply(200, { late: true });
    const run = new AbortController();
    const reason = new Error('run r1 was cancelled');
    const ctx = kitContext(run.signal);
    // Aborted as soon as the headers are in, so the kit is reading the body.
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const response = await ctx.fetch(input, init);
      run.abort(reason);
      return response;
    };
    const call = postJson({ ...ctx, fetch }, { tool: 'probe', url, body: {} });
    expect(await rejection(call)).toBe(reason);
  });

  it('times out while reading a slow body, too', async () => {
    nock(BACKEND).post('/call').delayBody(10_000).reply(200, { late: true });
    const error = await rejection(postJson(kitContext(), { tool: 'probe', url, body: {}, timeoutMs: 100 }));
    expect(error).toMatchObject({
      code: 'TOOL_TIMEOUT',
      message: `timeout after 100 ms calling probe at ${url}`,
    });
  });
});
