import { TributaryError, type Session } from '../../core/index.ts';
import { streamSse } from '../http/sse.ts';
import type { Handlers } from '../http/operation-types.ts';
import { ownedSession, type HandlerDeps } from './context.ts';

type EventHandlers = Pick<Handlers, 'listEvents' | 'streamEvents' | 'listMessages' | 'postProgress'>;

/** Stored events per read while a stream catches up (each page is sent with back-pressure). */
const CATCH_UP_PAGE = 100;

/**
 * The one cursor rule of every transport (REST `after`, SSE `Last-Event-ID` / `after`, Socket.IO
 * `after_seq`): a seq past the session's last event was never issued, so it is refused rather than
 * waited on; `after` equal to `last_seq` is a caught-up reader.
 */
function checkCursor(session: Session, after: number, name: string, field: string): void {
  if (after > session.last_seq)
    throw new TributaryError(
      'INVALID_CURSOR',
      `${name} ${after} is past the last event of session ${session.id} (seq ${session.last_seq})`,
      { field },
    );
}

export function eventHandlers(deps: HandlerDeps): EventHandlers {
  const { runtime } = deps;
  return {
    async listEvents({ params, query, user }) {
      const session = await ownedSession(deps, user, params.session_id);
      const after = query.after ?? 0;
      checkCursor(session, after, 'after', 'query.after');
      const items = await runtime.store.listEvents(session.id, { after, limit: query.limit ?? 100 });
      return { status: 200, body: { items, last_seq: session.last_seq } };
    },
    async streamEvents({ params, query, headers, user }, ctx) {
      const session = await ownedSession(deps, user, params.session_id);
      const resumeAt = headers['Last-Event-ID'];
      const after = resumeAt !== undefined ? Number(resumeAt) : (query.after ?? 0);
      // Refused before the stream starts, so the client gets a status and a problem, not a silent wait.
      if (resumeAt !== undefined) checkCursor(session, after, 'Last-Event-ID', 'headers.Last-Event-ID');
      else checkCursor(session, after, 'after', 'query.after');
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
