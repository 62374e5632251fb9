import { from, Observable, type ObservableInput } from 'rxjs';
import type { Span, Telemetry } from '../telemetry.ts';

/**
 * Calls `make` and subscribes to what it returns (an Observable, a Promise or an AsyncIterable) with
 * `span` active, through {@link Telemetry.withSpan}. Both the call and the subscription happen inside,
 * so code that runs later (an async generator's body, a promise continuation, a timer) still sees the
 * span: an HTTP client instrumentation or a log line in a tool finds its tool span as the parent.
 * With the no-op telemetry it is `defer(() => from(make()))`.
 *
 * @example
 * ```ts
 * withinSpan(scope.telemetry, span, () => tool.execute(input, ctx)).pipe(last());
 * ```
 */
export function withinSpan<T>(
  telemetry: Telemetry,
  span: Span,
  make: () => ObservableInput<T>,
): Observable<T> {
  return new Observable<T>((subscriber) =>
    telemetry.withSpan(span, () => from(make()).subscribe(subscriber)),
  );
}
