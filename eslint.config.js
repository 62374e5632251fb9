// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'data/**',
      'dist/**',
      'coverage/**',
      'openapi/*.d.ts',
      'clients/dashboard/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Typed rules: a promise nobody awaits or handles is how a rejection ends the process, and a
    // switch over a union must say what it does with every member.
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
    },
  },
  // core/ is the inner ring: no import leaves it (a relative path climbing out of core/ at any
  // depth), and storage engines, transports, telemetry and the logger reach it only through its ports.
  ...[1, 2, 3].map((depth) => ({
    files: [`core/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [`${'../'.repeat(depth)}**`],
              message: 'core/ imports nothing from the folders around it.',
            },
            {
              group: ['better-sqlite3', 'ioredis', 'koa', '@koa/*', 'socket.io', '@opentelemetry/*', 'pino'],
              message: 'core/ reaches storage, transports, telemetry and logging only through its ports.',
            },
          ],
        },
      ],
    },
  })),
  {
    // Transports and wiring reach data only through core's API: the store and the event log are
    // core's internals (tests and benches may use them).
    files: ['gateway/**/*.ts', 'platform/**/*.ts', 'otel/**/*.ts', 'clients/**/*.ts', 'plugins/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[object.name=/^(runtime|rt)$/][property.name=/^(store|log)$/]',
          message: 'Runtime.store and Runtime.log are core internals: use runtime.sessions, runs or events.',
        },
      ],
    },
  },
  {
    // Plain JavaScript run by Node directly (workers, CommonJS fixtures): Node's globals apply.
    files: ['**/*.cjs', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
      },
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { exports: 'writable', module: 'writable', require: 'readonly' },
    },
  },
  prettier,
);
