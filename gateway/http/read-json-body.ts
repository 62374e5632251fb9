import type { Context } from 'koa';
import { assertJsonDepth } from '../../core/index.ts';
import { HttpProblem } from './problem.ts';

/**
 * Reads a JSON request body with a size limit: 415 for another content type, 413 past the limit,
 * 400 for malformed JSON, a missing required body, or nesting past `MAX_JSON_DEPTH` (naming the field). Streams, so an oversized body is not buffered whole.
 *
 * @example
 * ```ts
 * const body = await readJsonBody(ctx, 1 << 20, true);
 * ```
 */
export async function readJsonBody(ctx: Context, limit: number, required: boolean): Promise<unknown> {
  const length = Number(ctx.get('content-length') || 0);
  const hasBody = length > 0 || ctx.get('transfer-encoding') !== '';
  if (!hasBody) {
    if (required)
      throw new HttpProblem('INVALID_JSON', 'a JSON request body is required', [
        { field: 'body', message: 'body is required' },
      ]);
    return undefined;
  }
  if (!ctx.is('application/json')) {
    throw new HttpProblem(
      'UNSUPPORTED_MEDIA_TYPE',
      `expected Content-Type: application/json, got ${ctx.get('content-type') || 'none'}`,
    );
  }
  if (length > limit)
    throw new HttpProblem(
      'PAYLOAD_TOO_LARGE',
      `request body of ${length} bytes exceeds the limit of ${limit} bytes`,
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new HttpProblem('PAYLOAD_TOO_LARGE', `request body exceeds the limit of ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpProblem('INVALID_JSON', `request body is not valid JSON: ${(error as Error).message}`, [
      { field: 'body', message: 'malformed JSON' },
    ]);
  }
  // Before anything recursive (validation, redaction, the store's stringify) walks it.
  assertJsonDepth(body);
  return body;
}
