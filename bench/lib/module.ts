import type { Row } from './table.ts';

/** What bench/run.ts runs: a named group of measurements that returns one table. */
export interface BenchModule {
  title: string;
  /** One line per measurement on what it does, printed under the table. */
  notes: readonly string[];
  run(progress: (message: string) => void): Promise<Row[]>;
}
