/**
 * Runs async tasks one after another per key, and in parallel across keys.
 * The event log uses it so a session's events are written and published in `seq` order.
 *
 * @example
 * ```ts
 * const queue = new KeyedQueue();
 * await Promise.all([queue.run('s1', writeA), queue.run('s1', writeB)]); // writeB starts after writeA settles
 * ```
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    // The chain must go on after a failure; the caller still sees the rejection through `result`.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves when every task queued so far, on every key, has settled. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }

  get size(): number {
    return this.tails.size;
  }
}
