export const SESSION_STATES = ['active', 'idle', 'archived', 'expired'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

export interface Usage {
  tokens_in: number;
  tokens_out: number;
}

/** The tokens of both, as a new object (records are replaced, never mutated). */
export function plusUsage(a: Usage, b: Usage): Usage {
  return { tokens_in: a.tokens_in + b.tokens_in, tokens_out: a.tokens_out + b.tokens_out };
}

/**
 * A session: the unit that owns runs, events, messages and checkpoints, and one trace.
 *
 * @example
 * ```ts
 * const s = await runtime.sessions.create({ user_id: 'ann', agent_id: 'quiz' });
 * s.state; // 'active'
 * ```
 */
export interface Session {
  id: string;
  user_id: string | null;
  agent_id: string | null;
  team_id: string | null;
  workflow_id: string | null;
  name: string | null;
  state: SessionState;
  metadata: Record<string, unknown>;
  /** Key-value state the flows keep between runs. */
  data: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  last_active_at: string;
  /** When the sweeper will expire it if nothing happens before (null while a run is active or archived). */
  expires_at: string | null;
  trace_id: string | null;
  /** Opaque context of the session's root span (a W3C traceparent with OTel), so runs join one trace. */
  trace_parent: string | null;
  last_seq: number;
  active_run_id: string | null;
  run_count: number;
  usage: Usage;
}

/** Fields a write may change; `id`, `created_at` and `last_seq` are the store's to keep. */
export type SessionPatch = Partial<Omit<Session, 'id' | 'created_at' | 'last_seq'>>;

export interface SessionFilter {
  user_id?: string;
  agent_id?: string;
  team_id?: string;
  workflow_id?: string;
  state?: SessionState | readonly SessionState[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
