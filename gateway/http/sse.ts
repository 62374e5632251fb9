import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import { endWith, ignoreElements, interval, map, merge, share, takeUntil, type Observable } from 'rxjs';
import type { SessionEvent } from '../../core/index.ts';

/**
 * Streams session events as Server-Sent Events: `id:` is the seq (so `Last-Event-ID` resumes),
 * `event: session_event`, `data:` the envelope; a comment line every `heartbeatMs` keeps proxies
 * from closing an idle stream. The subscription ends when the client goes or the stream completes.
 *
 * @example
 * ```ts
 * streamSse(ctx, runtime.events.events$(sessionId, after), 15_000);
 * ```
 */
export function streamSse(ctx: Context, events$: Observable<SessionEvent>, heartbeatMs: number): void {
  const body = new PassThrough();
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.status = 200;
  ctx.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  });
  ctx.body = body;
  body.write(': stream open\n\n');
  const events = events$.pipe(
    map((event) => `id: ${event.seq}\nevent: session_event\ndata: ${JSON.stringify(event)}\n\n`),
    share(),
  );
  const heartbeats = interval(heartbeatMs).pipe(
    map(() => ': heartbeat\n\n'),
    takeUntil(events.pipe(ignoreElements(), endWith(true))),
  );
  // The events stream completes when the session expires or is deleted: the response ends then.
  const subscription = merge(events, heartbeats).subscribe({
    next: (frame) => body.write(frame),
    error: () => body.end(),
    complete: () => body.end(),
  });
  const stop = () => subscription.unsubscribe();
  ctx.req.on('close', stop);
  body.on('close', stop);
}
