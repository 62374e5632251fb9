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
 * The key rule (core/events/redact.ts, docs/core.md "Redaction"): a key is read as words in any case style
 * (snake, camel, kebab, upper, dotted) and is secret when a secret word stands anywhere in it, not only
 * at its end. Decided: `pwd`, `passphrase`, `access_key`, `private_key`, `cookie`/`set-cookie` and
 * session credentials (`session_token`, `session_secret`) are secret; a bare `session` or
 * `session_id` is core data and stays; token counters (`tokens_in`, `max_tokens`, `token_count`) and
 * words that merely contain a secret word's letters (`keyword`, `monkey`, `secretary`) stay.
 */
const MUST_REDACT = [
  // from issue 9: secret words not at the end of the key
  'secret_key',
  'secretKey',
  'SECRET_KEY',
  'secret-key',
  'secret.key',
  'aws_secret_access_key',
  'AWS_SECRET_ACCESS_KEY',
  'awsSecretAccessKey',
  'client_secret_key',
  'clientSecretKey',
  'api_keys',
  'apiKeys',
  'API_KEYS',
  // api keys in every spelling
  'api_key',
  'api-key',
  'apikey',
  'apiKey',
  'APIKey',
  'APIKEY',
  'X-API-Key',
  'x_api_key',
  'openai.api_key',
  'api_key_id',
  // decided in issue 9
  'passphrase',
  'gpg_passphrase',
  'pwd',
  'PWD',
  'db_pwd',
  'access_key',
  'accessKey',
  'ACCESS_KEY',
  'aws_access_key_id',
  'private_key',
  'privateKey',
  'PRIVATE_KEY',
  'private-key.pem',
  'cookie',
  'Cookie',
  'cookies',
  'Set-Cookie',
  'set_cookie',
  'session_cookie',
  'session_token',
  'sessionToken',
  'SESSION_TOKEN',
  'session_secret',
  'session_key',
  // passwords, tokens, secrets, credentials, authorization
  'password',
  'PASSWORD',
  'db_password',
  'dbPassword',
  'password_hash',
  'passwd',
  'token',
  'access_token',
  'refresh-token',
  'session.token',
  'accessToken',
  'refreshToken',
  'id_token',
  'x-auth-token',
  'token_secret',
  'access_tokens',
  'secret',
  'secrets',
  'secret_word',
  'client_secret',
  'clientSecret',
  'clientsecret',
  'credentials',
  'credential',
  'aws_credentials',
  'Authorization',
  'proxy-authorization',
  'authorization_header',
  'auth',
  'basic_auth',
  'proxyAuth',
  'auth_header',
];

const MUST_STAY = [
  // usage counters
  'tokens_in',
  'tokens_out',
  'max_tokens',
  'maxTokens',
  'inputTokens',
  'input_tokens',
  'total_tokens',
  'token_count',
  'tokenCount',
  'token_usage',
  'tokenizer',
  // words that only contain a secret word's letters
  'keyword',
  'keywords',
  'key_terms',
  'keyTerms',
  'monkey',
  'author',
  'authored_by',
  'oauth_provider',
  'secretary',
  'passport',
  // keys that are not credentials
  'key',
  'keys',
  'primary_key',
  'public_key',
  'publicKey',
  'sort_key',
  'cache_key',
  'auth_type',
  'auth_method',
  'pass',
  // session ids are core data
  'session',
  'session_id',
  'sessionId',
  'SESSION_ID',
  // the envelope's fields and the meta keys the core writes
  'id',
  'seq',
  'ts',
  'run_id',
  'type',
  'step',
  'tool',
  'level',
  'message',
  'meta',
  'trace_id',
  'checkpoint_id',
  'message_id',
  'approval_id',
  'data_keys',
  'duration_ms',
  'queue_wait_ms',
  'encrypted',
  'label',
  'role',
  'reason',
  'question',
  'user_id',
  '',
];

describe('isSecretKey', () => {
  it.each(MUST_REDACT)('%s is secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(MUST_STAY)('%s stays visible', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });

  it('gives the same verdict for a key judged again (the memo) and for a very long key', () => {
    for (const key of [...MUST_REDACT, ...MUST_STAY])
      expect(isSecretKey(key)).toBe(MUST_REDACT.includes(key));
    expect(isSecretKey(`${'x_'.repeat(100)}secret_key`)).toBe(true);
    expect(isSecretKey(`${'x_'.repeat(100)}keyword`)).toBe(false);
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

  it('keeps an own "__proto__" key (JSON.parse makes those) as a plain, redacted property', () => {
    const out = redact(JSON.parse('{"__proto__": {"password": "p", "ok": 1}}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"password":"[redacted]","ok":1}}');
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
  it('secret words anywhere in a key: event meta and checkpoint state come back redacted', async () => {
    runtime = await startRuntime();
    const session = await runtime.sessions.create();
    const secrets = {
      secret_key: 's-1',
      secretKey: 's-2',
      SECRET_KEY: 's-3',
      aws_secret_access_key: 's-4',
      client_secret_key: 's-5',
      api_keys: ['s-6'],
      passphrase: 's-7',
      pwd: 's-8',
      access_key: 's-9',
      private_key: 's-10',
      'set-cookie': 's-11',
      session_token: 's-12',
    };
    const visible = {
      session_id: session.id,
      tokens_in: 3,
      max_tokens: 100,
      keyword: 'rxjs',
      key_terms: ['mergeMap'],
      monkey: 'see',
    };
    const redacted = Object.fromEntries(Object.keys(secrets).map((key) => [key, REDACTED]));
    const given = { ...secrets, nested: [{ ...secrets, ...visible }], ...visible };
    const expected = { ...redacted, nested: [{ ...redacted, ...visible }], ...visible };

    const event = await runtime.sessions.recordProgress(session.id, { step: 's', message: 'm', meta: given });
    expect(event.meta).toEqual(expected);
    const checkpoint = await runtime.checkpoints.save(session.id, given);
    expect(checkpoint.state).toEqual(expected);

    const stored = await runtime.store.listEvents(session.id, { after: 0, limit: 10 });
    expect(stored.find((e) => e.type === 'progress')?.meta).toEqual(expected);
    expect((await runtime.checkpoints.latest(session.id)).state).toEqual(expected);
    const everything = JSON.stringify([stored, await runtime.store.listCheckpoints(session.id)]);
    expect(everything).not.toMatch(/"s-\d+"/);
  });
});
