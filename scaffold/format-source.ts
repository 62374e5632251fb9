import { join } from 'node:path';
import type * as Prettier from 'prettier';

/**
 * Formats generated source the way the repo's Prettier config says, so a new plugin passes `npm run lint`
 * whatever the length of its name; outside the repo, the settings found from `fallbackDir` apply when the
 * file's own folder has none. Prettier is a dev dependency: without it the source is returned as is.
 *
 * @example
 * ```ts
 * await writeFile(file, await formatSource(toolTemplate(vars), file));
 * ```
 */
export async function formatSource(source: string, filePath: string, fallbackDir?: string): Promise<string> {
  let prettier: typeof Prettier;
  try {
    prettier = await import('prettier');
  } catch {
    return source;
  }
  const fallback = fallbackDir === undefined ? null : await prettier.resolveConfig(join(fallbackDir, 'x.ts'));
  const config = (await prettier.resolveConfig(filePath)) ?? fallback ?? {};
  return prettier.format(source, { ...config, filepath: filePath });
}
