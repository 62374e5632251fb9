/**
 * Run by `register.test.ts` as `node --import tsx --import ./otel/register.ts <this file>`, exactly as
 * `npm start` loads the hook. One session, one run of a flow whose tool calls `BACKEND_URL` twice:
 * `/traced` through `ctx.fetch`, `/plain` through the global `fetch`. Logs go to stdout as pino JSON;
 * the last line is `{"result": …}`. Then everything is shut down and flushed.
 */
import { pino } from 'pino';
import { lastValueFrom } from 'rxjs';
import { defineFlow, defineTool, type FlowEmission } from '../../../core/index.ts';
import { installedOtel, otelTelemetryIfEnabled } from '../../../otel/index.ts';
import { fakePlugins } from '../../fixtures/fake-plugins.ts';
import { startRuntime, terminalOf } from '../../fixtures/runtime.ts';

const backendUrl = process.env.BACKEND_URL ?? '';

const remote = defineTool<Record<string, never>, { traced: number; plain: number }>({
  name: 'remote',
  version: '1.0.0',
  description: 'Calls the backend twice',
  input: { type: 'object' },
  output: { type: 'object', required: ['traced', 'plain'] },
  async execute(_input, ctx) {
    ctx.logger.info('calling remote');
    const traced = await ctx.fetch(`${backendUrl}/traced`);
    const plain = await fetch(`${backendUrl}/plain`);
    return { traced: traced.status, plain: plain.status };
  },
});

const remoteFlow = defineFlow<{ question: string }>({
  name: 'remote_flow',
  version: '1.0.0',
  description: 'One step, one remote call',
  tools: ['remote'],
  input: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  async *execute(_input, ctx): AsyncGenerator<FlowEmission> {
    yield { type: 'step', step: 'calling_remote' };
    const out = await lastValueFrom(ctx.callTool('remote', {}));
    yield { type: 'result', result: out };
  },
});

const runtime = await startRuntime(
  {},
  {
    telemetry: otelTelemetryIfEnabled(),
    plugins: [...fakePlugins, remote, remoteFlow],
    logger: pino({ level: 'info' }),
  },
);
const session = await runtime.sessions.create({ user_id: 'ann' });
const run = await runtime.runs.create(session.id, { input: { question: 'q' }, flow: 'remote_flow' });
const terminal = await terminalOf(runtime, session.id, run.id);
await runtime.shutdown();
const otel = installedOtel();
await otel?.shutdown();
process.stdout.write(
  `${JSON.stringify({
    result: {
      session_id: session.id,
      run_id: run.id,
      trace_id: session.trace_id,
      terminal: terminal.type,
      event_trace_id: terminal.trace_id,
      otel: otel !== undefined,
    },
  })}\n`,
);
