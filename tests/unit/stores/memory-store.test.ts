import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../stores/memory/memory-store.ts';
import { makeEvent, makeSession } from './fixtures.ts';
import { describeStoreConformance } from './store-conformance.ts';

describeStoreConformance('MemoryStore', { open: async () => new MemoryStore() });

describe('MemoryStore events', () => {
  it('keeps one deep-frozen copy of each event and hands that copy out on every read', async () => {
    const store = new MemoryStore();
    const session = makeSession();
    const draft = makeEvent(session.id, { meta: { nested: { n: 1 } } });
    const [written] = await store.write({ session_id: session.id, create: session, events: [draft] });
    const [listed] = await store.listEvents(session.id, { after: 0, limit: 10 });
    expect(written).toBeDefined();
    expect(listed).toBe(written);
    expect(written).not.toBe(draft);
    expect(written?.meta).not.toBe(draft.meta);
    expect(Object.isFrozen(written)).toBe(true);
    expect(Object.isFrozen((written?.meta as { nested: object }).nested)).toBe(true);
    expect(() => {
      (written as { message: string }).message = 'changed';
    }).toThrow(TypeError);
  });
});
