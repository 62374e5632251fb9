import { randomBytes } from 'node:crypto';
import { noopTelemetry, type Telemetry } from '../../../core/index.ts';
import { startPlatform, type Platform } from '../../../platform/platform.ts';
import { startDemoBackends, type DemoBackendsOptions } from '../../../demo-backends/index.ts';

/** The flow with an approval the e2e tests answer from the dashboard. */
export { APPROVAL_PLUGINS_MODULE as APPROVAL_PLUGINS } from '../../fixtures/approval-plugins.ts';

/** Gives every session a trace id, as the OpenTelemetry binding will, so the Jaeger link shows. */
export const tracedTelemetry: Telemetry = {
  ...noopTelemetry,
  startSession: () => ({ traceId: randomBytes(16).toString('hex'), parent: null }),
};

export interface E2ePlatform {
  platform: Platform;
  url: string;
  /** The session's record, read over REST (for `last_seq`). */
  lastSeq(sessionId: string, apiKey?: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * A platform as `npm start` boots it (memory store, port 0) in front of demo backends with the given
 * faults: slow ones for the reconnect and cancel tests, failing ones for the RAG failure test.
 *
 * @example
 * ```ts
 * const slow = await startE2ePlatform({ backends: { latencyMs: 1200 } });
 * ```
 */
export async function startE2ePlatform(
  options: { backends?: DemoBackendsOptions; env?: Record<string, string> } = {},
): Promise<E2ePlatform> {
  const demo = await startDemoBackends(options.backends ?? {});
  const platform = await startPlatform(
    {
      PORT: '0',
      STORE: 'memory',
      LOG_LEVEL: 'silent',
      RAG_URL: demo.ragUrl,
      EXAM_URL: demo.examUrl,
      ...options.env,
    },
    { telemetry: tracedTelemetry },
  ).catch(async (error: unknown) => {
    await demo.close();
    throw error;
  });
  return {
    platform,
    url: platform.url,
    async lastSeq(sessionId, apiKey) {
      const response = await fetch(`${platform.url}/v1/sessions/${sessionId}`, {
        headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
      });
      const session = (await response.json()) as { last_seq: number };
      return session.last_seq;
    },
    async close() {
      await platform.close();
      await demo.close();
    },
  };
}

/** `[from, from + 1, …, to]`: what a gap-free, duplicate-free timeline's seqs must be. */
export const seqRange = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
