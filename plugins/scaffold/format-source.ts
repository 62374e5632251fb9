import type * as Prettier from 'prettier';

/**
 * Formats generated source the way the repo's Prettier config says, so a new plugin passes `npm run lint`
 * whatever the length of its name. Prettier is a dev dependency: without it the source is returned as is.
 *
 * @example
 * ```ts
 * await writeFile(file, await formatSource(toolTemplate(vars), file));
 * ```
 */
export async function formatSource(source: string, filePath: string): Promise<string> {
  let prettier: typeof Prettier;
  try {
    prettier = await import('prettier');
  } catch {
    return source;
  }
  const config = (await prettier.resolveConfig(filePath)) ?? {};
  return prettier.format(source, { ...config, filepath: filePath });
}
