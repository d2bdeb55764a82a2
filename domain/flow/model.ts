/** Flow Service shapes (connections, dataflows, runs) shared by sources and destinations. */
export const SPECS = {
  s3Source: 'ecadc60c-7455-4d87-84dc-2a0e293d997b',
  s3Destination: '4890fc95-5a1f-4983-94bb-e060c08e3f81',
  dataLake: 'c604ff05-7f1a-43c0-8e18-33bf874cb11c',
  cloudStorageToPlatform: '9753525b-82c7-4dce-8a9b-5ccfce2b9876',
  /** OpenXP's flow spec for profile-based batch file activation (AEP's id for its S3 export flow spec is not public in the reference). */
  profileToCloudStorage: '71471eba-b620-49e4-90fd-23f1fa0174d8',
} as const;

export interface Connection {
  id: string;
  name: string;
  description?: string;
  connectionSpec: { id: string; version: string };
  /** Secrets are kept encrypted (`enc`) and never returned. */
  auth: { specName: string; params: Record<string, string>; enc?: string };
  params: Record<string, unknown>;
  etag: string;
  createdAt: number;
  updatedAt: number;
}

export interface SourceConnection {
  id: string;
  name?: string;
  baseConnectionId: string;
  connectionSpec: { id: string; version: string };
  data: { format: 'delimited' | 'json' | 'parquet'; columnDelimiter?: string; properties?: Record<string, unknown> };
  params: { path: string; recursive?: boolean };
  etag: string;
  createdAt: number;
}

export interface TargetConnection {
  id: string;
  name?: string;
  baseConnectionId?: string;
  connectionSpec: { id: string; version: string };
  data: Record<string, unknown>;
  params: Record<string, unknown>;
  etag: string;
  createdAt: number;
}

export interface Flow {
  id: string;
  name: string;
  description?: string;
  flowSpec: { id: string; version: string };
  sourceConnectionIds: string[];
  targetConnectionIds: string[];
  transformations: { name: string; params: Record<string, any> }[];
  scheduleParams?: { startTime?: number; frequency: 'once' | 'minute' | 'hour' | 'day' | 'week'; interval?: number };
  state: 'enabled' | 'disabled';
  etag: string;
  createdAt: number;
  updatedAt: number;
  /** Set when the flow has a source: keys of objects already ingested (incremental runs). */
  inheritedAttributes?: Record<string, unknown>;
}

export type RunStatus = 'inProgress' | 'success' | 'failed';

export interface RunRecord {
  id: string;
  flowId: string;
  flowSpecId: string;
  kind: 'ingestion' | 'activation';
  createdAt: number;
  updatedAt: number;
  workflow: { workflowId: string; runId?: string; uiUrl?: string };
  metrics: {
    durationSummary: { startedAtUTC: number; completedAtUTC?: number };
    sizeSummary: { inputBytes: number; outputBytes: number };
    recordSummary: { inputRecordCount: number; outputRecordCount: number; failedRecordCount: number };
    fileSummary: { inputFileCount: number; outputFileCount: number };
    statusSummary: { status: RunStatus; errors: { code: string; message: string }[] };
  };
  activities: { id: string; name: string; status: RunStatus; recordCount?: number }[];
  batchId?: string;
}

export function emptyRunMetrics(startedAt: number): RunRecord['metrics'] {
  return {
    durationSummary: { startedAtUTC: startedAt },
    sizeSummary: { inputBytes: 0, outputBytes: 0 },
    recordSummary: { inputRecordCount: 0, outputRecordCount: 0, failedRecordCount: 0 },
    fileSummary: { inputFileCount: 0, outputFileCount: 0 },
    statusSummary: { status: 'inProgress', errors: [] },
  };
}

/** Glob over object keys: `*` any run without `/`, `**` any run, `?` one char. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Splits `/bucket/dir/*.csv` into bucket, listing prefix and a key matcher. */
export function parseS3Path(path: string, recursive = false): { bucket: string; prefix: string; match: RegExp } {
  const trimmed = path.replace(/^\/+/, '');
  const slash = trimmed.indexOf('/');
  const bucket = slash < 0 ? trimmed : trimmed.slice(0, slash);
  let keyGlob = slash < 0 ? '' : trimmed.slice(slash + 1);
  if (keyGlob === '' || keyGlob.endsWith('/')) keyGlob += recursive ? '**' : '*';
  const wild = keyGlob.search(/[*?]/);
  const prefix = wild < 0 ? keyGlob : keyGlob.slice(0, wild);
  return { bucket, prefix, match: globToRegExp(keyGlob) };
}
