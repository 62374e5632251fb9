import Router from '@koa/router';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../core/index.ts';
import { OPERATION_IDS } from '../../openapi/operations.ts';
import { createHandlers } from '../handlers/index.ts';
import { createAuthenticate } from './authenticate.ts';
import { bindOpenApi, type BoundOperation } from './openapi-binder.ts';
import { loadSpec } from './openapi-document.ts';

const spec = loadSpec();

/** The gateway's own handler table; binding never runs a handler, so no runtime is needed. */
function realTable(): Record<string, BoundOperation> {
  const handlers = createHandlers({ runtime: {} as Runtime, spec, heartbeatMs: 1000 });
  return { ...(handlers as unknown as Record<string, BoundOperation>) };
}

function bind(
  handlers: Record<string, BoundOperation>,
  only?: ReadonlySet<string>,
  router = new Router(),
): string[] {
  return bindOpenApi(router, {
    spec,
    handlers,
    authenticate: createAuthenticate({ apiKeys: new Map(), internalToken: undefined }),
    readableSession: () => Promise.reject(new Error('not called at bind time')),
    bodyLimit: 1024,
    only,
  });
}

describe('bindOpenApi: every operation declares who may call it', () => {
  it('binds the gateway table: each operation has a handler and a rule that fits its spec', () => {
    expect(bind(realTable()).sort()).toEqual([...OPERATION_IDS].sort());
  });

  it('an operation that declares no access rule stops the bind, naming the operation', () => {
    const table = realTable();
    const { handle } = table.getRun!;
    table.getRun = { handle } as BoundOperation;
    expect(() => bind(table)).toThrow(
      /^operation getRun \(GET \/v1\/sessions\/\{session_id\}\/runs\/\{run_id\}\) declares no access rule/,
    );
  });

  it('an unknown rule stops the bind', () => {
    const table = realTable();
    table.listTools = { ...table.listTools!, access: 'anyone' as BoundOperation['access'] };
    expect(() => bind(table)).toThrow(/operation listTools .* unknown access rule "anyone"/);
  });

  it('{session_id} in the path needs the session rule, and the session rule needs it', () => {
    const table = realTable();
    table.deleteSession = { ...table.deleteSession!, access: 'caller' };
    expect(() => bind(table)).toThrow(
      "operation deleteSession (DELETE /v1/sessions/{session_id}) has {session_id} in its path, so its access rule must be 'session', not 'caller'",
    );
    const other = realTable();
    other.listSessions = { ...other.listSessions!, access: 'session' };
    expect(() => bind(other)).toThrow(/operation listSessions .* cannot be 'session'/);
  });

  it('the internal token goes with the internal rule, and body-session needs body.session_id', () => {
    const progress = realTable();
    progress.postProgress = { ...progress.postProgress!, access: 'body-session' };
    expect(() => bind(progress)).toThrow(/operation postProgress .* must be 'internal', not 'body-session'/);
    const stats = realTable();
    stats.getStats = { ...stats.getStats!, access: 'internal' };
    expect(() => bind(stats)).toThrow(/operation getStats .* cannot be 'internal'/);
    const create = realTable();
    create.createSession = { ...create.createSession!, access: 'body-session' };
    expect(() => bind(create)).toThrow(
      /operation createSession .* declares 'body-session' but its request body has no session_id/,
    );
  });

  it('an operation without a handler stops the bind', () => {
    const table = realTable();
    delete table.health;
    expect(() => bind(table)).toThrow('no handler for operation health (GET /healthz)');
  });
});

describe('bindOpenApi: only', () => {
  it('binds the named operations and routes no other path', () => {
    const router = new Router();
    expect(bind(realTable(), new Set(['ready', 'health']), router).sort()).toEqual(['health', 'ready']);
    expect(router.stack.map((layer) => `${layer.methods.join(',')} ${layer.path}`).sort()).toEqual([
      'HEAD,GET /healthz',
      'HEAD,GET /readyz',
    ]);
  });

  it('a name the spec lacks stops the bind', () => {
    expect(() => bind(realTable(), new Set(['health', 'healthz']))).toThrow(
      'no operation healthz in the spec to bind',
    );
  });
});
