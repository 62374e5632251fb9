import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  defineFlow,
  defineTool,
  isSecretKey,
  redact,
  REDACTED,
  type FlowEmission,
  type Runtime,
} from '../../../core/index.ts';
import { fakePlugins } from '../../fixtures/fake-plugins.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';

/**
 * What the key rule covers (core/redact.ts): a key is secret when it ends, case-insensitively, in
 * `api_key`/`api-key`/`apikey`, `password`/`passwd`, `token`, `authorization`, `auth`, `secret(s)`,
 * `cookie`, `credential(s)` or `private_key`, and that word starts the key or follows `-`, `_`, `.`
 * or a camelCase boundary. So `tokens_in`, `max_tokens`, `keyword` and `author` stay visible.
 */
describe('isSecretKey', () => {
  it.each([
    'api_key',
    'api-key',
    'apikey',
    'apiKey',
    'APIKEY',
    'X-API-Key',
    'x_api_key',
    'openai.api_key',
    'Authorization',
    'proxy-authorization',
    'auth',
    'password',
    'PASSWORD',
    'db_password',
    'passwd',
    'token',
    'access_token',
    'refresh-token',
    'session.token',
    'accessToken',
    'refreshToken',
    'secret',
    'secrets',
    'client_secret',
    'clientSecret',
    'cookie',
    'Set-Cookie',
    'credentials',
    'credential',
    'private_key',
    'privateKey',
  ])('%s is secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each([
    'tokens_in',
    'tokens_out',
    'max_tokens',
    'maxTokens',
    'inputTokens',
    'token_count',
    'keyword',
    'keys',
    'author',
    'authored_by',
    'oauth_provider',
    'secretary',
    'passport',
    'api_key_id',
    'question',
    'user_id',
    '',
  ])('%s stays visible', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });
});

describe('redact', () => {
  it('redacts secret keys at any depth, in objects and arrays, whatever the value', () => {
    const input = {
      user: 'ann',
      api_key: 'sk-1',
      headers: { Authorization: 'Bearer x', 'X-API-Key': 'k-2', accept: 'json' },
      attempts: [
        { password: 'p1', ok: false },
        { nested: [{ access_token: 't-3', client_secret: { deep: 's-4' } }] },
      ],
      usage: { tokens_in: 10, tokens_out: 20, max_tokens: 100 },
      keyword: 'rxjs',
      author: 'bob',
      token: null,
      secret: 42,
    };
    expect(redact(input)).toEqual({
      user: 'ann',
      api_key: REDACTED,
      headers: { Authorization: REDACTED, 'X-API-Key': REDACTED, accept: 'json' },
      attempts: [
        { password: REDACTED, ok: false },
        { nested: [{ access_token: REDACTED, client_secret: REDACTED }] },
      ],
      usage: { tokens_in: 10, tokens_out: 20, max_tokens: 100 },
      keyword: 'rxjs',
      author: 'bob',
      token: REDACTED,
      secret: REDACTED,
    });
    const text = JSON.stringify(redact(input));
    for (const secret of ['sk-1', 'Bearer x', 'k-2', 'p1', 't-3', 's-4']) expect(text).not.toContain(secret);
  });

  it('returns a copy and leaves its input alone', () => {
    const input = { a: { password: 'p' }, list: [{ token: 't' }] };
    const out = redact(input);
    expect(input).toEqual({ a: { password: 'p' }, list: [{ token: 't' }] });
    expect(out.a).not.toBe(input.a);
    expect(out.list).not.toBe(input.list);
  });

  it('passes primitives through and turns dates into ISO strings', () => {
    expect(redact('text')).toBe('text');
    expect(redact(7)).toBe(7);
    expect(redact(null)).toBeNull();
    expect(redact(undefined)).toBeUndefined();
    expect(redact({ at: new Date('2026-01-01T00:00:00.000Z') })).toEqual({ at: '2026-01-01T00:00:00.000Z' });
  });

  it('cuts circular references instead of recursing forever', () => {
    const node: Record<string, unknown> = { name: 'root', password: 'p' };
    node.self = node;
    node.children = [{ parent: node, name: 'child' }];
    const list: unknown[] = [1];
    list.push(list);
    expect(redact(node)).toEqual({
      name: 'root',
      password: REDACTED,
      self: '[circular]',
      children: [{ parent: '[circular]', name: 'child' }],
    });
    expect(redact(list)).toEqual([1, '[circular]']);
  });

  it('copies an object shared by siblings in full (shared is not circular)', () => {
    const shared = { text: 'chunk', api_key: 'sk-9' };
    expect(redact({ first: shared, again: shared, list: [shared, shared] })).toEqual({
      first: { text: 'chunk', api_key: REDACTED },
      again: { text: 'chunk', api_key: REDACTED },
      list: [
        { text: 'chunk', api_key: REDACTED },
        { text: 'chunk', api_key: REDACTED },
      ],
    });
  });
});

describe('secrets in events are stored redacted', () => {
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.shutdown();
    runtime = undefined;
  });

  it('meta committed through the event log', async () => {
    runtime = await startRuntime();
    const session = await runtime.sessions.create();
    const [published] = await runtime.log.commit({
      session_id: session.id,
      trace_id: session.trace_id,
      events: [
        {
          type: 'progress',
          message: 'calling the backend',
          meta: {
            url: 'http://rag',
            headers: { Authorization: 'Bearer live-1' },
            apiKey: 'sk-live-2',
            tokens_in: 3,
          },
        },
      ],
    });
    const expected = {
      url: 'http://rag',
      headers: { Authorization: REDACTED },
      apiKey: REDACTED,
      tokens_in: 3,
    };
    expect(published?.meta).toEqual(expected);
    const stored = await runtime.store.listEvents(session.id, { after: 1, limit: 10 });
    expect(stored).toHaveLength(1);
    expect(stored[0]?.meta).toEqual(expected);
    expect(JSON.stringify(stored)).not.toMatch(/live-1|live-2/);
  });

  it('meta from a flow and its tool: step meta, tool input and output, tool progress', async () => {
    const leakyTool = defineTool<{ host: string; password: string }, { rows: number; session_token: string }>(
      {
        name: 'leaky_db',
        version: '1.0.0',
        description: 'Reports its connection details (with a password) as progress',
        input: { type: 'object', properties: { host: { type: 'string' }, password: { type: 'string' } } },
        output: {
          type: 'object',
          properties: { rows: { type: 'integer' }, session_token: { type: 'string' } },
        },
        async execute(input, ctx) {
          ctx.progress('connecting', {
            host: input.host,
            password: input.password,
            credentials: { user: 'u', pass: 'x' },
          });
          return { rows: 3, session_token: 'tok-out-4' };
        },
      },
    );
    const leakyFlow = defineFlow<{ question: string }>({
      name: 'leaky',
      version: '1.0.0',
      description: 'Calls leaky_db and shows a token in a step',
      tools: ['leaky_db'],
      input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
      async *execute(_input, ctx): AsyncGenerator<FlowEmission> {
        yield { type: 'step', step: 'connect', meta: { clientSecret: 'cs-5', attempt: 1 } };
        await lastValueFrom(ctx.callTool('leaky_db', { host: 'db', password: 'pw-6' }));
        yield { type: 'progress', message: 'done', meta: { 'X-API-Key': 'xk-7' } };
      },
    });
    runtime = await startRuntime({}, { plugins: [...fakePlugins, leakyTool, leakyFlow] });
    const session = await runtime.sessions.create();
    const run = await runtime.runs.create(session.id, { input: { question: 'q' }, flow: 'leaky' });
    expect((await terminalOf(runtime, session.id, run.id)).type).toBe('run.completed');

    const events = await runtime.store.listEvents(session.id, { after: 0, limit: 100 });
    const meta = (type: string) => events.find((e) => e.type === type)?.meta;
    expect(meta('step')).toEqual({ clientSecret: REDACTED, attempt: 1 });
    expect(meta('tool.started')).toMatchObject({ input: { host: 'db', password: REDACTED } });
    expect(meta('tool.progress')).toEqual({ host: 'db', password: REDACTED, credentials: REDACTED });
    expect(meta('tool.completed')).toMatchObject({ output: { rows: 3, session_token: REDACTED } });
    expect(meta('progress')).toEqual({ 'X-API-Key': REDACTED });
    expect(JSON.stringify(events)).not.toMatch(/tok-out-4|cs-5|pw-6|xk-7/);
  });
});
