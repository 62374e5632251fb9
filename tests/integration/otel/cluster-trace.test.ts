import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeldService, type HeldService } from '../../fixtures/held-service.ts';
import { useTestPrefix } from '../../fixtures/redis-prefix.ts';
import { running, spawnServer, type ServerProcess } from '../../fixtures/server-process.ts';
import { receivedSpans, startOtlpReceiver, type DecodedSpan, type OtlpReceiver } from './otlp-receiver.ts';
import { heldClusterEnv } from '../../fixtures/cluster.ts';

// A run created on an API process and executed on a worker process stays in its session's trace.
const redis = useTestPrefix();
let receiver: OtlpReceiver;
let service: HeldService;
const processes: ServerProcess[] = [];

/** A node as `npm start` runs it, with the OpenTelemetry hook, exporting to the test's receiver. */
async function node(role: 'api' | 'worker'): Promise<{ url: string; pid: number }> {
  const server = spawnServer(
    process.execPath,
    ['--import', 'tsx', '--import', './otel/register.ts', 'platform/main.ts'],
    {
      STORE: 'redis',
      ROLE: role,
      PORT: '0',
      ...heldClusterEnv(redis, service),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    },
  );
  processes.push(server);
  return running(server);
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  service = await startHeldService();
}, 60_000);

afterAll(async () => {
  for (const server of processes) server.child.kill('SIGKILL');
  await Promise.all(processes.map((server) => server.exited));
  await service?.close();
  await receiver?.close();
});

/** Polls the receiver until `enough` holds for the trace's spans (exports are batched). */
async function spansOf(traceId: string, enough: (spans: DecodedSpan[]) => boolean): Promise<DecodedSpan[]> {
  for (;;) {
    const spans = receivedSpans(receiver).filter((span) => span.traceId === traceId);
    if (enough(spans)) return spans;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('traces across processes', () => {
  it('keeps a run executed on a worker in its session trace, with its queue wait as a span', async () => {
    const api = await node('api');
    const worker = await node('worker');
    const created = await fetch(`${api.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'ann' }),
    });
    const session = (await created.json()) as { id: string; trace_id: string };
    expect(session.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const caller = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8) };
    const run = (await (
      await fetch(`${api.url}/v1/sessions/${session.id}/runs`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          traceparent: `00-${caller.traceId}-${caller.spanId}-01`,
        },
        body: JSON.stringify({ flow: 'held', input: { question: 'hold', id: 'traced' } }),
      })
    ).json()) as { id: string };
    const call = await service.received('traced');
    expect(call.pid).toBe(String(worker.pid));
    service.release('traced');

    const spans = await spansOf(session.trace_id, (list) =>
      ['session', 'run held', 'queue wait', 'step call 1', 'tool held_call'].every((name) =>
        list.some((span) => span.name.startsWith(name)),
      ),
    );
    const byName = (name: string) => spans.find((span) => span.name.startsWith(name))!;
    const [root, runSpan, wait, step, tool] = [
      byName('session'),
      byName('run held'),
      byName('queue wait'),
      byName('step call 1'),
      byName('tool held_call'),
    ];
    // The session's span comes from the API process, the run's from the worker: one trace.
    expect(root.resource['process.pid']).toBe(api.pid);
    expect(runSpan.resource['process.pid']).toBe(worker.pid);
    expect(runSpan.parentSpanId).toBe(root.spanId);
    expect(runSpan.attributes).toMatchObject({ 'session.id': session.id, 'run.id': run.id });
    // The creating request's context travelled with the job: the run span links to it.
    expect(runSpan.links).toContainEqual(caller);
    expect(wait.parentSpanId).toBe(runSpan.spanId);
    expect(step.parentSpanId).toBe(runSpan.spanId);
    expect(tool.parentSpanId).toBe(step.spanId);
  }, 60_000);
});
