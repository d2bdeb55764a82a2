import { findNamespace, identityKey, normalizeIdentity, STANDARD_NAMESPACES } from '../../domain/identity/namespaces';
import type { Namespace } from '../../domain/identity/namespaces';
import { applyMappings, ROW_ERROR } from '../../domain/ingest/mapping';
import type { MapContext, Mapping, RowIssue } from '../../domain/ingest/mapping';
import { getPath } from '../../domain/shared/paths';
import type { SchemaContext } from '../../infra/xdm/schema-context';
import type { IncomingRecord } from '../profile/write-records';

export type RecordValidator = (record: unknown) => { ok: true } | { ok: false; errors: { path: string; rule: string; message: string }[] };

export interface RowOutcome {
  record?: IncomingRecord;
  issues: RowIssue[];
}

const MAX_IDENTITIES_PER_RECORD = 20;

/** Identity keys of a record: descriptor fields (primary first), then its identityMap. */
export function extractIdentities(data: Record<string, unknown>, ctx: SchemaContext, extra: { ns: string; id: string; primary: boolean }[], namespaces: Namespace[] = STANDARD_NAMESPACES): { keys: string[]; issues: RowIssue[] } {
  const raw: { ns: string; id: unknown; primary: boolean }[] = [
    ...ctx.identityFields.map((f) => ({ ns: f.namespace, id: getPath(data, f.path), primary: f.primary })),
    ...extra,
  ];
  const idMap = data.identityMap as Record<string, { id?: unknown; primary?: boolean }[]> | undefined;
  for (const [ns, items] of Object.entries(idMap ?? {})) for (const it of items ?? []) raw.push({ ns, id: it.id, primary: it.primary === true });
  const keys: string[] = [];
  const issues: RowIssue[] = [];
  for (const r of raw.sort((a, b) => Number(b.primary) - Number(a.primary))) {
    if (r.id === undefined || r.id === null || r.id === '') continue;
    const ns = findNamespace(namespaces, r.ns);
    if (!ns) {
      issues.push({ code: ROW_ERROR.SCHEMA, message: `identity namespace "${r.ns}" is unknown` });
      continue;
    }
    const v = normalizeIdentity(ns, r.id);
    if (v !== null) keys.push(identityKey(ns.code, v));
  }
  const unique = [...new Set(keys)];
  if (unique.length > MAX_IDENTITIES_PER_RECORD) issues.push({ code: ROW_ERROR.SCHEMA, message: `record has ${unique.length} identities; at most ${MAX_IDENTITIES_PER_RECORD} are allowed` });
  return { keys: unique, issues };
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
  const ids = extractIdentities(mapped.record, ctx, mapped.identities);
  if (ids.issues.length) return { issues: ids.issues };
  if (!ids.keys.length) {
    const primary = ctx.identityFields.find((f) => f.primary);
    return { issues: [{ code: ROW_ERROR.REQUIRED_MISSING, message: primary ? `${primary.path}: the primary identity (${primary.namespace}) is missing or not a valid value` : 'record has no valid identity' }] };
  }
  const { identityMap: _drop, ...data } = mapped.record;
  return { record: { identities: ids.keys, data, ts: at.now }, issues: [] };
}
