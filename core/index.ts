/**
 * The stream core: sessions, runs, the scheduler, the event log and hub, the plugin registry,
 * checkpoints, stores and the telemetry port. Imports nothing from gateway/, otel/ or plugins/.
 */
export * from './runs/approvals.ts';
export * from './checkpoints/checkpoint.ts';
export * from './checkpoints/checkpoint-cipher.ts';
export * from './checkpoints/checkpoints.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './events/commit.ts';
export * from './events/envelope.ts';
export * from './events/event.ts';
export * from './events/event-hub.ts';
export * from './events/event-log.ts';
export * from './events/json-depth.ts';
export * from './events/keyed-queue.ts';
export * from './plugins/load-plugins.ts';
export * from './logger.ts';
export * from './events/message.ts';
export * from './operators/replay-then-live.ts';
export * from './operators/until-cancelled.ts';
export * from './plugins/plugin.ts';
export * from './plugins/plugin-registry.ts';
export * from './plugins/plugin-validation.ts';
export * from './events/redact.ts';
export * from './runs/run.ts';
export * from './runs/run-scheduler.ts';
export * from './runs/run-scope.ts';
export * from './runs/runs.ts';
export * from './runtime.ts';
export * from './plugins/schema-validator.ts';
export * from './sessions/session.ts';
export * from './sessions/session-policy.ts';
export * from './store/session-store.ts';
export * from './sessions/sessions.ts';
export * from './sessions/sweeper.ts';
export * from './telemetry.ts';
export * from './plugins/tool-call.ts';
export * from './uuid.ts';
