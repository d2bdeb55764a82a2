import { linkRecords } from '../../domain/identity/components';
import { parseIdentityKey } from '../../domain/identity/namespaces';
import { mergeFragments } from '../../domain/profile/merge';
import type { Fragment } from '../../domain/profile/merge';
import { stableKey } from '../../domain/shared/ids';
import { setPath, leafPaths } from '../../domain/shared/paths';
import { PROFILE_PARTITIONS } from '../../infra/mongo/profile.repo';
import type { Stores } from '../../infra/mongo/stores';
import { insertNew } from '../../infra/mongo/bulk';
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
}

type StoredFragment = Fragment & { graphId: string; batchIds: string[] };

const partitionOf = (graphId: string) => parseInt(graphId.slice(-4), 16) % PROFILE_PARTITIONS;
const groupBy = <T>(xs: T[], key: (x: T) => string) => {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
};

/**
 * Links a chunk's identities into the stored graph, writes profile fragments, and re-materialises
 * the merged profile of every graph touched. `scope` names the writer for crash recovery.
 *
 * Only what already existed is read back: an identity seen for the first time can have no stored
 * fragment, and a graph born in this chunk (all of its identities new) has no stored fragments,
 * members or profile, so those are taken from memory. New documents get ids derived from their
 * content and are inserted (a retry skips what the dead attempt wrote); existing ones are
 * replaced. Re-running a chunk gives the same result. Concurrent writers to the same graphs are not
 * yet coordinated (FerretDB has no transactions): ingestion runs the files of a flow one at a time.
 */
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
}

export async function writeRecords(stores: Stores, sandbox: string, datasetId: string, batchId: string, records: IncomingRecord[], now: number, scope: string, opts: WriteOptions = {}): Promise<WriteResult> {
  if (!records.length) return { graphsTouched: 0, graphsMerged: 0, profilesWritten: 0 };
  const { cache, writer, reclaim } = opts;
  const allKeys = [...new Set(records.flatMap((r) => r.identities))];
  const known = cache ? await cache.lookup(stores, sandbox, allKeys) : await stores.identities.lookup(sandbox, allKeys);
  const existing = new Map([...known].filter(([, v]) => !(reclaim && writer && v.writer === writer)).map(([k, v]) => [k, v.graphId]));

  const assign = new Map<string, string>();
  const merged = new Map<string, string>();
  const fresh = new Set<string>();
  for (const [root, members] of linkRecords(records.map((r) => r.identities))) {
    const known = [...new Set(members.map((k) => existing.get(k)).filter((g): g is string => !!g))].sort();
    const winner = known[0] ?? `g${stableKey(sandbox, root)}`;
    if (!known.length) fresh.add(winner);
    for (const loser of known.slice(1)) merged.set(loser, winner);
    for (const k of members) assign.set(k, winner);
  }
  await stores.identities.link(sandbox, new Map([...assign].filter(([k]) => !existing.has(k))), merged, now, writer);
  await stores.profiles.regraphFragments(sandbox, merged);
  await stores.profiles.regraphEvents(sandbox, merged);
  cache?.applied(assign, merged, writer);

  // Events: stored once per event id with the graph they belong to.
  const events = records.filter((r) => r.event);
  await insertNew(stores.profiles.events, events.map((r) => ({
    _id: `${sandbox}|${datasetId}|${r.event!.id}`, sandbox, datasetId, batchId, graphId: assign.get(r.identities[0])!, identities: r.identities,
    timestamp: r.event!.timestamp, eventType: r.event!.eventType, data: r.data,
  })));

  // Fragments: one per dataset per primary identity, merged leaf by leaf with timestamps.
  const attrs = records.filter((r) => !r.event);
  const fragIds = attrs.map((r) => stores.profiles.fragmentId(sandbox, datasetId, r.identities[0]));
  const frags = await stores.profiles.getFragments([...new Set(fragIds.filter((_, i) => existing.has(attrs[i].identities[0])))]);
  const stored = new Set(frags.keys());
  attrs.forEach((r, i) => {
    const cur: StoredFragment = frags.get(fragIds[i]) ?? { datasetId, recordKey: r.identities[0], data: {}, pathTs: {}, graphId: '', batchIds: [] };
    for (const [path, value] of leafPaths(r.data, (p) => p === 'identityMap')) {
      if ((cur.pathTs[path] ?? -Infinity) <= r.ts) {
        setPath(cur.data, path, value);
        cur.pathTs[path] = r.ts;
      }
    }
    cur.graphId = assign.get(r.identities[0])!;
    if (!cur.batchIds.includes(batchId)) cur.batchIds.push(batchId);
    frags.set(fragIds[i], cur);
  });
  await stores.profiles.putFragments(sandbox, [...frags.values()], stored, scope);

  // Merged profiles: graphs born here from memory, the others from what is stored.
  const graphIds = [...new Set(assign.values())];
  const older = graphIds.filter((g) => !fresh.has(g));
  const cachedMembers = cache?.members(older);
  // With the members known, a graph's fragments are found by their ids (member × dataset) rather than by a graphId query.
  const olderSet = new Set(older);
  const byIds = async (members: Map<string, string[]>) => [...(await stores.profiles.getFragments([...members.values()].flat().flatMap((k) => opts.datasets!.map((d) => stores.profiles.fragmentId(sandbox, d, k))))).values()].filter((f) => olderSet.has(f.graphId));
  const [storedFrags, storedMembers] = await Promise.all([
    cachedMembers && opts.datasets ? byIds(cachedMembers) : stores.profiles.fragmentsOfGraphs(sandbox, older),
    cachedMembers ? [...cachedMembers].flatMap(([graphId, keys]) => keys.map((k) => ({ graphId, ...parseIdentityKey(k) }))) : stores.identities.members(sandbox, older),
  ]);
  const fragsByGraph = groupBy<Fragment & { graphId: string }>([...storedFrags, ...[...frags.values()].filter((f) => fresh.has(f.graphId))], (f) => f.graphId);
  const idsByGraph = groupBy([...storedMembers.map((m) => ({ graphId: m.graphId, ns: m.ns, id: m.id })), ...[...assign].filter(([, g]) => fresh.has(g)).map(([k, graphId]) => ({ graphId, ...parseIdentityKey(k) }))], (m) => m.graphId);
  const profiles = graphIds.map((graphId) => {
    const gf = fragsByGraph.get(graphId) ?? [];
    const entity = mergeFragments(gf);
    const identityMap: Record<string, { id: string }[]> = {};
    for (const m of (idsByGraph.get(graphId) ?? []).sort((a, b) => `${a.ns}:${a.id}`.localeCompare(`${b.ns}:${b.id}`))) (identityMap[m.ns] ??= []).push({ id: m.id });
    entity.identityMap = identityMap;
    return { graphId, partition: partitionOf(graphId), entity, sources: [...new Set(gf.map((f) => f.datasetId))].sort(), lastModifiedAt: now };
  });
  await stores.profiles.putProfiles(sandbox, profiles, fresh, [...merged.keys()], scope);
  return { graphsTouched: graphIds.length, graphsMerged: merged.size, profilesWritten: profiles.length };
}
