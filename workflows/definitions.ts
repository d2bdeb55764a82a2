import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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

export interface IngestionRunWorkflowInput { sandbox: string; flowId: string; runId: string; startedAt: number }
export interface SegmentJobWorkflowInput { sandbox: string; jobId: string; now: string }
export interface ExportJobWorkflowInput { sandbox: string; jobId: string }
export interface ActivationRunWorkflowInput { sandbox: string; flowId: string; runId: string; startedAt: number }

/** Maximum activities a workflow runs at once when it fans out. */
export const FAN_OUT = 4;
