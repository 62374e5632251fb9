/**
 * A URL as it may appear in messages, events and logs: scheme, host, port and path only.
 * User info, query and fragment are dropped, since that is where credentials and API keys hide.
 *
 * @example
 * ```ts
 * displayUrl('https://ann:pw@rag.example/search?api_key=k1'); // 'https://rag.example/search'
 * ```
 */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
