import { describe, expect, it } from 'vitest';
import { ApprovalBook } from '../../../core/runs/approvals.ts';
import { TributaryError } from '../../../core/errors.ts';

const ask = { session_id: 's1', run_id: 'r1', tool: 'send_mail', input: { to: 'ann' } };

describe('ApprovalBook', () => {
  it('lists a request as pending until it is answered', async () => {
    const book = new ApprovalBook();
    const { id, decision } = book.request(ask);
    expect(book.pending('r1')).toEqual([{ ...ask, id, requested_at: expect.any(String) }]);

    const answered = book.resolve('s1', 'r1', id, { approve: true });
    expect(answered).toMatchObject({ id, tool: 'send_mail' });
    await expect(decision).resolves.toEqual({ approve: true });
    expect(book.pending()).toEqual([]);
    expect(book.size).toBe(0);
  });

  it('passes an edited input with an approval', async () => {
    const book = new ApprovalBook();
    const { id, decision } = book.request(ask);
    book.resolve('s1', 'r1', id, { approve: true, input: { to: 'bob' } });
    await expect(decision).resolves.toEqual({ approve: true, input: { to: 'bob' } });
  });

  it('turns a refusal into a rejected decision', async () => {
    const book = new ApprovalBook();
    const { id, decision } = book.request(ask);
    book.resolve('s1', 'r1', id, { approve: false, input: { ignored: true } });
    await expect(decision).resolves.toEqual({ approve: false, reason: 'rejected' });
  });

  it('answers not found for unknown, answered or foreign ids, leaving the pending one alone', () => {
    const book = new ApprovalBook();
    const { id } = book.request(ask);
    const notFound = (fn: () => unknown): void => {
      expect(fn).toThrow(TributaryError);
      expect(fn).toThrow(
        expect.objectContaining({ code: 'APPROVAL_NOT_FOUND', field: 'approval_id', kind: 'not_found' }),
      );
    };
    notFound(() => book.resolve('s1', 'r1', 'no-such-id', { approve: true }));
    notFound(() => book.resolve('s2', 'r1', id, { approve: true }));
    notFound(() => book.resolve('s1', 'r2', id, { approve: true }));
    expect(book.pending('r1')).toHaveLength(1);

    book.resolve('s1', 'r1', id, { approve: true });
    notFound(() => book.resolve('s1', 'r1', id, { approve: true }));
  });

  it('settles once: the first decision wins and the entry is gone', async () => {
    const book = new ApprovalBook();
    const { id, decision } = book.request(ask);
    expect(book.settle(id, { approve: false, reason: 'timeout' })).toBe(true);
    expect(book.settle(id, { approve: false, reason: 'cancelled' })).toBe(false);
    await expect(decision).resolves.toEqual({ approve: false, reason: 'timeout' });
    expect(() => book.resolve('s1', 'r1', id, { approve: true })).toThrow(/no pending approval/);
  });

  it('lists pending approvals per run', () => {
    const book = new ApprovalBook();
    const a = book.request(ask).id;
    const b = book.request({ ...ask, run_id: 'r2' }).id;
    expect(book.pending('r1').map((p) => p.id)).toEqual([a]);
    expect(book.pending('r2').map((p) => p.id)).toEqual([b]);
    expect(book.pending().map((p) => p.id)).toEqual([a, b]);
  });
});
