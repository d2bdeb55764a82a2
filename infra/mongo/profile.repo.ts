import type { Collection, Db, Document, Filter } from 'mongodb';
import type { Fragment } from '../../domain/profile/merge';
import { replaceDocs } from './bulk';
import type { WriteMode } from './bulk';

export interface FragmentDoc {
  _id: string; // <sandbox>|<datasetId>|<recordKey>
  sandbox: string;
  datasetId: string;
  recordKey: string;
  graphId: string;
  data: Record<string, unknown>;
  /** Leaf path → timestamp; dots in paths are stored as '/' (Mongo-wire keys cannot hold dots). */
  pathTs: Record<string, number>;
  batchIds: string[];
}

export interface Membership {
  status: 'realized' | 'existing' | 'exited';
  lastQualificationTime: string;
}

export interface ProfileDoc {
  _id: string; // <sandbox>|<graphId>
  sandbox: string;
  graphId: string;
  /** Spreads profiles over partitions so segment jobs evaluate them in parallel. */
  partition: number;
  entity: Record<string, unknown>;
  sources: string[];
  segmentMembership?: { ups?: Record<string, Membership> };
  lastModifiedAt: number;
}

export const PROFILE_PARTITIONS = 8;

const enc = (ts: Record<string, number>) => Object.fromEntries(Object.entries(ts).map(([k, v]) => [k.replaceAll('.', '/'), v]));
const dec = (ts: Record<string, number>) => Object.fromEntries(Object.entries(ts).map(([k, v]) => [k.replaceAll('/', '.'), v]));

/** Profile fragments (one per dataset per record identity) and the materialised merged profiles. */
export class ProfileRepo {
  readonly fragments: Collection<FragmentDoc>;
  readonly profiles: Collection<ProfileDoc>;
  constructor(db: Db, private readonly mode: WriteMode = 'upsert') {
    this.fragments = db.collection<FragmentDoc>('fragments');
    this.profiles = db.collection<ProfileDoc>('profiles');
  }

  fragmentId = (sandbox: string, datasetId: string, recordKey: string) => `${sandbox}|${datasetId}|${recordKey}`;

  async getFragments(ids: string[]): Promise<Map<string, Fragment & { graphId: string; batchIds: string[] }>> {
    const docs = ids.length ? await this.fragments.find({ _id: { $in: ids } }).toArray() : [];
    return new Map(docs.map((d) => [d._id, { ...d, pathTs: dec(d.pathTs) }]));
  }

  async putFragments(sandbox: string, frags: (Fragment & { graphId: string; batchIds: string[] })[]): Promise<void> {
    if (!frags.length) return;
    await replaceDocs(
      this.fragments,
      frags.map((f) => {
        const _id = this.fragmentId(sandbox, f.datasetId, f.recordKey);
        const doc: FragmentDoc = { _id, sandbox, datasetId: f.datasetId, recordKey: f.recordKey, graphId: f.graphId, data: f.data, pathTs: enc(f.pathTs), batchIds: f.batchIds };
        return doc;
      }),
      this.mode,
    );
  }

  async fragmentsOfGraphs(sandbox: string, graphIds: string[]): Promise<(Fragment & { graphId: string })[]> {
    if (!graphIds.length) return [];
    const docs = await this.fragments.find({ sandbox, graphId: { $in: graphIds } }).toArray();
    return docs.map((d) => ({ ...d, pathTs: dec(d.pathTs) }));
  }

  async regraphFragments(sandbox: string, merged: Map<string, string>): Promise<void> {
    for (const [loser, winner] of merged) await this.fragments.updateMany({ sandbox, graphId: loser }, { $set: { graphId: winner } });
  }

  /** Upserts merged profiles, keeping their segment membership; drops profiles of merged-away graphs. */
  async putProfiles(sandbox: string, profiles: Omit<ProfileDoc, '_id' | 'sandbox' | 'segmentMembership'>[], removedGraphs: string[]): Promise<void> {
    if (profiles.length) {
      // Membership is owned by segment jobs: carried over from the stored profile.
      const ids = profiles.map((p) => `${sandbox}|${p.graphId}`);
      const prior = new Map((await this.profiles.find({ _id: { $in: ids } }, { projection: { segmentMembership: 1 } }).toArray()).map((d) => [d._id, d.segmentMembership]));
      await replaceDocs(this.profiles, profiles.map((p) => {
        const _id = `${sandbox}|${p.graphId}`;
        const m = prior.get(_id);
        return { _id, sandbox, ...p, ...(m ? { segmentMembership: m } : {}) };
      }), this.mode);
    }
    if (removedGraphs.length) await this.profiles.deleteMany({ _id: { $in: removedGraphs.map((g) => `${sandbox}|${g}`) } });
  }

  async getProfile(sandbox: string, graphId: string): Promise<ProfileDoc | null> {
    return this.profiles.findOne({ _id: `${sandbox}|${graphId}` });
  }

  count(sandbox: string, filter: Filter<ProfileDoc> = {}): Promise<number> {
    return this.profiles.countDocuments({ ...filter, sandbox } as Filter<ProfileDoc>);
  }

  /** Profiles of one partition matching a filter, in `_id` order after a cursor (resumable scans). */
  scan(sandbox: string, filter: Document, after?: string, limit = 1000) {
    const f: Document = { ...filter, sandbox };
    if (after) f._id = { $gt: after };
    return this.profiles.find(f as Filter<ProfileDoc>).sort({ _id: 1 }).limit(limit);
  }
}
