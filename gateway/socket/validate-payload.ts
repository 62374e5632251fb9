import { createAjv, TributaryError, validationError, type ValidateFunction } from '../../core/index.ts';
import type { ClientToServerEvents } from './protocol.ts';

/** A command a client can send. */
export type CommandName = keyof ClientToServerEvents;

/** The payload of each command, as the protocol types it. */
export type PayloadOf<C extends CommandName> = Parameters<ClientToServerEvents[C]>[0];

const sessionId = { type: 'string', format: 'uuid' } as const;

/** One schema per command: closed objects, so a misspelt field is an error rather than ignored. */
const SCHEMAS = {
  subscribe: {
    type: 'object',
    properties: { session_id: sessionId, after_seq: { type: 'integer', minimum: 0 } },
    required: ['session_id'],
    additionalProperties: false,
  },
  unsubscribe: {
    type: 'object',
    properties: { session_id: sessionId },
    required: ['session_id'],
    additionalProperties: false,
  },
  cancel: {
    type: 'object',
    properties: { session_id: sessionId, run_id: { type: 'string', format: 'uuid' } },
    required: ['session_id'],
    additionalProperties: false,
  },
} as const satisfies Record<CommandName, object>;

/** What each command's payload looks like, for the message of a payload that is not an object. */
const SHAPES: Record<CommandName, string> = {
  subscribe: '{ session_id, after_seq? }',
  unsubscribe: '{ session_id }',
  cancel: '{ session_id, run_id? }',
};

const ajv = createAjv();
const validators = {
  subscribe: ajv.compile<PayloadOf<'subscribe'>>(SCHEMAS.subscribe),
  unsubscribe: ajv.compile<PayloadOf<'unsubscribe'>>(SCHEMAS.unsubscribe),
  cancel: ajv.compile<PayloadOf<'cancel'>>(SCHEMAS.cancel),
} satisfies { [C in CommandName]: ValidateFunction<PayloadOf<C>> };

/**
 * The payload of `command` if it matches the protocol, else `INVALID_ARGUMENT` naming the first
 * field at fault (`session_id`, `after_seq`, `run_id`, or the extra property).
 *
 * @example
 * ```ts
 * validatePayload('subscribe', { session_id: id, after_seq: 3 }); // typed SubscribePayload
 * validatePayload('subscribe', { session_id: 'x' });
 * // throws INVALID_ARGUMENT, field session_id: 'invalid subscribe payload: session_id must match format "uuid"'
 * ```
 */
export function validatePayload<C extends CommandName>(command: C, payload: unknown): PayloadOf<C> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new TributaryError(
      'INVALID_ARGUMENT',
      `invalid ${command} payload: must be an object like ${SHAPES[command]}`,
    );
  }
  const validate = validators[command] as ValidateFunction<PayloadOf<C>>;
  if (!validate(payload))
    throw validationError('INVALID_ARGUMENT', validate.errors, '', `invalid ${command} payload`);
  return payload;
}
