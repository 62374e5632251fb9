import { describe, expect, it } from 'vitest';
import { BuildFailure, buildBatches, readForPatches } from '../../../core/events/build-batches.ts';
import type { Commit } from '../../../core/events/commit.ts';
import { MemoryStore } from '../../../stores/index.ts';

const S = 's1';
const step = { type: 'step' as const, step: 'plan' };
const commit = (fields: Partial<Commit> = {}): Commit => ({ session_id: S, trace_id: 't1', ...fields });

describe('a commit check', () => {
  it('runs when the batch is built and fails only its own commit, with no session read', async () => {
    let withdrawn = false;
    const checked = commit({
      events: [step],
      check: () => {
        if (withdrawn) throw new Error('withdrawn');
      },
    });
    const changes = [checked, commit({ events: [step] })];
    // No patch function: nothing to read, and the store (which has no such session) is never asked.
    const sessions = readForPatches(new MemoryStore(), changes);
    expect(sessions).toBeInstanceOf(Map);
    const sessionMap = sessions instanceof Map ? sessions : await sessions;

    const [before] = buildBatches(changes, sessionMap);
    expect(before).not.toBeInstanceOf(BuildFailure);

    // Set after the commit was made, before its batch is built: the build sees it.
    withdrawn = true;
    const [failed, other] = buildBatches(changes, sessionMap);
    expect(failed).toBeInstanceOf(BuildFailure);
    expect((failed as BuildFailure).error).toMatchObject({ message: 'withdrawn' });
    expect(other).toMatchObject({ events: [{ type: 'step' }] });
  });
});
