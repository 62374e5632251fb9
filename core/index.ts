/**
 * The stream core: sessions, runs, the scheduler, the event log and hub, the plugin registry,
 * checkpoints, stores and the telemetry port. Imports nothing from gateway/, otel/ or plugins/.
 */
export * from './approvals.ts';
export * from './checkpoint.ts';
export * from './checkpoint-cipher.ts';
export * from './checkpoints.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './event.ts';
export * from './event-hub.ts';
export * from './event-log.ts';
export * from './json-depth.ts';
export * from './keyed-queue.ts';
export * from './load-plugins.ts';
export * from './message.ts';
export * from './operators/replay-then-live.ts';
export * from './operators/until-cancelled.ts';
export * from './plugin.ts';
export * from './plugin-registry.ts';
export * from './plugin-validation.ts';
export * from './redact.ts';
export * from './run.ts';
export * from './run-scheduler.ts';
export * from './run-scope.ts';
export * from './runs.ts';
export * from './runtime.ts';
export * from './schema-validator.ts';
export * from './session.ts';
export * from './session-policy.ts';
export * from './session-store.ts';
export * from './sessions.ts';
export * from './stores/memory-store.ts';
export * from './stores/open-store.ts';
export * from './stores/sqlite-store.ts';
export * from './sweeper.ts';
export * from './telemetry.ts';
export * from './tool-call.ts';
export * from './uuid.ts';
