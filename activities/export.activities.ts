import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ExportJob } from '../domain/segment/model';
import { MEMBERSHIP_PREFIX } from '../domain/segment/expression';
import { getPath, setPath } from '../domain/shared/paths';
import type { ActivityDeps } from './deps';
import { withKeepAlive } from './heartbeat';
import { insertNew } from '../infra/mongo/bulk';

/** Profiles qualifying for any of the filter's segments (realized or existing unless statuses are given). */
export function membershipFilter(segments: { segmentId: string; status?: string[] }[]): Record<string, unknown> {
  return { $or: segments.map((s) => ({ [`${MEMBERSHIP_PREFIX}${s.segmentId}.status`]: { $in: s.status?.length ? s.status : ['realized', 'existing'] } })) };
}

/** Keeps only the requested comma-separated fields (all when none). */
export function pickFields(entity: Record<string, unknown>, fields?: string): Record<string, unknown> {
  if (!fields) return entity;
  const out: Record<string, unknown> = {};
  for (const f of fields.split(',').map((s) => s.trim()).filter(Boolean)) {
    const v = getPath(entity, f);
    if (v !== undefined) setPath(out, f, v);
  }
  return out;
}

export function createExportActivities(deps: ActivityDeps) {
  const { stores } = deps;
  return {
    /**
     * Writes the audience's profiles into the destination dataset as one batch (id = job id).
     * Records are keyed by batch and profile, so a retry skips what the dead attempt wrote; heartbeats the
     * last profile id and resumes after it.
     */
    async runExportJob(input: { sandbox: string; jobId: string }): Promise<{ exported: number; batchId: string }> {
      const job = (await stores.exportJobs.get(input.sandbox, input.jobId)) as ExportJob | null;
      if (!job) throw ApplicationFailure.nonRetryable(`export job ${input.jobId} not found`, 'NOT_FOUND');
      const ctx = Context.current();
      const cursor = ctx.info.heartbeatDetails as { after: string; exported: number } | undefined;
      const now = deps.now();
      const batchId = job.id;
      await stores.batches.put(input.sandbox, {
        id: batchId, status: 'processing', relatedObjects: [{ type: 'dataSet', id: job.destination.datasetId }], inputFormat: { format: 'json' },
        metrics: { inputByteSize: 0, inputFileCount: 0, inputRecordCount: 0, outputRecordCount: 0, failedRecordCount: 0 }, errors: [], tags: {}, created: now, updated: now,
      });
      await stores.exportJobs.update(input.sandbox, job.id, { status: 'PROCESSING', destination: { ...job.destination, batchId }, metrics: { totalTime: { startTimeMs: job.creationTime }, profileExportTime: { startTimeMs: now } }, updateTime: now });
      let after = cursor?.after;
      let exported = cursor?.exported ?? 0;
      await withKeepAlive(async () => {
        for (;;) {
          const page = await stores.profiles.scan(input.sandbox, membershipFilter(job.filter.segments), after, 1000).toArray();
          if (!page.length) break;
          await insertNew(stores.datasetRecords, page.map((p) => {
            const _id = `${input.sandbox}|${batchId}|${p._id}`;
            return { _id, sandbox: input.sandbox, datasetId: job.destination.datasetId, batchId, record: pickFields(p.entity, job.fields) };
          }));
          exported += page.length;
          after = page[page.length - 1]._id;
          ctx.heartbeat({ after, exported });
        }
      }, () => ({ after, exported }));
      const end = deps.now();
      await stores.batches.update(input.sandbox, batchId, { status: 'success', updated: end, completed: end, metrics: { inputByteSize: 0, inputFileCount: 0, inputRecordCount: exported, outputRecordCount: exported, failedRecordCount: 0 } });
      await stores.exportJobs.update(input.sandbox, job.id, {
        status: 'SUCCEEDED', updateTime: end,
        metrics: { totalTime: { startTimeMs: job.creationTime, endTimeMs: end, totalTimeMs: end - job.creationTime }, profileExportTime: { startTimeMs: now, endTimeMs: end, totalTimeMs: end - now }, exportedProfileCounter: exported },
      });
      return { exported, batchId };
    },

    async failExportJob(input: { sandbox: string; jobId: string; error: string; cancelled?: boolean }): Promise<void> {
      await stores.exportJobs.update(input.sandbox, input.jobId, { status: input.cancelled ? 'CANCELLED' : 'FAILED', errors: input.cancelled ? [] : [{ code: 'EXPORT-JOB-500', msg: input.error }], updateTime: deps.now() });
    },
  };
}

export type ExportActivities = ReturnType<typeof createExportActivities>;
