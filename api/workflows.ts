import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { CalendarSpec, ScheduleOptions } from '@temporalio/client';
import { TypedSearchAttributes, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';
import { emptyRunMetrics, scheduleInterval } from '../domain/flow/model';
import type { Flow, RunRecord } from '../domain/flow/model';
import { scheduleIds, workflowIds } from '../domain/shared/ids';
import type { SegmentSchedule } from '../domain/segment/model';
import { quartzToCalendars } from '../domain/segment/quartz-cron';
import { privacyWorkflowId } from '../domain/privacy/model';
import { SA, STREAM_RECORDS_SIGNAL, TASK_QUEUES } from '../workflows/definitions';
import type { StreamMessage } from '../workflows/definitions';
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
    id: runId, flowId: flow.id, flowSpecId: flow.flowSpec.id, kind, trigger: 'manual', createdAt: now, updatedAt: now,
    workflow: { workflowId, uiUrl: uiLink(deps, workflowId) }, metrics: emptyRunMetrics(now), activities: [],
  };
  await deps.stores.runs.insert(sandbox, run);
  const input = { sandbox, flowId: flow.id, runId, startedAt: now, ...(kind === 'ingestion' ? { trigger: 'manual' as const } : {}) };
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

/**
 * Keeps a `/config/schedules` schedule's Temporal Schedule in line with it: the Quartz cron as
 * calendar specs (UTC), each run a `segmentScheduleWorkflow` that creates and runs one segment
 * job; runs never overlap (a run still going when the next is due skips that one), paused while
 * the schedule is inactive, deleted with it.
 */
export async function syncSegmentSchedule(deps: ApiDeps, sandbox: string, s: SegmentSchedule, opts: { deleted?: boolean } = {}): Promise<void> {
  const handle = deps.temporal.schedule.getHandle(s.temporalScheduleId);
  if (opts.deleted) {
    await handle.delete().catch((e) => {
      if (!(e instanceof ScheduleNotFoundError)) throw e;
    });
    return;
  }
  const options: Omit<ScheduleOptions, 'scheduleId'> = {
    spec: { calendars: quartzToCalendars(s.schedule) as CalendarSpec[] },
    action: {
      type: 'startWorkflow', workflowType: 'segmentScheduleWorkflow', taskQueue: TASK_QUEUES.segmentation,
      workflowId: s.temporalScheduleId, args: [{ sandbox, scheduleId: s.id }],
      typedSearchAttributes: attrs(sandbox, 'segment-schedule'),
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    state: { paused: s.state === 'inactive', note: `${s.type} schedule ${s.name}` },
  };
  try {
    await handle.update((prev) => ({ ...prev, spec: options.spec, action: options.action, policies: { ...prev.policies, ...options.policies } }));
    await (s.state === 'inactive' ? handle.pause('schedule inactive') : handle.unpause('schedule active'));
  } catch (e) {
    if (!(e instanceof ScheduleNotFoundError)) throw e;
    await deps.temporal.schedule.create({ scheduleId: s.temporalScheduleId, ...options });
  }
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

/** Starts one privacy job's workflow on the ingestion queue (its workers own the identity graph). */
export async function startPrivacyJob(deps: ApiDeps, sandbox: string, jobId: string): Promise<string> {
  const workflowId = privacyWorkflowId(sandbox, jobId);
  await deps.temporal.workflow.start('privacyJobWorkflow', {
    taskQueue: TASK_QUEUES.ingestion,
    workflowId,
    args: [{ sandbox, jobId }],
    typedSearchAttributes: attrs(sandbox, 'privacy'),
  });
  return workflowId;
}

/** Starts the ingestion of a batch of the batch ingestion API; completing twice starts it once. */
export async function startBatchIngestion(deps: ApiDeps, sandbox: string, batchId: string, datasetId: string): Promise<string> {
  const workflowId = workflowIds.batchIngestion(sandbox, batchId);
  try {
    await deps.temporal.workflow.start('batchIngestionWorkflow', {
      taskQueue: TASK_QUEUES.ingestion,
      workflowId,
      args: [{ sandbox, batchId, startedAt: deps.now() }],
      typedSearchAttributes: attrs(sandbox, 'batch-ingestion', [{ key: SA.datasetId, value: datasetId } as SearchAttributePair]),
    });
  } catch (e) {
    if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
  }
  return workflowId;
}

/**
 * Keeps a source dataflow's Temporal Schedule in line with the flow: created for a recurring
 * `scheduleParams`, updated when they change, paused while the flow is disabled, deleted with it.
 * Runs never overlap (a run still going when the next is due skips that one).
 */
export async function syncFlowSchedule(deps: ApiDeps, sandbox: string, flow: Flow, opts: { deleted?: boolean } = {}): Promise<void> {
  const scheduleId = scheduleIds.dataflow(sandbox, flow.id);
  const handle = deps.temporal.schedule.getHandle(scheduleId);
  const every = flow.scheduleParams && scheduleInterval(flow.scheduleParams);
  if (opts.deleted || !every) {
    await handle.delete().catch((e) => {
      if (!(e instanceof ScheduleNotFoundError)) throw e;
    });
    return;
  }
  const startMs = (flow.scheduleParams!.startTime ?? Math.floor(flow.createdAt / 1000)) * 1000;
  const options: Omit<ScheduleOptions, 'scheduleId'> = {
    spec: { intervals: [{ every: every.everyMs, offset: startMs % every.everyMs }], startAt: new Date(startMs) },
    action: {
      type: 'startWorkflow', workflowType: 'ingestionRunWorkflow', taskQueue: TASK_QUEUES.ingestion,
      workflowId: `ingest/${sandbox}/${flow.id}/scheduled`, args: [{ sandbox, flowId: flow.id, trigger: 'schedule' }],
      typedSearchAttributes: attrs(sandbox, 'ingestion', [{ key: SA.flowId, value: flow.id } as SearchAttributePair]),
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    state: { paused: flow.state === 'disabled', note: `dataflow ${flow.name}` },
  };
  try {
    await handle.describe();
    await handle.update((prev) => ({ ...prev, spec: options.spec, action: options.action, policies: { ...prev.policies, ...options.policies } }));
    await (flow.state === 'disabled' ? handle.pause('dataflow disabled') : handle.unpause('dataflow enabled'));
  } catch (e) {
    if (!(e instanceof ScheduleNotFoundError)) throw e;
    await deps.temporal.schedule.create({ scheduleId, ...options });
    // AEP runs a flow at its start time: when that is already past, the first run starts now.
    if (startMs <= deps.now() && flow.state === 'enabled') await handle.trigger(ScheduleOverlapPolicy.SKIP);
  }
}

/** Stops the ingestion a COMPLETE started for a batch that is then aborted (nothing to stop is fine). */
export async function stopBatchIngestion(deps: ApiDeps, sandbox: string, batchId: string): Promise<void> {
  await deps.temporal.workflow.getHandle(workflowIds.batchIngestion(sandbox, batchId)).terminate('batch aborted').catch((e: Error) => {
    if (e.name !== 'WorkflowNotFoundError') throw e;
  });
}

/** The streaming workflow of a dataset; one per (sandbox, dataset), so every record of a dataset goes through one buffer. */
export const streamWorkflowId = (sandbox: string, datasetId: string) => `stream/${sandbox}/${datasetId}`;

/** Hands accepted records to the dataset's streaming workflow, starting it when it is not running (signalWithStart). */
export async function sendStreamRecords(deps: ApiDeps, sandbox: string, datasetId: string, messages: StreamMessage[]): Promise<void> {
  await deps.temporal.workflow.signalWithStart('streamingIngestionWorkflow', {
    taskQueue: TASK_QUEUES.ingestion,
    workflowId: streamWorkflowId(sandbox, datasetId),
    args: [{ sandbox, datasetId }],
    signal: STREAM_RECORDS_SIGNAL,
    signalArgs: [{ messages }],
    typedSearchAttributes: attrs(sandbox, 'streaming', [{ key: SA.datasetId, value: datasetId } as SearchAttributePair]),
  });
}
