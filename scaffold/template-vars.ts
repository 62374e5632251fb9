import { isAbsolute, join, relative, sep } from 'node:path';
import { relativeImport } from './relative-import.ts';

/** Everything the templates fill in for one plugin. */
export interface TemplateVars {
  /** The tool's name, e.g. `stock_quote`. */
  readonly name: string;
  /** The factory, e.g. `stockQuoteTool`. */
  readonly factory: string;
  /** Prefix of the input and output types, e.g. `StockQuote`. */
  readonly typeName: string;
  /** The base URL's environment variable, e.g. `STOCK_QUOTE_URL`. */
  readonly envVar: string;
  /** The constant holding the default base URL, e.g. `DEFAULT_STOCK_QUOTE_URL`. */
  readonly defaultUrlConst: string;
  /** A made-up host the generated test lets nock answer for, e.g. `stock-quote.test`. */
  readonly testHost: string;
  /** What to put in `PLUGINS` to load it, from the working directory, e.g. `./plugins/stock_quote/index.ts`. */
  readonly pluginsPath: string;
  /**
   * Imports of the repo's modules it uses: relative inside the repo, absolute outside it (where a relative
   * path would climb out to the file system's root and back, and break when the folder moves).
   */
  readonly imports: {
    readonly core: string;
    readonly http: string;
    readonly conformance: string;
    readonly harness: string;
    /**
     * Outside the repo only: `scaffold/test-kit.ts`, which the test imports `vitest` and `nock`
     * through, since neither resolves by name out there.
     */
    readonly testKit: string | undefined;
  };
}

/**
 * Whether `dir` is `repoRoot` or inside it.
 *
 * @example
 * ```ts
 * isInside('/repo/plugins/x', '/repo'); // true
 * isInside('/tmp/x', '/repo'); // false
 * ```
 */
export function isInside(dir: string, repoRoot: string): boolean {
  const path = relative(repoRoot, dir);
  return path === '' || (!path.startsWith(`..${sep}`) && path !== '..' && !isAbsolute(path));
}

/**
 * Works out the template variables for a plugin named `name` written to `targetDir`, for the repo at `repoRoot`
 * (`targetDir` may be inside it or anywhere else).
 *
 * @example
 * ```ts
 * templateVars('stock_quote', '/repo/plugins/stock_quote', '/repo', './plugins/stock_quote/index.ts');
 * // { factory: 'stockQuoteTool', envVar: 'STOCK_QUOTE_URL', imports: { core: '../../core/index.ts', … }, … }
 * ```
 */
export function templateVars(
  name: string,
  targetDir: string,
  repoRoot: string,
  pluginsPath: string,
): TemplateVars {
  const words = name.split('_').filter((word) => word !== '');
  const typeName = words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
  const inside = isInside(targetDir, repoRoot);
  const from = (path: string) =>
    inside ? relativeImport(targetDir, join(repoRoot, path)) : join(repoRoot, path).split(sep).join('/');
  return {
    name,
    // Always suffixed: a bare `delete` or `process` would be a syntax error or shadow a global.
    factory: `${typeName[0]?.toLowerCase()}${typeName.slice(1)}Tool`,
    typeName,
    envVar: `${name.toUpperCase()}_URL`,
    defaultUrlConst: `DEFAULT_${name.toUpperCase()}_URL`,
    testHost: `${words.join('-')}.test`,
    pluginsPath,
    imports: {
      core: from('core/index.ts'),
      http: from('plugins/http/index.ts'),
      conformance: from('tests/conformance/tool-conformance.ts'),
      harness: from('tests/conformance/tool-harness.ts'),
      testKit: inside ? undefined : from('scaffold/test-kit.ts'),
    },
  };
}
