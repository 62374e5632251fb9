import {
  concat,
  defer,
  EMPTY,
  endWith,
  ignoreElements,
  of,
  takeUntil,
  catchError,
  tap,
  type Observable,
  type OperatorFunction,
} from 'rxjs';

/** How a run's work ended. */
export type RunEnd =
  | { readonly status: 'completed' }
  | { readonly status: 'failed'; readonly error: unknown }
  | { readonly status: 'cancelled'; readonly reason: string };

const COMPLETED: RunEnd = { status: 'completed' };

/**
 * Runs the source until it completes, fails or `cancel$` emits a reason, and emits exactly one
 * {@link RunEnd} saying which. Cancelling unsubscribes the source, so its teardown (aborting the
 * run's `AbortController`) runs at once.
 *
 * @example
 * ```ts
 * work$.pipe(untilCancelled(cancel$)).subscribe((end) => end.status); // 'completed' | 'failed' | 'cancelled'
 * ```
 */
export function untilCancelled(cancel$: Observable<string>): OperatorFunction<unknown, RunEnd> {
  return (work$) =>
    defer(() => {
      let reason: string | undefined;
      const body$ = work$.pipe(
        ignoreElements(),
        endWith(COMPLETED),
        catchError((error: unknown) => of<RunEnd>({ status: 'failed', error })),
        takeUntil(cancel$.pipe(tap((why) => (reason = why)))),
      );
      return concat(
        body$,
        defer(() => (reason === undefined ? EMPTY : of<RunEnd>({ status: 'cancelled', reason }))),
      );
    });
}
