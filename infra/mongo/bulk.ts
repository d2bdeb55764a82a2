import type { Collection, Db, Document } from 'mongodb';

/**
 * How a server takes bulk replacements. MongoDB: unordered upserts. FerretDB 1.24 on SQLite
 * evaluates each update by scanning the collection (measured: 1000 upserts into 5k documents took
 * 18 s), while `deleteMany({_id:{$in}})` + `insertMany` cost one scan (about 1 s), so there we
 * delete and re-insert. That is not atomic: a crash between the two calls loses those documents
 * until the retried activity writes them again, which the callers' heartbeated cursors do.
 */
export type WriteMode = 'upsert' | 'deleteInsert';

export async function detectWriteMode(db: Db): Promise<WriteMode> {
  const info = await db.admin().command({ buildInfo: 1 }).catch(() => ({}) as Document);
  return 'ferretdbVersion' in info || 'ferretdb' in info ? 'deleteInsert' : 'upsert';
}

export async function replaceDocs<T extends { _id: string }>(coll: Collection<T>, docs: T[], mode: WriteMode): Promise<void> {
  if (!docs.length) return;
  const unique = [...new Map(docs.map((d) => [d._id, d])).values()];
  if (mode === 'upsert') {
    await coll.bulkWrite(unique.map((d) => ({ replaceOne: { filter: { _id: d._id } as any, replacement: d, upsert: true } })), { ordered: false });
    return;
  }
  await coll.deleteMany({ _id: { $in: unique.map((d) => d._id) } } as any);
  await coll.insertMany(unique as any[], { ordered: false });
}
