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
}

export interface MergePolicyRule {
  type: 'timestampOrdered' | 'dataSetPrecedence';
  /** dataSetPrecedence: datasets in priority order (first wins); datasets not listed are not merged. */
  order?: string[];
}

/** Paths whose value is kept whole rather than merged leaf by leaf. */
const atomic = (path: string) => path === 'identityMap';

/**
 * Merged attributes of a profile. Timestamp-ordered: for each leaf, the value with the latest
 * timestamp wins; ties fall to the dataset id then record key so the result is deterministic.
 */
export function mergeFragments(fragments: Fragment[], policy: MergePolicyRule = { type: 'timestampOrdered' }): Record<string, unknown> {
  const rank = (f: Fragment) => (policy.type === 'dataSetPrecedence' ? (policy.order ?? []).indexOf(f.datasetId) : 0);
  const usable = policy.type === 'dataSetPrecedence' ? fragments.filter((f) => rank(f) >= 0) : fragments;
  const best = new Map<string, { value: unknown; ts: number; rank: number; tie: string }>();
  for (const f of usable) {
    const tie = `${f.datasetId}\u0000${f.recordKey}`;
    for (const [path, value] of leafPaths(f.data, atomic)) {
      if (value === null || value === undefined) continue;
      const ts = f.pathTs[path] ?? 0;
      const cur = best.get(path);
      const r = rank(f);
      const better = !cur ||
        (policy.type === 'dataSetPrecedence'
          ? r < cur.rank || (r === cur.rank && (ts > cur.ts || (ts === cur.ts && tie > cur.tie)))
          : ts > cur.ts || (ts === cur.ts && tie > cur.tie));
      if (better) best.set(path, { value, ts, rank: r, tie });
    }
  }
  const out: Record<string, unknown> = {};
  for (const path of [...best.keys()].sort()) setPath(out, path, best.get(path)!.value);
  return out;
}
