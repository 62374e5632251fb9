import { fileURLToPath } from 'node:url';

/** The dashboard's folder: `index.html`, `vite.config.ts` and `src/` live here. */
export const DASHBOARD_ROOT = fileURLToPath(new URL('.', import.meta.url));

/** Where `npm run build:dashboard` writes the bundle the gateway serves at `/`. */
export const DASHBOARD_DIST = fileURLToPath(new URL('./dist/', import.meta.url));
