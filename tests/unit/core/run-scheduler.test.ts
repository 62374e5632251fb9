import { Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { RunScheduler, type SchedulerJob } from '../../../core/runs/run-scheduler.ts';
import type { RunEnd } from '../../../core/operators/until-cancelled.ts';
import type { MultitaskStrategy } from '../../../core/runs/run.ts';
import { isTributaryError } from '../../../core/errors.ts';

interface Job extends SchedulerJob {
  work: Observable<unknown>;
}

/** Drives a RunScheduler in virtual time and records what it reports, with the frame it happened at. */
function harness(testScheduler: TestScheduler, limit: number) {
  const log: string[] = [];
  const ends: Record<string, RunEnd> = {};
  const signals: Record<string, AbortSignal> = {};
  const at = () => testScheduler.now();
  const scheduler = new RunScheduler<Job>({
    limit,
    work: (job, signal) => {
      signals[job.id] = signal;
      return job.work;
    },
    onQueued: (job, position, reason) => log.push(`${at()} queued ${job.id} #${position} ${reason}`),
    onStarted: (job) => log.push(`${at()} started ${job.id}`),
    onEnded: (job, end) => {
      ends[job.id] = end;
      log.push(`${at()} ${end.status} ${job.id}`);
    },
  });
  const submit = (
    frame: number,
    id: string,
    sessionId: string,
    work: Observable<unknown>,
    mode: MultitaskStrategy = 'enqueue',
  ) => testScheduler.schedule(() => scheduler.submit({ id, sessionId, work }, mode), frame);
  const cancel = (frame: number, id: string) =>
    testScheduler.schedule(() => scheduler.cancel(id, 'user'), frame);
  return { scheduler, log, ends, signals, submit, cancel };
}

const newTestScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('RunScheduler (marbles)', () => {
  it('runs at most `limit` jobs at once and starts queued ones in submit order as slots free', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectSubscriptions, flush }) => {
      const a = cold('----|');
      const b = cold('--------|');
      const c = cold('--|');
      const d = cold('-|');
      const h = harness(ts, 2);
      h.submit(0, 'a', 's1', a);
      h.submit(0, 'b', 's2', b);
      h.submit(1, 'c', 's3', c);
      h.submit(2, 'd', 's4', d);
      flush();
      expectSubscriptions(a.subscriptions).toBe('^---!');
      expectSubscriptions(b.subscriptions).toBe('^-------!');
      expectSubscriptions(c.subscriptions).toBe('----^-!');
      expectSubscriptions(d.subscriptions).toBe('------^!');
      expect(h.log).toEqual([
        '0 started a',
        '0 started b',
        '1 queued c #1 concurrency_limit',
        '2 queued d #2 concurrency_limit',
        '4 completed a',
        '4 started c',
        '6 completed c',
        '6 started d',
        '7 completed d',
        '8 completed b',
      ]);
    });
  });

  it('keeps one active job per session: a second one waits for the first to end', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectSubscriptions, flush }) => {
      const first = cold('---|');
      const second = cold('--|');
      const h = harness(ts, 5);
      h.submit(0, 'r1', 's1', first);
      h.submit(1, 'r2', 's1', second);
      flush();
      expectSubscriptions(first.subscriptions).toBe('^--!');
      expectSubscriptions(second.subscriptions).toBe('---^-!');
      expect(h.log).toEqual([
        '0 started r1',
        '1 queued r2 #1 session_busy',
        '3 completed r1',
        '3 started r2',
        '5 completed r2',
      ]);
    });
  });

  it('cancel unsubscribes the running job at once, aborts its signal and frees the slot', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectSubscriptions, flush }) => {
      const long = cold('----------|');
      const next = cold('--|');
      const h = harness(ts, 1);
      h.submit(0, 'long', 's1', long);
      h.submit(0, 'next', 's2', next);
      h.cancel(3, 'long');
      flush();
      expectSubscriptions(long.subscriptions).toBe('^--!');
      expectSubscriptions(next.subscriptions).toBe('---^-!');
      expect(h.signals.long?.aborted).toBe(true);
      const reason: unknown = h.signals.long?.reason;
      expect(isTributaryError(reason, 'RUN_CANCELLED') && reason.message).toBe('user');
      expect(h.ends.long).toEqual({ status: 'cancelled', reason: 'user' });
      expect(h.log.slice(2)).toEqual(['3 cancelled long', '3 started next', '5 completed next']);
    });
  });

  it('a cancelled queued job never starts and ends at once', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectSubscriptions, flush }) => {
      const a = cold('----|');
      const b = cold('-|');
      const h = harness(ts, 1);
      h.submit(0, 'a', 's1', a);
      h.submit(0, 'b', 's2', b);
      h.cancel(1, 'b');
      flush();
      expectSubscriptions(b.subscriptions).toBe([]);
      expect(h.log).toEqual([
        '0 started a',
        '0 queued b #1 concurrency_limit',
        '1 cancelled b',
        '4 completed a',
      ]);
      expect(h.scheduler.queued).toBe(0);
    });
  });

  it('a failing job ends failed and frees its slot at once', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectSubscriptions, flush }) => {
      const bad = cold('--#', undefined, new Error('boom'));
      const next = cold('-|');
      const h = harness(ts, 1);
      h.submit(0, 'bad', 's1', bad);
      h.submit(0, 'next', 's2', next);
      flush();
      expectSubscriptions(next.subscriptions).toBe('--^!');
      expect(h.ends.bad).toEqual({ status: 'failed', error: new Error('boom') });
    });
  });

  it('interrupt cancels the active job of the session and runs the new one next', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectSubscriptions, flush }) => {
      const active = cold('----------|');
      const queued = cold('-|');
      const urgent = cold('--|');
      const h = harness(ts, 3);
      h.submit(0, 'active', 's1', active);
      h.submit(1, 'queued', 's1', queued);
      h.submit(2, 'urgent', 's1', urgent, 'interrupt');
      flush();
      expectSubscriptions(active.subscriptions).toBe('^-!');
      expectSubscriptions(urgent.subscriptions).toBe('--^-!');
      expectSubscriptions(queued.subscriptions).toBe('----^!');
      expect(h.ends.active).toEqual({ status: 'cancelled', reason: 'interrupted by run urgent' });
      expect(h.ends.urgent).toEqual({ status: 'completed' });
    });
  });

  it('reject refuses a second job while the session is busy', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, flush }) => {
      const h = harness(ts, 3);
      h.submit(0, 'r1', 's1', cold('---|'));
      let error: unknown;
      ts.schedule(() => {
        try {
          h.scheduler.submit({ id: 'r2', sessionId: 's1', work: cold('-|') }, 'reject');
        } catch (e) {
          error = e;
        }
      }, 1);
      flush();
      expect(isTributaryError(error, 'SESSION_BUSY')).toBe(true);
      expect(Object.keys(h.ends)).toEqual(['r1']);
    });
  });

  it('reports exactly one end per job, whatever happens, and it comes last', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, flush }) => {
      const h = harness(ts, 2);
      const jobs = ['a', 'b', 'c', 'd', 'e', 'f'];
      jobs.forEach((id, i) => h.submit(i, id, `s${i % 3}`, i % 2 ? cold('--#') : cold('---|')));
      h.cancel(4, 'c');
      h.cancel(5, 'e');
      h.cancel(6, 'f');
      flush();
      for (const id of jobs) {
        const lines = h.log.filter((line) => line.endsWith(` ${id}`));
        const terminal = lines.filter((line) => / (completed|failed|cancelled) /.test(line));
        expect(terminal, id).toHaveLength(1);
        expect(lines.at(-1), id).toBe(terminal[0]);
      }
      expect(h.scheduler.running + h.scheduler.queued).toBe(0);
    });
  });
});

describe('RunScheduler cancel: one path, abort with the reason, then unsubscribe', () => {
  /** Work that, like a flow catching its tool's error, ends the moment its signal aborts. */
  const endsOnAbort = (how: 'complete' | 'error') => (signal: AbortSignal) =>
    new Observable<never>((subscriber) => {
      const stop = (): void => (how === 'complete' ? subscriber.complete() : subscriber.error(signal.reason));
      signal.addEventListener('abort', stop, { once: true });
      return () => {
        log.push(`unsubscribed, signal ${signal.aborted ? 'aborted' : 'live'}`);
        signal.removeEventListener('abort', stop);
      };
    });
  let log: string[] = [];

  it.each(['complete', 'error'] as const)(
    'work that reacts to the abort (%s) still ends cancelled, with the reason, its signal aborted first',
    (how) => {
      log = [];
      const ends: RunEnd[] = [];
      const signals: AbortSignal[] = [];
      const scheduler = new RunScheduler<SchedulerJob>({
        limit: 1,
        work: (_job, signal) => (signals.push(signal), endsOnAbort(how)(signal)),
        onEnded: (_job, end) => ends.push(end),
      });
      scheduler.submit({ id: 'r1', sessionId: 's1' }, 'enqueue');
      scheduler.cancel('r1', 'user pressed stop');
      expect(ends).toEqual([{ status: 'cancelled', reason: 'user pressed stop' }]);
      expect(log).toEqual(['unsubscribed, signal aborted']);
      const reason: unknown = signals[0]?.reason;
      expect(isTributaryError(reason, 'RUN_CANCELLED') && reason.details).toEqual({
        reason: 'user pressed stop',
      });
    },
  );

  it('work that ends on its own gets its signal aborted after its end is reported', () => {
    const seen: string[] = [];
    let signal: AbortSignal | undefined;
    const scheduler = new RunScheduler<SchedulerJob>({
      limit: 1,
      work: (_job, s) => ((signal = s), new Observable<never>((subscriber) => subscriber.complete())),
      onEnded: (_job, end) => seen.push(`${end.status}, signal ${signal?.aborted ? 'aborted' : 'live'}`),
    });
    scheduler.submit({ id: 'r1', sessionId: 's1' }, 'enqueue');
    expect(seen).toEqual(['completed, signal live']);
    expect(signal?.aborted).toBe(true);
  });
});

describe('RunScheduler shutdown', () => {
  it('cancels waiting jobs, drains running ones, then cancels what is left', async () => {
    const ends: Record<string, string> = {};
    const stop = new Subject<void>();
    const scheduler = new RunScheduler<Job>({
      limit: 1,
      work: (job) => job.work,
      onEnded: (job, end) => (ends[job.id] = end.status),
    });
    scheduler.submit({ id: 'forever', sessionId: 's1', work: stop }, 'enqueue');
    scheduler.submit({ id: 'waiting', sessionId: 's2', work: stop }, 'enqueue');
    await scheduler.shutdown(20);
    expect(ends).toEqual({ waiting: 'cancelled', forever: 'cancelled' });
    expect(() => scheduler.submit({ id: 'late', sessionId: 's3', work: stop }, 'enqueue')).toThrow(
      /shutting down/,
    );
  });
});
