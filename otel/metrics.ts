import type { BatchObservableResult, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Runtime, SessionEvent } from '../core/index.ts';

/** Seconds; from a fast tool call to a long run waiting on people. */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const TERMINAL: Readonly<Record<string, string>> = {
  'run.completed': 'completed',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
};

export interface RuntimeMetrics {
  /** Stops observing: the event subscription ends and the gauges stop reporting. */
  stop(): void;
}

/** The part of the runtime the metrics read. */
export type ObservedRuntime = Pick<Runtime, 'stats' | 'runs' | 'events'>;

const durationMs = (event: SessionEvent): number | null => {
  const value = event.meta.duration_ms;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
};

/** A tool call's `meta.usage` (tokens its model calls counted), when it is well formed. */
const usageOf = (event: SessionEvent): { tokens_in: number; tokens_out: number } | null => {
  const usage = event.meta.usage as { tokens_in?: unknown; tokens_out?: unknown } | undefined;
  if (typeof usage?.tokens_in !== 'number' || typeof usage.tokens_out !== 'number') return null;
  return usage.tokens_in >= 0 && usage.tokens_out >= 0
    ? { tokens_in: usage.tokens_in, tokens_out: usage.tokens_out }
    : null;
};

/**
 * Reports the runtime through OpenTelemetry instruments on `meter`:
 *
 * | instrument | kind | attributes | from |
 * |---|---|---|---|
 * | `tributary.sessions.active` | gauge | | `runtime.stats()` (a store query per collection) |
 * | `tributary.runs.queued`, `tributary.runs.running` | gauge | | the scheduler |
 * | `tributary.events.subscribers` | gauge | | live `events$` subscriptions (Socket.IO, SSE) |
 * | `tributary.runs.finished` | counter | `flow`, `status` | terminal run events |
 * | `tributary.run.duration` | histogram (s) | `flow`, `status` | terminal run events' `duration_ms` |
 * | `tributary.tool.duration` | histogram (s) | `tool`, `status` (`ok`/`error`) | `tool.completed` / `tool.failed` |
 * | `tributary.tool.errors` | counter | `tool`, `error.type` (the error code) | `tool.failed` |
 * | `tributary.events.emitted` | counter | `type` | every published event |
 * | `tributary.llm.tokens` | counter | `tool`, `gen_ai.request.model`, `gen_ai.token.type` (`input`/`output`) | `meta.usage` of `tool.completed` / `tool.failed` |
 *
 * Run, tool and event figures come from the runtime's event feed (`events.all$()`), so the core
 * has no metric calls of its own.
 *
 * @example
 * ```ts
 * const observed = observeRuntime(runtime, metrics.getMeter('tributary'));
 * // …
 * observed.stop();
 * ```
 */
export function observeRuntime(runtime: ObservedRuntime, meter: Meter): RuntimeMetrics {
  const activeSessions = meter.createObservableGauge('tributary.sessions.active', {
    description: 'Sessions in state active',
    unit: '{session}',
  });
  const queued = meter.createObservableGauge('tributary.runs.queued', {
    description: 'Runs waiting for a slot or for their session',
    unit: '{run}',
  });
  const running = meter.createObservableGauge('tributary.runs.running', {
    description: 'Runs executing now',
    unit: '{run}',
  });
  const subscribers = meter.createObservableGauge('tributary.events.subscribers', {
    description: 'Live session event subscriptions (Socket.IO rooms, SSE streams)',
    unit: '{subscriber}',
  });
  const observe = async (result: BatchObservableResult): Promise<void> => {
    result.observe(queued, runtime.runs.queued);
    result.observe(running, runtime.runs.running);
    result.observe(subscribers, runtime.events.subscriberCount());
    // The store may be closed (shutdown) or down: report what is known without it.
    const stats = await runtime.stats().catch(() => null);
    if (stats) result.observe(activeSessions, stats.active_sessions);
  };
  const gauges = [activeSessions, queued, running, subscribers];
  meter.addBatchObservableCallback(observe, gauges);

  const runsFinished: Counter = meter.createCounter('tributary.runs.finished', {
    description: 'Runs that ended, by flow and status (completed, failed, cancelled)',
    unit: '{run}',
  });
  const runDuration: Histogram = meter.createHistogram('tributary.run.duration', {
    description: 'Run duration from start to end',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  const toolDuration: Histogram = meter.createHistogram('tributary.tool.duration', {
    description: 'Tool call duration, retries included, by tool and status',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  const toolErrors: Counter = meter.createCounter('tributary.tool.errors', {
    description: 'Tool calls that failed, by tool and error code',
    unit: '{call}',
  });
  const emitted: Counter = meter.createCounter('tributary.events.emitted', {
    description: 'Session events published, by type',
    unit: '{event}',
  });

  const tokens: Counter = meter.createCounter('tributary.llm.tokens', {
    description: 'Tokens language models counted for tool calls, by tool, model and type (input, output)',
    unit: '{token}',
  });

  // The flow of each run that started here, for the terminal event (which does not name it).
  const flows = new Map<string, string>();
  const record = (event: SessionEvent): void => {
    emitted.add(1, { type: event.type });
    if (event.type === 'run.started' && event.run_id !== null) {
      const flow = event.meta.flow;
      if (typeof flow === 'string') flows.set(event.run_id, flow);
      return;
    }
    const status = TERMINAL[event.type];
    if (status !== undefined) {
      const flow = (event.run_id !== null ? flows.get(event.run_id) : undefined) ?? 'unknown';
      if (event.run_id !== null) flows.delete(event.run_id);
      runsFinished.add(1, { flow, status });
      const ms = durationMs(event);
      if (ms !== null) runDuration.record(ms / 1000, { flow, status });
      return;
    }
    if (event.type === 'tool.completed' || event.type === 'tool.failed') {
      const tool = event.tool ?? 'unknown';
      const ok = event.type === 'tool.completed';
      const ms = durationMs(event);
      if (ms !== null) toolDuration.record(ms / 1000, { tool, status: ok ? 'ok' : 'error' });
      if (!ok) {
        const code = typeof event.meta.code === 'string' ? event.meta.code : 'TOOL_FAILED';
        toolErrors.add(1, { tool, 'error.type': code });
      }
      const usage = usageOf(event);
      if (usage) {
        const model = typeof event.meta.model === 'string' ? event.meta.model : 'unknown';
        const attributes = { tool, 'gen_ai.request.model': model };
        tokens.add(usage.tokens_in, { ...attributes, 'gen_ai.token.type': 'input' });
        tokens.add(usage.tokens_out, { ...attributes, 'gen_ai.token.type': 'output' });
      }
    }
  };
  const subscription = runtime.events.all$().subscribe(record);

  return {
    stop() {
      subscription.unsubscribe();
      meter.removeBatchObservableCallback(observe, gauges);
      flows.clear();
    },
  };
}

/** Answers one HTTP request with the metrics, on Node's own request and response (any framework mounts it). */
export type MetricsHandler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * The Prometheus text exposition of `exporter` as a plain Node request handler: the exporter's own,
 * which writes status, headers and body itself. The gateway mounts it at `GET /metrics`.
 *
 * @example
 * ```ts
 * const handler = prometheusHandler(new PrometheusExporter({ preventServerStart: true }));
 * http.createServer(handler).listen(9464);
 * ```
 */
export function prometheusHandler(exporter: PrometheusExporter): MetricsHandler {
  return (request, response) => exporter.getMetricsRequestHandler(request, response);
}
