import { randomUUID } from 'node:crypto';
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root: scaffolded plugins must sit inside it so their relative imports and packages resolve. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A fresh folder under `tests/scaffold-out/` (gitignored, excluded from the main vitest config) for one test
 * file, relative to the repo root, and the function that removes it (and `tests/scaffold-out/` once empty).
 *
 * @example
 * ```ts
 * const out = scaffoldOut();
 * afterAll(out.remove);
 * await scaffoldPlugin({ name: 'stock_quote', dir: out.dir, cwd: REPO });
 * ```
 */
export function scaffoldOut(): { dir: string; remove: () => Promise<void> } {
  const dir = `tests/scaffold-out/${randomUUID().slice(0, 8)}`;
  return {
    dir,
    async remove() {
      await rm(join(REPO, dir), { recursive: true, force: true });
      // Another test file may still be using it: then it is not empty and stays.
      await rmdir(join(REPO, 'tests/scaffold-out')).catch(() => undefined);
    },
  };
}
