import type { Handlers } from '../http/operation-types.ts';
import { checkpointHandlers } from './checkpoints.ts';
import type { HandlerDeps } from './context.ts';
import { eventHandlers } from './events.ts';
import { opsHandlers } from './ops.ts';
import { runHandlers } from './runs.ts';
import { sessionHandlers } from './sessions.ts';

export type { HandlerDeps } from './context.ts';

/** Every operation's handler, keyed by `operationId`; the type makes a missing one a compile error. */
export function createHandlers(deps: HandlerDeps): Handlers {
  return {
    ...sessionHandlers(deps),
    ...runHandlers(deps),
    ...eventHandlers(deps),
    ...checkpointHandlers(deps),
    ...opsHandlers(deps),
  };
}
