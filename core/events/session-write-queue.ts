/**
 * Writes one group of a session's items; it settles each item itself and never rejects.
 * The queue awaits it before it takes the session's next group.
 */
export type WriteGroup<T> = (group: readonly T[]) => Promise<void>;

/**
 * Per-session ordered groups: items added for a session in the same synchronous run, or while its
 * previous group is being written, wait together in one group (at most `maxGroup` items), and a
 * session's groups are written one after another, in order. Sessions do not wait for each other.
 * It knows nothing of stores or events: the event log hands it commits and a `writeGroup`.
 *
 * @example
 * ```ts
 * const queue = new SessionWriteQueue<string>(async (group) => console.log(group), 500);
 * queue.add('s1', 'a');
 * queue.add('s1', 'b'); // same synchronous run: one group ['a', 'b']
 * await queue.idle();
 * ```
 */
export class SessionWriteQueue<T> {
  /** Per session, its groups not yet started, oldest first; the last one still takes items. */
  private readonly waiting = new Map<string, T[][]>();
  /** Per session, the loop writing its groups one after another, while it has any. */
  private readonly draining = new Map<string, Promise<void>>();

  constructor(
    private readonly writeGroup: WriteGroup<T>,
    private readonly maxGroup: number,
  ) {}

  /** Queues `item` in the session's open group (a new one when it is full or started). */
  add(sessionId: string, item: T): void {
    const groups = this.waiting.get(sessionId);
    const open = groups?.at(-1);
    if (groups && open && open.length < this.maxGroup) open.push(item);
    else if (groups) groups.push([item]);
    else this.waiting.set(sessionId, [[item]]);
    if (!this.draining.has(sessionId)) this.draining.set(sessionId, this.drain(sessionId));
  }

  /** Resolves when every group queued so far, and any queued while waiting, has been written. */
  async idle(): Promise<void> {
    while (this.draining.size > 0) await Promise.all(this.draining.values());
  }

  /** Writes a session's groups in order until none is left. Never rejects (nor does `writeGroup`). */
  private async drain(sessionId: string): Promise<void> {
    // Start on a later microtask, so the items added in the same synchronous run join the first group.
    await undefined;
    try {
      for (;;) {
        const groups = this.waiting.get(sessionId);
        // Taking a group closes it: items from now on start the next one.
        const group = groups?.shift();
        if (!groups || !group) break;
        if (groups.length === 0) this.waiting.delete(sessionId);
        await this.writeGroup(group);
      }
    } finally {
      this.draining.delete(sessionId);
    }
  }
}
