import { extractIdentities } from '../../domain/identity/extract';
import { applyMappings, ROW_ERROR } from '../../domain/ingest/mapping';
import type { MapContext, Mapping, RowIssue } from '../../domain/ingest/mapping';
import type { SchemaContext } from '../../infra/xdm/schema-context';
import type { IncomingRecord } from '../profile/write-records';

export type RecordValidator = (record: unknown) => { ok: true } | { ok: false; errors: { path: string; rule: string; message: string }[] };

export interface RowOutcome {
  record?: IncomingRecord;
  issues: RowIssue[];
}

/**
 * Maps, validates and identifies one source row; a row with any issue is not ingested.
 * `ctx.rowKey` (file + row number) seeds uuid(); `ctx.now` is the run's start and the record's ts.
 */
export function processRecord(row: Record<string, unknown>, mappings: Mapping[], ctx: SchemaContext, validate: RecordValidator, at: MapContext): RowOutcome {
  const mapped = applyMappings(row, mappings, ctx.fieldTypes, at);
  if (mapped.issues.length) return { issues: mapped.issues };
  const v = validate(mapped.record);
  if (!v.ok) {
    return {
      issues: v.errors.map((e) => ({
        code: e.rule === 'required' ? ROW_ERROR.REQUIRED_MISSING : ROW_ERROR.TYPE_MISMATCH,
        message: `${e.path || '(root)'}: ${e.message} (${e.rule})`,
      })),
    };
  }
  const ids = extractIdentities(mapped.record, ctx.identityFields, mapped.identities, ctx.namespaces);
  if (ids.issues.length) return { issues: ids.issues };
  if (!ids.keys.length) {
    const primary = ctx.identityFields.find((f) => f.primary);
    return { issues: [{ code: ROW_ERROR.REQUIRED_MISSING, message: primary ? `${primary.path}: the primary identity (${primary.namespace}) is missing or not a valid value` : 'record has no valid identity' }] };
  }
  const { identityMap: _drop, ...data } = mapped.record;
  return { record: { identities: ids.keys, data, ts: at.now }, issues: [] };
}
