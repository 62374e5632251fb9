import { pino } from 'pino';
import { filter, firstValueFrom } from 'rxjs';
import { loadConfig, Runtime, type SessionEvent } from '../../../core/index.ts';
import { MemoryStore } from '../../../stores/index.ts';
import { builtinPlugins } from '../../../plugins/builtin.ts';

/** A runtime with the built-in tools and flows, bound to the given backend URLs. */
export function startFlowRuntime(urls: { ragUrl: string; examUrl: string }): Promise<Runtime> {
  return Runtime.start({
    config: loadConfig({ SHUTDOWN_TIMEOUT_MS: '0' }),
    store: new MemoryStore(),
    plugins: builtinPlugins(urls),
    logger: pino({ level: 'silent' }),
    sweep: false,
  });
}

/** Runs a flow in a new session and resolves with the session id, run id and all its events once it ends. */
export async function runFlow(
  runtime: Runtime,
  flow: string,
  input: Record<string, unknown>,
  sessionId?: string,
): Promise<{ sessionId: string; runId: string; events: SessionEvent[] }> {
  const id = sessionId ?? (await runtime.sessions.create({ user_id: 'ann' })).id;
  const run = await runtime.runs.create(id, { input, flow });
  await firstValueFrom(
    runtime.events
      .events$(id)
      .pipe(
        filter(
          (e) => e.run_id === run.id && ['run.completed', 'run.failed', 'run.cancelled'].includes(e.type),
        ),
      ),
  );
  const events = (await runtime.store.listEvents(id, { after: 0, limit: 1000 })).filter(
    (e) => e.run_id === run.id,
  );
  return { sessionId: id, runId: run.id, events };
}

/** `step:name`, `tool.started:name`, … — the shape of a run, for exact sequence assertions. */
export const shape = (events: readonly SessionEvent[]) =>
  events.map((e) => (e.type === 'step' ? `step:${e.step}` : e.tool ? `${e.type}:${e.tool}` : e.type));
