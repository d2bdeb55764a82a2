import { parseIdentityKey } from '../identity/namespaces';
import { leafPaths, setPath } from '../shared/paths';

/** One dataset's view of a person: the record(s) ingested for one identity in one dataset. */
export interface Fragment {
  datasetId: string;
  /** Primary identity key (`Email:a@b.com`) the fragment is stored under. */
  recordKey: string;
  /** XDM attributes (without identityMap, which the graph owns). */
  data: Record<string, unknown>;
  /** Per-leaf-path timestamps (epoch ms) so merges are attribute by attribute, never whole-fragment. */
  pathTs: Record<string, number>;
  /** Per-leaf-path batch that last set the value (absent on fragments written before it was kept). */
  pathBatch?: Record<string, string>;
}

export interface MergePolicyRule {
  type: 'timestampOrdered' | 'dataSetPrecedence';
  /** dataSetPrecedence: datasets in priority order (first wins); datasets not listed are not merged. */
  order?: string[];
}

/** Where a merged attribute came from. */
export interface AttributeSource {
  datasetId: string;
  recordKey: string;
  /** ISO time the winning value was written. */
  timestamp: string;
  batchId?: string;
}

export interface MergeExplanation {
  entity: Record<string, unknown>;
  /** Leaf path → the fragment whose value won. */
  sources: Record<string, AttributeSource>;
}

/** identityMap is owned by the identity graph, never merged from fragments; arrays are leaves already. */
const atomic = (path: string) => path === 'identityMap';

interface Candidate { value: unknown; ts: number; rank: number; tie: string; f: Fragment }

/**
 * Whether `a` beats `b` for one leaf. Timestamp-ordered: the later write wins. Dataset precedence:
 * the earlier dataset in `order` wins, and within one dataset the later write. Remaining ties fall to
 * the dataset id then the record key, so the result never depends on the order fragments come in.
 */
const beats = (a: Candidate, b: Candidate) => a.rank < b.rank || (a.rank === b.rank && (a.ts > b.ts || (a.ts === b.ts && a.tie > b.tie)));

/**
 * Merges fragments attribute by attribute under a policy's rule and says, for each merged leaf,
 * which fragment (dataset, record, batch, time) supplied it. Null values are not merged.
 */
export function explainMerge(fragments: Fragment[], rule: MergePolicyRule = { type: 'timestampOrdered' }): MergeExplanation {
  const order = rule.type === 'dataSetPrecedence' ? (rule.order ?? []) : null;
  const best = new Map<string, Candidate>();
  for (const f of fragments) {
    const rank = order ? order.indexOf(f.datasetId) : 0;
    if (rank < 0) continue; // dataSetPrecedence: datasets not listed are not merged at all
    const tie = `${f.datasetId}\u0000${f.recordKey}`;
    for (const [path, value] of leafPaths(f.data, atomic)) {
      if (value === null || value === undefined || atomic(path)) continue;
      const ts = f.pathTs[path];
      const c: Candidate = { value, ts: Number.isFinite(ts) ? ts : 0, rank, tie, f };
      const cur = best.get(path);
      if (!cur || beats(c, cur)) best.set(path, c);
    }
  }
  // A leaf that is an ancestor of another winning leaf (a scalar in one dataset, an object in another)
  // would be overwritten when the deeper leaf is set; it is left out so `sources` matches `entity`.
  const paths = [...best.keys()].sort();
  const ancestors = new Set(paths.flatMap((p) => p.split('.').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('.'))));
  const entity: Record<string, unknown> = {};
  const sources: Record<string, AttributeSource> = {};
  for (const path of paths) {
    if (ancestors.has(path)) continue;
    const { value, ts, f } = best.get(path)!;
    setPath(entity, path, value);
    const batchId = f.pathBatch?.[path];
    sources[path] = { datasetId: f.datasetId, recordKey: f.recordKey, timestamp: new Date(ts).toISOString(), ...(batchId ? { batchId } : {}) };
  }
  return { entity, sources };
}

/** Merged attributes of a profile under a policy's rule (see explainMerge). */
export function mergeFragments(fragments: Fragment[], rule: MergePolicyRule = { type: 'timestampOrdered' }): Record<string, unknown> {
  return explainMerge(fragments, rule).entity;
}

/** An identity of a graph as the profile shows it. */
export interface GraphMember { ns: string; id: string }

export interface ProfileView extends MergeExplanation {
  /** Datasets whose fragments took part in the merge. */
  sourceDatasets: string[];
  /** Latest write among the merged fragments (epoch ms), 0 when none. */
  lastModifiedAt: number;
  fragmentCount: number;
}

/**
 * A profile as one merge policy sees it. `pdg`: every fragment of the identity's graph, with the
 * graph's identities in identityMap. `none`: only the fragments stored under the identity itself
 * (no stitching), with only that identity in identityMap.
 */
export function composeProfile(input: {
  identityKey: string;
  fragments: Fragment[];
  members: GraphMember[];
  identityGraph: 'none' | 'pdg';
  rule: MergePolicyRule;
  /** The graph's primary identity key, flagged `primary` in identityMap (none: the identity itself). */
  primary?: string;
}): ProfileView {
  const stitched = input.identityGraph === 'pdg';
  const used = (stitched ? input.fragments : input.fragments.filter((f) => f.recordKey === input.identityKey))
    .filter((f) => input.rule.type !== 'dataSetPrecedence' || (input.rule.order ?? []).includes(f.datasetId));
  const { entity, sources } = explainMerge(used, input.rule);
  const members = stitched ? input.members : [parseIdentityKey(input.identityKey)];
  const primary = stitched ? input.primary : input.identityKey;
  const identityMap: Record<string, { id: string; primary?: boolean }[]> = {};
  for (const m of [...members].sort((a, b) => `${a.ns}:${a.id}`.localeCompare(`${b.ns}:${b.id}`))) {
    (identityMap[m.ns] ??= []).push(`${m.ns}:${m.id}` === primary ? { id: m.id, primary: true } : { id: m.id });
  }
  entity.identityMap = identityMap;
  const lastModifiedAt = used.reduce((m, f) => Object.values(f.pathTs).reduce((a, b) => Math.max(a, b), m), 0);
  return { entity, sources, sourceDatasets: [...new Set(used.map((f) => f.datasetId))].sort(), lastModifiedAt, fragmentCount: used.length };
}
