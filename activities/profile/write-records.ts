import { DEFAULT_LINKING_RULES, linkGraphs, primaryIdentity } from '../../domain/identity/graph';
import type { Graph, LinkingRules } from '../../domain/identity/graph';
import { findNamespace, parseIdentityKey, STANDARD_NAMESPACES } from '../../domain/identity/namespaces';
import type { IdType } from '../../domain/identity/namespaces';
import { mergeFragments } from '../../domain/profile/merge';
import type { Fragment, MergePolicyRule } from '../../domain/profile/merge';
import { stableKey } from '../../domain/shared/ids';
import { setPath, leafPaths } from '../../domain/shared/paths';
import { partitionOf } from '../../infra/mongo/profile.repo';
import type { Stores } from '../../infra/mongo/stores';
import { insertNew } from '../../infra/mongo/bulk';
import type { PqlEvent } from '../../domain/pql';
import { continuousSegments, evaluateContinuous, STREAMING_EVENT_WINDOW_MS } from './continuous-segments';
import type { GraphCache } from './graph-cache';

export interface IncomingRecord {
  /** Normalised identity keys of the record; the first is the primary identity. */
  identities: string[];
  data: Record<string, unknown>;
  ts: number;
  /** Set for ExperienceEvent records: stored as events of the profile, not as attribute fragments. */
  event?: { id: string; timestamp: string; eventType?: string };
}

export interface WriteResult {
  graphsTouched: number;
  graphsMerged: number;
  profilesWritten: number;
  /** Links not made because of a linking rule (recorded in the graph history with the reason). */
  linksRefused: number;
  /** Identities removed from a graph over the limit (each now in a graph of its own). */
  identitiesRemoved: number;
}

type StoredFragment = Fragment & { graphId: string; batchIds: string[] };

const groupBy = <T>(xs: T[], key: (x: T) => string) => {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
};

export interface WriteOptions {
  cache?: GraphCache;
  /** Names this unit of work (`<scope>#<chunk's first row>`) on the identities it creates. */
  writer?: string;
  /**
   * This is the retry of `writer` and nobody wrote the graph since it died: identities it created
   * are taken as new again, so its graphs are rebuilt by the same inserts (duplicates skipped)
   * instead of being re-read and replaced.
   */
  reclaim?: boolean;
  /** Every dataset of the sandbox that holds profile fragments (lets fragments be read by id). */
  datasets?: string[];
  rules?: LinkingRules;
  /** Identity type of a namespace code (custom namespaces included); decides what goes first over the graph limit. */
  typeOf?: (ns: string) => IdType;
  /** The default merge policy: materialised profiles are merged under it. */
  policy?: { id: string; version: number; rule: MergePolicyRule };
}

/** Events of the last 24 hours of some profiles (what streaming segmentation may look at), by graph. */
async function recentEvents(stores: Stores, sandbox: string, graphIds: string[], now: number): Promise<Map<string, PqlEvent[]>> {
  const since = new Date(now - STREAMING_EVENT_WINDOW_MS).toISOString();
  const docs = await stores.profiles.events.find({ sandbox, graphId: { $in: graphIds }, timestamp: { $gte: since } }).toArray();
  const out = new Map<string, PqlEvent[]>();
  for (const e of docs) out.set(e.graphId, [...(out.get(e.graphId) ?? []), { ...e.data, _id: e._id.split('|').pop()!, timestamp: e.timestamp, eventType: e.eventType }]);
  return out;
}

/**
 * A graph stored by a write that died after writing the graph that absorbed it but before deleting
 * it: all its members are in another loaded graph. Such graphs are treated as merged into that one.
 */
function leftovers(graphs: Graph[]): Map<string, string> {
  const holders = new Map<string, Graph[]>();
  for (const g of graphs) for (const m of g.members) holders.set(m.k, [...(holders.get(m.k) ?? []), g]);
  const out = new Map<string, string>();
  for (const g of graphs) {
    const container = (holders.get(g.members[0]?.k) ?? []).find((o) => o !== g && o.members.length > g.members.length && g.members.every((m) => holders.get(m.k)!.includes(o)));
    if (container) out.set(g.id, container.id);
  }
  return out;
}

/**
 * Links a chunk's identities into the stored identity graph (linking rules and graph limit
 * applied, changes recorded as history), writes profile fragments and events, and re-materialises
 * the merged profile of every graph changed. `scope` names the writer for crash recovery.
 *
 * Only what already existed is read back: an identity seen for the first time can have no stored
 * fragment, and a graph born in this chunk has no stored fragments or profile, so those are taken
 * from memory. New documents get ids derived from their content and are inserted (a retry skips
 * what the dead attempt wrote); existing ones are replaced. The caller holds the sandbox's graph
 * lease: one writer at a time, so concurrent batches never interleave their graph writes.
 */
export async function writeRecords(stores: Stores, sandbox: string, datasetId: string, batchId: string, records: IncomingRecord[], now: number, scope: string, opts: WriteOptions = {}): Promise<WriteResult> {
  if (!records.length) return { graphsTouched: 0, graphsMerged: 0, profilesWritten: 0, linksRefused: 0, identitiesRemoved: 0 };
  const { cache, writer, reclaim } = opts;
  const rules = opts.rules ?? DEFAULT_LINKING_RULES;
  const typeOf = opts.typeOf ?? ((ns: string) => findNamespace(STANDARD_NAMESPACES, ns)?.idType ?? 'Cross_device');
  const allKeys = [...new Set(records.flatMap((r) => r.identities))];
  const known = cache ? await cache.lookup(stores, sandbox, allKeys) : await stores.identities.lookup(sandbox, allKeys);
  const existing = new Map([...known].filter(([, v]) => !(reclaim && writer && v.writer === writer)).map(([k, v]) => [k, v.graphId]));

  // Link in memory over the stored graphs the chunk touches, then write what changed.
  const loaded = await stores.graphs.getMany(sandbox, [...new Set(existing.values())]);
  const stale = leftovers(loaded);
  const stored = loaded.filter((g) => !stale.has(g.id));
  const storedIds = new Set(stored.map((g) => g.id));
  const link = linkGraphs(stored, records.map((r) => ({ keys: r.identities, ts: r.ts, src: { datasetId, batchId, recordKey: r.identities[0] } })), rules, typeOf, (seed) => `g${stableKey(sandbox, seed)}`);
  const mergedAway = new Map(link.mergedAway);
  for (const [g, into] of stale) mergedAway.set(g, link.mergedAway.get(into) ?? into);
  const changed = [...link.changed.values()];
  const home = new Map<string, string>();
  for (const g of changed) for (const m of g.members) home.set(m.k, g.id);

  // Every stored identity whose graph changed (absorbed, removed over the limit, split off, or a
  // leftover of an interrupted write) is re-pointed in one batched replacement, not one update
  // per graph: on FerretDB any update by a non-_id filter scans the whole collection.
  const before = new Map<string, string>();
  for (const g of [...stored, ...loaded.filter((x) => stale.has(x.id))]) for (const m of g.members) before.set(m.k, g.id);
  const repointed = new Map([...home].filter(([k, g]) => before.has(k) && before.get(k) !== g));
  await stores.graphs.put(sandbox, changed, storedIds, now, scope);
  await stores.identities.link(sandbox, new Map(allKeys.filter((k) => !existing.has(k) && !before.has(k)).map((k) => [k, link.graphOf.get(k)!])), now, writer);
  await stores.identities.repoint(sandbox, repointed, scope);
  await stores.graphs.remove(sandbox, [...mergedAway.keys()]);
  cache?.applied(changed, writer);
  if (link.changes.length) await stores.graphs.record(sandbox, link.changes, now, writer ?? `${scope}#${now}`);

  // Events: new ones stored once per event id with their graph; stored ones of re-pointed identities follow them.
  const events = records.filter((r) => r.event);
  await insertNew(stores.profiles.events, events.map((r) => ({
    _id: `${sandbox}|${datasetId}|${r.event!.id}`, sandbox, datasetId, batchId, graphId: link.graphOf.get(r.identities[0])!, partition: partitionOf(link.graphOf.get(r.identities[0])!), identities: r.identities,
    timestamp: r.event!.timestamp, eventType: r.event!.eventType, data: r.data,
  })));
  await stores.profiles.regraphEvents(sandbox, [...new Set([...repointed.keys()].map((k) => before.get(k)!))], (primary) => repointed.get(primary), scope);

  // The graphs to re-materialise: every changed graph, and every graph a record's fragment belongs to.
  const attrs = records.filter((r) => !r.event);
  const graphs = new Map<string, Graph>(changed.map((g) => [g.id, g]));
  for (const g of stored) if (!graphs.has(g.id) && attrs.some((r) => link.graphOf.get(r.identities[0]) === g.id)) graphs.set(g.id, g);
  // Their stored fragments, read by id (member × dataset): identities seen for the first time have none.
  const datasets = opts.datasets ?? (await stores.datasets.list(sandbox, {}, { limit: 10_000 })).items.map((d) => d.id);
  const knownMembers = [...graphs.values()].flatMap((g) => g.members.map((m) => m.k)).filter((k) => before.has(k) || existing.has(k));
  const frags = await stores.profiles.getFragments(knownMembers.flatMap((k) => [...new Set([...datasets, datasetId])].map((d) => stores.profiles.fragmentId(sandbox, d, k))));
  const storedFrags = new Set(frags.keys());
  const dirty = new Set<string>();
  for (const [id, f] of frags) {
    const g = home.get(f.recordKey) ?? f.graphId;
    if (g !== f.graphId) {
      f.graphId = g;
      dirty.add(id);
    }
  }
  // Fragments: one per dataset per primary identity, merged leaf by leaf with timestamps.
  for (const r of attrs) {
    const id = stores.profiles.fragmentId(sandbox, datasetId, r.identities[0]);
    const cur: StoredFragment = frags.get(id) ?? { datasetId, recordKey: r.identities[0], data: {}, pathTs: {}, pathBatch: {}, graphId: '', batchIds: [] };
    cur.pathBatch ??= {};
    for (const [path, value] of leafPaths(r.data, (p) => p === 'identityMap')) {
      if ((cur.pathTs[path] ?? -Infinity) <= r.ts) {
        setPath(cur.data, path, value);
        cur.pathTs[path] = r.ts;
        cur.pathBatch[path] = batchId;
      }
    }
    cur.graphId = home.get(r.identities[0]) ?? link.graphOf.get(r.identities[0])!;
    if (!cur.batchIds.includes(batchId)) cur.batchIds.push(batchId);
    frags.set(id, cur);
    dirty.add(id);
  }
  await stores.profiles.putFragments(sandbox, [...dirty].map((id) => frags.get(id)!), storedFrags, scope);

  // Merged profiles of those graphs, from the fragments in hand.
  const fragsByGraph = groupBy<Fragment & { graphId: string }>([...frags.values()], (f) => f.graphId);
  const profiles = [...graphs.values()].map((g) => {
    const gf = fragsByGraph.get(g.id) ?? [];
    const entity = mergeFragments(gf, opts.policy?.rule);
    const primary = primaryIdentity(g.members, rules.namespacePriority);
    const identityMap: Record<string, { id: string; primary?: boolean }[]> = {};
    for (const m of [...g.members].sort((a, b) => a.k.localeCompare(b.k))) {
      const { ns, id } = parseIdentityKey(m.k);
      (identityMap[ns] ??= []).push(m.k === primary ? { id, primary: true } : { id });
    }
    entity.identityMap = identityMap;
    return { graphId: g.id, partition: partitionOf(g.id), entity, sources: [...new Set(gf.map((f) => f.datasetId))].sort(), lastModifiedAt: now, ...(opts.policy ? { mergePolicy: { id: opts.policy.id, version: opts.policy.version } } : {}) };
  });
  // Streaming segmentation: continuous definitions are evaluated on every profile written here.
  const segments = await continuousSegments(stores, sandbox);
  const eventsOf = segments.some((s) => s.events) ? await recentEvents(stores, sandbox, [...graphs.keys()], now) : new Map<string, PqlEvent[]>();
  const evaluation = `stream/${writer ?? scope}`;
  await stores.profiles.putProfiles(sandbox, profiles, new Set(profiles.map((p) => p.graphId).filter((g) => !storedIds.has(g))), [...mergedAway.keys()], scope,
    segments.length ? (p) => evaluateContinuous(segments, p, eventsOf.get(p.graphId) ?? [], now, evaluation) : undefined);
  const removed = link.changes.reduce((n, c) => n + (c.type === 'removed' ? c.identities.length : 0), 0);
  return { graphsTouched: graphs.size, graphsMerged: mergedAway.size, profilesWritten: profiles.length, linksRefused: link.changes.filter((c) => c.type === 'refused').length, identitiesRemoved: removed };
}
