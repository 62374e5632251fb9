/** `850 ms`, `1.24 s`, `2 min 5 s`: durations at the precision a person reads them. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `10:00:00.123` in the browser's time zone. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** Tool inputs, outputs and meta, indented for a `<pre>`. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}
