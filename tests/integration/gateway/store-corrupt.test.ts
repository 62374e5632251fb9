import { describe, expect, it } from 'vitest';
import { startGateway } from './platform.ts';
import { useTestPrefix } from '../../fixtures/redis-prefix.ts';

/*
 * A session whose stored data is damaged (a value under our Redis prefix we did not write) over
 * HTTP: its own reads and writes answer 500 (the store's STORE_CORRUPT, detail in the log only);
 * every other session, the listing and the stats answer as usual, and the process goes on.
 */
describe('a damaged session in Redis, over HTTP', () => {
  const { url, prefix, admin } = useTestPrefix();

  it('answers 500 for that session alone', async () => {
    const gw = await startGateway({ STORE: 'redis', REDIS_URL: url, REDIS_PREFIX: prefix });
    try {
      const created = await Promise.all(
        [0, 1, 2].map(() => gw.call('POST', '/v1/sessions', { json: { user_id: 'ann' } })),
      );
      const [good, bad, other] = created.map((reply) => (reply.body as { id: string }).id);
      await admin.hset(`${prefix}s:${bad}`, 'metadata', '{oops');

      const read = await gw.call('GET', `/v1/sessions/${bad}`);
      expect(read.status).toBe(500);
      // The raw cause may quote stored data: it stays in the log, the caller gets the request id.
      expect(read.text).not.toContain('oops');
      const write = await gw.call('PATCH', `/v1/sessions/${bad}`, { json: { name: 'x' } });
      expect(write.status).toBe(500);

      for (const id of [good, other]) {
        expect((await gw.call('GET', `/v1/sessions/${id}`)).status).toBe(200);
        expect((await gw.call('PATCH', `/v1/sessions/${id}`, { json: { name: 'fine' } })).status).toBe(200);
      }
      const list = await gw.call('GET', '/v1/sessions?user_id=ann');
      expect(list.status).toBe(200);
      expect((list.body as { items: { id: string }[] }).items.map((s) => s.id).sort()).toEqual(
        [good, other].sort(),
      );
      expect((await gw.call('GET', '/v1/stats')).status).toBe(200);
      expect((await gw.call('GET', '/readyz')).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});
