import nock from 'nock';
import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../../core/plugins/plugin.ts';
import type { HttpToolOptions } from '../../plugins/http/index.ts';
import { toolHarness } from './tool-harness.ts';
import { useNock } from '../fixtures/nock-lifecycle.ts';

/** One HTTP tool and a call it makes, for {@link describeHttpFailures}. */
export interface HttpToolCase {
  make(options: HttpToolOptions): ToolDefinition<never, unknown>;
  /** The backend origin given as `baseUrl`, e.g. `http://rag.test`. */
  origin: string;
  /** The path the call POSTs to. */
  path: string;
  input: unknown;
  /** A good backend reply, and the output the tool makes of it. */
  reply: object;
  output: unknown;
}

/** Small enough to keep the timeout tests fast, large enough for a loaded CI machine to answer a mock. */
const SHORT_TIMEOUT_MS = 150;

/**
 * How an HTTP tool copes with its backend, through the core's real retries: what is retried (network errors,
 * timeouts, 502/503/504, once), what is not (4xx, 500, bad or oversized bodies), the exact messages, the
 * trace header, and cancel mid-request. Run for the kit and for every built-in HTTP tool.
 */
export function describeHttpFailures(c: HttpToolCase): void {
  const url = `${c.origin}${c.path}`;
  const name = c.make({ baseUrl: c.origin }).name;
  const setup = (options: Partial<HttpToolOptions> = {}) =>
    toolHarness(c.make({ baseUrl: c.origin, ...options }));
  const backend = () => nock(c.origin).post(c.path);

  describe(`${name} over HTTP`, () => {
    useNock();

    it('POSTs the call with a traceparent header and returns the output', async () => {
      const h = setup();
      const scope = backend()
        .matchHeader('traceparent', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
        .reply(200, c.reply);
      expect(await h.outcome(c.input)).toEqual({ value: c.output });
      scope.done();
      expect(h.http.requests).toHaveLength(1);
      expect(h.http.requests[0]?.headers.get('traceparent')).toBe(h.run.spans[0]?.traceparent);
      expect(h.http.requests[0]?.headers.get('content-type')).toBe('application/json');
      expect(h.run.types().filter((t) => t !== 'tool.progress')).toEqual(['tool.started', 'tool.completed']);
    });

    it('fails on HTTP 500 without retrying', async () => {
      const h = setup();
      backend().reply(500, { detail: 'stack trace here' });
      const { error } = await h.outcome(c.input);
      expect(error).toMatchObject({ code: 'TOOL_FAILED', retryable: false, message: `HTTP 500 from ${url}` });
      expect(h.http.requests).toHaveLength(1);
      expect(h.run.ofType('tool.failed')).toEqual([
        expect.objectContaining({
          level: 'error',
          message: `HTTP 500 from ${url}`,
          meta: expect.objectContaining({ code: 'TOOL_FAILED', attempt: 1 }),
        }),
      ]);
    });

    it('retries an HTTP 503 once and then succeeds, saying so', async () => {
      const h = setup();
      backend().reply(503).post(c.path).reply(200, c.reply);
      expect(await h.outcome(c.input)).toEqual({ value: c.output });
      expect(h.http.requests).toHaveLength(2);
      expect(h.run.ofType('tool.started').map((e) => e.meta?.attempt)).toEqual([1, 2]);
      expect(h.run.ofType('tool.progress')).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: `attempt 1 of ${name} failed: HTTP 503 from ${url}; retrying in 200 ms`,
        }),
      );
      expect(h.run.types().at(-1)).toBe('tool.completed');
    });

    it('fails after two requests when the backend stays at 503', async () => {
      const h = setup();
      backend().times(2).reply(503);
      const { error } = await h.outcome(c.input);
      expect(error).toMatchObject({ code: 'TOOL_FAILED', retryable: true, message: `HTTP 503 from ${url}` });
      expect(h.http.requests).toHaveLength(2);
      expect(h.run.ofType('tool.failed')[0]?.meta).toMatchObject({ attempt: 2 });
    });

    it.each([502, 504])('retries an HTTP %i', async (status) => {
      const h = setup();
      backend().reply(status).post(c.path).reply(200, c.reply);
      expect(await h.outcome(c.input)).toEqual({ value: c.output });
      expect(h.http.requests).toHaveLength(2);
    });

    it.each([
      [400, { detail: 'top_k must be at most 20' }, ': top_k must be at most 20'],
      [404, 'no such index\n', ': no such index'],
      [422, { error: { message: 'unprocessable' } }, ': unprocessable'],
      [429, '', ''],
    ])('fails on HTTP %i without retrying, quoting the body', async (status, body, said) => {
      const h = setup();
      backend().reply(status, body);
      const { error } = await h.outcome(c.input);
      expect(error).toMatchObject({
        code: 'TOOL_FAILED',
        retryable: false,
        message: `HTTP ${status} from ${url}${said}`,
      });
      expect(h.http.requests).toHaveLength(1);
    });

    it('times out with the kit limit in the message, after one retry', async () => {
      const h = setup({ timeoutMs: SHORT_TIMEOUT_MS });
      backend().times(2).delay(2_000).reply(200, c.reply);
      const { error } = await h.outcome(c.input);
      expect(error).toMatchObject({
        code: 'TOOL_TIMEOUT',
        retryable: true,
        message: `timeout after ${SHORT_TIMEOUT_MS} ms calling ${name} at ${url}`,
      });
      expect(h.http.requests).toHaveLength(2);
      expect(h.http.allAborted()).toBe(true);
    });

    it('retries a reset connection once and then succeeds', async () => {
      const h = setup();
      backend().replyWithError({ code: 'ECONNRESET' }).post(c.path).reply(200, c.reply);
      expect(await h.outcome(c.input)).toEqual({ value: c.output });
      expect(h.http.requests).toHaveLength(2);
    });

    it('fails when the connection is reset twice', async () => {
      const h = setup();
      backend().times(2).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
      const { error } = await h.outcome(c.input);
      expect(error).toMatchObject({
        code: 'TOOL_FAILED',
        retryable: true,
        message: `connection failed calling ${name} at ${url}: socket hang up (ECONNRESET)`,
      });
      expect(h.http.requests).toHaveLength(2);
    });

    it('fails on a body that is not JSON, without retrying', async () => {
      const h = setup();
      backend().reply(200, '{"chunks": [', { 'content-type': 'application/json' });
      const { error } = await h.outcome(c.input);
      expect(error).toMatchObject({
        code: 'TOOL_FAILED',
        retryable: false,
        message: `invalid JSON from ${url}`,
      });
      expect(h.http.requests).toHaveLength(1);
    });

    it('fails on a body past the size limit, without retrying', async () => {
      const h = setup({ maxBytes: 64 });
      backend().reply(200, { padding: 'x'.repeat(1_000) });
      const { error } = await h.outcome(c.input);
      expect(error).toMatchObject({
        code: 'TOOL_FAILED',
        retryable: false,
        message: `response from ${url} exceeds 64 bytes`,
      });
      expect(h.http.requests).toHaveLength(1);
    });

    it('aborts the request when the call is unsubscribed, and nothing follows', async () => {
      const h = setup();
      const requested = new Promise((resolve) =>
        backend().delay(10_000).reply(200, c.reply).on('request', resolve),
      );
      const subscription = h.call(c.input).subscribe({ error: () => {} });
      await requested;
      expect(h.http.requests).toHaveLength(1);
      const seen = h.run.types();
      subscription.unsubscribe();
      await h.http.settled();
      expect(h.http.allAborted()).toBe(true);
      // One macrotask turn: whatever is chained on the rejected fetch has run by then.
      await new Promise((resolve) => setImmediate(resolve));
      expect(h.run.types()).toEqual(seen);
      expect(seen[0]).toBe('tool.started');
      expect(seen).not.toContain('tool.completed');
      expect(seen).not.toContain('tool.failed');
    });
  });
}
