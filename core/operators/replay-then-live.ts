import { Observable } from 'rxjs';

/**
 * Reads what is missing between two seqs: the stored events with `after < seq <= through`, in order.
 * Given to {@link replayThenLive} when `live` may skip events (a bus across processes).
 */
export type GapFiller<E> = (after: number, through: number) => Observable<E>;

/**
 * Emits `history` then `live`, with no gap and no duplicate, ordered by `seq`.
 * `live` is subscribed first and buffered while `history` replays, so an event that arrives
 * during the replay is neither lost nor sent twice (the stored copy and the live copy share a seq).
 * With `fill`, a live event whose seq jumps past the next one waits while the missing ones are
 * read through `fill` and emitted first; live events arriving meanwhile wait behind it.
 *
 * @example
 * ```ts
 * replayThenLive(storedAfter(10), live$, 10).subscribe(send); // 11, 12, … then live ones
 * replayThenLive(storedAfter(10), lossyLive$, 10, storedBetween).subscribe(send); // a skipped 14 is read, then 15
 * ```
 */
export function replayThenLive<E extends { readonly seq: number }>(
  history: Observable<E>,
  live: Observable<E>,
  afterSeq: number,
  fill?: GapFiller<E>,
): Observable<E> {
  return new Observable<E>((subscriber) => {
    let lastSeq = afterSeq;
    /** Live events not passed on yet: while history replays, or while a gap before them is read. */
    const pending: E[] = [];
    let replaying = true;
    let filling = false;
    let liveCompleted = false;
    const forward = (event: E) => {
      if (event.seq <= lastSeq) return;
      lastSeq = event.seq;
      subscriber.next(event);
    };
    const fail = (error: unknown) => subscriber.error(error);
    const drain = (): void => {
      while (!replaying && !filling) {
        const event = pending.shift();
        if (event === undefined) {
          if (liveCompleted) subscriber.complete();
          return;
        }
        if (fill && event.seq > lastSeq + 1) {
          filling = true;
          const through = event.seq - 1;
          subscriber.add(
            fill(lastSeq, through).subscribe({
              next: (missing) => {
                if (missing.seq <= through) forward(missing);
              },
              error: fail,
              complete: () => {
                // Passed on even if the store no longer holds all it skipped: it will not come back.
                forward(event);
                filling = false;
                drain();
              },
            }),
          );
          return;
        }
        forward(event);
      }
    };
    subscriber.add(
      live.subscribe({
        next: (event) => {
          // The common case, nothing waiting: straight through.
          if (!replaying && !filling && pending.length === 0 && (!fill || event.seq <= lastSeq + 1))
            return forward(event);
          pending.push(event);
          drain();
        },
        error: fail,
        complete: () => {
          liveCompleted = true;
          drain();
        },
      }),
    );
    subscriber.add(
      history.subscribe({
        next: forward,
        error: fail,
        complete: () => {
          replaying = false;
          drain();
        },
      }),
    );
  });
}
