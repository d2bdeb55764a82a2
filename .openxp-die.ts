import { execSync } from 'node:child_process';
import { loadConfig } from './config/env';
import { startStack } from './scripts/stack';
const how = process.argv[2];
startStack(loadConfig(process.env), { ui: false, ports: 'random', persistent: false, dataDir: `/tmp/stacktest/die-${process.pid}`, log: console.log }).then(() => {
  console.log(execSync(`pgrep -P ${process.pid} -a`).toString());
  if (how === 'signal') process.kill(process.pid, 'SIGTERM');
  else if (how === 'exit') process.exit(3);
  else if (how === 'throw') throw new Error('boom');
});
