import { catchError, of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../../core/errors.ts';
import { callTool } from '../../../core/plugins/tool-call.ts';
import { flaky, shoutTool, testScope, toolDeps } from './scope.ts';

/**
 * Virtual-time checks of a call's timing: when the tool's stream is subscribed and unsubscribed
 * (one subscription per attempt), when backoff resubscribes, and when the output or error comes out.
 */
function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Errors become their code, so marbles can compare them as values. */
const codes = (call$: Observable<unknown>): Observable<unknown> =>
  call$.pipe(catchError((error: unknown) => of(isTributaryError(error) ? error.code : 'not coded')));

describe('callTool in virtual time', () => {
  it('waits for the tool to complete and emits its last value', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tool$ = cold('-a-b-|', { a: { upper: 'A' }, b: { upper: 'B' } });
      const deps = toolDeps(shoutTool({ execute: () => tool$ }));
      expectObservable(callTool(deps, testScope().scope, 'shout', { text: 'x' })).toBe('-----(b|)', {
        b: { upper: 'B' },
      });
      expectSubscriptions(tool$.subscriptions).toBe('^----!');
    });
  });

  it('unsubscribes the tool at its timeout', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tool$ = cold('-------a|', { a: { upper: 'A' } });
      const deps = toolDeps(shoutTool({ timeoutMs: 3, execute: () => tool$ }));
      expectObservable(codes(callTool(deps, testScope().scope, 'shout', { text: 'x' }))).toBe('---(t|)', {
        t: 'TOOL_TIMEOUT',
      });
      expectSubscriptions(tool$.subscriptions).toBe('^--!');
    });
  });

  it('resubscribes after 5, then 10 frames of backoff, then gives up', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tool$ = cold('-#', undefined, flaky());
      const deps = toolDeps(shoutTool({ retries: 2, retryDelayMs: 5, execute: () => tool$ }));
      expectObservable(codes(callTool(deps, testScope().scope, 'shout', { text: 'x' }))).toBe(
        '------------------(f|)',
        { f: 'TOOL_FAILED' },
      );
      expectSubscriptions(tool$.subscriptions).toBe(['^!', '------^!', '-----------------^!']);
    });
  });

  it('lets an unsubscribing caller really unsubscribe the tool', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const tool$ = cold('--------a|', { a: { upper: 'A' } });
      const deps = toolDeps(shoutTool({ execute: () => tool$ }));
      expectObservable(callTool(deps, testScope().scope, 'shout', { text: 'x' }), '^--!').toBe('----');
      expectSubscriptions(tool$.subscriptions).toBe('^--!');
    });
  });

  it('times out a wait for approval after approvalTimeoutMs', () => {
    scheduler().run(({ expectObservable }) => {
      const deps = toolDeps(shoutTool({ requiresApproval: true, approvalTimeoutMs: 7 }));
      const t = testScope();
      expectObservable(codes(callTool(deps, t.scope, 'shout', { text: 'x' }))).toBe('-------(a|)', {
        a: 'APPROVAL_TIMEOUT',
      });
    });
  });
});
