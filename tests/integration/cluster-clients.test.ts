import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster, heldClusterEnv } from '../fixtures/cluster.ts';
import { startHeldService, type HeldService } from '../fixtures/held-service.ts';
import { QUIZ_STEPS } from '../fixtures/quiz-steps.ts';
import { useTestPrefix } from '../fixtures/redis-prefix.ts';
import { cli, eventLines, UUID } from './cli/cli.ts';

// The clients a user already has (the CLI, plain HTTP for /v1/stats) against API processes of a
// cluster whose runs execute on a worker process.
const redis = useTestPrefix();
let service: HeldService;
let cluster: TestCluster;

beforeAll(async () => {
  service = await startHeldService();
  cluster = await startCluster({
    apis: 2,
    workers: 1,
    env: {
      ...heldClusterEnv(redis, service),
      CONCURRENCY_LIMIT: '1',
    },
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  await service?.close();
});

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, url).toBeLessThan(300);
  return (await response.json()) as Record<string, unknown>;
}

async function stats(url: string): Promise<{ queue_depth: number; running_runs: number }> {
  return (await (await fetch(`${url}/v1/stats`)).json()) as { queue_depth: number; running_runs: number };
}

async function heldRun(api: string, id: string): Promise<void> {
  const session = await post(`${api}/v1/sessions`, { user_id: 'ann' });
  await post(`${api}/v1/sessions/${String(session.id)}/runs`, {
    flow: 'held',
    input: { question: 'hold', id },
  });
}

describe('clients against the API processes of a cluster', () => {
  it('tributary run --follow streams a quiz executed on the worker, and exits 0', async () => {
    const [api] = cluster.apis;
    const { code, stdout, stderr } = await cli([
      '--url',
      api!.url,
      'run',
      'Quiz me on RxJS operators',
      '--follow',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // The API process only queues the run: it answers `queued`, and the worker takes it.
    expect(stdout.split('\n')[0]).toMatch(
      new RegExp(`^run (${UUID.source}) queued in session (${UUID.source})`),
    );
    expect(eventLines(stdout, 'step').map((columns) => columns[1])).toEqual(QUIZ_STEPS);
    expect(stdout).toContain('run.completed');
  }, 60_000);

  it('/v1/stats counts the running and the queued run the same on every API process', async () => {
    const [a, b] = cluster.apis;
    await heldRun(a!.url, 'stats-running');
    await service.received('stats-running');
    // CONCURRENCY_LIMIT=1: a run of another session waits for the slot.
    await heldRun(b!.url, 'stats-waiting');
    for (const api of [a!, b!])
      expect(await stats(api.url)).toMatchObject({ running_runs: 1, queue_depth: 1 });

    service.release('stats-running');
    await service.received('stats-waiting');
    service.release('stats-waiting');
    // Both end: nothing is counted any more, on either process.
    for (;;) {
      const [one, two] = await Promise.all([stats(a!.url), stats(b!.url)]);
      if (one.running_runs + one.queue_depth === 0) {
        expect(two).toMatchObject({ running_runs: 0, queue_depth: 0 });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }, 60_000);
});
