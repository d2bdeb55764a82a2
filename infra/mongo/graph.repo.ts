import type { Collection, Db } from 'mongodb';
import { findNamespace, STANDARD_NAMESPACES } from '../../domain/identity/namespaces';
import type { Graph, GraphChange, GraphEdge, GraphMember } from '../../domain/identity/graph';
import { deleteByIds, findByIds, insertNew, replaceDocs } from './bulk';
import type { WriteMode } from './bulk';
import type { IdentityRepo } from './identity.repo';

export interface GraphDoc {
  _id: string; // <sandbox>|<graphId>
  sandbox: string;
  graphId: string;
  members: GraphMember[];
  edges: GraphEdge[];
  updatedAt: number;
}

export type HistoryDoc = GraphChange & { _id: string; sandbox: string; at: number; graphId: string };

/**
 * Identity graphs as stored: one document per graph with its members and links (bounded by the
 * graph limit, so a document stays small and is read by `_id`), and the history of changes.
 * The identity → graph map lives in `identities` (IdentityRepo).
 */
export class GraphRepo {
  readonly coll: Collection<GraphDoc>;
  readonly history: Collection<HistoryDoc>;
  constructor(db: Db, private readonly identities: IdentityRepo, private readonly mode: WriteMode = 'upsert') {
    this.coll = db.collection<GraphDoc>('graphs');
    this.history = db.collection<HistoryDoc>('graphHistory');
  }

  id = (sandbox: string, graphId: string) => `${sandbox}|${graphId}`;

  /**
   * Graphs by id. A graph written before graphs had documents is rebuilt from its identities
   * (linked in a star from its oldest member, since the records that linked them are unknown).
   */
  async getMany(sandbox: string, graphIds: string[]): Promise<Graph[]> {
    const docs = await findByIds(this.coll, graphIds.map((g) => this.id(sandbox, g)), this.mode);
    const out: Graph[] = docs.map((d) => ({ id: d.graphId, members: d.members, edges: d.edges }));
    const missing = graphIds.filter((g) => !docs.some((d) => d.graphId === g));
    if (missing.length) {
      const members = await this.identities.members(sandbox, missing);
      for (const g of missing) {
        const ms = members.filter((m) => m.graphId === g).sort((a, b) => a.firstSeen - b.firstSeen);
        if (!ms.length) continue;
        const keys = ms.map((m) => `${m.ns}:${m.id}`);
        out.push({
          id: g,
          members: ms.map((m, i) => ({ k: keys[i], ts: m.firstSeen, type: findNamespace(STANDARD_NAMESPACES, m.ns)?.idType ?? 'Cross_device' })),
          edges: keys.slice(1).map((k) => ({ a: keys[0] < k ? keys[0] : k, b: keys[0] < k ? k : keys[0], ts: ms[0].firstSeen, src: [] })),
        });
      }
    }
    return out;
  }

  /** Writes graphs: those in `stored` are replaced, the others inserted (a retry skips what it wrote). */
  async put(sandbox: string, graphs: Graph[], stored: Set<string>, now: number, scope: string): Promise<void> {
    const doc = (g: Graph): GraphDoc => ({ _id: this.id(sandbox, g.id), sandbox, graphId: g.id, members: g.members, edges: g.edges, updatedAt: now });
    await replaceDocs(this.coll, graphs.filter((g) => stored.has(g.id)).map(doc), this.mode, scope);
    await insertNew(this.coll, graphs.filter((g) => !stored.has(g.id)).map(doc));
  }

  remove(sandbox: string, graphIds: string[]): Promise<void> {
    return deleteByIds(this.coll, graphIds.map((g) => this.id(sandbox, g)), this.mode);
  }

  /** Appends changes; ids come from the writer and position, so a retried write adds nothing twice. */
  async record(sandbox: string, changes: GraphChange[], at: number, writer: string): Promise<void> {
    await insertNew(this.history, changes.map((c, i): HistoryDoc => ({ ...c, _id: `${sandbox}|${writer}|${i}`, sandbox, at, graphId: 'graphId' in c ? c.graphId : '' })));
  }

  /** Changes of the given graphs (and of graphs they absorbed or split from), oldest first. */
  async historyOf(sandbox: string, graphIds: string[], limit = 1000): Promise<HistoryDoc[]> {
    const ids = new Set(graphIds);
    const docs = await this.history.find({ sandbox, $or: [{ graphId: { $in: [...ids] } }, { from: { $in: [...ids] } }, { into: { $in: [...ids] } }] }).sort({ at: 1, _id: 1 }).limit(limit).toArray();
    return docs;
  }
}
