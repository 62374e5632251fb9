import { describe, expect, it } from 'vitest';
import { currentRun, pendingApprovals, runSummaries } from './run-status.ts';
import { testEvent } from './test-events.ts';

describe('run status', () => {
  it('follows a run through its lifecycle events', () => {
    const events = [testEvent(0, 'run.queued')];
    expect(currentRun(events)?.status).toBe('queued');
    events.push(testEvent(1, 'run.started'), testEvent(2, 'step', { step: 'a' }));
    expect(currentRun(events)?.status).toBe('running');
    events.push(testEvent(3, 'run.cancelled', { message: 'cancelled by user' }));
    expect(currentRun(events)).toEqual({ runId: 'r1', status: 'cancelled', message: 'cancelled by user' });
  });

  it('says a run waits for approval while one is open, and which run the controls act on', () => {
    const events = [
      testEvent(0, 'run.started'),
      testEvent(1, 'approval.requested', {
        meta: { approval_id: 'a1', tool: 'publish', input: { text: 'x' } },
      }),
      testEvent(2, 'run.queued', { run_id: 'r2' }),
    ];
    expect(runSummaries(events).map((run) => run.status)).toEqual(['awaiting approval', 'queued']);
    // The newest run still going is r2; the controls act on it.
    expect(currentRun(events)?.runId).toBe('r2');
    expect(pendingApprovals(events)).toEqual([
      { runId: 'r1', approvalId: 'a1', tool: 'publish', input: { text: 'x' } },
    ]);
    events.push(testEvent(3, 'approval.resolved', { meta: { approval_id: 'a1', approved: true } }));
    expect(runSummaries(events)[0]!.status).toBe('running');
    expect(pendingApprovals(events)).toEqual([]);
  });

  it('drops the approvals of a run that ended', () => {
    const events = [
      testEvent(0, 'approval.requested', { meta: { approval_id: 'a1' } }),
      testEvent(1, 'run.cancelled'),
    ];
    expect(pendingApprovals(events)).toEqual([]);
  });
});
