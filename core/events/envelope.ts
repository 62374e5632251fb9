import type { EventDraft, SessionEvent } from './event.ts';
import { redact } from './redact.ts';
import type { UnnumberedEvent } from '../store/session-store.ts';
import { newId } from '../uuid.ts';
import { wellFormed } from './well-formed.ts';

/**
 * Builds the envelope of docs/contract.md for a draft; `seq` is the store's to give (see
 * {@link numbered}). Its text is made well-formed here, once, so the live event and the stored one
 * are the same bytes on every transport; `meta` is redacted here, before anything stores it.
 *
 * @example
 * ```ts
 * const event = envelope('s1', null, { type: 'progress', message: 'half way', meta: { api_key: 'k' } }, nowIso());
 * event.level; // 'info'
 * event.meta; // { api_key: '[redacted]' }
 * ```
 */
export function envelope(
  sessionId: string,
  traceId: string | null,
  draft: EventDraft,
  ts: string,
): UnnumberedEvent {
  return {
    id: newId(),
    ts,
    session_id: sessionId,
    run_id: draft.run_id ?? null,
    type: draft.type,
    step: wellFormed(draft.step ?? null),
    tool: wellFormed(draft.tool ?? null),
    level: draft.level ?? (draft.type === 'run.failed' || draft.type === 'tool.failed' ? 'error' : 'info'),
    message: wellFormed(draft.message ?? ''),
    meta: wellFormed(redact(draft.meta ?? {})),
    trace_id: traceId,
  };
}

/**
 * The event numbered `seq`, as a store numbers what it appends. Built field by field, so keys that
 * are not part of the envelope never reach a store or a reader; optional fields a caller left out
 * get their empty value. `meta` is the same object (a store copies it if it must).
 *
 * @example
 * ```ts
 * const stored = numbered(envelope('s1', null, { type: 'step', step: 'plan' }, nowIso()), 7);
 * stored.seq; // 7
 * ```
 */
export function numbered(event: UnnumberedEvent, seq: number): SessionEvent {
  return {
    id: event.id,
    seq,
    ts: event.ts,
    session_id: event.session_id,
    run_id: event.run_id ?? null,
    type: event.type,
    step: event.step ?? null,
    tool: event.tool ?? null,
    level: event.level,
    message: event.message,
    meta: event.meta ?? {},
    trace_id: event.trace_id ?? null,
  };
}
