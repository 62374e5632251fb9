import { timingSafeEqual } from 'node:crypto';
import { secretDigest } from '../http/api-key-lookup.ts';
import type { Handlers } from '../http/operation-types.ts';
import { HttpProblem } from '../http/problem.ts';
import type { HandlerDeps } from './context.ts';

type OpsHandlers = Pick<Handlers, 'listTools' | 'listFlows' | 'getStats' | 'health' | 'ready' | 'getSpec'>;

export function opsHandlers(deps: HandlerDeps): OpsHandlers {
  const { runtime } = deps;
  const operatorToken = deps.internalToken === undefined ? undefined : secretDigest(deps.internalToken);

  /** Refuses a keyed caller's `scope=all` unless it presents the internal token (compared in constant time). */
  function assertOperator(presented: string | undefined): void {
    if (operatorToken === undefined)
      throw new HttpProblem('FORBIDDEN', 'scope=all is disabled: the server has no INTERNAL_TOKEN');
    if (!presented)
      throw new HttpProblem('FORBIDDEN', 'scope=all needs the X-Internal-Token header', [
        { field: 'headers.X-Internal-Token', message: 'missing' },
      ]);
    if (!timingSafeEqual(secretDigest(presented), operatorToken))
      throw new HttpProblem('FORBIDDEN', 'invalid X-Internal-Token', [
        { field: 'headers.X-Internal-Token', message: 'not the internal token' },
      ]);
  }

  return {
    listTools: {
      access: 'none',
      async handle() {
        const items = runtime.registry
          .tools()
          .map(({ tools: _none, output, ...tool }) => ({ ...tool, output: output ?? {} }));
        return { status: 200, body: { items } };
      },
    },
    listFlows: {
      access: 'none',
      async handle() {
        const items = runtime.registry
          .flows()
          .map(({ output: _none, requiresApproval: _never, tools, ...flow }) => ({
            ...flow,
            ...(tools ? { tools: [...tools] } : {}),
          }));
        return { status: 200, body: { items } };
      },
    },
    getStats: {
      access: 'caller',
      async handle({ user, query, headers }) {
        // Open mode (no user) has nothing to scope by; a keyed caller sees their own unless an operator asks for all.
        if (user === null || query.scope === 'all') {
          if (user !== null) assertOperator(headers['X-Internal-Token']);
          return { status: 200, body: { scope: 'all', ...(await runtime.stats()) } };
        }
        return { status: 200, body: { scope: 'user', ...(await runtime.stats({ user_id: user })) } };
      },
    },
    health: {
      access: 'none',
      async handle() {
        return { status: 200, body: { status: 'ok' } };
      },
    },
    ready: {
      access: 'none',
      async handle() {
        await runtime.checkStore();
        return { status: 200, body: { status: 'ready', store: runtime.storeKind } };
      },
    },
    getSpec: {
      access: 'none',
      async handle() {
        return { status: 200, body: deps.spec };
      },
    },
  };
}
