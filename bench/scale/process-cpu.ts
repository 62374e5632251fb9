import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | null = null;

/** `getconf CLK_TCK`: the unit of /proc/<pid>/stat's times (100 on Linux almost everywhere). */
function clockTicks(): number {
  if (ticksPerSecond === null) {
    const answer = Number.parseInt(execFileSync('getconf', ['CLK_TCK']).toString().trim(), 10);
    ticksPerSecond = Number.isFinite(answer) && answer > 0 ? answer : 100;
  }
  return ticksPerSecond;
}

/**
 * CPU seconds (user + system, all threads) a process has used so far, from `/proc/<pid>/stat`.
 * Linux only; 10 ms resolution at 100 ticks per second.
 *
 * @example
 * ```ts
 * const before = cpuSeconds(pid);
 * // … work …
 * const used = cpuSeconds(pid) - before;
 * ```
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicks();
}
