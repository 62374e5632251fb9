/** Past this many characters without a line break the stream is not SSE (or is hostile): stop reading. */
const MAX_LINE = 1_048_576;

/**
 * The `data` payloads of a Server-Sent Events stream, one per event, in order (the `data:` lines of an event
 * joined by `\n`, the one space after the colon dropped). Comments (`: keep-alive`) and the `event`, `id` and
 * `retry` fields are skipped: OpenAI-compatible servers put everything in `data`. Written here rather than
 * taken from a library because this is all chat completions need: about forty lines.
 *
 * @throws Error `line longer than …` when a line exceeds 1 MiB.
 *
 * @example
 * ```ts
 * for await (const data of sseData(response.body)) if (data === '[DONE]') break; else handle(JSON.parse(data));
 * ```
 */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // A lone `\r` ending the buffer may be half of a `\r\n`: keep it for the next chunk.
      const lines = buffer.split(/\r\n|\n|\r(?=.)/s);
      buffer = done ? '' : (lines.pop() ?? '');
      if (buffer.length > MAX_LINE) throw new Error(`line longer than ${MAX_LINE} characters`);
      for (const line of done ? [...lines, ''] : lines) {
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
      }
      if (done) return;
    }
  } finally {
    // Stops the download when the consumer breaks out early (`[DONE]`, an error, an abort).
    reader.cancel().catch(() => {});
  }
}
