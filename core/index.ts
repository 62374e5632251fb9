/**
 * The stream core's public surface, by concept: what plugin authors, the platform wiring, the
 * adapters (stores, telemetry, logging) and the transports use. Everything else in core/ is
 * internal; tests that need an internal import its module path. Imports nothing from gateway/,
 * otel/, stores/ or plugins/.
 */

// Plugin authoring: typed factories and the contexts a tool or flow receives.
export { defineFlow, defineTool } from './plugins/plugin.ts';
export type {
  FlowContext,
  FlowDefinition,
  FlowEmission,
  JsonSchema,
  Plugin,
  ToolContext,
  ToolDefinition,
} from './plugins/plugin.ts';
// The language model kit tools reach as `ctx.llm` (OpenAI-compatible chat completions, streamed).
export { languageModel } from './llm/language-model.ts';
export type {
  ChatCompletion,
  ChatMessage,
  ChatOptions,
  ChatRequest,
  ChatUsage,
  LanguageModel,
  LanguageModelContext,
  LlmSettings,
} from './llm/language-model.ts';

// Runtime: the composition root the platform starts and the transports call.
export { Runtime } from './runtime.ts';
export type { RuntimeConfig, RuntimeOptions, Stats } from './runtime.ts';
export type { RecentRuns, RecentRunsMinute } from './runs/recent-runs.ts';

// The runtime's parts, as transports reach them through `Runtime` (types only: core builds them).
export type {
  ApprovalAnswer,
  ApprovalBook,
  ApprovalDecision,
  ApprovalRequest,
  PendingApproval,
} from './runs/approvals.ts';
export type { Checkpoints } from './checkpoints/checkpoints.ts';
export type { EventHub, HistoryInfo } from './events/event-hub.ts';
export type { CreateRunInput, Runs } from './runs/runs.ts';
export type {
  CreateSessionInput,
  ListSessionsInput,
  Sessions,
  UpdateSessionInput,
} from './sessions/sessions.ts';

// Plugin loading and validation, for the platform and the scaffold.
export { loadPlugins } from './plugins/load-plugins.ts';
export { PluginRegistry } from './plugins/plugin-registry.ts';
export type {
  CatalogueEntry,
  PluginRegistryOptions,
  RegisteredFlow,
  RegisteredTool,
} from './plugins/plugin-registry.ts';
export { describeValue, PLUGIN_NAME } from './plugins/plugin-validation.ts';

// Configuration.
export { ConfigSchema, loadConfig, unknownSettings } from './config.ts';
export type { Config, RateLimit } from './config.ts';

// Errors: the one catalog of codes (transports map them to their statuses).
export { ERROR_CATALOG, errorMessage, isRetryable, isTributaryError, TributaryError } from './errors.ts';
export type { ErrorCode, ErrorKind, TributaryErrorOptions } from './errors.ts';

// Records: sessions, runs, events, messages, checkpoints.
export { SESSION_STATES } from './sessions/session.ts';
export type { Page, Session, SessionFilter, SessionPatch, SessionState, Usage } from './sessions/session.ts';
export { FINISHED_RUN_STATUSES, isFinished, MULTITASK_STRATEGIES, RUN_STATUSES } from './runs/run.ts';
export type { MultitaskStrategy, Run, RunError, RunStatus } from './runs/run.ts';
export { EVENT_TYPES, LEVELS, TERMINAL_EVENT_TYPES } from './events/event.ts';
export type { EventType, Level, SessionEvent, TerminalEventType } from './events/event.ts';
export { MESSAGE_ROLES } from './events/message.ts';
export type { Message, MessageRole } from './events/message.ts';
export type { Checkpoint, StoredCheckpoint } from './checkpoints/checkpoint.ts';

// Input checks transports share with core: one ajv setup, its coded errors, the JSON depth limit,
// the seq cursor rule.
export { compileSchema, createAjv, fieldErrors, validationError } from './plugins/schema-validator.ts';
export type { ErrorObject, FieldError, ValidateFunction } from './plugins/schema-validator.ts';
export { assertJsonDepth, MAX_JSON_DEPTH } from './events/json-depth.ts';
export { assertSeqCursor } from './events/seq-cursor.ts';

// Redaction: which keys are secrets, for events, checkpoints and telemetry attributes alike.
export { isSecretKey, REDACTED, redact } from './events/redact.ts';

// Store port, and the rules every storage engine shares (stores/ implements them).
export type {
  EventBounds,
  ExpireDueQuery,
  FinishedRunSample,
  FinishedRunsQuery,
  ListSessionsQuery,
  SessionStore,
  StatsQuery,
  StoreStats,
  SweepCandidate,
  SweepCandidates,
  SweepQuery,
  UnnumberedEvent,
  WriteBatch,
  WriteExpectation,
} from './store/session-store.ts';

// Other ports: live-event bus, run queue, telemetry, logger.
export type { EventBus } from './ports/event-bus.ts';
export type { QueueReason, RunQueue, RunQueueJob } from './ports/run-queue.ts';
export type {
  RunAdmission,
  RunCommand,
  RunCommandReply,
  RunJob,
  RunJobContext,
  RunJobHandler,
  RunJobQueue,
  RunJobResult,
} from './ports/run-job-queue.ts';
export type { WorkerLossPolicy } from './runs/cluster-runs.ts';
export { noopTelemetry } from './telemetry.ts';
export type { SessionTrace, Span, SpanAttributes, SpanEnd, SpanKind, Telemetry } from './telemetry.ts';
export { silentLogger } from './logger.ts';
export type { Logger, LogMethod } from './logger.ts';

// Utilities transports share: one task at a time per key (socket commands of a session).
export { KeyedQueue } from './events/keyed-queue.ts';

// Completion webhooks (docs/webhooks.md): delivery, the address rule and the signature receivers check.
export { WebhookDeliveries, MAX_WEBHOOK_BACKOFF_MS } from './webhooks/webhook-deliveries.ts';
export type {
  WebhookDeliveriesDeps,
  WebhookDelivery,
  WebhookSettings,
} from './webhooks/webhook-deliveries.ts';
export { isInternalAddress } from './webhooks/webhook-address.ts';
export { signWebhook, webhookKey } from './webhooks/webhook-signature.ts';
export { checkWebhookUrl } from './webhooks/webhook-target.ts';
