import { relative, sep } from 'node:path';

/**
 * The specifier a module in `fromDir` uses to import `toFile`: relative, `/`-separated, starting with `.`.
 *
 * @example
 * ```ts
 * relativeImport('/repo/plugins/stock_quote', '/repo/core/index.ts'); // '../../core/index.ts'
 * relativeImport('/repo/core', '/repo/core/index.ts'); // './index.ts'
 * ```
 */
export function relativeImport(fromDir: string, toFile: string): string {
  const path = relative(fromDir, toFile).split(sep).join('/');
  return path.startsWith('../') ? path : `./${path}`;
}
