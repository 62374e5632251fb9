import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { Logger } from '../../core/logger.ts';
import {
  endWith,
  ignoreElements,
  interval,
  map,
  merge,
  share,
  takeUntil,
  type Observable,
  type Subscription,
} from 'rxjs';
import type { SessionEvent } from '../../core/index.ts';

/**
 * The most one SSE stream may have queued (in the response stream and the socket's send buffer, not
 * counting the kernel's) when its next frame is due. A client that lets more pile up has fallen too
 * far behind: it is disconnected, and resumes with `Last-Event-ID`. Checked before each write, so one
 * frame larger than the bound still reaches a client that keeps up.
 */
export const SSE_QUEUE_LIMIT_BYTES = 1024 * 1024;

/** Where a stream's events come from. */
export interface SseSource {
  /** One page of stored events with `seq > after`, oldest first; empty once there are no more. */
  page(after: number): Promise<readonly SessionEvent[]>;
  /** Stored events with `seq > after`, then live ones; completes when the session gets no more. */
  follow(after: number): Observable<SessionEvent>;
}

export interface SseOptions {
  sessionId: string;
  /** The resume point: events with `seq > after` are sent. */
  after: number;
  /** Milliseconds between heartbeat comments. */
  heartbeatMs: number;
  logger: Logger;
  /** Defaults to {@link SSE_QUEUE_LIMIT_BYTES}. */
  queueLimitBytes?: number;
}

const frameOf = (event: SessionEvent) =>
  `id: ${event.seq}\nevent: session_event\ndata: ${JSON.stringify(event)}\n\n`;

/**
 * Streams session events as Server-Sent Events: `id:` is the seq (so `Last-Event-ID` resumes),
 * `event: session_event`, `data:` the envelope; a comment line every `heartbeatMs` keeps proxies
 * from closing an idle stream. The subscription ends when the client goes or the stream completes.
 *
 * Stored events are sent first, page by page, each write waiting for the client to take the last one
 * (a resume far back costs one page, however long the log). Live events cannot wait (every stream of the
 * session gets them in one fan-out), so a stream whose queue exceeds `queueLimitBytes` is cut off instead.
 *
 * @example
 * ```ts
 * streamSse(ctx, { page, follow }, { sessionId, after: 0, heartbeatMs: 15_000, logger });
 * ```
 */
export function streamSse(ctx: Context, source: SseSource, options: SseOptions): void {
  const { sessionId, heartbeatMs, logger, queueLimitBytes = SSE_QUEUE_LIMIT_BYTES } = options;
  const body = new PassThrough();
  const { res } = ctx;
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.status = 200;
  ctx.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  });
  ctx.body = body;

  let closed = false;
  let subscription: Subscription | undefined;
  const stop = () => {
    closed = true;
    subscription?.unsubscribe();
  };
  ctx.req.on('close', stop);
  res.on('close', stop);
  body.on('close', stop);
  // Bytes written but not yet handed to the kernel: both sides of the PassThrough, then the response
  // (whose writableLength counts its socket's buffer).
  const queued = () => body.writableLength + body.readableLength + res.writableLength;
  const drained = () =>
    new Promise<void>((resolve) => {
      if (closed) return resolve();
      const done = () => {
        body.off('drain', done).off('close', done);
        res.off('close', done);
        resolve();
      };
      body.on('drain', done).on('close', done);
      res.on('close', done);
    });

  let sent = options.after;
  const catchUp = async () => {
    for (;;) {
      const events = await source.page(sent);
      if (events.length === 0 || closed) return;
      for (const event of events) {
        if (closed) return;
        const room = body.write(frameOf(event));
        sent = event.seq;
        if (!room) await drained();
      }
    }
  };

  const cutOff = (backlog: number) => {
    stop();
    logger.warn(
      { session_id: sessionId, queued_bytes: backlog, limit_bytes: queueLimitBytes, last_written_seq: sent },
      'SSE client too far behind: disconnected (it can resume with Last-Event-ID)',
    );
    // Destroyed, not ended: ending would keep the backlog queued until the client read it.
    body.destroy();
    res.destroy();
  };

  const followLive = () => {
    const events = source.follow(sent).pipe(
      map((event) => ({ seq: event.seq, text: frameOf(event) })),
      share(),
    );
    const heartbeats = interval(heartbeatMs).pipe(
      map(() => ({ seq: undefined, text: ': heartbeat\n\n' })),
      takeUntil(events.pipe(ignoreElements(), endWith(true))),
    );
    // The events stream completes when the session expires or is deleted: the response ends then.
    subscription = merge(events, heartbeats).subscribe({
      next: ({ seq, text }) => {
        if (closed) return;
        const backlog = queued();
        if (backlog > queueLimitBytes) return cutOff(backlog);
        body.write(text);
        if (seq !== undefined) sent = seq;
      },
      error: () => body.end(),
      complete: () => body.end(),
    });
    // Cut off (or gone) while the subscription replayed synchronously: nothing else may hold it.
    if (closed) subscription.unsubscribe();
  };

  body.write(': stream open\n\n');
  void (async () => {
    try {
      await catchUp();
      if (!closed) followLive();
    } catch (error) {
      // The store did not answer: end the stream; the client resumes from the last id it got.
      logger.error({ err: error, session_id: sessionId }, 'SSE stream ended: stored events unreadable');
      body.end();
    }
  })();
}
