import { loadConfig } from '../../config/env';
import { startWorkers } from '../../workers/start';

/** A separate worker process serving ingestion on the queue given as argv[2], for crash tests to kill. */
async function main() {
  const w = await startWorkers(loadConfig(), ['ingestion'], { taskQueues: { ingestion: process.argv[2] } });
  console.log('READY');
  await w.running;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
