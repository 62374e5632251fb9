import {
  concat,
  defer,
  EMPTY,
  endWith,
  finalize,
  ignoreElements,
  map,
  of,
  take,
  takeUntil,
  catchError,
  tap,
  type Observable,
  type OperatorFunction,
} from 'rxjs';
import { TributaryError } from '../errors.ts';

/** How a run's work ended. */
export type RunEnd =
  | { readonly status: 'completed' }
  | { readonly status: 'failed'; readonly error: unknown }
  | { readonly status: 'cancelled'; readonly reason: string };

const COMPLETED: RunEnd = { status: 'completed' };

/** Why the work of a run that ended on its own is aborted: whatever it left running stops. */
export const RUN_ENDED = 'the run ended';

/**
 * The reason a run's `AbortSignal` carries: `RUN_CANCELLED` whose message is why (`details.reason` too),
 * so a tool reads `ctx.signal.reason.message` ("cancelled by request", "shutdown", …) and a `fetch` on
 * that signal rejects with it.
 *
 * @example
 * ```ts
 * controller.abort(cancelReason('user pressed stop'));
 * isTributaryError(signal.reason, 'RUN_CANCELLED'); // true; signal.reason.message === 'user pressed stop'
 * ```
 */
export function cancelReason(reason: string): TributaryError {
  return new TributaryError('RUN_CANCELLED', reason, { details: { reason } });
}

let endedReason: TributaryError | undefined;
/**
 * The reason of every run that ended on its own, made once: an error's stack capture is the dearest
 * part of ending a run, and this one tells nothing a stack would.
 */
function ranOut(): TributaryError {
  return (endedReason ??= Object.freeze(cancelReason(RUN_ENDED)));
}

/**
 * Runs the source until it completes, fails or `cancel$` emits a reason, and emits exactly one
 * {@link RunEnd} saying which. The one cancel path: when `cancel$` emits, the run's `controller` is
 * aborted with {@link cancelReason} first, so every tool call and fetch sees the reason (a flow written
 * as an async generator stops there), then `takeUntil` unsubscribes the source (an Observable flow stops
 * there). Whatever the source does after the abort (fail, complete) counts as the cancel. When the
 * source ends on its own, the controller is aborted after the end is reported, so nothing it left
 * running goes on.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * work(controller.signal).pipe(untilCancelled(cancel$, controller)).subscribe((end) => end.status);
 * // 'completed' | 'failed' | 'cancelled'
 * ```
 */
export function untilCancelled(
  cancel$: Observable<string>,
  controller: AbortController,
): OperatorFunction<unknown, RunEnd> {
  return (work$) =>
    defer(() => {
      let reason: string | undefined;
      const stop$ = cancel$.pipe(
        tap((why) => {
          reason = why;
          controller.abort(cancelReason(why));
        }),
      );
      const body$ = work$.pipe(
        ignoreElements(),
        endWith(COMPLETED),
        catchError((error: unknown) => of<RunEnd>({ status: 'failed', error })),
        takeUntil(stop$),
      );
      const cancelled = (why: string): RunEnd => ({ status: 'cancelled', reason: why });
      return concat(
        body$,
        defer(() => (reason === undefined ? EMPTY : of(cancelled(reason)))),
      ).pipe(
        // The source may fail or complete inside the abort, before takeUntil sees the reason.
        map((end) => (reason === undefined ? end : cancelled(reason))),
        take(1),
        finalize(() => controller.abort(ranOut())),
      );
    });
}
