import type { Collection, Db, Document, Filter } from 'mongodb';
import type { Fragment } from '../../domain/profile/merge';
import type { Membership } from '../../domain/segment/membership';
import { deleteByIds, findByIds, insertNew, replaceDocs } from './bulk';
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

/** An ExperienceEvent of a profile (events are never merged, only looked up and counted). */
export interface EventDoc {
  _id: string; // <sandbox>|<datasetId>|<event _id>
  sandbox: string;
  datasetId: string;
  batchId: string;
  graphId: string;
  identities: string[];
  timestamp: string;
  eventType?: string;
  data: Record<string, unknown>;
}

export const PROFILE_PARTITIONS = 8;

const enc = (ts: Record<string, number>) => Object.fromEntries(Object.entries(ts).map(([k, v]) => [k.replaceAll('.', '/'), v]));
const dec = (ts: Record<string, number>) => Object.fromEntries(Object.entries(ts).map(([k, v]) => [k.replaceAll('/', '.'), v]));

/** Profile fragments (one per dataset per record identity) and the materialised merged profiles. */
export class ProfileRepo {
  readonly fragments: Collection<FragmentDoc>;
  readonly profiles: Collection<ProfileDoc>;
  readonly events: Collection<EventDoc>;
  constructor(db: Db, private readonly mode: WriteMode = 'upsert') {
    this.fragments = db.collection<FragmentDoc>('fragments');
    this.events = db.collection<EventDoc>('events');
    this.profiles = db.collection<ProfileDoc>('profiles');
  }

  fragmentId = (sandbox: string, datasetId: string, recordKey: string) => `${sandbox}|${datasetId}|${recordKey}`;

  async getFragments(ids: string[]): Promise<Map<string, Fragment & { graphId: string; batchIds: string[] }>> {
    const docs = await findByIds(this.fragments, ids, this.mode);
    return new Map(docs.map((d) => [d._id, { ...d, pathTs: dec(d.pathTs) }]));
  }

  /** Writes fragments: `stored` ones existed before this write (replaced), the others are new (inserted). */
  async putFragments(sandbox: string, frags: (Fragment & { graphId: string; batchIds: string[] })[], stored: Set<string>, scope: string): Promise<void> {
    const docs = frags.map((f): FragmentDoc => ({
      _id: this.fragmentId(sandbox, f.datasetId, f.recordKey), sandbox, datasetId: f.datasetId, recordKey: f.recordKey, graphId: f.graphId, data: f.data, pathTs: enc(f.pathTs), batchIds: f.batchIds,
    }));
    await replaceDocs(this.fragments, docs.filter((d) => stored.has(d._id)), this.mode, scope);
    await insertNew(this.fragments, docs.filter((d) => !stored.has(d._id)));
  }

  async fragmentsOfGraphs(sandbox: string, graphIds: string[]): Promise<(Fragment & { graphId: string })[]> {
    if (!graphIds.length) return [];
    const docs = await this.fragments.find({ sandbox, graphId: { $in: graphIds } }).toArray();
    return docs.map((d) => ({ ...d, pathTs: dec(d.pathTs) }));
  }

  async regraphFragments(sandbox: string, merged: Map<string, string>): Promise<void> {
    for (const [loser, winner] of merged) await this.fragments.updateMany({ sandbox, graphId: loser }, { $set: { graphId: winner } });
  }

  async regraphEvents(sandbox: string, merged: Map<string, string>): Promise<void> {
    for (const [loser, winner] of merged) await this.events.updateMany({ sandbox, graphId: loser }, { $set: { graphId: winner } });
  }

  /** A profile's events, newest first. */
  eventsOf(sandbox: string, graphId: string, opts: { limit?: number; startTime?: string; endTime?: string } = {}): Promise<EventDoc[]> {
    const ts: Record<string, string> = {};
    if (opts.startTime) ts.$gte = opts.startTime;
    if (opts.endTime) ts.$lt = opts.endTime;
    return this.events.find({ sandbox, graphId, ...(Object.keys(ts).length ? { timestamp: ts } : {}) }).sort({ timestamp: -1 }).limit(opts.limit ?? 100).toArray();
  }

  /**
   * Writes merged profiles. Profiles of graphs that existed keep their segment membership (owned
   * by segment jobs) and are replaced; profiles of graphs born in this write are inserted.
   * Profiles of merged-away graphs are dropped.
   */
  async putProfiles(sandbox: string, profiles: Omit<ProfileDoc, '_id' | 'sandbox' | 'segmentMembership'>[], fresh: Set<string>, removedGraphs: string[], scope: string): Promise<void> {
    const doc = (p: (typeof profiles)[number]): ProfileDoc => ({ _id: `${sandbox}|${p.graphId}`, sandbox, ...p });
    const older = profiles.filter((p) => !fresh.has(p.graphId)).map(doc);
    if (older.length) {
      const prior = new Map((await findByIds(this.profiles, older.map((d) => d._id), this.mode, { segmentMembership: 1 })).map((d) => [d._id, d.segmentMembership]));
      await replaceDocs(this.profiles, older.map((d) => (prior.get(d._id) ? { ...d, segmentMembership: prior.get(d._id) } : d)), this.mode, scope);
    }
    await insertNew(this.profiles, profiles.filter((p) => fresh.has(p.graphId)).map(doc));
    await deleteByIds(this.profiles, removedGraphs.map((g) => `${sandbox}|${g}`), this.mode);
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
