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
  /** Leaf path → the batch that last set it (same encoding as pathTs), for explanations. */
  pathBatch?: Record<string, string>;
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
  /** The merge policy (id, version) it was merged under; reads under another policy, or an older version, compute instead. */
  mergePolicy?: { id: string; version: number };
}

/** An ExperienceEvent of a profile (events are never merged, only looked up and counted). */
export interface EventDoc {
  _id: string; // <sandbox>|<datasetId>|<event _id>
  sandbox: string;
  datasetId: string;
  batchId: string;
  graphId: string;
  /** The profile's partition (follows graphId), so segment jobs read a partition's events in one query. */
  partition?: number;
  identities: string[];
  timestamp: string;
  eventType?: string;
  data: Record<string, unknown>;
}

export const PROFILE_PARTITIONS = 8;

/** Partition of a profile (and of its events): from the graph id, stable for the graph's life. */
export const partitionOf = (graphId: string) => parseInt(graphId.slice(-4), 16) % PROFILE_PARTITIONS;



const enc = <V>(ts: Record<string, V>) => Object.fromEntries(Object.entries(ts).map(([k, v]) => [k.replaceAll('.', '/'), v]));
const dec = <V>(ts: Record<string, V>) => Object.fromEntries(Object.entries(ts).map(([k, v]) => [k.replaceAll('/', '.'), v]));

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
    return new Map(docs.map((d) => [d._id, { ...d, pathTs: dec(d.pathTs), pathBatch: dec(d.pathBatch ?? {}) }]));
  }

  /** Writes fragments: `stored` ones existed before this write (replaced), the others are new (inserted). */
  async putFragments(sandbox: string, frags: (Fragment & { graphId: string; batchIds: string[] })[], stored: Set<string>, scope: string): Promise<void> {
    const docs = frags.map((f): FragmentDoc => ({
      _id: this.fragmentId(sandbox, f.datasetId, f.recordKey), sandbox, datasetId: f.datasetId, recordKey: f.recordKey, graphId: f.graphId, data: f.data, pathTs: enc(f.pathTs), pathBatch: enc(f.pathBatch ?? {}), batchIds: f.batchIds,
    }));
    await replaceDocs(this.fragments, docs.filter((d) => stored.has(d._id)), this.mode, scope);
    await insertNew(this.fragments, docs.filter((d) => !stored.has(d._id)));
  }

  async fragmentsOfGraphs(sandbox: string, graphIds: string[]): Promise<(Fragment & { graphId: string })[]> {
    if (!graphIds.length) return [];
    const docs = await this.fragments.find({ sandbox, graphId: { $in: graphIds } }).toArray();
    return docs.map((d) => ({ ...d, pathTs: dec(d.pathTs) }));
  }

  /**
   * Events of some graphs follow their primary identity to its new graph (`target`; undefined = stays),
   * read in one query and written back as one batched replacement.
   */
  async regraphEvents(sandbox: string, fromGraphs: string[], target: (primaryKey: string) => string | undefined, scope: string): Promise<void> {
    if (!fromGraphs.length) return;
    const docs = await this.events.find({ sandbox, graphId: { $in: fromGraphs } }).toArray();
    const moved = docs.flatMap((e) => {
      const to = target(e.identities[0]);
      return to && to !== e.graphId ? [{ ...e, graphId: to, partition: partitionOf(to) }] : [];
    });
    await replaceDocs(this.events, moved, this.mode, scope);
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
  async putProfiles(sandbox: string, profiles: Omit<ProfileDoc, '_id' | 'sandbox' | 'segmentMembership'>[], fresh: Set<string>, removedGraphs: string[], scope: string, membership?: (p: ProfileDoc) => ProfileDoc['segmentMembership']): Promise<void> {
    const doc = (p: (typeof profiles)[number]): ProfileDoc => ({ _id: `${sandbox}|${p.graphId}`, sandbox, ...p });
    const withMembership = (d: ProfileDoc): ProfileDoc => {
      const m = membership ? membership(d) : d.segmentMembership;
      return m ? { ...d, segmentMembership: m } : d;
    };
    const older = profiles.filter((p) => !fresh.has(p.graphId)).map(doc);
    if (older.length) {
      const prior = new Map((await findByIds(this.profiles, older.map((d) => d._id), this.mode, { segmentMembership: 1 })).map((d) => [d._id, d.segmentMembership]));
      await replaceDocs(this.profiles, older.map((d) => withMembership(prior.get(d._id) ? { ...d, segmentMembership: prior.get(d._id) } : d)), this.mode, scope);
    }
    await insertNew(this.profiles, profiles.filter((p) => fresh.has(p.graphId)).map(doc).map(withMembership));
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

  /**
   * One page of a profile's events in (timestamp, _id) order, newest first unless `ascending`,
   * strictly after the cursor `after` (the last event of the previous page). The `_id` tie-break
   * keeps pages free of duplicates and gaps when events share a timestamp.
   */
  eventsPage(sandbox: string, graphId: string, opts: { limit: number; ascending?: boolean; startTime?: string; endTime?: string; after?: { timestamp: string; id: string } }): Promise<EventDoc[]> {
    const dir = opts.ascending ? 1 : -1;
    const past = dir === 1 ? '$gt' : '$lt';
    const and: Filter<EventDoc>[] = [{ sandbox, graphId }];
    if (opts.startTime) and.push({ timestamp: { $gte: opts.startTime } });
    if (opts.endTime) and.push({ timestamp: { $lt: opts.endTime } });
    if (opts.after) and.push({ $or: [{ timestamp: { [past]: opts.after.timestamp } }, { timestamp: opts.after.timestamp, _id: { [past]: opts.after.id } }] } as Filter<EventDoc>);
    return this.events.find({ $and: and }).sort({ timestamp: dir, _id: dir }).limit(opts.limit).toArray();
  }

  /** Deletes a profile's fragments, events and materialised profile (identity links stay); returns the counts. */
  async deleteGraphData(sandbox: string, graphId: string): Promise<{ fragments: number; events: number; profiles: number }> {
    const [f, e, p] = await Promise.all([
      this.fragments.deleteMany({ sandbox, graphId }),
      this.events.deleteMany({ sandbox, graphId }),
      this.profiles.deleteOne({ _id: `${sandbox}|${graphId}` }),
    ]);
    return { fragments: f.deletedCount, events: e.deletedCount, profiles: p.deletedCount };
  }
}
