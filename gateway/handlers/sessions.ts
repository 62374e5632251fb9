import { TributaryError } from '../../core/index.ts';
import type { Handlers } from '../http/operation-types.ts';
import { asUser, toSessionResource, type HandlerDeps } from './context.ts';

type SessionHandlers = Pick<
  Handlers,
  'createSession' | 'listSessions' | 'getSession' | 'updateSession' | 'deleteSession' | 'deleteSessions'
>;

export function sessionHandlers(deps: HandlerDeps): SessionHandlers {
  const { sessions } = deps.runtime;
  return {
    createSession: {
      access: 'caller',
      async handle({ body, user }) {
        const session = await sessions.create({
          ...body,
          user_id: asUser(user, body.user_id, 'body.user_id'),
        });
        return {
          status: 201,
          body: toSessionResource(session),
          headers: { Location: `/v1/sessions/${session.id}` },
        };
      },
    },
    listSessions: {
      access: 'caller',
      async handle({ query, user }) {
        const page = await sessions.list({ ...query, user_id: asUser(user, query.user_id, 'query.user_id') });
        return {
          status: 200,
          body: { items: page.items.map(toSessionResource), next_cursor: page.next_cursor },
        };
      },
    },
    getSession: {
      access: 'session',
      async handle({ session }) {
        return { status: 200, body: toSessionResource(session) };
      },
    },
    updateSession: {
      access: 'session',
      async handle({ session, body }) {
        return { status: 200, body: toSessionResource(await sessions.update(session.id, body)) };
      },
    },
    deleteSession: {
      access: 'session',
      async handle({ session }) {
        await sessions.remove(session.id);
        return { status: 204 };
      },
    },
    deleteSessions: {
      access: 'caller',
      async handle({ query, user }) {
        // Checked before the caller's user fills in user_id: with API keys, no filter must not mean "all of mine".
        if (query.user_id === undefined && query.agent_id === undefined) {
          throw new TributaryError('INVALID_ARGUMENT', 'bulk delete needs user_id or agent_id', {
            field: 'query.user_id',
          });
        }
        const userId = asUser(user, query.user_id, 'query.user_id');
        return {
          status: 200,
          body: { deleted: await sessions.removeMany({ user_id: userId, agent_id: query.agent_id }) },
        };
      },
    },
  };
}
