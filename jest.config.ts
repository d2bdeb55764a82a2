import type { Config } from 'jest';

const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] } as Config['transform'];
const project = (name: string, testTimeout?: number) => ({
  displayName: name,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  transform,
  testEnvironment: 'node',
  ...(testTimeout ? { testTimeout } : {}),
});

/**
 * Projects: unit needs nothing; api, workflows, replay and e2e run against the real stack that
 * `npm test` (scripts/test.ts) starts and describes through the environment.
 */
const config: Config = {
  projects: [project('unit'), project('api'), project('workflows'), project('replay'), project('e2e')],
  testTimeout: 120_000,
};
export default config;
