import { loadConfig } from '../config/env';
import { TASK_QUEUES } from '../workflows/definitions';
import type { WorkerKind } from '../workflows/definitions';
import { startWorkers } from './start';

/** Worker process: `OPENXP_WORKERS=ingestion,segmentation` picks the task queues it serves (docker-compose runs one kind per service). */
async function main() {
  const cfg = loadConfig();
  const kinds = cfg.workers.filter((k): k is WorkerKind => k in TASK_QUEUES);
  const w = await startWorkers(cfg, kinds);
  const stop = () => void w.shutdown().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await w.running;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
