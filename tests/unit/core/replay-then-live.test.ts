import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { replayThenLive } from '../../../core/operators/replay-then-live.ts';

const e = (seq: number) => ({ seq });
const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('replayThenLive (marbles)', () => {
  it('buffers live events during the replay and emits each seq once, in order', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      // History replays 3..5 slowly; live emits 5 (a duplicate) and 6 during the replay, then 7.
      const history = cold('-a-b-(c|)', { a: e(3), b: e(4), c: e(5) });
      const live = hot('---x-y---z', { x: e(5), y: e(6), z: e(7) });
      expectObservable(replayThenLive(history, live, 2)).toBe('-a-b-(cy)z', {
        a: e(3),
        b: e(4),
        c: e(5),
        y: e(6),
        z: e(7),
      });
      expectSubscriptions(live.subscriptions).toBe('^');
    });
  });

  it('emits every live event buffered during the replay, the first one included', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      // Neither buffered event is in the history: dropping any of them is a lost event.
      const history = cold('-a-b-|', { a: e(1), b: e(2) });
      const live = hot('--x-y-----z', { x: e(3), y: e(4), z: e(5) });
      expectObservable(replayThenLive(history, live, 0)).toBe('-a-b-(xy)-z', {
        a: e(1),
        b: e(2),
        x: e(3),
        y: e(4),
        z: e(5),
      });
      expectSubscriptions(history.subscriptions).toBe('^----!');
      expectSubscriptions(live.subscriptions).toBe('^');
    });
  });

  it('skips live events at or before afterSeq', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const history = cold<{ seq: number }>('--|');
      const live = hot<{ seq: number }>('-x---y-z', { x: e(9), y: e(10), z: e(11) });
      expectObservable(replayThenLive(history, live, 10)).toBe('-------z', { z: e(11) });
    });
  });

  it('completes after the buffered events when live completes during the replay', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const history = cold('-a--|', { a: e(1) });
      const live = hot('--x|', { x: e(2) });
      expectObservable(replayThenLive(history, live, 0)).toBe('-a--(x|)', { a: e(1), x: e(2) });
      expectSubscriptions(live.subscriptions).toBe('^--!');
    });
  });

  it('fails with the history error and leaves live', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const history = cold('-a-#', { a: e(1) }, new Error('store down'));
      const live = hot('--x---', { x: e(2) });
      expectObservable(replayThenLive(history, live, 0)).toBe('-a-#', { a: e(1) }, new Error('store down'));
      expectSubscriptions(live.subscriptions).toBe('^--!');
    });
  });

  it('unsubscribes from both sources when the reader leaves mid-replay', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const history = cold('-a-b-c|', { a: e(1), b: e(2), c: e(3) });
      const live = hot<{ seq: number }>('------');
      expectObservable(replayThenLive(history, live, 0), '^--!').toBe('-a-', { a: e(1) });
      expectSubscriptions(history.subscriptions).toBe('^--!');
      expectSubscriptions(live.subscriptions).toBe('^--!');
    });
  });

  describe('with a gap filler (a live source that may skip events)', () => {
    it('reads a skipped seq before the event after it, and holds later live events meanwhile', () => {
      const reads: [number, number][] = [];
      scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const history = cold('-(a|)', { a: e(1) });
        // Live skips 2 and 3: 4 arrives, then 5 while the read of 2..3 is still going on.
        const live = hot('---x-y-----------z', { x: e(4), y: e(5), z: e(6) });
        const fill = (after: number, through: number) => {
          reads.push([after, through]);
          return cold('---(bc|)', { b: e(2), c: e(3) });
        };
        expectObservable(replayThenLive(history, live, 0, fill)).toBe('-a----(bcxy)-----z', {
          a: e(1),
          b: e(2),
          c: e(3),
          x: e(4),
          y: e(5),
          z: e(6),
        });
        expectSubscriptions(live.subscriptions).toBe('^');
      });
      // One read, of exactly what was skipped.
      expect(reads).toEqual([[1, 3]]);
    });

    it('fills a gap found in the events buffered during the replay, and drops repeats', () => {
      scheduler().run(({ cold, hot, expectObservable }) => {
        const history = cold('-----(ab|)', { a: e(1), b: e(2) });
        // 2 comes again from live (a repeat), 3 is skipped, 4 arrives during the replay.
        const live = hot('-x-y--------z', { x: e(2), y: e(4), z: e(5) });
        const fill = () => cold('(c|)', { c: e(3) });
        expectObservable(replayThenLive(history, live, 0, fill)).toBe('-----(abcy)-z', {
          a: e(1),
          b: e(2),
          c: e(3),
          y: e(4),
          z: e(5),
        });
      });
    });

    it('passes the event on when the store no longer holds what it skipped', () => {
      scheduler().run(({ cold, hot, expectObservable }) => {
        const history = cold<{ seq: number }>('|');
        const live = hot('--x-y', { x: e(5), y: e(6) });
        expectObservable(replayThenLive(history, live, 0, () => cold<{ seq: number }>('-|'))).toBe('---xy', {
          x: e(5),
          y: e(6),
        });
      });
    });
  });
});
