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

  it('passes a value to the listeners there were when it came, not to one added or removed meanwhile', () => {
    const topics = new ListenedTopics<number>();
    const seen: string[] = [];
    const others: Partial<Record<'late' | 'second', { unsubscribe(): void }>> = {};
    const first = topics.listen('a').subscribe((n) => {
      seen.push(`first ${n}`);
      // While 1 is passed on: one more listener, and the next one gone.
      if (n === 1) {
        others.late = topics.listen('a').subscribe((m) => seen.push(`late ${m}`));
        others.second?.unsubscribe();
      }
    });
    others.second = topics.listen('a').subscribe((n) => seen.push(`second ${n}`));
    topics.next('a', 1);
    topics.next('a', 2);
    expect(seen).toEqual(['first 1', 'first 2', 'late 2']);
    expect(topics.listeners('a')).toBe(2);
    first.unsubscribe();
    others.late?.unsubscribe();
    expect(topics.has('a')).toBe(false);
  });

  it('completes every listener of a key once, and a new listener of it starts afresh', () => {
    const topics = new ListenedTopics<number>();
    const log: string[] = [];
    const listen = (name: string) =>
      topics
        .listen('a')
        .subscribe({ next: (n) => log.push(`${name} ${n}`), complete: () => log.push(`${name} done`) });
    listen('x');
    listen('y');
    topics.complete('a');
    topics.complete('a');
    topics.next('a', 1);
    listen('z');
    topics.next('a', 2);
    expect(log).toEqual(['x done', 'y done', 'z 2']);
    expect(topics.listeners('a')).toBe(1);
  });
});
