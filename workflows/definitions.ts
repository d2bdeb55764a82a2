import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { JobProgress } from './ingestion-run.workflow';

/** Task queues by kind of work, so each scales on its own and one kind cannot starve another. */
export const TASK_QUEUES = {
  ingestion: 'openxp-ingestion',
  segmentation: 'openxp-segmentation',
  activation: 'openxp-activation',
} as const;
export type WorkerKind = keyof typeof TASK_QUEUES;

/** Custom search attributes registered on the server; every flow carries the ones that apply. */
export const SA = {
  sandbox: defineSearchAttributeKey('OpenXPSandbox', SearchAttributeType.KEYWORD),
  kind: defineSearchAttributeKey('OpenXPKind', SearchAttributeType.KEYWORD),
  flowId: defineSearchAttributeKey('OpenXPFlowId', SearchAttributeType.KEYWORD),
  segmentId: defineSearchAttributeKey('OpenXPSegmentId', SearchAttributeType.KEYWORD),
  destinationId: defineSearchAttributeKey('OpenXPDestinationId', SearchAttributeType.KEYWORD),
  datasetId: defineSearchAttributeKey('OpenXPDatasetId', SearchAttributeType.KEYWORD),
};
export const SEARCH_ATTRIBUTE_NAMES = Object.values(SA).map((k) => k.name);

export interface IngestionRunWorkflowInput {
  sandbox: string;
  flowId: string;
  /** Set when the API created the run record; scheduled runs make their own. */
  runId?: string;
  startedAt?: number;
  trigger?: 'manual' | 'schedule';
  /** Carried across continue-as-new. */
  progress?: JobProgress;
  /** Overrides the file activities' heartbeat timeout (default 30 s): how soon a dead worker's file is taken over. */
  heartbeatTimeout?: string;
}
export interface BatchIngestionWorkflowInput { sandbox: string; batchId: string; startedAt: number; progress?: JobProgress; heartbeatTimeout?: string }
export interface SegmentJobWorkflowInput { sandbox: string; jobId: string; now: string }
/** One run of a `/config/schedules` schedule (started by its Temporal Schedule): id `segment-schedule/{sandbox}/{scheduleId}` + Temporal's timestamp. */
export interface SegmentScheduleWorkflowInput { sandbox: string; scheduleId: string }
export interface ExportJobWorkflowInput { sandbox: string; jobId: string }
export interface ActivationRunWorkflowInput { sandbox: string; flowId: string; runId: string; startedAt: number }
/** One privacy job (one person): id `privacy/{sandbox}/{jobId}`; the job document holds what to delete. */
export interface PrivacyJobWorkflowInput { sandbox: string; jobId: string }

/** Maximum activities a workflow runs at once when it fans out. */
export const FAN_OUT = 4;

/** One record accepted by the streaming endpoint (validated there), on its way to the dataset and the profile. */
export interface StreamMessage { xactionId: string; receivedTimeMs: number; entity: Record<string, unknown> }
/** Signal name of `streamingIngestionWorkflow`: `{ messages: StreamMessage[] }`, at most ~1 MB per signal. */
export const STREAM_RECORDS_SIGNAL = 'streamRecords';
/** One durable workflow per (sandbox, dataset): id `stream/{sandbox}/{datasetId}`; `buffer` and `seq` carry over continue-as-new. */
export interface StreamingIngestionWorkflowInput { sandbox: string; datasetId: string; buffer?: StreamMessage[]; seq?: number }
