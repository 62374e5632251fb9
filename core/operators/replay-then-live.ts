import { Observable } from 'rxjs';

/**
 * Emits `history` then `live`, with no gap and no duplicate, ordered by `seq`.
 * `live` is subscribed first and buffered while `history` replays, so an event that arrives
 * during the replay is neither lost nor sent twice (the stored copy and the live copy share a seq).
 *
 * @example
 * ```ts
 * replayThenLive(storedAfter(10), live$, 10).subscribe(send); // 11, 12, … then live ones
 * ```
 */
export function replayThenLive<E extends { readonly seq: number }>(
  history: Observable<E>,
  live: Observable<E>,
  afterSeq: number,
): Observable<E> {
  return new Observable<E>((subscriber) => {
    let lastSeq = afterSeq;
    let buffer: E[] | null = [];
    let liveCompleted = false;
    const forward = (event: E) => {
      if (event.seq <= lastSeq) return;
      lastSeq = event.seq;
      subscriber.next(event);
    };
    subscriber.add(
      live.subscribe({
        next: (event) => (buffer ? buffer.push(event) : forward(event)),
        error: (error: unknown) => subscriber.error(error),
        complete: () => (buffer ? (liveCompleted = true) : subscriber.complete()),
      }),
    );
    subscriber.add(
      history.subscribe({
        next: forward,
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          const pending = buffer ?? [];
          buffer = null;
          pending.forEach(forward);
          if (liveCompleted) subscriber.complete();
        },
      }),
    );
  });
}
