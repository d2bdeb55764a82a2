import tseslint from 'typescript-eslint';

const io = ['mongodb', '@aws-sdk/*', 'node:*', 'fs', 'path', 'crypto', 'http', 'https', 'stream'];
const restrict = (paths, patterns) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });

export default tseslint.config(
  { ignores: ['node_modules/**', '.openxp/**', 'dist/**', 'bench/results/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // domain is pure: no I/O, no other layer.
  {
    files: ['domain/**/*.ts'],
    rules: restrict(io.map((name) => ({ name })).filter((p) => !p.name.includes('*')), [
      { group: ['@aws-sdk/*', 'node:*', '@temporalio/*'], message: 'domain/ is pure' },
      { group: ['**/infra/**', '**/activities/**', '**/workflows/**', '**/workers/**', '**/api/**', '**/config/**'], message: 'domain/ imports only domain/' },
    ]),
  },
  // workflows: deterministic; only @temporalio/workflow, domain, and types of activities.
  {
    files: ['workflows/**/*.ts'],
    rules: restrict([{ name: 'mongodb' }], [
      { group: ['@aws-sdk/*', 'node:*', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'workflows/ must stay deterministic' },
      { group: ['**/infra/**', '**/config/**', '**/api/**', '**/workers/**'], message: 'workflows/ imports domain/, ./definitions and ./options only' },
      { group: ['**/activities/**'], message: 'use `import type` for activities', allowTypeImports: true },
    ]),
  },
  // activities reach I/O through injected deps; they never import the API or workers.
  {
    files: ['activities/**/*.ts'],
    rules: restrict([], [{ group: ['**/api/**', '**/workers/**', '**/workflows/*.workflow'], message: 'activities/ must not import api/, workers/ or workflow code' }]),
  },
  // the API talks to Temporal through an injected client; never imports activities or workers.
  {
    files: ['api/**/*.ts'],
    rules: restrict([], [{ group: ['**/activities/**', '**/workers/**'], message: 'api/ must not import activities/ or workers/' }]),
  },
);
