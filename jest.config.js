/**
 * Projects: unit needs nothing; api, workflows, replay and e2e run against the real stack that
 * `npm test` (scripts/test.ts) starts and describes through the environment.
 */
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] };
const project = (name) => ({
  displayName: name,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  transform,
  testEnvironment: 'node',
});

/** @type {import('jest').Config} */
module.exports = {
  projects: ['unit', 'api', 'workflows', 'replay', 'e2e'].map(project),
  testTimeout: 120_000,
};
