import type { Db, IndexDescription } from 'mongodb';

/**
 * Every collection with its indexes, declared together. Unique indexes back every upsert key.
 * Stays within what FerretDB 1.24 and MongoDB 7+ both support (no TTL, no partial filters).
 */
export const COLLECTIONS = {
  schemas: [],
  descriptors: [{ key: { sandbox: 1, 'xdm:sourceSchema': 1 } }],
  datasets: [],
  batches: [{ key: { sandbox: 1, 'relatedObjects.id': 1 } }],
  rowErrors: [{ key: { sandbox: 1, batchId: 1, _filename: 1, rowNumber: 1 }, unique: true }],
  datasetRecords: [{ key: { sandbox: 1, datasetId: 1, batchId: 1 } }, { key: { sandbox: 1, identities: 1 } }],
  connections: [],
  sourceConnections: [],
  targetConnections: [],
  mappingSets: [],
  flows: [],
  runs: [{ key: { sandbox: 1, flowId: 1, createdAt: -1 } }],
  mergePolicies: [],
  identities: [{ key: { sandbox: 1, graphId: 1 } }],
  /** One document per identity graph: members (≤ the graph limit) and the links between them. */
  graphs: [],
  /** Graph changes (created, merged, split, identities removed, links refused), newest last. */
  graphHistory: [{ key: { sandbox: 1, graphId: 1, at: 1 } }],
  /** Custom identity namespaces of a sandbox. */
  namespaces: [],
  /** Per-sandbox identity settings (linking rules, graph limit). */
  identityConfig: [],
  privacyJobs: [],
  fragments: [{ key: { sandbox: 1, graphId: 1 } }],
  profiles: [{ key: { sandbox: 1, partition: 1 } }],
  events: [{ key: { sandbox: 1, graphId: 1, timestamp: -1 } }, { key: { sandbox: 1, partition: 1 } }],
  leases: [],
  progress: [],
  runFiles: [],
  segmentDefinitions: [],
  segmentJobs: [],
  /** Per (job, partition): the partition's status counts and data watermark, read when the job completes. */
  segmentJobPartitions: [],
  /** `/config/schedules`, each backed by a Temporal Schedule. */
  segmentSchedules: [],
  exportJobs: [],
  /** `/preview` results (sampled qualifying profile ids and estimate); expired by age on read (no TTL indexes on FerretDB). */
  previews: [],
  xdmComponents: [{ key: { sandbox: 1, 'meta:resourceType': 1 } }],
  schemaVersions: [{ key: { sandbox: 1, schemaId: 1 } }],
} satisfies Record<string, IndexDescription[]>;

export type CollectionName = keyof typeof COLLECTIONS;

/** Creates every declared index; idempotent, run by workers and the API at start-up. */
export async function ensureIndexes(db: Db): Promise<void> {
  for (const [name, indexes] of Object.entries(COLLECTIONS) as [CollectionName, IndexDescription[]][]) {
    const coll = db.collection(name);
    await coll.createIndex({ sandbox: 1 });
    for (const ix of indexes) await coll.createIndex(ix.key, { unique: ix.unique ?? false });
  }
}
