import type { EventDraft } from '../events/event.ts';
import type { Message } from '../events/message.ts';
import type { FlowEmission } from '../plugins/plugin.ts';

/** What one flow emission becomes: the events to write and the state stored with them. */
export interface FlowRecord {
  /** Written in this order, in one commit with the state below; none for a `result`. */
  readonly events: EventDraft[];
  /** Messages stored with the events (the flow's `message`). */
  readonly messages?: Message[];
  /** Keys merged into the session's `data`. */
  readonly data?: Record<string, unknown>;
  /** A step began: the previous one ends here and this one's span starts. */
  readonly step?: string;
  /** The run's result (the last one emitted wins); stored with the run's terminal event. */
  readonly result?: { readonly value: unknown };
}

/** The run an emission belongs to, and a fresh id and timestamp should it store a message. */
export interface FlowRecordContext {
  readonly session_id: string;
  readonly run_id: string;
  stamp(): { id: string; ts: string };
}

/**
 * Turns one flow emission into the events and stored state it stands for. Pure: spans, writes and the
 * run record stay with the caller (`RunExecutor`), so this mapping is table-tested alone.
 *
 * @example
 * ```ts
 * flowRecord({ type: 'data', data: { topic: 'rxjs' } }, { session_id, run_id, stamp });
 * // { events: [{ type: 'session.updated', message: 'session data updated', meta: { data_keys: ['topic'] } }],
 * //   data: { topic: 'rxjs' } }
 * ```
 */
export function flowRecord(emission: FlowEmission, context: FlowRecordContext): FlowRecord {
  switch (emission.type) {
    case 'step':
      return {
        step: emission.step,
        events: [
          {
            type: 'step',
            step: emission.step,
            level: emission.level,
            message: emission.message ?? emission.step,
            meta: emission.meta,
          },
        ],
      };
    case 'progress':
      return {
        events: [
          {
            type: 'progress',
            step: emission.step,
            level: emission.level,
            message: emission.message,
            meta: emission.meta,
          },
        ],
      };
    case 'message': {
      const { id, ts } = context.stamp();
      const message: Message = {
        id,
        session_id: context.session_id,
        run_id: context.run_id,
        role: emission.role,
        content: emission.content,
        tool: emission.tool ?? null,
        ts,
      };
      return {
        events: [
          {
            type: 'message',
            tool: emission.tool,
            message: emission.content,
            meta: { ...emission.meta, role: emission.role, message_id: message.id },
          },
        ],
        messages: [message],
      };
    }
    case 'data':
      return {
        events: [
          {
            type: 'session.updated',
            message: 'session data updated',
            meta: { data_keys: Object.keys(emission.data) },
          },
        ],
        data: emission.data,
      };
    case 'result':
      return { events: [], result: { value: emission.result } };
  }
}
