/** The CLI's exit codes beyond commander's own usage errors. */
export const EXIT_OK = 0;
/** A failed run, an API problem, an unreachable gateway. */
export const EXIT_FAILED = 1;
/** 128 + SIGINT, as a shell reports a process stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;
