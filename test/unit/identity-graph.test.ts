import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { DisjointSets } from '../../domain/identity/components';
import { DEFAULT_LINKING_RULES, linkGraphs, overLinked, primaryIdentity } from '../../domain/identity/graph';
import type { Graph, GraphRecord, LinkingRules } from '../../domain/identity/graph';
import type { IdType } from '../../domain/identity/namespaces';

const TYPES: Record<string, IdType> = { ECID: 'Cookie', GAID: 'Device', Email: 'Email', Phone: 'Phone', CRMID: 'Cross_device' };
const typeOf = (ns: string) => TYPES[ns] ?? 'Cross_device';
const newId = (seed: string) => `g${createHash('sha256').update(seed).digest('hex').slice(0, 12)}`;

/** A store as the persistence layer keeps it: graphs by id, and each identity's graph. */
class MemStore {
  graphs = new Map<string, Graph>();
  home = new Map<string, string>();
  changes: string[] = [];
  /** What ingestion does per batch: load the graphs of the batch's identities, link, write back. */
  apply(records: GraphRecord[], rules: LinkingRules) {
    const ids = new Set(records.flatMap((r) => r.keys).map((k) => this.home.get(k)).filter((g): g is string => !!g));
    const r = linkGraphs([...ids].map((id) => this.graphs.get(id)!), records, rules, typeOf, newId);
    for (const loser of r.mergedAway.keys()) this.graphs.delete(loser);
    for (const [id, g] of r.changed) {
      this.graphs.set(id, g);
      for (const m of g.members) this.home.set(m.k, id);
    }
    this.changes.push(...r.changes.map((c) => c.type));
    return r;
  }
  partition(): string[][] {
    return [...this.graphs.values()].map((g) => g.members.map((m) => m.k).sort()).sort((a, b) => a[0].localeCompare(b[0]));
  }
}

const key = fc.tuple(fc.constantFrom('Email', 'CRMID', 'ECID', 'Phone', 'GAID'), fc.integer({ min: 0, max: 14 })).map(([ns, i]) => `${ns}:${i}`);
const records = fc.array(fc.uniqueArray(key, { minLength: 1, maxLength: 4 }).map((keys) => ({ keys, ts: 0 })), { minLength: 1, maxLength: 40 });
const withTimes = (rs: GraphRecord[]) => rs.map((r, i) => ({ ...r, ts: 1000 + i }));
const splits = (n: number) => fc.array(fc.integer({ min: 1, max: Math.max(1, n) }), { maxLength: 6 });
function inBatches<T>(xs: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.filter((c) => c < xs.length))].sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const p of [...points, xs.length]) {
    out.push(xs.slice(from, p));
    from = p;
  }
  return out.filter((b) => b.length);
}
const noLimits: LinkingRules = { ...DEFAULT_LINKING_RULES, graphLimit: 10_000, uniqueNamespaces: [] };

function components(rs: GraphRecord[]): string[][] {
  const ds = new DisjointSets();
  for (const r of rs) {
    r.keys.forEach((k) => ds.add(k));
    for (const k of r.keys.slice(1)) ds.union(r.keys[0], k);
  }
  return [...ds.groups().values()].map((g) => [...g].sort()).sort((a, b) => a[0].localeCompare(b[0]));
}

describe('identity graph: linking', () => {
  test('without rules or limits, graphs are the connected components, whatever the order and the batch split', () => {
    fc.assert(fc.property(records, fc.array(fc.nat()), splits(40), (rs, perm, cuts) => {
      const shuffled = withTimes([...rs].sort((a, b) => (perm[rs.indexOf(a) % Math.max(1, perm.length)] ?? 0) - (perm[rs.indexOf(b) % Math.max(1, perm.length)] ?? 0)));
      const store = new MemStore();
      for (const batch of inBatches(shuffled, cuts)) store.apply(batch, noLimits);
      expect(store.partition()).toEqual(components(rs));
    }), { numRuns: 300 });
  });

  test('with limits and a unique namespace, the batch split changes nothing, and the invariants hold', () => {
    const rules: LinkingRules = { ...DEFAULT_LINKING_RULES, graphLimit: 5, uniqueNamespaces: ['CRMID'] };
    fc.assert(fc.property(records, splits(40), (rs0, cuts) => {
      const rs = withTimes(rs0);
      const whole = new MemStore();
      whole.apply(rs, rules);
      const oneByOne = new MemStore();
      for (const r of rs) oneByOne.apply([r], rules);
      const split = new MemStore();
      for (const batch of inBatches(rs, cuts)) split.apply(batch, rules);
      expect(split.partition()).toEqual(whole.partition());
      expect(oneByOne.partition()).toEqual(whole.partition());
      expect([...split.graphs.keys()].sort()).toEqual([...whole.graphs.keys()].sort());
      for (const g of whole.graphs.values()) {
        expect(g.members.length).toBeLessThanOrEqual(5);
        expect(g.members.filter((m) => m.k.startsWith('CRMID:')).length).toBeLessThanOrEqual(1);
        // Every graph is connected by its own links, and its links stay inside it.
        const ds = new DisjointSets();
        g.members.forEach((m) => ds.add(m.k));
        for (const e of g.edges) {
          expect(ds.find(e.a) !== undefined && g.members.some((m) => m.k === e.a) && g.members.some((m) => m.k === e.b)).toBe(true);
          ds.union(e.a, e.b);
        }
        expect(ds.groups().size).toBe(1);
      }
      // Every identity is in exactly one graph.
      const all = [...whole.graphs.values()].flatMap((g) => g.members.map((m) => m.k));
      expect(new Set(all).size).toBe(all.length);
      expect(new Set(all)).toEqual(new Set(rs.flatMap((r) => r.keys)));
    }), { numRuns: 300 });
  });

  // (With a graph limit, records re-linking a removed identity would remove again: ingestion never re-applies a record it already holds.)
  test('re-applying the same records changes nothing', () => {
    const rules: LinkingRules = { ...noLimits, uniqueNamespaces: ['CRMID'] };
    fc.assert(fc.property(records, (rs0) => {
      const rs = withTimes(rs0);
      const store = new MemStore();
      store.apply(rs, rules);
      const before = store.partition();
      const again = store.apply(rs, rules);
      expect(store.partition()).toEqual(before);
      expect(again.mergedAway.size).toBe(0);
      expect(again.changes.filter((c) => c.type !== 'refused')).toEqual([]);
    }), { numRuns: 200 });
  });

  test('a link that would join two CRM ids is refused, with the reason, and the graphs stay apart', () => {
    const rules: LinkingRules = { ...DEFAULT_LINKING_RULES, uniqueNamespaces: ['CRMID'] };
    const store = new MemStore();
    store.apply([{ keys: ['CRMID:1', 'Email:a'], ts: 1 }, { keys: ['CRMID:2', 'Email:b'], ts: 2 }], rules);
    const r = store.apply([{ keys: ['Email:a', 'Email:b'], ts: 3, src: { datasetId: 'd', batchId: 'b', recordKey: 'Email:a' } }], rules);
    expect(store.partition()).toEqual([['CRMID:1', 'Email:a'], ['CRMID:2', 'Email:b']]);
    expect(r.changes).toEqual([expect.objectContaining({ type: 'refused', link: ['Email:a', 'Email:b'], reason: expect.stringContaining('CRMID:1 and CRMID:2') })]);
  });

  test('over the limit, device and cookie ids go first, then the oldest; the record being linked stays', () => {
    const rules: LinkingRules = { ...DEFAULT_LINKING_RULES, graphLimit: 3 };
    const store = new MemStore();
    store.apply([{ keys: ['Email:a'], ts: 1 }, { keys: ['Email:a', 'CRMID:1'], ts: 2 }, { keys: ['CRMID:1', 'ECID:9'], ts: 3 }], rules);
    const r = store.apply([{ keys: ['Email:a', 'Phone:5'], ts: 4 }], rules);
    expect(r.changes).toContainEqual(expect.objectContaining({ type: 'removed', identities: ['ECID:9'] }));
    expect(store.partition()).toEqual([['CRMID:1', 'Email:a', 'Phone:5'], ['ECID:9']]);
    const r2 = store.apply([{ keys: ['Phone:5', 'Email:z'], ts: 5 }], rules);
    // Then the oldest people id: Email:a (ts 1).
    expect(r2.changes).toContainEqual(expect.objectContaining({ type: 'removed', identities: ['Email:a'] }));
    // Email:a linked CRMID:1 to the rest: without it the graph splits.
    expect(r2.changes).toContainEqual(expect.objectContaining({ type: 'split' }));
    expect(store.partition()).toEqual([['CRMID:1'], ['ECID:9'], ['Email:a'], ['Email:z', 'Phone:5']]);
  });

  test('merges keep the bigger graph id, and record which link merged which graphs', () => {
    const store = new MemStore();
    store.apply([{ keys: ['Email:a', 'CRMID:1', 'Phone:1'], ts: 1 }, { keys: ['Email:b'], ts: 1 }], noLimits);
    const big = store.home.get('Email:a')!;
    const r = store.apply([{ keys: ['Email:b', 'Phone:1'], ts: 2, src: { datasetId: 'd', batchId: 'b2', recordKey: 'Email:b' } }], noLimits);
    expect(store.home.get('Email:b')).toBe(big);
    expect(r.changes).toEqual([expect.objectContaining({ type: 'merged', graphId: big, link: ['Email:b', 'Phone:1'] })]);
    const edge = store.graphs.get(big)!.edges.find((e) => e.a === 'Email:b' && e.b === 'Phone:1');
    expect(edge?.src).toEqual([{ datasetId: 'd', batchId: 'b2', recordKey: 'Email:b' }]);
  });

  test('one shared email on 10k records never yields a graph over the limit', () => {
    const store = new MemStore();
    const rs = Array.from({ length: 10_000 }, (_, i) => ({ keys: [`CRMID:${i}`, 'Email:test@example.com'], ts: i }));
    // Streamed one record at a time, so no batch check helps: the graph limit alone holds.
    for (let i = 0; i < 2000; i++) store.apply([rs[i]], DEFAULT_LINKING_RULES);
    expect(Math.max(...[...store.graphs.values()].map((g) => g.members.length))).toBeLessThanOrEqual(50);
    expect(store.changes.filter((c) => c === 'removed').length).toBeGreaterThan(0);
    // In one batch, the shared value is caught before it links anything.
    expect(overLinked(rs, 50)).toEqual(new Map([['Email:test@example.com', 10_000]]));
  });

  test('primary identity follows namespace priority', () => {
    expect(primaryIdentity([{ k: 'ECID:1', ts: 0, type: 'Cookie' }, { k: 'Email:a', ts: 1, type: 'Email' }, { k: 'CRMID:x', ts: 2, type: 'Cross_device' }], DEFAULT_LINKING_RULES.namespacePriority)).toBe('CRMID:x');
    expect(primaryIdentity([{ k: 'GAID:1', ts: 0, type: 'Device' }], DEFAULT_LINKING_RULES.namespacePriority)).toBe('GAID:1');
  });
});
