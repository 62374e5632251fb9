import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { assertJsonDepth } from '../../core/index.ts';
import { HttpProblem } from './problem.ts';

/** Reads and parses an operation's JSON body; `required` is the spec's `requestBody.required`. */
export type ReadJsonBody = (ctx: Context, required: boolean) => Promise<unknown>;

/**
 * The gateway's JSON body reader, on `@koa/bodyparser`: 415 for another content type (or none),
 * 413 past `limit` whether declared by Content-Length or streamed, 400 INVALID_JSON naming `body`
 * for malformed JSON or a missing required body, and 400 for nesting past `MAX_JSON_DEPTH`
 * (naming the field).
 *
 * The parser reads the body as text and this wrapper parses it, because its JSON mode cannot be
 * configured to match: it lets other types through as `{}` (we answer 415), turns a body-less
 * request into `{}` (we answer "required" or pass `undefined`), and refuses an own `"__proto__"`
 * key, which the API accepts and core keeps as a plain property.
 *
 * @example
 * ```ts
 * const readJsonBody = jsonBodyReader(1 << 20);
 * const body = await readJsonBody(ctx, true);
 * ```
 */
export function jsonBodyReader(limit: number): ReadJsonBody {
  const readText = bodyParser({
    enableTypes: ['text'],
    extendTypes: { text: ['application/json'] },
    textLimit: limit,
    parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  });
  return async (ctx, required) => {
    const length = Number(ctx.get('content-length') || 0);
    if (length === 0 && ctx.get('transfer-encoding') === '') {
      if (required)
        throw new HttpProblem('INVALID_JSON', 'a JSON request body is required', [
          { field: 'body', message: 'body is required' },
        ]);
      return undefined;
    }
    if (!ctx.is('application/json'))
      throw new HttpProblem(
        'UNSUPPORTED_MEDIA_TYPE',
        `expected Content-Type: application/json, got ${ctx.get('content-type') || 'none'}`,
      );
    try {
      await readText(ctx, async () => {});
    } catch (error) {
      throw readError(error, limit);
    }
    let body: unknown;
    try {
      body = JSON.parse(String(ctx.request.body)) as unknown;
    } catch (error) {
      throw new HttpProblem('INVALID_JSON', `request body is not valid JSON: ${(error as Error).message}`, [
        { field: 'body', message: 'malformed JSON' },
      ]);
    }
    // Before anything recursive (validation, redaction, the store's stringify) walks it.
    assertJsonDepth(body);
    return body;
  };
}

/** raw-body's errors (under the parser) as the gateway's problems; anything else stays as thrown. */
function readError(error: unknown, limit: number): unknown {
  const { status, expected } = error as { status?: unknown; expected?: unknown };
  if (status === 413)
    return new HttpProblem(
      'PAYLOAD_TOO_LARGE',
      typeof expected === 'number'
        ? `request body of ${expected} bytes exceeds the limit of ${limit} bytes`
        : `request body exceeds the limit of ${limit} bytes`,
    );
  if (status === 415) return new HttpProblem('UNSUPPORTED_MEDIA_TYPE', (error as Error).message);
  return error;
}
