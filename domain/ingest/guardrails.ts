import { stableKey } from '../shared/ids';
import { leafPaths } from '../shared/paths';
import type { RowIssue } from './mapping';

/** Ingestion guardrails (guardrails.md), with the row/batch error codes OpenXP reports when one is hit. */
export const INGEST_LIMITS = {
  profileRecordBytes: 100 * 1024,
  eventRecordBytes: 10 * 1024,
  fieldsPerRow: 10_000,
  filesPerBatch: 25_000,
  bytesPerBatch: 1024 ** 4,
} as const;

export const GUARDRAIL_ERROR = {
  RECORD_TOO_LARGE: 'INGEST-1407-400',
  TOO_MANY_FIELDS: 'INGEST-1408-400',
  EVENT_INVALID: 'INGEST-1409-400',
  BATCH_LIMIT: 'INGEST-1410-400',
  /** Every identity of the row was linked to too many others in its batch (a shared value): nothing left to link it by. */
  IDENTITY_OVERLINKED: 'INGEST-1411-400',
} as const;

export interface RecordRules {
  isEvent: boolean;
  /** Record timestamp when the record carries none (the run's start). */
  ingestTs: number;
}

export interface RecordMeta {
  ts: number;
  event?: { id: string; timestamp: string; eventType?: string };
}

/**
 * Size and shape checks of one mapped record, and its timestamp for merging: an event's own
 * `timestamp`; a profile record's `extSourceSystemAudit.lastUpdatedDate`, else ingest time.
 */
export function checkRecord(data: Record<string, unknown>, rules: RecordRules): { meta?: RecordMeta; issues: RowIssue[] } {
  const bytes = Buffer.byteLength(JSON.stringify(data));
  const limit = rules.isEvent ? INGEST_LIMITS.eventRecordBytes : INGEST_LIMITS.profileRecordBytes;
  if (bytes > limit) {
    return { issues: [{ code: GUARDRAIL_ERROR.RECORD_TOO_LARGE, message: `${rules.isEvent ? 'event' : 'profile record'} is ${bytes} bytes; the limit is ${limit} bytes` }] };
  }
  const fields = leafPaths(data).length;
  if (fields > INGEST_LIMITS.fieldsPerRow) return { issues: [{ code: GUARDRAIL_ERROR.TOO_MANY_FIELDS, message: `row has ${fields} fields; the limit is ${INGEST_LIMITS.fieldsPerRow}` }] };
  if (!rules.isEvent) {
    const audit = Date.parse(String((data.extSourceSystemAudit as { lastUpdatedDate?: unknown } | undefined)?.lastUpdatedDate ?? ''));
    return { meta: { ts: Number.isNaN(audit) ? rules.ingestTs : audit }, issues: [] };
  }
  const timestamp = typeof data.timestamp === 'string' ? data.timestamp : '';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return { issues: [{ code: GUARDRAIL_ERROR.EVENT_INVALID, message: `timestamp: an ExperienceEvent needs a date-time timestamp (got ${JSON.stringify(data.timestamp ?? null)})` }] };
  const id = typeof data._id === 'string' && data._id ? data._id : stableKey(JSON.stringify(data));
  return { meta: { ts: t, event: { id, timestamp: new Date(t).toISOString(), eventType: typeof data.eventType === 'string' ? data.eventType : undefined } }, issues: [] };
}
