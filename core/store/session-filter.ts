import type { Session, SessionFilter, SessionState } from '../sessions/session.ts';

/** The filter's states as a list (`undefined` when it does not filter by state; `[]` matches nothing). */
export function filterStates(filter: SessionFilter): readonly SessionState[] | undefined {
  const { state } = filter;
  if (state === undefined) return undefined;
  return typeof state === 'string' ? [state] : state;
}

/** The equality filters, in one place so both stores agree on them. */
export const EQUALITY_FILTERS = ['user_id', 'agent_id', 'team_id', 'workflow_id'] as const;

/** Whether `session` passes `filter` (the in-memory twin of the SQL `WHERE` built by `SqliteStore`). */
export function matchesFilter(session: Session, filter: SessionFilter): boolean {
  for (const key of EQUALITY_FILTERS) {
    const wanted = filter[key];
    if (wanted !== undefined && session[key] !== wanted) return false;
  }
  const states = filterStates(filter);
  return states === undefined || states.includes(session.state);
}
