import { TypedSearchAttributes } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';
import { emptyRunMetrics } from '../domain/flow/model';
import type { Flow, RunRecord } from '../domain/flow/model';
import { workflowIds } from '../domain/shared/ids';
import { SA, TASK_QUEUES } from '../workflows/definitions';
import type { ApiDeps } from './context';
import { uiLink } from './context';

const attrs = (sandbox: string, kind: string, extra: SearchAttributePair[] = []) =>
  new TypedSearchAttributes([{ key: SA.sandbox, value: sandbox }, { key: SA.kind, value: kind }, ...extra] as SearchAttributePair[]);

/** Creates the run record, then starts the flow's run workflow (ingestion or activation). */
export async function startFlowRun(deps: ApiDeps, sandbox: string, flow: Flow, kind: RunRecord['kind']): Promise<RunRecord> {
  const runId = deps.newId();
  const now = deps.now();
  const workflowId = kind === 'ingestion' ? workflowIds.ingestionRun(sandbox, flow.id, runId) : workflowIds.activationRun(sandbox, flow.id, runId);
  const run: RunRecord = {
    id: runId, flowId: flow.id, flowSpecId: flow.flowSpec.id, kind, createdAt: now, updatedAt: now,
    workflow: { workflowId, uiUrl: uiLink(deps, workflowId) }, metrics: emptyRunMetrics(now), activities: [],
  };
  await deps.stores.runs.insert(sandbox, run);
  const input = { sandbox, flowId: flow.id, runId, startedAt: now };
  const handle = await deps.temporal.workflow.start(kind === 'ingestion' ? 'ingestionRunWorkflow' : 'activationRunWorkflow', {
    taskQueue: kind === 'ingestion' ? TASK_QUEUES.ingestion : TASK_QUEUES.activation,
    workflowId,
    args: [input],
    typedSearchAttributes: attrs(sandbox, kind, [{ key: kind === 'ingestion' ? SA.flowId : SA.destinationId, value: flow.id } as SearchAttributePair]),
  });
  await deps.stores.runs.update(sandbox, runId, { workflow: { ...run.workflow, runId: handle.firstExecutionRunId } });
  return { ...run, workflow: { ...run.workflow, runId: handle.firstExecutionRunId } };
}

export async function startSegmentJob(deps: ApiDeps, sandbox: string, jobId: string, segmentIds: string[], now: string) {
  const workflowId = workflowIds.segmentJob(sandbox, jobId);
  await deps.temporal.workflow.start('segmentJobWorkflow', {
    taskQueue: TASK_QUEUES.segmentation,
    workflowId,
    args: [{ sandbox, jobId, now }],
    typedSearchAttributes: attrs(sandbox, 'segment-job', segmentIds.slice(0, 1).map((value) => ({ key: SA.segmentId, value }) as SearchAttributePair)),
  });
  return workflowId;
}

export async function startExportJob(deps: ApiDeps, sandbox: string, jobId: string, datasetId: string) {
  const workflowId = workflowIds.exportJob(sandbox, jobId);
  await deps.temporal.workflow.start('exportJobWorkflow', {
    taskQueue: TASK_QUEUES.segmentation,
    workflowId,
    args: [{ sandbox, jobId }],
    typedSearchAttributes: attrs(sandbox, 'export-job', [{ key: SA.datasetId, value: datasetId } as SearchAttributePair]),
  });
  return workflowId;
}
