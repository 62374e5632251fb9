import { TributaryError, type Session } from '../../core/index.ts';
import { streamSse } from '../http/sse.ts';
import type { Handlers } from '../http/operation-types.ts';
import type { HandlerDeps } from './context.ts';

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
    listEvents: {
      access: 'session',
      async handle({ session, query }) {
        const after = query.after ?? 0;
        checkCursor(session, after, 'after', 'query.after');
        const items = await runtime.events.list(session.id, { after, limit: query.limit ?? 100 });
        return { status: 200, body: { items, last_seq: session.last_seq } };
      },
    },
    streamEvents: {
      access: 'session',
      async handle({ session, query, headers }, ctx) {
        const resumeAt = headers['Last-Event-ID'];
        const after = resumeAt !== undefined ? Number(resumeAt) : (query.after ?? 0);
        // Refused before the stream starts, so the client gets a status and a problem, not a silent wait.
        if (resumeAt !== undefined) checkCursor(session, after, 'Last-Event-ID', 'headers.Last-Event-ID');
        else checkCursor(session, after, 'after', 'query.after');
        const { id } = session;
        streamSse(
          ctx,
          {
            page: (from) => runtime.events.list(id, { after: from, limit: CATCH_UP_PAGE }),
            // An expired session gets no more events: send what is stored and end.
            follow: (from) =>
              session.state === 'expired'
                ? runtime.events.stored$(id, from)
                : runtime.events.events$(id, from),
          },
          { sessionId: id, after, heartbeatMs: deps.heartbeatMs, logger: runtime.logger },
        );
        return undefined;
      },
    },
    listMessages: {
      access: 'session',
      async handle({ session }) {
        return { status: 200, body: { items: await runtime.sessions.messages(session.id) } };
      },
    },
    postProgress: {
      // The internal token's holder reports into any session; core checks the session and run exist.
      access: 'internal',
      async handle({ body }) {
        const { session_id, ...draft } = body;
        return { status: 202, body: await runtime.sessions.recordProgress(session_id, draft) };
      },
    },
  };
}
