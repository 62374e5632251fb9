/** Longest snippet an error message quotes. */
const SNIPPET_CHARS = 160;

/**
 * A short, one-line excerpt of an error body for an error message: the `detail`, `message`, `error` or
 * `title` of a JSON problem, else the text itself. Empty for an empty body or an HTML page (noise, not news).
 *
 * @example
 * ```ts
 * bodySnippet('{"detail":"top_k must be <= 20"}'); // 'top_k must be <= 20'
 * bodySnippet('<!doctype html><h1>Not Found</h1>'); // ''
 * ```
 */
export function bodySnippet(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('<')) return '';
  const flat = (problemText(trimmed) ?? trimmed).replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS).trimEnd()}…` : flat;
}

/** The human part of a JSON error body (RFC 9457 problem, `{ error }`, `{ error: { message } }`), if any. */
function problemText(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { detail, message, error, title } = body as Record<string, unknown>;
  const nested =
    typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : error;
  return [detail, message, nested, title].find((candidate) => typeof candidate === 'string') as
    string | undefined;
}
