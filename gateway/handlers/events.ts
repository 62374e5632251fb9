import { assertSeqCursor, type Session } from '../../core/index.ts';
import { streamSse } from '../http/sse.ts';
import type { Handlers } from '../http/operation-types.ts';
import type { HandlerDeps } from './context.ts';

type EventHandlers = Pick<Handlers, 'listEvents' | 'streamEvents' | 'listMessages' | 'postProgress'>;

/** Stored events per read while a stream catches up (each page is sent with back-pressure). */
const CATCH_UP_PAGE = 100;

/** Core's cursor rule, for a session read by the binder. */
function checkCursor(session: Session, after: number, name: string, field: string): void {
  assertSeqCursor(session.id, session.last_seq, after, name, field);
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
