import type { Db } from 'mongodb';
import type { Batch, Dataset, RowError } from '../../domain/catalog/model';
import type { Connection, Flow, RunRecord, SourceConnection, TargetConnection } from '../../domain/flow/model';
import type { SegmentDefinition, SegmentJob, SegmentSchedule, DataWatermark } from '../../domain/segment/model';
import type { ExportJob } from '../../domain/segment/export';
import type { Preview } from '../../domain/segment/preview';
import type { MergePolicy } from '../../domain/profile/model';
import type { PrivacyJob } from '../../domain/privacy/model';
import type { CustomNamespaceDoc } from '../../domain/identity/namespaces';
import type { SchemaDoc, DescriptorDoc, MappingSetDoc } from '../../domain/xdm/registry-model';
import type { ComponentDoc, SchemaVersionDoc } from '../../domain/xdm/registry-model';
import { ResourceStore } from './store';
import { replayRedo } from './bulk';
import type { WriteMode } from './bulk';
import { IdentityRepo } from './identity.repo';
import { GraphRepo } from './graph.repo';
import type { LinkingRules } from '../../domain/identity/graph';
import { ProfileRepo } from './profile.repo';
import { Leases } from './lease';

/** Every repository, built once per process from one Db. */
export function createStores(db: Db, writeMode: WriteMode = 'upsert') {
  const identities = new IdentityRepo(db, writeMode);
  return {
    db,
    writeMode,
    schemas: new ResourceStore<SchemaDoc>(db, 'schemas'),
    descriptors: new ResourceStore<DescriptorDoc>(db, 'descriptors'),
    datasets: new ResourceStore<Dataset>(db, 'datasets'),
    batches: new ResourceStore<Batch>(db, 'batches'),
    rowErrors: db.collection<RowError & { _id: string; sandbox: string }>('rowErrors'),
    /** Rows as ingested; `identities` (normalised keys) lets a privacy job find a person's rows. */
    datasetRecords: db.collection<{ _id: string; sandbox: string; datasetId: string; batchId: string; identities?: string[]; record: Record<string, unknown> }>('datasetRecords'),
    connections: new ResourceStore<Connection>(db, 'connections'),
    sourceConnections: new ResourceStore<SourceConnection>(db, 'sourceConnections'),
    targetConnections: new ResourceStore<TargetConnection>(db, 'targetConnections'),
    mappingSets: new ResourceStore<MappingSetDoc>(db, 'mappingSets'),
    flows: new ResourceStore<Flow>(db, 'flows'),
    runs: new ResourceStore<RunRecord>(db, 'runs'),
    mergePolicies: new ResourceStore<MergePolicy>(db, 'mergePolicies'),
    /** Custom identity namespaces, keyed by lower-cased code (see infra/identity/namespaces.ts). */
    namespaces: new ResourceStore<CustomNamespaceDoc>(db, 'namespaces'),
    segmentDefinitions: new ResourceStore<SegmentDefinition>(db, 'segmentDefinitions'),
    segmentJobs: new ResourceStore<SegmentJob>(db, 'segmentJobs'),
    /** `_id` `<sandbox>|<jobId>|<partition>`: what each partition of a segment job counted. */
    segmentJobPartitions: db.collection<{ _id: string; sandbox: string; jobId: string; partition: number; bySegment: Record<string, { realized: number; existing: number; exited: number }>; watermark: DataWatermark }>('segmentJobPartitions'),
    segmentSchedules: new ResourceStore<SegmentSchedule>(db, 'segmentSchedules'),
    exportJobs: new ResourceStore<ExportJob>(db, 'exportJobs'),
    /** Previews and estimates of `/preview`: short-lived (expired by age on read), see api/routes/preview.ts. */
    previews: new ResourceStore<Preview>(db, 'previews'),
    /** Privacy Service jobs, one per data subject of a request. */
    privacyJobs: new ResourceStore<PrivacyJob>(db, 'privacyJobs'),
    identities,
    graphs: new GraphRepo(db, identities, writeMode),
    /** Per-sandbox identity settings: linking rules (`_id` `<sandbox>|linking-rules`). */
    identityConfig: db.collection<{ _id: string; sandbox: string; rules: LinkingRules; updatedAt: number }>('identityConfig'),
    profiles: new ProfileRepo(db, writeMode),
    leases: new Leases(db),
    /** Per writer scope: the last row a writer started writing (a retry re-applies up to there). */
    progress: db.collection<{ _id: string; startedRow: number }>('progress'),
    /** The file list of an ingestion job, read by its workflow in pages. */
    runFiles: db.collection<{ _id: string; files: any[] }>('runFiles'),
    xdmComponents: new ResourceStore<ComponentDoc>(db, 'xdmComponents'),
    schemaVersions: new ResourceStore<SchemaVersionDoc>(db, 'schemaVersions'),
  };
}

export type Stores = ReturnType<typeof createStores>;

/** Completes the replacements a crashed attempt of this scope left half done; activities that replace call it first. */
export async function recoverWrites(stores: Stores, scope: string): Promise<void> {
  for (const coll of [stores.graphs.coll, stores.identities.coll, stores.profiles.fragments, stores.profiles.events, stores.profiles.profiles]) await replayRedo(coll, scope);
}
