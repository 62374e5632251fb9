/** The result table every bench module prints: one row per metric. */

export type Unit = 'ev/s' | 'req/s' | 'runs/s' | 'µs' | 'ms' | 'KB';

export interface Target {
  /** `>=`: higher is better; `<`: lower is better. */
  op: '>=' | '<';
  limit: number;
  /** What the limit applies to: the measured value, or value ÷ baseline. */
  on: 'value' | 'ratio';
}

export interface Row {
  metric: string;
  unit: Unit;
  value: number;
  /** The same quantity for the baseline measured in the same run (null: none). */
  baseline: number | null;
  /** Null when no target applies (the row is for information). */
  target: Target | null;
}

/** value ÷ baseline, or null without a baseline. */
export function ratioOf(row: Row): number | null {
  return row.baseline === null || row.baseline === 0 ? null : row.value / row.baseline;
}

export function verdict(row: Row): 'pass' | 'FAIL' | 'info' {
  const { target } = row;
  if (!target) return 'info';
  const subject = target.on === 'value' ? row.value : ratioOf(row);
  if (subject === null) return 'info';
  const ok = target.op === '>=' ? subject >= target.limit : subject < target.limit;
  return ok ? 'pass' : 'FAIL';
}

function formatNumber(value: number): string {
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatTarget(target: Target | null, unit: Unit): string {
  if (!target) return '—';
  const limit = target.on === 'ratio' ? `${target.limit}×` : `${formatNumber(target.limit)} ${unit}`;
  return `${target.on === 'ratio' ? 'ratio ' : ''}${target.op} ${limit}`;
}

const HEADERS = ['metric', 'value', 'baseline', 'ratio', 'target', 'result'] as const;

/** The rows as text cells, in `HEADERS` order. */
export function cells(row: Row): string[] {
  const ratio = ratioOf(row);
  return [
    row.metric,
    `${formatNumber(row.value)} ${row.unit}`,
    row.baseline === null ? '—' : `${formatNumber(row.baseline)} ${row.unit}`,
    ratio === null ? '—' : `${ratio.toFixed(3)}×`,
    formatTarget(row.target, row.unit),
    verdict(row),
  ];
}

/** A Markdown table (readable as plain text too), columns padded to their widest cell. */
export function renderTable(rows: readonly Row[]): string {
  const body = rows.map(cells);
  const widths = HEADERS.map((header, i) =>
    Math.max(header.length, ...body.map((line) => (line[i] ?? '').length)),
  );
  const line = (values: readonly string[]) =>
    `| ${values.map((value, i) => value.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(HEADERS), rule, ...body.map(line)].join('\n');
}
