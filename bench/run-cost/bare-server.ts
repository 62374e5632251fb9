/**
 * The run-cost bench's baseline: a bare server written for the bench alone, started as its own process
 * (`node --import tsx bench/run-cost/bare-server.ts`, env `PORT`, `RUN_COST_STUB_URL`, `SQLITE_PATH`) so
 * its CPU is read from /proc like the platform's. No platform code: Koa, better-sqlite3 (WAL), `fetch`.
 *
 * `POST /runs` creates the session row and the run, answers `text/event-stream` at once, calls the
 * stub three times and streams every event as it is committed (`id:` seq, `data:` a JSON row of the
 * platform's envelope shape). One transaction opens the run, one per step, one ends it.
 * `GET /readyz` answers 200.
 */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import Koa from 'koa';

const STEPS = 3;
const stubUrl = process.env.RUN_COST_STUB_URL ?? '';
const db = new Database(process.env.SQLITE_PATH ?? ':memory:');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`
  CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, last_seq INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, status TEXT NOT NULL,
    input TEXT NOT NULL, result TEXT, created_at TEXT NOT NULL, ended_at TEXT);
  CREATE TABLE IF NOT EXISTS events (session_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
    run_id TEXT, type TEXT NOT NULL, ts TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (session_id, seq));
`);
const insertSession = db.prepare('INSERT INTO sessions (id, created_at, last_seq) VALUES (?, ?, 0)');
const insertRun = db.prepare(
  "INSERT INTO runs (id, session_id, status, input, created_at) VALUES (?, ?, 'running', ?, ?)",
);
const endRun = db.prepare("UPDATE runs SET status = 'completed', result = ?, ended_at = ? WHERE id = ?");
const insertEvent = db.prepare(
  'INSERT INTO events (session_id, seq, id, run_id, type, ts, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
);
const setLastSeq = db.prepare('UPDATE sessions SET last_seq = ? WHERE id = ?');
/** BEGIN … COMMIT around `work`, compiled once. */
const inTransaction = db.transaction((work: () => void) => work());

interface Draft {
  type: string;
  step?: string;
  tool?: string;
  message?: string;
  meta?: Record<string, unknown>;
  runScoped?: boolean;
}

/** One session's run: numbers its events, writes a batch in one transaction, sends the frames. */
class Run {
  private seq = 0;
  constructor(
    readonly sessionId: string,
    readonly runId: string,
    private readonly out: PassThrough,
  ) {}

  private writeBatch(rows: [number, string, string, string, string][]): void {
    for (const [seq, id, type, ts, body] of rows)
      insertEvent.run(this.sessionId, seq, id, this.runId, type, ts, body);
    setLastSeq.run(this.seq, this.sessionId);
  }

  /** Writes `drafts` in one transaction (after `before`, in it), then streams them. */
  commit(drafts: Draft[], before?: () => void): void {
    const ts = new Date().toISOString();
    const rows = drafts.map((d): [number, string, string, string, string] => {
      this.seq += 1;
      const id = randomUUID();
      const body = JSON.stringify({
        id,
        seq: this.seq,
        ts,
        session_id: this.sessionId,
        run_id: d.runScoped === false ? null : this.runId,
        type: d.type,
        step: d.step ?? null,
        tool: d.tool ?? null,
        level: 'info',
        message: d.message ?? '',
        meta: d.meta ?? {},
        trace_id: null,
      });
      return [this.seq, id, d.type, ts, body];
    });
    inTransaction(() => {
      before?.();
      this.writeBatch(rows);
    });
    for (const [seq, , , , body] of rows)
      this.out.write(`id: ${seq}\nevent: session_event\ndata: ${body}\n\n`);
  }
}

async function execute(run: Run, input: unknown): Promise<void> {
  const began = performance.now();
  const now = new Date().toISOString();
  run.commit(
    [
      { type: 'session.created', runScoped: false, message: 'session created' },
      { type: 'run.started', message: 'run started (bare_three_steps)', meta: { flow: 'bare_three_steps' } },
    ],
    () => {
      insertSession.run(run.sessionId, now);
      insertRun.run(run.runId, run.sessionId, JSON.stringify(input), now);
    },
  );
  for (let n = 1; n <= STEPS; n += 1) {
    const started = performance.now();
    const response = await fetch(`${stubUrl}/call/${n}`);
    if (!response.ok) throw new Error(`stub answered ${response.status}`);
    const output = (await response.json()) as unknown;
    const tool = 'bare_stub_call';
    run.commit([
      { type: 'step', step: `call ${n}`, message: `call ${n}` },
      { type: 'tool.started', tool, message: `calling ${tool}`, meta: { attempt: 1, input: { n } } },
      { type: 'tool.progress', tool, message: `calling the stub (${n})`, meta: { n } },
      {
        type: 'tool.completed',
        tool,
        message: `${tool} done`,
        meta: { attempt: 1, duration_ms: Math.round(performance.now() - started), output },
      },
    ]);
  }
  const result = JSON.stringify({ ok: true });
  run.commit(
    [
      { type: 'message', message: 'done', meta: { role: 'assistant', message_id: randomUUID() } },
      {
        type: 'run.completed',
        message: 'run completed',
        meta: { duration_ms: Math.round(performance.now() - began) },
      },
    ],
    () => endRun.run(result, new Date().toISOString(), run.runId),
  );
}

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.method === 'GET' && ctx.path === '/readyz') {
    ctx.body = { ok: true };
    return;
  }
  if (ctx.method !== 'POST' || ctx.path !== '/runs') {
    ctx.status = 404;
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { input?: unknown };
  const out = new PassThrough();
  ctx.status = 200;
  ctx.set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  ctx.body = out;
  const run = new Run(randomUUID(), randomUUID(), out);
  execute(run, body.input ?? null).then(
    () => out.end(),
    (error: unknown) => {
      console.error(error);
      out.destroy(error instanceof Error ? error : new Error(String(error)));
    },
  );
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
server.keepAliveTimeout = 60_000;
const stop = () => {
  server.close();
  server.closeAllConnections();
  db.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
