import type { components } from '../../../openapi/schema.d.ts';
import type { ServerToClientEvents } from '../../../gateway/socket/protocol.ts';

/** The envelope of docs/contract.md, as the socket protocol delivers it. */
export type SessionEvent = Parameters<ServerToClientEvents['session_event']>[0];

export type Session = components['schemas']['Session'];
export type SessionState = components['schemas']['SessionState'];
export type Flow = components['schemas']['Flow'];
export type Problem = components['schemas']['Problem'];

export const SESSION_STATES: readonly SessionState[] = ['active', 'idle', 'archived', 'expired'];
