import type { Handlers } from '../http/operation-types.ts';
import { asUser, ownedSession, type HandlerDeps } from './context.ts';

type RunHandlers = Pick<
  Handlers,
  'createRun' | 'createRunAnywhere' | 'listRuns' | 'getRun' | 'cancelRun' | 'resolveApproval'
>;

export function runHandlers(deps: HandlerDeps): RunHandlers {
  const { runs, sessions } = deps.runtime;
  return {
    async createRun({ params, body, headers, user }) {
      await ownedSession(deps, user, params.session_id);
      const run = await runs.create(params.session_id, { ...body, traceparent: headers.traceparent });
      return { status: 202, body: run };
    },
    async createRunAnywhere({ body, headers, user }) {
      const { session_id, user_id, agent_id, ...request } = body;
      const sessionId = session_id
        ? (await ownedSession(deps, user, session_id)).id
        : (await sessions.create({ user_id: asUser(user, user_id, 'body.user_id'), agent_id })).id;
      const run = await runs.create(sessionId, { ...request, traceparent: headers.traceparent });
      return { status: 202, body: run };
    },
    async listRuns({ params, user }) {
      await ownedSession(deps, user, params.session_id);
      return { status: 200, body: { items: await runs.list(params.session_id) } };
    },
    async getRun({ params, user }) {
      await ownedSession(deps, user, params.session_id);
      return { status: 200, body: await runs.get(params.session_id, params.run_id) };
    },
    async cancelRun({ params, user }) {
      await ownedSession(deps, user, params.session_id);
      return {
        status: 202,
        body: await runs.cancel(params.session_id, params.run_id, 'cancelled by request'),
      };
    },
    async resolveApproval({ params, body, user }) {
      await ownedSession(deps, user, params.session_id);
      return {
        status: 200,
        body: await runs.resolveApproval(params.session_id, params.run_id, params.approval_id, body),
      };
    },
  };
}
