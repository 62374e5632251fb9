import { buildDashboard } from './build-dashboard.ts';

/**
 * `npm run build:dashboard`, and `npm install` through `prepare`. With `--optional` (prepare), an
 * install without dev dependencies (`npm ci --omit=dev`, no Vite) skips the build instead of failing:
 * the gateway then answers `/` with a 503 page that says how to build it.
 */
const optional = process.argv.includes('--optional');
const viteInstalled = await import('vite').then(
  () => true,
  () => false,
);
if (!viteInstalled && optional) {
  console.warn(
    'dashboard not built: Vite is not installed (a production install); run npm run build:dashboard',
  );
} else {
  await buildDashboard();
  console.log('dashboard built into clients/dashboard/dist');
}
