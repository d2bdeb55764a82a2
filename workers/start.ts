import path from 'node:path';
import { NativeConnection, Worker, bundleWorkflowCode, Runtime, DefaultLogger } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Config } from '../config/env';
import { buildInfra } from '../infra/deps';
import { createLogger } from '../infra/logger';
import type { ActivityDeps } from '../activities/deps';
import { createIngestionActivities } from '../activities/ingestion.activities';
import { createSegmentationActivities } from '../activities/segmentation.activities';
import { createExportActivities } from '../activities/export.activities';
import { createActivationActivities } from '../activities/activation.activities';
import { createStreamingActivities } from '../activities/streaming.activities';
import { createPrivacyActivities } from '../activities/privacy.activities';
import { TASK_QUEUES } from '../workflows/definitions';
import type { WorkerKind } from '../workflows/definitions';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Workflow code is bundled once per process and shared by every Worker. */
export const workflowBundle = () => (bundle ??= bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../workflows/index.ts'), logger: new DefaultLogger('WARN') }));

let runtimeInstalled = false;

/**
 * Starts one Worker per requested kind (task queue) in this process; resolves once all are polling.
 * `taskQueues` renames queues (tests run a worker they can kill on a queue of their own).
 */
export async function startWorkers(cfg: Config, kinds: WorkerKind[], opts: { taskQueues?: Partial<Record<WorkerKind, string>> } = {}) {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const log = createLogger(cfg, 'worker');
  const infra = await buildInfra(cfg);
  const deps: ActivityDeps = {
    stores: infra.stores,
    s3For: infra.s3For,
    now: () => Date.now(),
  };
  const activitiesByKind: Record<WorkerKind, object> = {
    ingestion: { ...createIngestionActivities(deps, { landingBucket: cfg.s3.landingBucket }), ...createStreamingActivities(deps), ...createPrivacyActivities(deps) },
    segmentation: { ...createSegmentationActivities(deps), ...createExportActivities(deps) },
    activation: createActivationActivities(deps),
  };
  const connection = await NativeConnection.connect({ address: cfg.temporal.address! });
  const workflowBundleCode = await workflowBundle();
  const workers = await Promise.all(kinds.map((kind) => Worker.create({
    connection,
    namespace: cfg.temporal.namespace,
    taskQueue: opts.taskQueues?.[kind] ?? TASK_QUEUES[kind],
    workflowBundle: workflowBundleCode,
    activities: activitiesByKind[kind],
    maxConcurrentActivityTaskExecutions: 8,
  })));
  const running = workers.map((w) => w.run());
  log.info({ queues: kinds.map((k) => opts.taskQueues?.[k] ?? TASK_QUEUES[k]) }, 'workers polling');
  return {
    async shutdown() {
      workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
      await Promise.allSettled(running);
      await connection.close();
      await infra.close();
    },
    running: Promise.all(running),
  };
}
