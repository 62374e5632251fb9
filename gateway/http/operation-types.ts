import type { Context } from 'koa';
import type { Session } from '../../core/index.ts';
import type { AccessRule } from './access-rule.ts';
import type { operations } from '../../openapi/schema.d.ts';
import type { OperationId } from '../../openapi/operations.ts';

type Op<K extends OperationId> = operations[K];
type Params<K extends OperationId, L extends 'path' | 'query' | 'header'> =
  NonNullable<Op<K>['parameters'][L]> extends never
    ? Record<string, never>
    : NonNullable<Op<K>['parameters'][L]>;
type JsonOf<T> = T extends { content: { 'application/json': infer B } } ? B : undefined;
type Responses<K extends OperationId> = Op<K>['responses'];
type SuccessStatus<K extends OperationId> = Extract<keyof Responses<K>, 200 | 201 | 202 | 204>;

/** The rules operation `K` may declare: `session` exactly when its path names `{session_id}`. */
export type AccessFor<K extends OperationId> =
  Params<K, 'path'> extends { session_id: string } ? 'session' : Exclude<AccessRule, 'session'>;

/** What a handler gets as `request.session` under rule `R`. */
type SessionUnder<R extends AccessRule> = R extends 'session'
  ? Session
  : R extends 'body-session'
    ? Session | undefined
    : undefined;

/**
 * A request to operation `K`, validated against the spec, with its parameters and body typed from
 * it and, under access rule `R`, the session it names already checked against the caller.
 */
export interface TypedRequest<K extends OperationId, R extends AccessRule = AccessFor<K>> {
  readonly operationId: K;
  readonly params: Params<K, 'path'>;
  readonly query: Params<K, 'query'>;
  readonly headers: Params<K, 'header'>;
  readonly body: Op<K> extends { requestBody?: infer R } ? JsonOf<NonNullable<R>> : undefined;
  /** The API key's user, or null when the gateway runs open. */
  readonly user: string | null;
  readonly session: SessionUnder<R>;
}

/** A success response of operation `K` as the spec defines it; failures are thrown. */
export type TypedResult<K extends OperationId> = {
  [S in SuccessStatus<K>]: { status: S; body?: JsonOf<Responses<K>[S]>; headers?: Record<string, string> };
}[SuccessStatus<K>];

export type TypedHandler<K extends OperationId, R extends AccessRule = AccessFor<K>> = (
  request: TypedRequest<K, R>,
  ctx: Context,
) => Promise<TypedResult<K> | undefined>;

/** Operation `K`'s entry: the access rule it declares and the handler that runs once the rule holds. */
export type TypedOperation<K extends OperationId> = {
  [R in AccessFor<K>]: { readonly access: R; readonly handle: TypedHandler<K, R> };
}[AccessFor<K>];

/**
 * One entry per operation of the spec: leaving one out, or its access rule, is a compile error
 * (and a start error for a table built without the types; see `bindOpenApi`).
 */
export type Handlers = { [K in OperationId]: TypedOperation<K> };
