import { errorMessage, TributaryError } from '../../core/index.ts';
import type { Handlers } from '../http/operation-types.ts';
import type { HandlerDeps } from './context.ts';

type OpsHandlers = Pick<Handlers, 'listTools' | 'listFlows' | 'getStats' | 'health' | 'ready' | 'getSpec'>;

export function opsHandlers(deps: HandlerDeps): OpsHandlers {
  const { runtime } = deps;
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
    async getStats() {
      return { status: 200, body: await runtime.stats() };
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
