import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Where `npx vite --config clients/dashboard/vite.config.ts` (the dev server) finds the gateway.
const gateway = process.env.TRIBUTARY_URL ?? 'http://127.0.0.1:3000';

/**
 * The dashboard bundle: `index.html` plus content-hashed files under `assets/`, which the gateway
 * caches for a year (`gateway/http/dashboard-assets.ts`). The dev server proxies the API and the
 * socket to a running gateway, so the page is same-origin in both cases.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/v1': gateway,
      '/dashboard-config.json': gateway,
      '/socket.io': { target: gateway, ws: true },
    },
  },
});
