/**
 * `npm run stack`: runs the local services (Temporal dev server, FerretDB, moto S3) in the
 * foreground on their default ports and prints how to reach them as JSON on stdout (progress goes
 * to stderr, so `npm run -s stack > stack.json` works). `-- --provision-only` only installs tools.
 */
import path from 'node:path';
import { loadConfig } from '../config/env';
import { ensureTools, startStack } from './stack';

const log = (line: string) => console.error(line);

async function main(): Promise<void> {
  const cfg = loadConfig(process.env);
  if (process.argv.includes('--provision-only')) {
    console.log(JSON.stringify(await ensureTools(cfg, log), null, 2));
    return;
  }
  const stack = await startStack(cfg, {
    ui: !cfg.ci,
    ports: 'default',
    persistent: true,
    dataDir: path.join(cfg.stateDir, 'dev'),
    log,
  });
  console.log(JSON.stringify(stack.info, null, 2));
  log('[stack] running; press Ctrl-C to stop');
  let stopping = false;
  const shutdown = (signal: string) => {
    // npm, tsx and the terminal may each deliver the same Ctrl-C.
    if (stopping) return;
    stopping = true;
    log(`[stack] ${signal}: stopping…`);
    stack.stop().then(() => process.exit(0), (e: Error) => {
      log(`[stack] stop failed: ${e.message}`);
      process.exit(1);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
}

main().catch((e: Error) => {
  log(`[stack] ${e.message}`);
  process.exit(1);
});
