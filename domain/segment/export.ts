/**
 * Export jobs (`/export/jobs`): the job resource, which profiles a filter selects, and how a
 * profile becomes a record of the target dataset. Pure: the activity reads and writes.
 *
 * Record shape (documented in the README):
 * - `fields` (comma-separated dotted paths) must name paths of the target dataset's schema; each
 *   is projected into nested objects as stored (`person.name.firstName` → `{person:{name:{firstName}}}`),
 *   through arrays item by item, several paths into the same objects. Without `fields` the whole
 *   profile is projected onto the dataset's schema (fields the schema lacks are left out).
 * - `identities`, `identities.id`, `identities.namespace.code`, `identities.primary` (AEP's legacy
 *   identity list) are accepted too. When the dataset's schema declares `identities` the list
 *   `[{id, namespace:{code}, primary}]` is written (projected); otherwise, since XDM profiles
 *   carry identities in `identityMap`, the profile's full `identityMap` is written instead.
 * - `segmentMembership` (when the schema has it) is the profile's `ups` memberships
 *   `{status, lastQualificationTime}`.
 */
import { DomainError } from '../shared/errors';
import type { XdmType } from '../xdm';
import type { Membership } from './membership';
import { MEMBERSHIP_PREFIX } from './expression';

export type ExportJobStatus = 'NEW' | 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type MembershipStatus = Membership['status'];

export interface ExportSegmentFilter { segmentId: string; segmentNs: 'ups'; status: MembershipStatus[] }
export interface ExportFilter {
  /** Profiles in any of these segments (with one of the statuses); all profiles when absent. */
  segments?: ExportSegmentFilter[];
  /** ISO bounds on the segment's lastQualificationTime: start inclusive, end exclusive. */
  segmentQualificationTime?: { startTime?: string; endTime?: string };
  /** ISO: profiles changed at or after this time only. */
  fromIngestTimestamp?: string;
  /** Also export profiles with no profile records (only events): false unless asked for, as in AEP. */
  emptyProfiles: boolean;
}

interface Timing { startTimeInMs: number; endTimeInMs?: number; totalTimeInMs?: number }
export interface ExportMetrics {
  totalTime?: Timing;
  profileExportTime?: Timing;
  totalExportedProfileCounter?: number;
  /** Same number as totalExportedProfileCounter (older AEP name). */
  exportedProfileCounter?: number;
  /** Exported profiles with at least one identity in the namespace. */
  exportedProfileByNamespaceCounter?: Record<string, number>;
}

export interface ExportJob {
  id: string;
  jobType: 'BATCH';
  status: ExportJobStatus;
  fields?: string;
  /** Pinned at creation: the policy the exported profiles are merged under. */
  mergePolicy: { id: string; version: number };
  filter: ExportFilter;
  destination: { datasetId: string; segmentPerBatch: false; batchId?: string };
  schema: { name: string };
  profileInstanceId: 'ups';
  metrics: ExportMetrics;
  workflow: { workflowId: string; uiUrl?: string };
  errors: { code: string; msg: string }[];
  creationTime: number;
  updateTime: number;
}

export const TERMINAL_EXPORT_STATUSES: readonly ExportJobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
export const DEFAULT_EXPORT_STATUSES: readonly MembershipStatus[] = ['realized', 'existing'];

/** The legacy identity list fields accepted in `fields`. */
const IDENTITY_FIELDS = new Set(['identities', 'identities.id', 'identities.namespace', 'identities.namespace.code', 'identities.primary']);
const PATH = /^[A-Za-z_][\w:@-]*(\.[A-Za-z_][\w:@-]*)*$/;

const fail = (field: string, rule: string) => new DomainError('UNPROCESSABLE', `${field}: ${rule}`, field);

/**
 * `fields` as a list of paths, checked against the target dataset's schema (paths, maps' keys
 * below a map path, and the legacy identity fields). Undefined when all fields are exported.
 */
export function checkExportFields(fields: string | undefined, schemaPaths: ReadonlyMap<string, XdmType>): string[] | undefined {
  if (fields === undefined) return undefined;
  const list = fields.split(',').map((f) => f.trim());
  if (list.every((f) => !f)) return undefined;
  list.forEach((f, i) => {
    if (!f) throw fail('fields', `entry ${i + 1} is empty (expected comma-separated dotted paths such as "personalEmail.address")`);
    if (!PATH.test(f)) throw fail('fields', `"${f}" is not a dotted field path`);
    if (IDENTITY_FIELDS.has(f) || schemaPaths.has(f) || underMap(f, schemaPaths)) return;
    throw fail('fields', `"${f}" is not a field of the destination dataset's schema`);
  });
  return [...new Set(list)];
}

const underMap = (path: string, schemaPaths: ReadonlyMap<string, XdmType>) => {
  const parts = path.split('.');
  return parts.some((_, i) => i > 0 && schemaPaths.get(parts.slice(0, i).join('.')) === 'map');
};

/** AEP's legacy identity list, from an identityMap (`{Email:[{id, primary}]}`). */
export function legacyIdentities(identityMap: unknown): { id: string; namespace: { code: string }; primary: boolean }[] {
  if (!identityMap || typeof identityMap !== 'object') return [];
  return Object.entries(identityMap as Record<string, unknown>).flatMap(([code, ids]) =>
    Array.isArray(ids) ? ids.filter((x) => x && typeof x.id === 'string').map((x) => ({ id: x.id as string, namespace: { code }, primary: x.primary === true })) : []);
}

/** Identity keys (`<namespace>:<id>`, as the identity store normalises them) of an identityMap. */
export const identityKeysOf = (identityMap: unknown) => legacyIdentities(identityMap).map((x) => `${x.namespace.code}:${x.id}`);

/** Namespaces with at least one identity in an identityMap. */
export const namespacesOf = (identityMap: unknown) => [...new Set(legacyIdentities(identityMap).map((x) => x.namespace.code))];

type Tree = { [k: string]: Tree | true };

function fieldTree(paths: string[]): Tree {
  const root: Tree = {};
  for (const p of paths) {
    const keys = p.split('.');
    let node = root;
    for (const [i, k] of keys.entries()) {
      if (node[k] === true) break; // a shorter path already takes the whole subtree
      if (i === keys.length - 1) node[k] = true;
      else node = (node[k] ??= {}) as Tree;
    }
  }
  return root;
}

/** Keeps the tree's paths of a value: objects key by key, arrays item by item; undefined when nothing is left. */
function project(value: unknown, tree: Tree | true): unknown {
  if (tree === true) return value === undefined ? undefined : structuredClone(value);
  if (Array.isArray(value)) {
    const items = value.map((v) => project(v, tree)).filter((v) => v !== undefined);
    return items.length ? items : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(tree)) {
    const v = project((value as Record<string, unknown>)[k], sub);
    if (v !== undefined) out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Keeps what the schema declares: objects are followed into, everything else (leaves, maps, arrays) kept whole. */
function ontoSchema(value: Record<string, unknown>, schemaPaths: ReadonlyMap<string, XdmType>, prefix = ''): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${k}` : k;
    const type = schemaPaths.get(path);
    if (!type || v === undefined) continue;
    if (type === 'object' && v && typeof v === 'object' && !Array.isArray(v)) {
      const inner = ontoSchema(v as Record<string, unknown>, schemaPaths, path);
      if (inner) out[k] = inner;
    } else out[k] = structuredClone(v);
  }
  return Object.keys(out).length ? out : undefined;
}

/** What an export reads of one profile: its merged entity and its segment memberships. */
export interface ExportSource { entity: Record<string, unknown>; segmentMembership?: Record<string, Membership> }

/** The dataset record for one profile (see the module comment for the rules). */
export function exportRecord(src: ExportSource, fields: string[] | undefined, schemaPaths: ReadonlyMap<string, XdmType>): Record<string, unknown> {
  const doc: Record<string, unknown> = { ...src.entity };
  if (src.segmentMembership && Object.keys(src.segmentMembership).length) {
    doc.segmentMembership = { ups: Object.fromEntries(Object.entries(src.segmentMembership).map(([id, m]) => [id, { status: m.status, lastQualificationTime: m.lastQualificationTime }])) };
  }
  if (!fields) return ontoSchema(doc, schemaPaths) ?? {};
  const legacy = fields.filter((f) => IDENTITY_FIELDS.has(f));
  let paths = fields.filter((f) => !IDENTITY_FIELDS.has(f));
  if (legacy.length && schemaPaths.has('identities')) {
    doc.identities = legacyIdentities(doc.identityMap);
    paths = [...paths, ...legacy];
  } else if (legacy.length) paths = [...paths, 'identityMap'];
  return (project(doc, fieldTree(paths)) as Record<string, unknown> | undefined) ?? {};
}

/** The statuses a segment filter selects (realized and existing unless given). */
const statusesOf = (s: { status?: MembershipStatus[] }) => (s.status?.length ? s.status : [...DEFAULT_EXPORT_STATUSES]);

/** A MongoDB filter over stored profiles for the filter's segments, qualification time and ingest time (profiles carry `segmentMembership.ups`). */
export function exportProfileFilter(filter: ExportFilter): Record<string, unknown> {
  const and: Record<string, unknown>[] = [];
  const q = filter.segmentQualificationTime;
  if (filter.segments?.length) {
    and.push({
      $or: filter.segments.map((s) => {
        const m = `${MEMBERSHIP_PREFIX}${s.segmentId}`;
        const time: Record<string, string> = {};
        if (q?.startTime) time.$gte = q.startTime;
        if (q?.endTime) time.$lt = q.endTime;
        return { [`${m}.status`]: { $in: statusesOf(s) }, ...(Object.keys(time).length ? { [`${m}.lastQualificationTime`]: time } : {}) };
      }),
    });
  }
  if (filter.fromIngestTimestamp) and.push({ lastModifiedAt: { $gte: Date.parse(filter.fromIngestTimestamp) } });
  if (!filter.emptyProfiles) and.push({ 'sources.0': { $exists: true } });
  return and.length ? { $and: and } : {};
}

/** The same selection in memory (what `exportProfileFilter` selects), for checks and previews. */
export function selectedForExport(p: { segmentMembership?: { ups?: Record<string, Membership> }; lastModifiedAt?: number; sources?: string[] }, filter: ExportFilter): boolean {
  if (!filter.emptyProfiles && !p.sources?.length) return false;
  if (filter.fromIngestTimestamp && !((p.lastModifiedAt ?? 0) >= Date.parse(filter.fromIngestTimestamp))) return false;
  if (!filter.segments?.length) return true;
  const q = filter.segmentQualificationTime;
  return filter.segments.some((s) => {
    const m = p.segmentMembership?.ups?.[s.segmentId];
    if (!m || !statusesOf(s).includes(m.status)) return false;
    if (q?.startTime && !(m.lastQualificationTime >= q.startTime)) return false;
    return !(q?.endTime && !(m.lastQualificationTime < q.endTime));
  });
}
