import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFinished, type Session, type SessionEvent } from '../core/index.ts';
import { createTributaryClient } from '../clients/api-client.ts';
import { startPlatform } from '../platform/platform.ts';
import { startBareKoa, storelessOperations, type BareOperations } from './gateway/bare-koa.ts';
import { bareSqlite } from './gateway/bare-sqlite.ts';
import { compareRates, CONCURRENCY, DURATION_MS, ROUNDS, WARMUP_MS } from './gateway/load.ts';
import type { BenchModule } from './lib/module.ts';
import { STORE_KINDS, type StoreKind } from './lib/runtime.ts';
import type { Row, Unit } from './lib/table.ts';

// bench/lib/table.ts has no request rate unit yet; the table prints the unit as given.
const REQ_PER_S = 'req/s' as string as Unit;
/** What every `POST /v1/sessions` sends (both servers get the same bytes). */
const CREATE_BODY = JSON.stringify({
  agent_id: 'bench',
  name: 'bench session',
  metadata: { course: 'rxjs', n: 1 },
});
const QUESTION = 'Quiz me on mergeMap concurrency';

/**
 * Both operations against the whole gateway (`startPlatform`, as `npm start` boots it, on `kind`) and
 * against a bare Koa app on another port, one after the other. On memory the bare app does the same
 * JSON parse and reply and no store work; on SQLite it also runs the store's statements for the
 * operation on a database file of its own (`bare-sqlite.ts`).
 */
async function measureStore(kind: StoreKind, progress: (message: string) => void): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-gateway-'));
  const platform = await startPlatform(
    {
      PORT: '0',
      STORE: kind,
      SQLITE_PATH: join(dir, 'bench.db'),
      LOG_LEVEL: 'silent',
      SHUTDOWN_TIMEOUT_MS: '0',
      MAX_SESSIONS_PER_USER: '0',
    },
    {},
  );
  try {
    // A real events page: the session of one quiz run against the demo backends.
    const api = createTributaryClient({ baseUrl: platform.url });
    const { data: session } = await api.POST('/v1/sessions', { body: { agent_id: 'quiz' } });
    const sessionId = session!.id;
    const { data: run } = await api.POST('/v1/sessions/{session_id}/runs', {
      params: { path: { session_id: sessionId } },
      body: { input: { question: QUESTION } },
    });
    for (;;) {
      const { data } = await api.GET('/v1/sessions/{session_id}/runs/{run_id}', {
        params: { path: { session_id: sessionId, run_id: run!.id } },
      });
      if (data && isFinished(data.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const eventsPath = `/v1/sessions/${sessionId}/events`;
    const { data: page } = await api.GET('/v1/sessions/{session_id}/events', {
      params: { path: { session_id: sessionId } },
    });
    let bareStore: ReturnType<typeof bareSqlite> | undefined;
    let operations: BareOperations = storelessOperations(page);
    if (kind === 'sqlite') {
      const { data: resource } = await api.GET('/v1/sessions/{session_id}', {
        params: { path: { session_id: sessionId } },
      });
      const session: Session = { ...resource!, trace_parent: null };
      bareStore = bareSqlite(join(dir, 'bare.db'), session, page!.items as SessionEvent[]);
      operations = bareStore;
    }
    const bare = await startBareKoa(operations);
    try {
      const pageBytes = Buffer.byteLength(JSON.stringify(page));
      const compare = (method: 'GET' | 'POST', path: string, expectStatus: number) => {
        progress(`${method} ${path} (${kind}): gateway and bare Koa, alternating`);
        const body = method === 'POST' ? CREATE_BODY : undefined;
        return compareRates(
          { url: `${platform.url}${path}`, method, body, expectStatus },
          { url: `${bare.url}${path}`, method, body, expectStatus },
        );
      };
      const create = await compare('POST', '/v1/sessions', 201);
      const list = await compare('GET', eventsPath, 200);
      const target = { op: '>=', limit: 0.6, on: 'ratio' } as const;
      return [
        { metric: `POST /v1/sessions (${kind})`, unit: REQ_PER_S, ...create, target },
        {
          metric: `GET …/events, ${page!.items.length} events, ${(pageBytes / 1024).toFixed(1)} KB (${kind})`,
          unit: REQ_PER_S,
          ...list,
          target,
        },
      ];
    } finally {
      await bare.close();
      await bareStore?.close();
    }
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const gateway: BenchModule = {
  title: 'gateway',
  notes: [
    `load: ${CONCURRENCY} requests in flight over keep-alive sockets from a worker thread, every answer checked for its status; ${WARMUP_MS / 1000} s warm-up on each server, then ${DURATION_MS / 1000} s measured on each in ${ROUNDS} rounds alternating gateway / bare Koa; the median round is shown`,
    'value: the whole gateway as `npm start` boots it (auth, OpenAPI binding, Ajv request validation, handler, core, store; LOG_LEVEL=silent, no API keys, response validation off); baseline: a bare Koa app on another port in the same process',
    'baseline (memory): the same JSON parse and reply, no store work (POST: parse the body, answer 201 with a small JSON; GET: answer the gateway’s own events page)',
    'baseline (sqlite): the same JSON parse, plus the SQLite statements the store runs, by hand, on a file of its own opened and migrated as the store opens its own, WAL checkpoints in a worker thread as the store’s (POST: the session INSERT and its session.created event INSERT in one IMMEDIATE transaction per request, answering the session; GET: the session SELECT, then the same events page SELECT, meta parsed per row, answering { items, last_seq })',
    'POST /v1/sessions creates a session per request (a store write and a session.created event); GET reads the events page of a session that ran one quiz',
  ],
  async run(progress) {
    const rows: Row[] = [];
    for (const kind of STORE_KINDS) rows.push(...(await measureStore(kind, progress)));
    return rows;
  },
};

export default gateway;
