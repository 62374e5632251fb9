import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { expectProblem, newSession, runToEnd, startGateway, TEST_PLUGINS } from './platform.ts';

// Another connection holding the write lock past the busy timeout (a backup, `sqlite3 db 'BEGIN IMMEDIATE;'`)
// used to reject a promise nobody handled while a run was created, and that ended the process.
it('a run created while another connection holds the SQLite write lock is a 503, leaves nothing, and the server goes on', async () => {
  const gw = await startGateway({ PLUGINS: TEST_PLUGINS });
  const other = new Database(join(gw.dir, 't.db'));
  try {
    const id = await newSession(gw.api);
    const before = (await gw.call('GET', `/v1/sessions/${id}`)).body as {
      last_seq: number;
      run_count: number;
    };

    other.exec('BEGIN IMMEDIATE');
    const refused = await gw.call('POST', `/v1/sessions/${id}/runs`, {
      json: { input: { question: 'tick', everyMs: 5, ticks: 2 }, flow: 'tick' },
    });
    expectProblem(refused, 503, 'STORE_UNAVAILABLE');
    other.exec('COMMIT');

    // The refused run was never stored and left no event; the session is as it was.
    expect((await gw.call('GET', `/v1/sessions/${id}/runs`)).body).toEqual({ items: [] });
    const after = (await gw.call('GET', `/v1/sessions/${id}`)).body as Record<string, unknown>;
    expect(after).toMatchObject({
      last_seq: before.last_seq,
      run_count: before.run_count,
      active_run_id: null,
    });

    // The same session runs again, to the end.
    const { data: run } = await gw.api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: id } },
      body: { input: { question: 'tick', everyMs: 5, ticks: 2 }, flow: 'tick' },
    });
    expect((await runToEnd(gw.api, id, run!.id)).status).toBe('completed');
  } finally {
    other.close();
    await gw.close();
  }
});
