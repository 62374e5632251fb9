import { pino } from 'pino';
import { ApprovalBook } from '../../../core/runs/approvals.ts';
import type { EventDraft, EventType } from '../../../core/events/event.ts';
import { defineTool } from '../../../core/plugins/plugin.ts';
import type { ToolDefinition } from '../../../core/plugins/plugin.ts';
import { PluginRegistry } from '../../../core/plugins/plugin-registry.ts';
import type { RunScope, ToolMessage } from '../../../core/runs/run-scope.ts';
import type { Usage } from '../../../core/sessions/session.ts';
import type { Span, SpanAttributes, SpanEnd, Telemetry } from '../../../core/telemetry.ts';
import type { ToolCallDeps } from '../../../core/plugins/tool-call.ts';

/** A span as the recording telemetry saw it: how it started and every `end` call (there must be exactly one). */
export interface RecordedSpan {
  kind: 'step' | 'tool' | 'queue' | 'llm';
  name: string;
  attributes: SpanAttributes;
  traceparent: string;
  ends: SpanEnd[];
}

/** Telemetry that records child spans and injects a W3C `traceparent` unique to each span. */
export function recordingTelemetry(): { telemetry: Telemetry; spans: RecordedSpan[] } {
  const spans: RecordedSpan[] = [];
  const traceId = 'a'.repeat(32);
  const span = (spanId: string, record?: RecordedSpan): Span => ({
    traceId,
    spanId,
    setAttributes: (attributes) => {
      if (record) Object.assign(record.attributes, attributes);
    },
    addEvent: () => {},
    end: (end) => record?.ends.push(end),
    inject: (headers) => {
      headers.traceparent = `00-${traceId}-${spanId}-01`;
    },
  });
  const telemetry: Telemetry = {
    startSession: () => ({ traceId, parent: null }),
    startRun: () => span('0'.repeat(16)),
    startChild: (_parent, kind, name, attributes) => {
      const spanId = (spans.length + 1).toString(16).padStart(16, '0');
      const record: RecordedSpan = {
        kind,
        name,
        attributes: { ...attributes },
        traceparent: `00-${traceId}-${spanId}-01`,
        ends: [],
      };
      spans.push(record);
      return span(spanId, record);
    },
    withSpan: (_span, fn) => fn(),
  };
  return { telemetry, spans };
}

export interface TestScope {
  scope: RunScope;
  /** Every draft the code under test emitted, in order. */
  events: EventDraft[];
  spans: RecordedSpan[];
  /** Aborting it is what cancelling the run does. */
  controller: AbortController;
  /** The tool attempts running now, as the scope was told (`toolStarted`). */
  inFlight: Array<{ tool: string; attempt: number }>;
  /** The messages stored (`storeMessage`), in order; their events are in `events` too. */
  messages: ToolMessage[];
  /** What `addUsage` was told, in order. */
  usage: Usage[];
  /** The emitted event types, in order. */
  types(): EventType[];
  /** The emitted events of one type. */
  ofType(type: EventType): EventDraft[];
}

/** A run scope for session `s1`, run `r1` that collects what it is given instead of writing an event log. */
export function testScope(): TestScope {
  const events: EventDraft[] = [];
  const inFlight: Array<{ tool: string; attempt: number }> = [];
  const messages: ToolMessage[] = [];
  const usage: Usage[] = [];
  const controller = new AbortController();
  const { telemetry, spans } = recordingTelemetry();
  const scope: RunScope = {
    session_id: 's1',
    run_id: 'r1',
    signal: controller.signal,
    logger: pino({ level: 'silent' }),
    telemetry,
    span: telemetry.startRun({ traceId: null, parent: null }, 'run', {}),
    emit: (draft) => {
      events.push(draft);
    },
    toolStarted: (tool, attempt) => {
      const call = { tool, attempt };
      inFlight.push(call);
      return () => inFlight.splice(inFlight.indexOf(call), 1);
    },
    storeMessage: (before, message) => {
      messages.push(message);
      events.push(...before, {
        type: 'message',
        run_id: 'r1',
        tool: message.tool,
        message: message.content,
        meta: { ...message.meta, role: message.role, message_id: message.id },
      });
    },
    addUsage: (tokens) => {
      usage.push(tokens);
    },
  };
  return {
    scope,
    events,
    spans,
    controller,
    inFlight,
    messages,
    usage,
    types: () => events.map((e) => e.type),
    ofType: (type) => events.filter((e) => e.type === type),
  };
}

/** A tool with an `{ text }` input and `{ upper }` output; override any part. */
export function shoutTool(
  overrides: Partial<Omit<ToolDefinition<{ text: string }, unknown>, 'kind'>> = {},
): ToolDefinition<{ text: string }, unknown> {
  return defineTool<{ text: string }, unknown>({
    name: 'shout',
    version: '1.0.0',
    description: 'Upper-cases text',
    input: {
      type: 'object',
      properties: { text: { type: 'string' }, api_key: { type: 'string' } },
      required: ['text'],
      additionalProperties: false,
    },
    output: { type: 'object', properties: { upper: { type: 'string' } }, required: ['upper'] },
    execute: async ({ text }) => ({ upper: text.toUpperCase() }),
    ...overrides,
  });
}

/** Registry and approval book holding the given tools, as `callTool` wants them. */
export function toolDeps(...tools: Array<ToolDefinition<never, unknown>>): ToolCallDeps & {
  registry: PluginRegistry;
  approvals: ApprovalBook;
} {
  return { registry: new PluginRegistry().register(tools).validate(), approvals: new ApprovalBook() };
}

/** An error a tool may throw that says it is worth another try (like a 503 or a reset socket). */
export function flaky(message = 'upstream 503'): Error & { retryable: true } {
  return Object.assign(new Error(message), { retryable: true as const });
}
