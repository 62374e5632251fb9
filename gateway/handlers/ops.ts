import { timingSafeEqual } from 'node:crypto';
import { errorMessage, TributaryError } from '../../core/index.ts';
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
    async listTools() {
      const items = runtime.registry
        .tools()
        .map(({ tools: _none, output, ...tool }) => ({ ...tool, output: output ?? {} }));
      return { status: 200, body: { items } };
    },
    async listFlows() {
      const items = runtime.registry
        .flows()
        .map(({ output: _none, requiresApproval: _never, tools, ...flow }) => ({
          ...flow,
          ...(tools ? { tools: [...tools] } : {}),
        }));
      return { status: 200, body: { items } };
    },
    async getStats({ user, query, headers }) {
      // Open mode (no user) has nothing to scope by; a keyed caller sees their own unless an operator asks for all.
      if (user === null || query.scope === 'all') {
        if (user !== null) assertOperator(headers['X-Internal-Token']);
        return { status: 200, body: { scope: 'all', ...(await runtime.stats()) } };
      }
      return { status: 200, body: { scope: 'user', ...(await runtime.stats({ user_id: user })) } };
    },
    async health() {
      return { status: 200, body: { status: 'ok' } };
    },
    async ready() {
      try {
        await runtime.store.ping();
      } catch (error) {
        throw new TributaryError(
          'STORE_UNAVAILABLE',
          `store ${runtime.store.kind} is unreachable: ${errorMessage(error)}`,
        );
      }
      return { status: 200, body: { status: 'ready', store: runtime.store.kind } };
    },
    async getSpec() {
      return { status: 200, body: deps.spec };
    },
  };
}
