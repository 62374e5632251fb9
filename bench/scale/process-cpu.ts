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

/** The whole machine's CPU time so far, from the first line of /proc/stat: busy and total, in ticks. */
export interface MachineCpu {
  busy: number;
  total: number;
}

export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** How busy every CPU of the machine was between two readings: 0 (idle) to 1 (all CPUs saturated). */
export const busyFraction = (before: MachineCpu, after: MachineCpu): number =>
  after.total === before.total ? 0 : (after.busy - before.busy) / (after.total - before.total);
