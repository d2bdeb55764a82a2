import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Document } from 'mongodb';
import { DEFAULT_EXPORT_STATUSES, exportProfileFilter, exportRecord, identityKeysOf, legacyIdentities, namespacesOf } from '../domain/segment/export';
import type { ExportJob, MembershipStatus } from '../domain/segment/export';
import type { MergePolicy } from '../domain/profile/model';
import { PROFILE_PARTITIONS } from '../infra/mongo/profile.repo';
import type { ProfileDoc } from '../infra/mongo/profile.repo';
import { insertNew } from '../infra/mongo/bulk';
import { getMergePolicy } from '../infra/profile/merge-policies';
import { isTooManyIdentities, readProfile } from '../infra/profile/read-profile';
import { loadSchemaContext } from '../infra/xdm/schema-context';
import type { ActivityDeps } from './deps';
import { withKeepAlive } from './heartbeat';

/** Profiles per write round (and per heartbeat). */
const PAGE = 1000;

export interface SliceResult { exported: number; byNamespace: Record<string, number> }
interface SliceCursor extends SliceResult { after?: string }

/**
 * How many slices an export splits the profiles into (slice s = the partitions p with p % n = s).
 * MongoDB: one per stored partition, so more workers go faster; FerretDB scans the collection per
 * query whatever the slice, so there one slice per core of the small machine it runs on.
 */
const slicesOf = (stores: ActivityDeps['stores']) => (stores.writeMode === 'deleteInsert' ? 2 : PROFILE_PARTITIONS);

/** The dataset row of a profile in an export batch. The form `<sandbox>|<batch>|<profile _id>` is what privacy deletes look for. */
export const exportRowId = (sandbox: string, batchId: string, profileId: string) => `${sandbox}|${batchId}|${profileId}`;

/** Profiles in any of the segments (realized or existing unless statuses are given); activation reads audiences with it too. */
export const membershipFilter = (segments: { segmentId: string; status?: MembershipStatus[] }[]) =>
  exportProfileFilter({ segments: segments.map((s) => ({ segmentId: s.segmentId, segmentNs: 'ups', status: s.status ?? [...DEFAULT_EXPORT_STATUSES] })), emptyProfiles: true });

const timing = (start: number, end: number) => ({ startTimeInMs: start, endTimeInMs: end, totalTimeInMs: end - start });

export function createExportActivities(deps: ActivityDeps) {
  const { stores } = deps;

  const loadJob = async (sandbox: string, jobId: string): Promise<ExportJob> => {
    const job = (await stores.exportJobs.get(sandbox, jobId)) as ExportJob | null;
    if (!job) throw ApplicationFailure.nonRetryable(`export job ${jobId} not found`, 'NOT_FOUND');
    return job;
  };

  return {
    /** Moves the job to PROCESSING and opens its batch in the catalog (batch id = job id, so a retry re-opens the same batch). */
    async startExportJob(input: { sandbox: string; jobId: string }): Promise<{ batchId: string; slices: number }> {
      const job = await loadJob(input.sandbox, input.jobId);
      const now = deps.now();
      const batchId = job.id;
      const started = job.metrics.profileExportTime?.startTimeInMs ?? now;
      await stores.batches.put(input.sandbox, {
        id: batchId, status: 'processing', relatedObjects: [{ type: 'dataSet', id: job.destination.datasetId }], inputFormat: { format: 'json' },
        metrics: { inputByteSize: 0, inputFileCount: 0, inputRecordCount: 0, outputRecordCount: 0, failedRecordCount: 0 }, errors: [],
        tags: { 'openxp:exportJobId': [job.id] }, created: started, updated: now,
      });
      await stores.exportJobs.update(input.sandbox, job.id, {
        status: 'PROCESSING', destination: { ...job.destination, batchId }, updateTime: now,
        metrics: { totalTime: { startTimeInMs: job.creationTime }, profileExportTime: { startTimeInMs: started } },
      });
      return { batchId, slices: slicesOf(stores) };
    },

    /**
     * Writes the selected profiles of one slice as rows of the export batch. Row ids are
     * `<sandbox>|<batch>|<profile _id>`, so rows a dead attempt wrote are skipped; the cursor (last
     * profile `_id` and counts so far) is heartbeated after every page and a retry resumes after it.
     * Stops between pages when the job is cancelled.
     */
    async exportSlice(input: { sandbox: string; jobId: string; batchId: string; slice: number; slices: number }): Promise<SliceResult> {
      const ctx = Context.current();
      const job = await loadJob(input.sandbox, input.jobId);
      const cursor: SliceCursor = { exported: 0, byNamespace: {}, ...(ctx.info.heartbeatDetails as SliceCursor | undefined) };
      const { fieldTypes } = await loadSchemaContext(stores, input.sandbox, (await stores.datasets.get(input.sandbox, job.destination.datasetId))?.schemaRef.id ?? '')
        .catch((e: Error) => { throw ApplicationFailure.nonRetryable(`destination.datasetId: ${e.message}`, 'NOT_FOUND'); });
      const fields = job.fields ? job.fields.split(',').map((f) => f.trim()).filter(Boolean) : undefined;
      const policy = await getMergePolicy(stores, input.sandbox, job.mergePolicy.id, deps.now());
      if (!policy) throw ApplicationFailure.nonRetryable(`mergePolicy.id: merge policy ${job.mergePolicy.id} no longer exists`, 'NOT_FOUND');
      const partitions = Array.from({ length: PROFILE_PARTITIONS }, (_, i) => i).filter((p) => p % input.slices === input.slice);
      const filter: Document = { ...exportProfileFilter(job.filter), sandbox: input.sandbox, partition: { $in: partitions } };
      if (cursor.after) filter._id = { $gt: cursor.after };

      const writePage = async (page: ProfileDoc[]) => {
        const rows = [];
        for (const p of page) {
          const entity = await entityUnder(deps, input.sandbox, p, policy);
          if (!entity) continue;
          const identityMap = p.entity.identityMap;
          rows.push({
            _id: exportRowId(input.sandbox, input.batchId, p._id), sandbox: input.sandbox, datasetId: job.destination.datasetId, batchId: input.batchId,
            identities: identityKeysOf(identityMap), record: exportRecord({ entity, segmentMembership: p.segmentMembership?.ups }, fields, fieldTypes),
          });
          for (const ns of namespacesOf(identityMap)) cursor.byNamespace[ns] = (cursor.byNamespace[ns] ?? 0) + 1;
        }
        await insertNew(stores.datasetRecords, rows);
        cursor.exported += rows.length;
        cursor.after = page[page.length - 1]._id;
        ctx.heartbeat(cursor);
      };

      await withKeepAlive(async () => {
        let page: ProfileDoc[] = [];
        for await (const p of stores.profiles.profiles.find(filter).sort({ _id: 1 }).batchSize(PAGE)) {
          page.push(p);
          if (page.length < PAGE) continue;
          if (ctx.cancellationSignal.aborted) throw new CancelledFailure('export job cancelled');
          await writePage(page);
          page = [];
        }
        if (page.length) await writePage(page);
      }, () => cursor);
      return { exported: cursor.exported, byNamespace: cursor.byNamespace };
    },

    /** Closes the batch (success, record counts from the rows actually written) and the job (SUCCEEDED, metrics). Idempotent. */
    async completeExportJob(input: { sandbox: string; jobId: string; batchId: string; results: SliceResult[] }): Promise<'SUCCEEDED'> {
      const job = await loadJob(input.sandbox, input.jobId);
      const end = deps.now();
      const written = await stores.datasetRecords.countDocuments({ sandbox: input.sandbox, datasetId: job.destination.datasetId, batchId: input.batchId });
      await stores.batches.update(input.sandbox, input.batchId, {
        status: 'success', updated: end, completed: end,
        metrics: { inputByteSize: 0, inputFileCount: 0, inputRecordCount: written, outputRecordCount: written, failedRecordCount: 0 },
      });
      const byNamespace: Record<string, number> = {};
      for (const r of input.results) for (const [ns, n] of Object.entries(r.byNamespace)) byNamespace[ns] = (byNamespace[ns] ?? 0) + n;
      await stores.exportJobs.update(input.sandbox, job.id, {
        status: 'SUCCEEDED', updateTime: end, errors: [],
        metrics: {
          totalTime: timing(job.creationTime, end), profileExportTime: timing(job.metrics.profileExportTime?.startTimeInMs ?? end, end),
          totalExportedProfileCounter: written, exportedProfileCounter: written, exportedProfileByNamespaceCounter: byNamespace,
        },
      });
      return 'SUCCEEDED';
    },

    /** Marks the job FAILED or CANCELLED and its batch failed or aborted, removing the rows written so far (a failed batch holds no data). */
    async failExportJob(input: { sandbox: string; jobId: string; error: string; cancelled?: boolean }): Promise<void> {
      const job = await loadJob(input.sandbox, input.jobId);
      const end = deps.now();
      const batchId = job.destination.batchId;
      if (batchId) {
        await stores.datasetRecords.deleteMany({ sandbox: input.sandbox, datasetId: job.destination.datasetId, batchId });
        await stores.batches.update(input.sandbox, batchId, {
          status: input.cancelled ? 'aborted' : 'failed', updated: end, completed: end,
          errors: input.cancelled ? [] : [{ code: 'EXPORT-JOB-500', description: input.error }],
        });
      }
      await stores.exportJobs.update(input.sandbox, input.jobId, {
        status: input.cancelled ? 'CANCELLED' : 'FAILED', updateTime: end,
        errors: input.cancelled ? [] : [{ code: 'EXPORT-JOB-500', msg: input.error }],
        metrics: { ...job.metrics, totalTime: timing(job.creationTime, end) },
      });
    },
  };
}

/**
 * A profile's entity under the job's merge policy: the stored one when it was materialised under
 * that policy (id and version; profiles without a recorded policy were materialised under the
 * default), otherwise merged on read from its fragments (slower). Null when nothing is left.
 */
async function entityUnder(deps: ActivityDeps, sandbox: string, p: ProfileDoc, policy: MergePolicy): Promise<Record<string, unknown> | null> {
  const current = p.mergePolicy ? p.mergePolicy.id === policy.id && p.mergePolicy.version === policy.version : policy.default;
  if (current) return p.entity;
  const ids = legacyIdentities(p.entity.identityMap);
  const primary = ids.find((x) => x.primary) ?? ids[0];
  if (!primary) return p.entity;
  const read = await readProfile(deps.stores, sandbox, { identityKey: `${primary.namespace.code}:${primary.id}`, graphId: p.graphId }, policy).catch((e) => {
    if (isTooManyIdentities(e)) return null; // not served under any policy (AEP leaves such profiles out)
    throw e;
  });
  return read?.entity ?? null;
}

export type ExportActivities = ReturnType<typeof createExportActivities>;
