/**
 * Preloaded (`--import`) into a server process a bench starts with `loopDelay: true`: samples the
 * event loop's delay at 1 ms resolution (`monitorEventLoopDelay`), and on each SIGUSR2 writes what it
 * saw since the last one to `BENCH_LOOP_DELAY_FILE` (JSON {@link LoopDelay}, tagged with the count of
 * signals so far) and starts over. The longest delay is the longest stretch of synchronous work on the
 * loop (a store commit, a GC pause, a JSON of a big page), give or take the 1 ms of the sampling timer.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Event-loop delay over a window, ms. */
export interface LoopDelay {
  /** Which SIGUSR2 wrote it (1, 2, …). */
  seq: number;
  p50: number;
  p99: number;
  max: number;
  /** Samples over 5 ms and over 20 ms. */
  over5: number;
  over20: number;
  samples: number;
}

const file = process.env.BENCH_LOOP_DELAY_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let seq = 0;
  const ms = (ns: number) => ns / 1e6;
  // Share of samples at or below `limit` ms, turned into a count above it.
  const over = (limitMs: number) => {
    let below = 0;
    for (const [percentile, value] of histogram.percentiles) if (ms(value) <= limitMs) below = percentile;
    return Math.round(histogram.count * (1 - below / 100));
  };
  process.on('SIGUSR2', () => {
    seq += 1;
    const report: LoopDelay = {
      seq,
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
      over5: over(5),
      over20: over(20),
      samples: histogram.count,
    };
    writeFileSync(file, JSON.stringify(report));
    histogram.reset();
  });
}
