import type { Handlers } from '../http/operation-types.ts';
import { asUser, type HandlerDeps } from './context.ts';

type RunHandlers = Pick<
  Handlers,
  'createRun' | 'createRunAnywhere' | 'listRuns' | 'getRun' | 'cancelRun' | 'resolveApproval'
>;

export function runHandlers(deps: HandlerDeps): RunHandlers {
  const { runs, sessions } = deps.runtime;
  return {
    createRun: {
      access: 'session',
      async handle({ session, body, headers }) {
        const run = await runs.create(session.id, { ...body, traceparent: headers.traceparent });
        return { status: 202, body: run };
      },
    },
    createRunAnywhere: {
      // A named session is checked like a path's; without one the run gets a new session of the caller's.
      access: 'body-session',
      async handle({ session, body, headers, user }) {
        const { session_id: _checked, user_id, agent_id, ...request } = body;
        // A bad webhook is refused before a new session is made for the run.
        if (!session && request.webhook) await runs.checkWebhook(request.webhook);
        const sessionId =
          session?.id ??
          (await sessions.create({ user_id: asUser(user, user_id, 'body.user_id'), agent_id })).id;
        const run = await runs.create(sessionId, { ...request, traceparent: headers.traceparent });
        return { status: 202, body: run };
      },
    },
    listRuns: {
      access: 'session',
      async handle({ session }) {
        return { status: 200, body: { items: await runs.list(session.id) } };
      },
    },
    getRun: {
      access: 'session',
      async handle({ session, params }) {
        return { status: 200, body: await runs.get(session.id, params.run_id) };
      },
    },
    cancelRun: {
      access: 'session',
      async handle({ params }) {
        return {
          status: 202,
          body: await runs.cancel(params.session_id, params.run_id, 'cancelled by request'),
        };
      },
    },
    resolveApproval: {
      access: 'session',
      async handle({ session, params, body }) {
        return {
          status: 200,
          body: await runs.resolveApproval(session.id, params.run_id, params.approval_id, body),
        };
      },
    },
  };
}
