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
  scheduleParams?: ScheduleParams;
  state: 'enabled' | 'disabled';
  etag: string;
  createdAt: number;
  updatedAt: number;
  /** Set when the flow has a source: keys of objects already ingested (incremental runs). */
  inheritedAttributes?: Record<string, unknown>;
}

export interface ScheduleParams {
  /** Epoch seconds, as AEP takes it. */
  startTime?: number;
  frequency: 'once' | 'minute' | 'hour' | 'day' | 'week';
  interval?: number;
  /** true: the first run also ingests objects older than startTime. */
  backfill?: boolean;
}

/** How a source's bytes are read: AEP's `data` block of a source connection (or a batch's inputFormat), normalised. */
export interface SourceFormat {
  format: 'delimited' | 'json' | 'parquet';
  delimiter?: string;
  quote?: string;
  escape?: string;
  /** false: no header row; columns are named _c0, _c1, … */
  header?: boolean;
  compression?: 'none' | 'gzip';
  multiLineJson?: boolean;
}

/** The format of a source connection's files (compression also follows a `.gz` key). */
export function sourceFormatOf(data: SourceConnection['data'], key = ''): SourceFormat {
  const p = data.properties ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const gzip = str(p.compressionType)?.toLowerCase() === 'gzip' || key.endsWith('.gz');
  return {
    format: data.format,
    delimiter: data.columnDelimiter ?? str(p.columnDelimiter),
    quote: str(p.quoteChar),
    escape: str(p.escapeChar),
    header: p.header === undefined ? true : p.header !== false && p.header !== 'false',
    compression: gzip ? 'gzip' : 'none',
    multiLineJson: p.isMultiLineJson === true,
  };
}

/**
 * Where a flow's incremental ingestion stands: objects modified up to `lastModified` are done,
 * and `keys` lists the ones at exactly that instant (S3 times are coarse, several objects share one).
 */
export interface Watermark { lastModified: number; keys: string[] }

export interface ObjectRef { key: string; etag: string; lastModified: number }

const objectId = (o: ObjectRef) => `${o.key}@${o.etag}`;

/**
 * The objects a run ingests: those new or changed since the watermark. Without a watermark (first
 * run) everything, unless backfill is off, in which case only objects modified since startTime.
 */
export function selectNewObjects<T extends ObjectRef>(objects: T[], wm: Watermark | undefined, schedule?: ScheduleParams): T[] {
  const floor = wm ? wm.lastModified : schedule?.backfill === false && schedule.startTime ? schedule.startTime * 1000 : -Infinity;
  const done = new Set(wm?.keys ?? []);
  return objects
    .filter((o) => o.lastModified > floor || (o.lastModified === floor && !done.has(objectId(o))))
    .sort((a, b) => a.lastModified - b.lastModified || a.key.localeCompare(b.key));
}

/** The watermark after a successful run over `ingested`. */
export function advanceWatermark(wm: Watermark | undefined, ingested: ObjectRef[]): Watermark | undefined {
  const last = Math.max(wm?.lastModified ?? -Infinity, ...ingested.map((o) => o.lastModified));
  if (!Number.isFinite(last)) return wm;
  const carried = wm && wm.lastModified === last ? wm.keys : [];
  return { lastModified: last, keys: [...new Set([...carried, ...ingested.filter((o) => o.lastModified === last).map(objectId)])].sort() };
}

/** A Temporal schedule interval for a dataflow's scheduleParams (null for "once"). */
export function scheduleInterval(sp: ScheduleParams): { everyMs: number } | null {
  const unit = { once: 0, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 }[sp.frequency];
  return unit ? { everyMs: unit * (sp.interval ?? 1) } : null;
}

export type RunStatus = 'inProgress' | 'success' | 'failed';

export interface RunRecord {
  id: string;
  flowId: string;
  flowSpecId: string;
  kind: 'ingestion' | 'activation';
  /** What started it: an API call, the flow's schedule, or a batch completed through the batch ingestion API. */
  trigger?: 'manual' | 'schedule' | 'batch';
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
