/** What {@link readLimited} got: the text, and whether there was more than the limit. */
export interface LimitedBody {
  readonly text: string;
  /** True when the body went past the limit; `text` is then its first `maxBytes` bytes. */
  readonly truncated: boolean;
}

/**
 * Reads a response body as UTF-8 text, at most `maxBytes` of it. The body is read as a stream and the
 * transfer is cancelled as soon as it passes the limit, so an endless or huge answer never sits in memory.
 *
 * @example
 * ```ts
 * const { text, truncated } = await readLimited(response, 1_048_576);
 * if (truncated) throw tooLargeError(site, 1_048_576);
 * ```
 */
export async function readLimited(response: Response, maxBytes: number): Promise<LimitedBody> {
  const body = response.body;
  if (body === null) return { text: '', truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: decode(chunks), truncated: false };
    const room = maxBytes - size;
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, room));
      // Not awaited: stopping the transfer must not wait on a peer that keeps sending.
      reader.cancel().catch(() => undefined);
      return { text: decode(chunks), truncated: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
}

/** Lets the connection go without reading what is left of a body nobody needs. */
export function discardBody(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}

function decode(chunks: readonly Uint8Array[]): string {
  return Buffer.concat(chunks).toString('utf8');
}
