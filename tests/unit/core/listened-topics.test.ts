import { describe, expect, it } from 'vitest';
import { ListenedTopics } from '../../../core/events/listened-topics.ts';

describe('ListenedTopics', () => {
  it('opens a key with its first listener and closes it with its last, or when completed', () => {
    const calls: string[] = [];
    const topics = new ListenedTopics<number>({
      opened: (key) => calls.push(`opened ${key}`),
      closed: (key) => calls.push(`closed ${key}`),
    });
    const seen: number[] = [];
    const first = topics.listen('a').subscribe((n) => seen.push(n));
    const second = topics.listen('a').subscribe((n) => seen.push(n * 10));
    topics.next('a', 1);
    topics.next('b', 2); // nobody listens to b: dropped, nothing kept
    expect(seen).toEqual([1, 10]);
    expect([topics.listeners('a'), topics.listeners(), topics.keys()]).toEqual([2, 2, ['a']]);
    first.unsubscribe();
    expect(calls).toEqual(['opened a']);
    second.unsubscribe();
    expect(calls).toEqual(['opened a', 'closed a']);
    expect(topics.has('a')).toBe(false);

    let completed = false;
    topics.listen('c').subscribe({ complete: () => (completed = true) });
    topics.complete('c');
    expect(completed).toBe(true);
    expect(calls).toEqual(['opened a', 'closed a', 'opened c', 'closed c']);
    expect(topics.listeners()).toBe(0);
  });
});
