import { DisjointSets } from './components';
import type { IdType } from './namespaces';
import { parseIdentityKey } from './namespaces';

/** Where a link came from: the record that put two identities together. */
export interface LinkSource { datasetId: string; batchId: string; recordKey: string }

/** An identity in a graph; `ts` is when it joined (the record's timestamp), the order it was added breaks ties. */
export interface GraphMember { k: string; ts: number; type: IdType }

/** A link between two identities (a < b), with the first records that made it (a few, for explanations). */
export interface GraphEdge { a: string; b: string; ts: number; src: LinkSource[] }

export interface Graph { id: string; members: GraphMember[]; edges: GraphEdge[] }

/** Per-sandbox identity settings. */
export interface LinkingRules {
  /** Most identities a graph holds; over it, identities are removed (device/cookie ids first, then oldest first). */
  graphLimit: number;
  /** Namespaces of which a graph holds at most one identity: a link that would bring a second one is refused. */
  uniqueNamespaces: string[];
  /** Highest first: the graph's primary identity is its member in the first namespace listed. */
  namespacePriority: string[];
  /** An identity linked to this many others within one batch is not ingested (a shared value such as a test email). */
  batchLinkLimit: number;
}

export const DEFAULT_LINKING_RULES: LinkingRules = { graphLimit: 50, uniqueNamespaces: [], namespacePriority: ['CRMID', 'Email', 'Phone', 'email_lc_sha256', 'phone_sha256', 'ECID'], batchLinkLimit: 50 };

/** Graph changes, kept as history: what happened, to which graph, and why. */
export type GraphChange =
  | { type: 'merged'; graphId: string; from: string[]; link: [string, string]; src?: LinkSource }
  | { type: 'refused'; graphId: string; link: [string, string]; reason: string; src?: LinkSource }
  | { type: 'removed'; graphId: string; identities: string[]; reason: string }
  | { type: 'split'; graphId: string; into: string[] }
  | { type: 'rejected'; identity: string; reason: string };

export interface GraphRecord { keys: string[]; ts: number; src?: LinkSource }

export interface LinkResult {
  /** Every graph that now exists and was created or changed, by id. */
  changed: Map<string, Graph>;
  /** Graphs that existed (given in `stored`) and no longer do: merged away. Value: the graph that absorbed them. */
  mergedAway: Map<string, string>;
  /** Identities moved out of a stored graph into another one other than by a merge (limit removals, splits): key → new graph. */
  moved: Map<string, string>;
  /** Graph of every key of the records (after the links). */
  graphOf: Map<string, string>;
  changes: GraphChange[];
}

const PEOPLE_LAST: Record<IdType, number> = { Cookie: 0, Device: 0, Non_people: 1, Phone: 2, Email: 2, Cross_device: 2 };

/**
 * Links records into identity graphs, one record after another, as if each were ingested alone:
 * the identities of a record are linked pairwise, graphs are the connected components. Stored
 * graphs touched by the records are given in `stored`; graph ids are derived by `newId`
 * from the identity that started a graph, so the same records give the same graphs however they
 * are split into batches.
 *
 * Rules: a link that would put two identities of a unique namespace in one graph is refused (and
 * recorded). When a graph grows over the limit, identities are removed from it (device and cookie
 * ids before people ids, oldest first; never one of the record being linked); each removed identity
 * starts a graph of its own and what is left is split into its connected components.
 */
export function linkGraphs(stored: Graph[], records: GraphRecord[], rules: LinkingRules, typeOf: (ns: string) => IdType, newId: (seed: string) => string): LinkResult {
  const graphs = new Map<string, Graph>(stored.map((g) => [g.id, { id: g.id, members: g.members.map((m) => ({ ...m })), edges: g.edges.map((e) => ({ ...e, src: [...e.src] })) }]));
  const storedIds = new Set(graphs.keys());
  const home = new Map<string, string>();
  for (const g of graphs.values()) for (const m of g.members) home.set(m.k, g.id);
  const originalHome = new Map(home);
  const changed = new Set<string>();
  const mergedAway = new Map<string, string>();
  const changes: GraphChange[] = [];
  const unique = new Set(rules.uniqueNamespaces.map((n) => n.toLowerCase()));
  const nsOf = (k: string) => parseIdentityKey(k).ns;
  const isUnique = (k: string) => unique.has(nsOf(k).toLowerCase());

  const create = (k: string, ts: number, seed = k): Graph => {
    let id = newId(seed);
    for (let i = 1; graphs.has(id); i++) id = newId(`${seed}#${i}`);
    const g: Graph = { id, members: [{ k, ts, type: typeOf(nsOf(k)) }], edges: [] };
    graphs.set(id, g);
    home.set(k, id);
    changed.add(id);
    return g;
  };
  /** The unique-namespace identity that would conflict if `a`'s and `b`'s sides were joined, if any. */
  const conflict = (left: string[], right: string[]): string | undefined => {
    const byNs = new Map<string, string>();
    for (const k of left) if (isUnique(k)) byNs.set(nsOf(k).toLowerCase(), k);
    for (const k of right) {
      if (!isUnique(k)) continue;
      const other = byNs.get(nsOf(k).toLowerCase());
      if (other && other !== k) return `${other} and ${k}`;
    }
    return undefined;
  };
  const addEdge = (g: Graph, a: string, b: string, ts: number, src?: LinkSource) => {
    const [x, y] = a < b ? [a, b] : [b, a];
    const e = g.edges.find((e) => e.a === x && e.b === y);
    if (!e) {
      g.edges.push({ a: x, b: y, ts, src: src ? [src] : [] });
      changed.add(g.id);
    } else if (src && e.src.length < 3 && !e.src.some((s) => s.datasetId === src.datasetId && s.recordKey === src.recordKey && s.batchId === src.batchId)) {
      e.src.push(src);
      changed.add(g.id);
    }
  };

  for (const rec of records) {
    const keys = [...new Set(rec.keys)];
    const before = new Set(keys.map((k) => home.get(k)).filter((g): g is string => !!g));
    for (const k of keys) if (!home.has(k)) create(k, rec.ts);
    /** Graphs that existed before this record: only joining two of them is a merge worth recording. */
    const established = (g: Graph) => before.has(g.id);
    for (let i = 0; i < keys.length; i++) {
      for (let j = i + 1; j < keys.length; j++) {
        const [a, b] = [keys[i], keys[j]];
        const ga = graphs.get(home.get(a)!)!;
        const gb = graphs.get(home.get(b)!)!;
        if (ga !== gb) {
          const clash = conflict(ga.members.map((m) => m.k), gb.members.map((m) => m.k));
          if (clash) {
            changes.push({ type: 'refused', graphId: ga.id, link: [a, b], reason: `unique namespace: ${clash} cannot be in one graph`, src: rec.src });
            continue;
          }
          // A graph that existed absorbs one this record started; else the bigger absorbs the smaller, then the smaller id wins.
          const wins = (x: Graph, y: Graph) => Number(established(x)) - Number(established(y)) || x.members.length - y.members.length || (x.id < y.id ? 1 : -1);
          const [win, lose] = wins(ga, gb) > 0 ? [ga, gb] : [gb, ga];
          if (established(win) && established(lose)) changes.push({ type: 'merged', graphId: win.id, from: [lose.id], link: [a, b], src: rec.src });
          win.members.push(...lose.members);
          win.edges.push(...lose.edges);
          for (const m of lose.members) home.set(m.k, win.id);
          graphs.delete(lose.id);
          changed.delete(lose.id);
          changed.add(win.id);
          if (storedIds.has(lose.id)) mergedAway.set(lose.id, win.id);
          for (const [l, w] of mergedAway) if (w === lose.id) mergedAway.set(l, win.id);
          if (before.delete(lose.id)) before.add(win.id);
        }
        addEdge(graphs.get(home.get(a)!)!, a, b, rec.ts, rec.src);
      }
    }
    const keep = new Set(keys);
    for (const id of new Set(keys.map((k) => home.get(k)!))) {
      const g = graphs.get(id)!;
      if (g.members.length > rules.graphLimit) enforceLimit(g, keep);
    }
  }

  function enforceLimit(g: Graph, keep: Set<string>) {
    const order = g.members.map((m, i) => ({ m, i })).filter(({ m }) => !keep.has(m.k))
      .sort((x, y) => PEOPLE_LAST[x.m.type] - PEOPLE_LAST[y.m.type] || x.m.ts - y.m.ts || x.i - y.i);
    const drop = new Set(order.slice(0, g.members.length - rules.graphLimit).map(({ m }) => m.k));
    if (!drop.size) return;
    changes.push({ type: 'removed', graphId: g.id, identities: [...drop], reason: `graph limit: a graph holds at most ${rules.graphLimit} identities` });
    const removed = g.members.filter((m) => drop.has(m.k));
    g.members = g.members.filter((m) => !drop.has(m.k));
    g.edges = g.edges.filter((e) => !drop.has(e.a) && !drop.has(e.b));
    changed.add(g.id);
    for (const m of removed) {
      home.delete(m.k);
      create(m.k, m.ts, `${g.id}-${m.k}`).members[0] = m;
    }
    // What is left may no longer be connected: keep the part with the record's identity, split off the rest.
    const ds = new DisjointSets();
    for (const m of g.members) ds.add(m.k);
    for (const e of g.edges) ds.union(e.a, e.b);
    const parts = ds.groups();
    if (parts.size === 1) return;
    const anchor = ds.find(g.members.find((m) => keep.has(m.k))?.k ?? g.members[0].k);
    const into: string[] = [];
    for (const [root, ks] of parts) {
      if (root === anchor) continue;
      const set = new Set(ks);
      let id = newId(`${g.id}/${root}`);
      for (let i = 1; graphs.has(id); i++) id = newId(`${g.id}/${root}#${i}`);
      const part: Graph = { id, members: g.members.filter((m) => set.has(m.k)), edges: g.edges.filter((e) => set.has(e.a)) };
      graphs.set(id, part);
      changed.add(id);
      for (const k of ks) home.set(k, id);
      into.push(id);
      g.members = g.members.filter((m) => !set.has(m.k));
      g.edges = g.edges.filter((e) => !set.has(e.a));
    }
    changes.push({ type: 'split', graphId: g.id, into });
  }

  const graphOf = new Map<string, string>();
  for (const r of records) for (const k of r.keys) graphOf.set(k, home.get(k)!);
  const moved = new Map<string, string>();
  for (const [k, before] of originalHome) {
    const now = home.get(k)!;
    if (now !== before && mergedAway.get(before) !== now) moved.set(k, now);
  }
  return { changed: new Map([...changed].map((id) => [id, graphs.get(id)!])), mergedAway, moved, graphOf, changes };
}

/**
 * Identities linked to at least `limit` others within one batch (a shared value such as a test
 * email): they are not ingested, so one careless value cannot glue thousands of people together.
 */
export function overLinked(records: { keys: string[] }[], limit: number): Map<string, number> {
  const partners = new Map<string, Set<string>>();
  for (const r of records) {
    for (const k of r.keys) {
      let s = partners.get(k);
      if (!s) partners.set(k, (s = new Set()));
      for (const o of r.keys) if (o !== k) s.add(o);
    }
  }
  return new Map([...partners].filter(([, s]) => s.size >= limit).map(([k, s]) => [k, s.size]));
}

/** The graph's primary identity: its member in the highest-priority namespace, else its oldest. */
export function primaryIdentity(members: GraphMember[], priority: string[]): string | undefined {
  const rank = (k: string) => {
    const i = priority.findIndex((p) => p.toLowerCase() === parseIdentityKey(k).ns.toLowerCase());
    return i < 0 ? priority.length : i;
  };
  let best: GraphMember | undefined;
  for (const m of members) if (!best || rank(m.k) < rank(best.k)) best = m;
  return best?.k;
}
