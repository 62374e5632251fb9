import type { Context } from 'koa';
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

/** A request to operation `K`, validated against the spec, with its parameters and body typed from it. */
export interface TypedRequest<K extends OperationId> {
  readonly operationId: K;
  readonly params: Params<K, 'path'>;
  readonly query: Params<K, 'query'>;
  readonly headers: Params<K, 'header'>;
  readonly body: Op<K> extends { requestBody?: infer R } ? JsonOf<NonNullable<R>> : undefined;
  /** The API key's user, or null when the gateway runs open. */
  readonly user: string | null;
}

/** A success response of operation `K` as the spec defines it; failures are thrown. */
export type TypedResult<K extends OperationId> = {
  [S in SuccessStatus<K>]: { status: S; body?: JsonOf<Responses<K>[S]>; headers?: Record<string, string> };
}[SuccessStatus<K>];

export type TypedHandler<K extends OperationId> = (
  request: TypedRequest<K>,
  ctx: Context,
) => Promise<TypedResult<K> | undefined>;

/** One handler per operation of the spec: leaving one out is a compile error. */
export type Handlers = { [K in OperationId]: TypedHandler<K> };
