import { describe, expect, it } from 'vitest';
import { SessionWriteQueue } from '../../../core/events/session-write-queue.ts';

interface Item {
  session: string;
  n: number;
}

/** A writer that records each group and holds its write until the test releases it. */
function heldWriter() {
  const groups: string[][] = [];
  const held: { group: string[]; release: () => void }[] = [];
  const started: (() => void)[] = [];
  const write = (group: readonly Item[]) =>
    new Promise<void>((release) => {
      const names = group.map((item) => `${item.session}${item.n}`);
      groups.push(names);
      held.push({ group: names, release });
      started.shift()?.();
    });
  /** Resolves once `count` groups have started writing. */
  const startedCount = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => (groups.length >= count ? resolve() : started.push(check));
      check();
    });
  const releaseAll = () => {
    for (const { release } of held.splice(0)) release();
  };
  return { groups, held, write, startedCount, releaseAll };
}

const item = (session: string, n: number): Item => ({ session, n });

describe('SessionWriteQueue', () => {
  it("groups a session's items of one synchronous run, and those added while its group writes", async () => {
    const writer = heldWriter();
    const queue = new SessionWriteQueue(writer.write, 10);
    queue.add('a', item('a', 1));
    queue.add('a', item('a', 2));
    await writer.startedCount(1);
    // The first group is being written: these wait for it, together.
    queue.add('a', item('a', 3));
    queue.add('a', item('a', 4));
    expect(writer.groups).toEqual([['a1', 'a2']]);
    writer.releaseAll();
    await writer.startedCount(2);
    expect(writer.groups).toEqual([
      ['a1', 'a2'],
      ['a3', 'a4'],
    ]);
    writer.releaseAll();
    await queue.idle();
  });

  it('closes a group at maxGroup items and opens the next', async () => {
    const groups: number[][] = [];
    const queue = new SessionWriteQueue<Item>(async (group) => void groups.push(group.map((i) => i.n)), 2);
    for (let n = 1; n <= 5; n += 1) queue.add('a', item('a', n));
    await queue.idle();
    expect(groups).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("writes one session's groups one after another, while other sessions do not wait for it", async () => {
    const writer = heldWriter();
    const queue = new SessionWriteQueue(writer.write, 1);
    queue.add('a', item('a', 1));
    queue.add('a', item('a', 2));
    queue.add('b', item('b', 1));
    await writer.startedCount(2);
    // a1 is held; b1 started anyway, a2 waits for a1.
    expect(writer.groups).toEqual([['a1'], ['b1']]);
    writer.held[0]?.release();
    await writer.startedCount(3);
    expect(writer.groups).toEqual([['a1'], ['b1'], ['a2']]);
    writer.releaseAll();
    await queue.idle();
  });

  it('idle() waits for the groups queued while it waits', async () => {
    const writer = heldWriter();
    const queue = new SessionWriteQueue(writer.write, 10);
    queue.add('a', item('a', 1));
    let idle = false;
    const idling = queue.idle().then(() => (idle = true));
    await writer.startedCount(1);
    queue.add('a', item('a', 2));
    writer.releaseAll();
    await writer.startedCount(2);
    expect(idle).toBe(false);
    writer.releaseAll();
    await idling;
    expect(writer.groups).toEqual([['a1'], ['a2']]);
  });
});
