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
  /** sha256 (hex) of the canonical rendered PQL text: what a job pins, so a re-run knows it evaluates the same thing. */
  expressionHash: string;
  /** Segments this one reads through inSegment (kept so deletes and cycles are checked without re-parsing). */
  dependencies: string[];
  creationTime: number;
  updateTime: number;
  updateEpoch: number;
}

/** One segment as a job evaluates it, pinned when the job is created. */
export interface JobSegment {
  segmentId: string;
  segment?: { id: string; expression: SegmentDefinition['expression']; mergePolicyId: string; expressionHash?: string };
  /** True when the segment was not asked for but is evaluated because a requested one reads it (inSegment). */
  dependency?: boolean;
}

/** What a job's result depends on; a job re-run with the same inputs writes the same membership. */
export interface JobInputs {
  now: string;
  mergePolicy: { id: string; version: number };
  segments: { segmentId: string; expressionHash: string }[];
  /** Summary of the profile data the job read (known once it finished reading). */
  dataWatermark?: DataWatermark;
  /** The job whose inputs this one re-uses (OpenXP extension). */
  rerunOf?: string;
}

/** Profiles and events read by a job: counts, newest change, and an order-free hash of (profile id, lastModifiedAt). */
export interface DataWatermark { profiles: number; events: number; maxLastModifiedAt: number; hash: string }

export interface SegmentJob {
  id: string;
  status: SegmentJobStatus;
  segments: JobSegment[];
  metrics: {
    totalTime?: { startTimeInMs: number; endTimeInMs?: number; totalTimeInMs?: number };
    profileSegmentationTime?: { startTimeInMs: number; endTimeInMs?: number; totalTimeInMs?: number };
    totalProfiles?: number;
    segmentedProfileCounter?: Record<string, number>;
    segmentedProfileByStatusCounter?: Record<string, { realized: number; existing: number; exited: number }>;
  };
  properties: { scheduleId?: string; runId?: string };
  /** Inputs pinned at creation so a re-run evaluates the same thing. */
  inputs?: JobInputs;
  /** Live progress while PROCESSING: profiles evaluated so far out of the partitions done or running (OpenXP extension). */
  progress?: { partitions: number; partitionsDone: number; profilesDone: number; byPartition?: Record<string, { profiles: number; done: boolean }> };
  /** For a re-run (`rerunOf`): whether it read the same data and merge policy as the job it repeats (OpenXP extension). */
  rerun?: { of: string; sameData: boolean; sameMergePolicy: boolean };
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

/** A schedule of `/config/schedules`: a Temporal Schedule that starts a segment (or export) job per run. */
export interface SegmentSchedule {
  id: string;
  name: string;
  description?: string;
  type: 'batch_segmentation' | 'export';
  properties: { segments: string[] } & Record<string, unknown>;
  /** Quartz cron (6 or 7 fields), evaluated in UTC. */
  schedule: string;
  state: 'active' | 'inactive';
  sandbox: { sandboxName: string };
  /** The Temporal Schedule behind it. */
  temporalScheduleId: string;
  createEpoch: number;
  updateEpoch: number;
}
