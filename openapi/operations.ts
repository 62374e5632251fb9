import type { operations } from './schema.d.ts';

/** An operation of `openapi.yaml`, by `operationId`. */
export type OperationId = keyof operations;

/**
 * Every `operationId` in `openapi.yaml`, for code that must check at start that each one has a handler.
 * The type checker keeps this list and the spec equal: a missing or unknown name fails `npm run typecheck`.
 *
 * @example
 * ```ts
 * const missing = OPERATION_IDS.filter((id) => !(id in handlers));
 * ```
 */
export const OPERATION_IDS = [
  'createSession',
  'listSessions',
  'getSession',
  'updateSession',
  'deleteSession',
  'deleteSessions',
  'createRun',
  'createRunAnywhere',
  'listRuns',
  'getRun',
  'cancelRun',
  'resolveApproval',
  'listEvents',
  'streamEvents',
  'listMessages',
  'postProgress',
  'listCheckpoints',
  'createCheckpoint',
  'getLatestCheckpoint',
  'listTools',
  'listFlows',
  'getStats',
  'health',
  'ready',
  'getSpec',
] as const satisfies readonly OperationId[];

type Unlisted = Exclude<OperationId, (typeof OPERATION_IDS)[number]>;
// Fails to compile, naming the operation, when the spec gains an operation this list lacks.
export const ALL_OPERATIONS_LISTED: [Unlisted] extends [never] ? true : Unlisted = true;
