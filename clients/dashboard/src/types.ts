// Every API shape here is the generated one (openapi/schema.d.ts); nothing is copied by hand.
import type { components } from '../../../openapi/schema.d.ts';
import type { ServerToClientEvents } from '../../../gateway/socket/protocol.ts';

/** The envelope of docs/contract.md, as the socket protocol delivers it. */
export type SessionEvent = Parameters<ServerToClientEvents['session_event']>[0];

export type Session = components['schemas']['Session'];
export type SessionState = components['schemas']['SessionState'];
export type Flow = components['schemas']['Flow'];
export type Problem = components['schemas']['Problem'];

/** Every state of the spec, in the order the filter offers them. */
export const SESSION_STATES = [
  'active',
  'idle',
  'archived',
  'expired',
] as const satisfies readonly SessionState[];

// Fails to compile, naming the state, when the spec gains a state this list lacks.
const _everyStateListed: [Exclude<SessionState, (typeof SESSION_STATES)[number]>] extends [never]
  ? true
  : Exclude<SessionState, (typeof SESSION_STATES)[number]> = true;
