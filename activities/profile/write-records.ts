import { linkRecords } from '../../domain/identity/components';
import { parseIdentityKey } from '../../domain/identity/namespaces';
import { mergeFragments, stampPaths } from '../../domain/profile/merge';
import { stableKey } from '../../domain/shared/ids';
import { setPath, leafPaths } from '../../domain/shared/paths';
import { PROFILE_PARTITIONS } from '../../infra/mongo/profile.repo';
import type { Stores } from '../../infra/mongo/stores';

export interface IncomingRecord {
  /** Normalised identity keys of the record; the first is the primary identity. */
  identities: string[];
  data: Record<string, unknown>;
  ts: number;
}

export interface WriteResult {
  graphsTouched: number;
  graphsMerged: number;
  profilesWritten: number;
}

const partitionOf = (graphId: string) => parseInt(graphId.slice(-4), 16) % PROFILE_PARTITIONS;

/**
 * Links a chunk's identities into the stored graph, writes profile fragments, and re-materialises
 * the merged profile of every graph touched. Each step is an idempotent upsert, so re-running a
 * chunk after a crash gives the same result. Concurrent writers to the same graphs are not yet
 * coordinated (FerretDB has no transactions): ingestion runs files of a flow one at a time.
 */
export async function writeRecords(stores: Stores, sandbox: string, datasetId: string, batchId: string, records: IncomingRecord[], now: number): Promise<WriteResult> {
  if (!records.length) return { graphsTouched: 0, graphsMerged: 0, profilesWritten: 0 };
  const groups = linkRecords(records.map((r) => r.identities));
  const existing = await stores.identities.graphsOf(sandbox, [...new Set(records.flatMap((r) => r.identities))]);

  const assign = new Map<string, string>();
  const merged = new Map<string, string>();
  for (const [root, members] of groups) {
    const known = [...new Set(members.map((k) => existing.get(k)).filter((g): g is string => !!g))].sort();
    const winner = known[0] ?? `g${stableKey(sandbox, root)}`;
    for (const loser of known.slice(1)) merged.set(loser, winner);
    for (const k of members) assign.set(k, winner);
  }
  await stores.identities.link(sandbox, assign, merged, now);
  await stores.profiles.regraphFragments(sandbox, merged);

  // Fragments: one per dataset per primary identity, merged leaf by leaf with timestamps.
  const fragIds = records.map((r) => stores.profiles.fragmentId(sandbox, datasetId, r.identities[0]));
  const frags = await stores.profiles.getFragments([...new Set(fragIds)]);
  records.forEach((r, i) => {
    const id = fragIds[i];
    const graphId = assign.get(r.identities[0])!;
    const cur = frags.get(id) ?? { datasetId, recordKey: r.identities[0], data: {}, pathTs: {}, graphId, batchIds: [] };
    const stamps = stampPaths(r.data, r.ts);
    for (const [path, value] of leafPaths(r.data, (p) => p === 'identityMap')) {
      if ((cur.pathTs[path] ?? -Infinity) <= stamps[path]) {
        setPath(cur.data, path, value);
        cur.pathTs[path] = stamps[path];
      }
    }
    cur.graphId = graphId;
    if (!cur.batchIds.includes(batchId)) cur.batchIds.push(batchId);
    frags.set(id, cur);
  });
  await stores.profiles.putFragments(sandbox, [...frags.values()]);

  const graphIds = [...new Set(assign.values())];
  const written = await materialize(stores, sandbox, graphIds, [...merged.keys()], now);
  return { graphsTouched: graphIds.length, graphsMerged: merged.size, profilesWritten: written };
}

/** Recomputes the default-policy merged profile of each graph from its fragments and identities. */
export async function materialize(stores: Stores, sandbox: string, graphIds: string[], removed: string[], now: number): Promise<number> {
  const [allFrags, members] = await Promise.all([
    stores.profiles.fragmentsOfGraphs(sandbox, graphIds),
    stores.identities.members(sandbox, graphIds),
  ]);
  const byGraph = new Map<string, typeof allFrags>();
  for (const f of allFrags) byGraph.set(f.graphId, [...(byGraph.get(f.graphId) ?? []), f]);
  const membersByGraph = new Map<string, typeof members>();
  for (const m of members) membersByGraph.set(m.graphId, [...(membersByGraph.get(m.graphId) ?? []), m]);
  const profiles = graphIds.map((graphId) => {
    const frags = byGraph.get(graphId) ?? [];
    const entity = mergeFragments(frags);
    const identityMap: Record<string, { id: string }[]> = {};
    for (const m of membersByGraph.get(graphId) ?? []) {
      const { ns, id } = parseIdentityKey(`${m.ns}:${m.id}`);
      (identityMap[ns] ??= []).push({ id });
    }
    entity.identityMap = identityMap;
    return { graphId, partition: partitionOf(graphId), entity, sources: [...new Set(frags.map((f) => f.datasetId))].sort(), lastModifiedAt: now };
  });
  await stores.profiles.putProfiles(sandbox, profiles, removed);
  return profiles.length;
}
