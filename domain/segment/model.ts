export type SegmentJobStatus = 'NEW' | 'QUEUED' | 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLING' | 'CANCELLED';

export interface SegmentDefinition {
  id: string;
  name: string;
  description?: string;
  profileInstanceId: string;
  schema: { name: string };
  expression: { type: 'PQL'; format: 'pql/text' | 'pql/json'; value: string };
  evaluationInfo: { batch: { enabled: boolean }; continuous: { enabled: boolean }; synchronous: { enabled: boolean } };
  mergePolicyId: string;
  creationTime: number;
  updateTime: number;
  updateEpoch: number;
}

export interface SegmentJob {
  id: string;
  status: SegmentJobStatus;
  segments: { segmentId: string; segment?: { id: string; expression: SegmentDefinition['expression']; mergePolicyId: string } }[];
  metrics: {
    totalTime?: { startTimeInMs: number; endTimeInMs?: number; totalTimeInMs?: number };
    profileSegmentationTime?: { startTimeInMs: number; endTimeInMs?: number; totalTimeInMs?: number };
    totalProfiles?: number;
    segmentedProfileCounter?: Record<string, number>;
    segmentedProfileByStatusCounter?: Record<string, { realized: number; existing: number; exited: number }>;
  };
  properties: { scheduleId?: string; runId?: string };
  /** Inputs pinned at start so a re-run evaluates the same thing. */
  inputs?: { now: string; mergePolicyId: string };
  workflow: { workflowId: string; uiUrl?: string };
  errors: { code: string; msg: string }[];
  creationTime: number;
  updateTime: number;
}

export interface ExportJob {
  id: string;
  status: 'NEW' | 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  fields?: string;
  mergePolicy?: { id: string; version?: number };
  filter: { segments: { segmentId: string; segmentNs?: string; status?: string[] }[] };
  destination: { datasetId: string; batchId?: string };
  schema: { name: string };
  metrics: { totalTime?: { startTimeMs: number; endTimeMs?: number; totalTimeMs?: number }; profileExportTime?: { startTimeMs: number; endTimeMs?: number; totalTimeMs?: number }; exportedProfileCounter?: number };
  workflow: { workflowId: string; uiUrl?: string };
  errors: { code: string; msg: string }[];
  creationTime: number;
  updateTime: number;
}
