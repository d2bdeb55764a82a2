import type { Collection, Db } from 'mongodb';
import { identityKey, parseIdentityKey } from '../../domain/identity/namespaces';
import { findByIds, insertNew, replaceDocs } from './bulk';
import type { WriteMode } from './bulk';

export interface IdentityDoc {
  _id: string; // <sandbox>|<ns>:<id>
  sandbox: string;
  ns: string;
  id: string;
  graphId: string;
  firstSeen: number;
  /** The unit of work that first wrote it (`<scope>#<first row of its chunk>`): a retry of that same unit may reclaim it. */
  writer?: string;
}

export interface KnownIdentity { graphId: string; writer?: string }

/**
 * The identity graph as stored: one document per identity naming its graph (connected component).
 * Components are merged by re-pointing the losing graphs' identities to the winner.
 */
export class IdentityRepo {
  readonly coll: Collection<IdentityDoc>;
  constructor(db: Db, private readonly mode: WriteMode = 'upsert') {
    this.coll = db.collection<IdentityDoc>('identities');
  }

  private key = (sandbox: string, k: string) => `${sandbox}|${k}`;

  /** graphId of each known identity key. */
  async graphsOf(sandbox: string, keys: string[]): Promise<Map<string, string>> {
    return new Map([...(await this.lookup(sandbox, keys))].map(([k, v]) => [k, v.graphId]));
  }

  /** Graph and first writer of each known identity key. */
  async lookup(sandbox: string, keys: string[]): Promise<Map<string, KnownIdentity>> {
    const out = new Map<string, KnownIdentity>();
    if (!keys.length) return out;
    const docs = await findByIds(this.coll, keys.map((k) => this.key(sandbox, k)), this.mode, { ns: 1, id: 1, graphId: 1, writer: 1 });
    for (const d of docs) out.set(identityKey(d.ns, d.id), { graphId: d.graphId, writer: d.writer });
    return out;
  }

  /** Stores identities seen for the first time (a retry skips what it already inserted). */
  async link(sandbox: string, added: Map<string, string>, now: number, writer?: string): Promise<void> {
    await insertNew(this.coll, [...added].map(([k, graphId]) => {
      const { ns, id } = parseIdentityKey(k);
      return { _id: this.key(sandbox, k), sandbox, ns, id, graphId, firstSeen: now, ...(writer ? { writer } : {}) };
    }));
  }

  /** Moves stored identities to other graphs, as one batched replacement (crash-safe under `scope`). */
  async repoint(sandbox: string, moved: Map<string, string>, scope: string): Promise<void> {
    if (!moved.size) return;
    const docs = await findByIds(this.coll, [...moved.keys()].map((k) => this.key(sandbox, k)), this.mode);
    const changed = docs.map((d) => ({ ...d, graphId: moved.get(identityKey(d.ns, d.id))! })).filter((d, i) => d.graphId && d.graphId !== docs[i].graphId);
    await replaceDocs(this.coll, changed, this.mode, scope);
  }

  async members(sandbox: string, graphIds: string[]): Promise<IdentityDoc[]> {
    if (!graphIds.length) return [];
    return this.coll.find({ sandbox, graphId: { $in: graphIds } }).sort({ _id: 1 }).toArray();
  }

  async countGraphs(sandbox: string): Promise<number> {
    const rows = await this.coll.aggregate([{ $match: { sandbox } }, { $group: { _id: '$graphId' } }, { $count: 'n' }]).toArray();
    return (rows[0]?.n as number | undefined) ?? 0;
  }
}
