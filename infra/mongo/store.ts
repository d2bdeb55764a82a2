import type { Collection, Db, Filter, Sort } from 'mongodb';
import type { CollectionName } from './collections';

/** $set keys are dotted paths: encode each segment's leading '$' only, and the values fully. */
const encodeSet = (set: object) =>
  Object.fromEntries(Object.entries(set).map(([k, x]) => [k.split('.').map((p) => p.replace(/^\$/, '\uFF04')).join('.'), encodeKeys(x)]));
const OPS = new Set(['$and', '$or', '$nor']);
/**
 * Mongo-wire servers (FerretDB strictly) refuse keys that start with '$' or contain '.', which
 * XDM documents have (`$id`, `$ref`, `meta:...`). Such keys are stored with look-alike characters
 * and turned back on read.
 */
export function encodeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(encodeKeys);
  if (v === null || typeof v !== 'object' || v instanceof Date) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/^\$/, '\uFF04').replaceAll('.', '\uFF0E'), encodeKeys(x)]));
}
export function decodeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeKeys);
  if (v === null || typeof v !== 'object' || v instanceof Date) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/^\uFF04/, '$').replaceAll('\uFF0E', '.'), decodeKeys(x)]));
}
/** Field names in a filter are encoded like stored keys; dotted paths and operators stay as they are. */
const encodeFilter = (f: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(f).map(([k, x]) => [OPS.has(k) ? k : k.replace(/^\$/, '\uFF04'), x]));

/** Stored resources carry their sandbox; `_id` is `<sandbox>:<id>` so one sandbox never sees another's. */
type Stored<T> = T & { _id: string; sandbox: string };

export interface ListOptions {
  start?: number;
  limit?: number;
  sort?: Sort;
}

/**
 * A sandbox-scoped store of API resources (schemas, datasets, flows, jobs…). Every method takes
 * the sandbox first and every query filters by it.
 */
export class ResourceStore<T extends { id: string }> {
  readonly coll: Collection<Stored<T>>;

  constructor(db: Db, name: CollectionName) {
    this.coll = db.collection<Stored<T>>(name);
  }

  private key = (sandbox: string, id: string) => `${sandbox}:${id}`;

  private strip(doc: Stored<T> | null): T | null {
    if (!doc) return null;
    const { _id, sandbox: _s, ...rest } = doc;
    return decodeKeys(rest) as T;
  }

  async insert(sandbox: string, doc: T): Promise<T> {
    await this.coll.insertOne({ ...(encodeKeys(doc) as T), _id: this.key(sandbox, doc.id), sandbox } as any);
    return doc;
  }

  /** Insert or replace: idempotent writes keyed by id (activities retry). */
  async put(sandbox: string, doc: T): Promise<T> {
    await this.coll.replaceOne({ _id: this.key(sandbox, doc.id) } as Filter<Stored<T>>, { ...(encodeKeys(doc) as T), sandbox } as any, { upsert: true });
    return doc;
  }

  async get(sandbox: string, id: string): Promise<T | null> {
    return this.strip((await this.coll.findOne({ _id: this.key(sandbox, id) } as Filter<Stored<T>>)) as Stored<T> | null);
  }

  async find(sandbox: string, filter: Record<string, unknown>): Promise<T | null> {
    return this.strip((await this.coll.findOne({ ...encodeFilter(filter), sandbox } as Filter<Stored<T>>)) as Stored<T> | null);
  }

  async list(sandbox: string, filter: Record<string, unknown> = {}, opts: ListOptions = {}): Promise<{ items: T[]; total: number }> {
    const f = { ...encodeFilter(filter), sandbox } as Filter<Stored<T>>;
    const cursor = this.coll.find(f).sort(opts.sort ?? { _id: 1 }).skip(opts.start ?? 0).limit(opts.limit ?? 100);
    const [docs, total] = await Promise.all([cursor.toArray(), this.coll.countDocuments(f)]);
    return { items: docs.map((d) => this.strip(d as Stored<T>)!), total };
  }

  /** Sets fields; returns the updated resource or null when it does not exist. */
  async update(sandbox: string, id: string, set: Partial<T>): Promise<T | null> {
    const filter = { _id: this.key(sandbox, id) } as Filter<Stored<T>>;
    const res = await this.coll.updateOne(filter, { $set: encodeSet(set) as any });
    return res.matchedCount ? this.get(sandbox, id) : null;
  }

  async delete(sandbox: string, id: string): Promise<boolean> {
    const res = await this.coll.deleteOne({ _id: this.key(sandbox, id) } as Filter<Stored<T>>);
    return res.deletedCount === 1;
  }
}
