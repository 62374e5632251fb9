import { streamSse } from '../http/sse.ts';
import type { Handlers } from '../http/operation-types.ts';
import { ownedSession, type HandlerDeps } from './context.ts';

type EventHandlers = Pick<Handlers, 'listEvents' | 'streamEvents' | 'listMessages' | 'postProgress'>;

/** Stored events per read while a stream catches up (each page is sent with back-pressure). */
const CATCH_UP_PAGE = 100;

export function eventHandlers(deps: HandlerDeps): EventHandlers {
  const { runtime } = deps;
  return {
    async listEvents({ params, query, user }) {
      const session = await ownedSession(deps, user, params.session_id);
      const items = await runtime.store.listEvents(session.id, {
        after: query.after ?? 0,
        limit: query.limit ?? 100,
      });
      return { status: 200, body: { items, last_seq: session.last_seq } };
    },
    async streamEvents({ params, query, headers, user }, ctx) {
      const session = await ownedSession(deps, user, params.session_id);
      const resumeAt = headers['Last-Event-ID'];
      const after = resumeAt !== undefined ? Number(resumeAt) : (query.after ?? 0);
      const { id } = session;
      streamSse(
        ctx,
        {
          page: (from) => runtime.store.listEvents(id, { after: from, limit: CATCH_UP_PAGE }),
          // An expired session gets no more events: send what is stored and end.
          follow: (from) =>
            session.state === 'expired' ? runtime.events.stored$(id, from) : runtime.events.events$(id, from),
        },
        { sessionId: id, after, heartbeatMs: deps.heartbeatMs, logger: runtime.logger },
      );
      return undefined;
    },
    async listMessages({ params, user }) {
      const session = await ownedSession(deps, user, params.session_id);
      return { status: 200, body: { items: await runtime.store.listMessages(session.id) } };
    },
    async postProgress({ body }) {
      const { session_id, ...draft } = body;
      return { status: 202, body: await runtime.sessions.recordProgress(session_id, draft) };
    },
  };
}
