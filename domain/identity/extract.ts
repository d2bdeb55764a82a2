import { ROW_ERROR } from '../ingest/mapping';
import type { RowIssue } from '../ingest/mapping';
import { getPath } from '../shared/paths';
import { findNamespace, identityKey, normalizeIdentity, STANDARD_NAMESPACES } from './namespaces';
import type { Namespace, NormalizeOptions } from './namespaces';

/** A schema field that holds an identity (an identity descriptor, as a dotted path). */
export interface IdentityField { path: string; namespace: string; primary: boolean }

const MAX_IDENTITIES_PER_RECORD = 20;

/**
 * Normalised identity keys of a record: descriptor fields (primary first), then its identityMap.
 * Values that must never link (blocked, malformed) are left out; a namespace missing from
 * `namespaces` (the sandbox's standard and custom ones) is a row issue naming it.
 */
export function extractIdentities(
  data: Record<string, unknown>, fields: IdentityField[], extra: { ns: string; id: string; primary: boolean }[] = [],
  namespaces: Namespace[] = STANDARD_NAMESPACES, opts: NormalizeOptions = {},
): { keys: string[]; issues: RowIssue[] } {
  const raw: { ns: string; id: unknown; primary: boolean }[] = [
    ...fields.map((f) => ({ ns: f.namespace, id: getPath(data, f.path), primary: f.primary })),
    ...extra,
  ];
  const idMap = data.identityMap as Record<string, { id?: unknown; primary?: boolean }[]> | undefined;
  for (const [ns, items] of Object.entries(idMap ?? {})) for (const it of Array.isArray(items) ? items : []) raw.push({ ns, id: it?.id, primary: it?.primary === true });
  const keys: string[] = [];
  const issues: RowIssue[] = [];
  for (const r of raw.sort((a, b) => Number(b.primary) - Number(a.primary))) {
    if (r.id === undefined || r.id === null || r.id === '') continue;
    const ns = findNamespace(namespaces, r.ns);
    if (!ns) {
      issues.push({ code: ROW_ERROR.SCHEMA, message: `identity namespace "${r.ns}" is unknown (neither a standard namespace nor a custom one of this sandbox)` });
      continue;
    }
    const v = normalizeIdentity(ns, r.id, opts);
    if (v !== null) keys.push(identityKey(ns.code, v));
  }
  const unique = [...new Set(keys)];
  if (unique.length > MAX_IDENTITIES_PER_RECORD) issues.push({ code: ROW_ERROR.SCHEMA, message: `record has ${unique.length} identities; at most ${MAX_IDENTITIES_PER_RECORD} are allowed` });
  return { keys: unique, issues };
}

