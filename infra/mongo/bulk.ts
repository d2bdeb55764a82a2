import { MongoBulkWriteError } from 'mongodb';
import type { Collection, Db, Document } from 'mongodb';

/**
 * How a server takes bulk replacements of documents that already exist. MongoDB: unordered
 * upserts. FerretDB 1.24 on SQLite evaluates every query and update by scanning the collection
 * (measured: 1000 upserts into 5k documents took 18 s; one `deleteMany({_id:{$in}})` + `insertMany`
 * about 1 s), so there existing documents are deleted and re-inserted. That pair is not atomic,
 * so the new versions are first written to a redo log (`_redo`), which the next replacement in
 * the same collection replays: a crash between delete and insert loses nothing. Documents that
 * are new go through `insertNew` (no scan, no window).
 */
export type WriteMode = 'upsert' | 'deleteInsert';

export async function detectWriteMode(db: Db): Promise<WriteMode> {
  const info = await db.admin().command({ buildInfo: 1 }).catch(() => ({}) as Document);
  return 'ferretdbVersion' in info ? 'deleteInsert' : 'upsert';
}

/**
 * Replaces existing documents. `scope` names the writer (an activity and its unit of work, e.g.
 * `ingest/<run>/<file>`): its redo entries are replayed only by a later write of the same scope,
 * i.e. by the retry of the attempt that died, never under a concurrent writer's feet.
 */
export async function replaceDocs<T extends { _id: string }>(coll: Collection<T>, docs: T[], mode: WriteMode, scope: string): Promise<void> {
  if (!docs.length) return;
  const unique = [...new Map(docs.map((d) => [d._id, d])).values()];
  if (mode === 'upsert') {
    await coll.bulkWrite(unique.map((d) => ({ replaceOne: { filter: { _id: d._id } as any, replacement: d, upsert: true } })), { ordered: false });
    return;
  }
  const redo = coll.db.collection<RedoEntry>(REDO);
  await replayRedo(coll, scope);
  const entryId = (id: string) => `${scope}|${coll.collectionName}|${id}`;
  await redo.insertMany(unique.map((doc) => ({ _id: entryId(doc._id), scope, coll: coll.collectionName, doc })), { ordered: false });
  await deleteByIds(coll, unique.map((d) => d._id), mode);
  await coll.insertMany(unique as any[], { ordered: false });
  await deleteByIds(redo, unique.map((d) => entryId(d._id)), mode);
}

const REDO = '_redo';
interface RedoEntry { _id: string; scope: string; coll: string; doc: Document }

/** Finishes the replacements a crashed writer of this scope left half done: re-inserts the logged new versions. */
export async function replayRedo(coll: Collection<any>, scope: string): Promise<number> {
  const redo = coll.db.collection<RedoEntry>(REDO);
  const pending = await redo.find({ scope, coll: coll.collectionName }).toArray();
  if (!pending.length) return 0;
  await deleteByIds(coll, pending.map((p) => p.doc._id as string), 'deleteInsert');
  await insertNew(coll, pending.map((p) => p.doc));
  await deleteByIds(redo, pending.map((p) => p._id), 'deleteInsert');
  return pending.length;
}

/**
 * Inserts documents whose `_id` is derived from what they hold; an `_id` that is already there
 * (written by an earlier attempt, or the same content ingested before) is skipped, so a retry adds
 * nothing twice. Returns the `_id`s that were already there.
 */
export async function insertNew<T extends { _id: string }>(coll: Collection<T>, docs: T[]): Promise<Set<string>> {
  const dups = new Set<string>();
  if (!docs.length) return dups;
  try {
    await coll.insertMany(docs as any[], { ordered: false });
  } catch (e) {
    const errors = e instanceof MongoBulkWriteError ? (Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors]) : [];
    if (!errors.length || errors.some((w) => w.code !== 11000)) throw e;
    for (const w of errors) dups.add(docs[w.index]._id);
  }
  return dups;
}

/**
 * Up to this many ids, FerretDB is asked one `_id` at a time: an `_id` equality find is an index
 * lookup there (deletes and updates are not), while any `$in` scans the whole collection (measured on 100k documents: 24 ms per
 * `findOne({_id})`, 10 s for one `$in` of 1000 ids). MongoDB always gets the `$in`.
 */
const FEW_IDS = 64;

export async function findByIds<T extends Document>(coll: Collection<T>, ids: string[], mode: WriteMode, projection?: Document): Promise<T[]> {
  if (!ids.length) return [];
  if (mode === 'deleteInsert' && ids.length <= FEW_IDS) {
    const out: T[] = [];
    for (const id of ids) {
      const d = await coll.findOne({ _id: id } as any, { projection });
      if (d) out.push(d as T);
    }
    return out;
  }
  return (await coll.find({ _id: { $in: ids } } as any, { projection }).toArray()) as T[];
}

/** One `deleteMany` whatever the count: FerretDB scans the collection for any delete, even by `_id`, so one scan beats one per id. */
export async function deleteByIds(coll: Collection<any>, ids: string[], _mode: WriteMode): Promise<void> {
  if (!ids.length) return;
  await coll.deleteMany({ _id: { $in: ids } });
}
