import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { EventDraft } from '../../../core/events/event.ts';
import { callTool } from '../../../core/plugins/tool-call.ts';
import { shoutTool, testScope, toolDeps } from './scope.ts';
import type { TestScope } from './scope.ts';

/** A tool that needs approval, counting how often it runs and with what. */
function guarded(approvalTimeoutMs = 60_000) {
  const inputs: unknown[] = [];
  const tool = shoutTool({
    requiresApproval: true,
    approvalTimeoutMs,
    execute: async (input) => {
      inputs.push(input);
      return { upper: input.text.toUpperCase() };
    },
  });
  return { deps: toolDeps(tool), inputs };
}

/** Starts the call and waits until it has asked for approval; returns the id and the call's settled result. */
async function asked(t: TestScope, call: ReturnType<typeof guarded>, input: unknown) {
  const result: Promise<{ value?: unknown; error?: unknown }> = lastValueFrom(
    callTool(call.deps, t.scope, 'shout', input),
  ).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  // Asking is synchronous on subscribe: no wait, so no poll racing a loaded machine.
  expect(t.ofType('approval.requested')).toHaveLength(1);
  const requested = t.ofType('approval.requested')[0] as EventDraft;
  return { id: String(requested.meta?.approval_id), requested, result };
}

describe('callTool: approval', () => {
  it('asks, waits, and runs the tool once approved', async () => {
    const t = testScope();
    const call = guarded();
    const before = Date.now();
    const { id, requested, result } = await asked(t, call, { text: 'go', api_key: 'k-1' });
    expect(requested).toMatchObject({
      run_id: 'r1',
      tool: 'shout',
      meta: { approval_id: id, tool: 'shout', input: { text: 'go', api_key: '[redacted]' } },
    });
    const expires = Date.parse(String(requested.meta?.expires_at));
    expect(expires).toBeGreaterThanOrEqual(before + 60_000);
    expect(call.deps.approvals.pending('r1').map((p) => p.id)).toEqual([id]);
    expect(call.inputs).toEqual([]);

    call.deps.approvals.resolve('s1', 'r1', id, { approve: true });
    expect(await result).toEqual({ value: { upper: 'GO' } });
    expect(call.inputs).toEqual([{ text: 'go', api_key: 'k-1' }]);
    expect(t.types()).toEqual(['approval.requested', 'approval.resolved', 'tool.started', 'tool.completed']);
    expect(t.ofType('approval.resolved')[0]?.meta).toEqual({ approval_id: id, approved: true });
    expect(call.deps.approvals.size).toBe(0);
  });

  it('runs the tool with the input the approver edited', async () => {
    const t = testScope();
    const call = guarded();
    const { id, result } = await asked(t, call, { text: 'draft' });
    call.deps.approvals.resolve('s1', 'r1', id, { approve: true, input: { text: 'final' } });
    expect(await result).toEqual({ value: { upper: 'FINAL' } });
    expect(call.inputs).toEqual([{ text: 'final' }]);
  });

  it('checks an edited input like the original one', async () => {
    const t = testScope();
    const call = guarded();
    const { id, result } = await asked(t, call, { text: 'draft' });
    call.deps.approvals.resolve('s1', 'r1', id, { approve: true, input: { txt: 'typo' } });
    expect((await result).error).toMatchObject({ code: 'TOOL_INPUT_INVALID', field: 'input.text' });
    expect(call.inputs).toEqual([]);
    expect(t.types()).toEqual(['approval.requested', 'approval.resolved', 'tool.failed']);
  });

  it('fails with APPROVAL_REJECTED when rejected, without running the tool', async () => {
    const t = testScope();
    const call = guarded();
    const { id, result } = await asked(t, call, { text: 'rm -rf' });
    call.deps.approvals.resolve('s1', 'r1', id, { approve: false });
    expect((await result).error).toMatchObject({ code: 'APPROVAL_REJECTED', message: 'shout was rejected' });
    expect(call.inputs).toEqual([]);
    expect(t.types()).toEqual(['approval.requested', 'approval.resolved', 'tool.failed']);
    expect(t.ofType('approval.resolved')[0]?.meta).toEqual({
      approval_id: id,
      approved: false,
      reason: 'rejected',
    });
    expect(t.ofType('tool.failed')[0]?.meta).toMatchObject({ code: 'APPROVAL_REJECTED', attempt: 0 });
  });

  it('fails with APPROVAL_TIMEOUT when nobody answers in time, and forgets the approval', async () => {
    const t = testScope();
    const call = guarded(20);
    const { id, result } = await asked(t, call, { text: 'x' });
    expect((await result).error).toMatchObject({ code: 'APPROVAL_TIMEOUT' });
    expect(t.ofType('approval.resolved')[0]?.meta).toEqual({
      approval_id: id,
      approved: false,
      reason: 'timeout',
    });
    expect(call.deps.approvals.size).toBe(0);
    expect(() => call.deps.approvals.resolve('s1', 'r1', id, { approve: true })).toThrow(
      expect.objectContaining({ code: 'APPROVAL_NOT_FOUND' }),
    );
    expect(call.inputs).toEqual([]);
  });

  it('stops quietly when the run is cancelled while waiting', async () => {
    const t = testScope();
    const call = guarded();
    const { result } = await asked(t, call, { text: 'x' });
    t.controller.abort();
    expect((await result).error).toMatchObject({ code: 'RUN_CANCELLED' });
    expect(t.types()).toEqual(['approval.requested']);
    expect(call.deps.approvals.size).toBe(0);
    expect(call.inputs).toEqual([]);
  });

  it('forgets the approval when the caller unsubscribes', async () => {
    const t = testScope();
    const call = guarded();
    const subscription = callTool(call.deps, t.scope, 'shout', { text: 'x' }).subscribe();
    expect(call.deps.approvals.size).toBe(1);
    subscription.unsubscribe();
    expect(call.deps.approvals.size).toBe(0);
    expect(t.types()).toEqual(['approval.requested']);
  });

  it('answers APPROVAL_NOT_FOUND for an unknown id or another run, and keeps waiting', async () => {
    const t = testScope();
    const call = guarded();
    const { id, result } = await asked(t, call, { text: 'x' });
    const notFound = expect.objectContaining({ code: 'APPROVAL_NOT_FOUND', field: 'approval_id' });
    expect(() => call.deps.approvals.resolve('s1', 'r1', 'not-an-id', { approve: true })).toThrow(notFound);
    expect(() => call.deps.approvals.resolve('s1', 'r2', id, { approve: true })).toThrow(notFound);
    call.deps.approvals.resolve('s1', 'r1', id, { approve: true });
    expect(await result).toEqual({ value: { upper: 'X' } });
  });
});
