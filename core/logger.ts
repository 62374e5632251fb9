/**
 * The logger port: the few calls core and plugins make, so no logging library is part of the
 * plugin contract. pino's `Logger` fits it as is; the platform passes one.
 */

/** One level's method: structured fields first (pino's order), then the message. */
export interface LogMethod {
  (fields: object, message?: string): void;
  (message: string): void;
}

/**
 * What core and plugins log through (`ctx.logger` in tools and flows).
 *
 * @example
 * ```ts
 * const logger: Logger = pino({ level: 'info' }); // fits as is
 * logger.child({ run_id: run.id }).warn({ reason }, 'planner failed; using the rules');
 * ```
 */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  /** A logger that adds `bindings` to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

const ignore = (): void => undefined;

/**
 * A logger that drops every line: the runtime's default when none is given.
 *
 * @example
 * ```ts
 * const runtime = await Runtime.start({ config, store, logger: silentLogger });
 * ```
 */
export const silentLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => silentLogger,
};
