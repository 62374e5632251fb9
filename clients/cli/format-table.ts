/**
 * Left-aligned columns separated by two spaces, a header row first; `null` and `undefined` show as `-`.
 * The last column is not padded, so long names do not leave trailing spaces.
 *
 * @example
 * ```ts
 * formatTable(['ID', 'STATE'], [['3f0c…', 'active']]);
 * // 'ID     STATE\n3f0c…  active\n'
 * ```
 */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  const cells = [
    headers,
    ...rows.map((row) => row.map((cell) => (cell == null || cell === '' ? '-' : String(cell)))),
  ];
  const widths = headers.map((_header, column) =>
    Math.max(...cells.map((row) => (row[column] ?? '').length)),
  );
  return cells
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
