import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../config/env';
import { devApiKey, stackEnv, startPlatform } from './platform';

/**
 * `npm test`: the whole suite on the real embedded stack. Starts Temporal, FerretDB and S3 on
 * free ports plus every worker, then runs jest with the stack described in its environment.
 * Extra arguments go to jest (e.g. `npm test -- --selectProjects unit`).
 */
async function main() {
  const cfg = loadConfig(process.env);
  const log = (l: string) => console.log(l);
  const args = process.argv.slice(2);
  const at = args.indexOf('--selectProjects');
  const projects = at < 0 ? [] : args.slice(at + 1).filter((_, i, xs) => !xs.slice(0, i + 1).some((a) => a.startsWith('-')));
  const unitOnly = projects.length > 0 && projects.every((p) => p === 'unit');
  if (!args.length) {
    // The whole suite also runs the project's static checks: types and dependency directions.
    for (const [what, bin, argv] of [['type check (tsc)', 'typescript/bin/tsc', ['-p', 'tsconfig.json', '--noEmit']], ['lint (eslint)', 'eslint/bin/eslint.js', ['.']]] as const) {
      log(`[openxp] test: ${what}…`);
      const r = spawnSync(process.execPath, [path.resolve(__dirname, '../node_modules', bin), ...argv], { stdio: 'inherit' });
      if (r.status !== 0) process.exit(r.status ?? 1);
    }
  }
  let env: Record<string, string> = {};
  let stop = async () => undefined as void;
  if (!unitOnly) {
    log('[openxp] test: starting the embedded stack and workers…');
    const p = await startPlatform({ ...cfg, logLevel: 'warn' }, { ui: false, ports: 'random', persistent: false, dataDir: path.join(cfg.stateDir, `test-${process.pid}`), api: false, workers: 'all', apiKey: devApiKey(cfg), log });
    env = stackEnv(p.cfg);
    stop = () => p.stop();
  }
  const jest = path.resolve(__dirname, '../node_modules/jest/bin/jest.js');
  const child = spawn(process.execPath, [jest, '--runInBand', ...args], { stdio: 'inherit', env: { ...process.env, ...env, OPENXP_TEST_STACK: unitOnly ? '' : '1', LOG_LEVEL: 'warn' } });
  const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  await stop();
  process.exit(code);
}

main().catch((e) => {
  console.error(`[openxp] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
