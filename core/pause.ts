/**
 * Resolves after `ms`, or at once when `signal` aborts; never rejects (unlike `timers/promises`'
 * `setTimeout`), so a retry loop waiting on it needs no catch to stop at shutdown.
 *
 * @example
 * ```ts
 * await pause(1_000, stopping.signal); // a second, or less if stopping aborts
 * ```
 */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
