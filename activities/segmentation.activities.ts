import { ApplicationFailure } from '@temporalio/common';
import { compileToMongo, evaluatePql } from '../domain/pql';
import { expressionAst, MEMBERSHIP_PREFIX, PROFILE_FIELD_PREFIX } from '../domain/segment/expression';
import type { SegmentDefinition, SegmentJob } from '../domain/segment/model';
import { nextMembership, QUALIFIED } from '../domain/segment/membership';
import type { Membership } from '../domain/segment/membership';
import { isDomainError } from '../domain/shared/errors';
import { PROFILE_PARTITIONS } from '../infra/mongo/profile.repo';
import type { ActivityDeps } from './deps';
import { withKeepAlive } from './heartbeat';
import { replaceDocs } from '../infra/mongo/bulk';
import { recoverWrites } from '../infra/mongo/stores';

export interface PartitionCounts { totalProfiles: number; bySegment: Record<string, { realized: number; existing: number; exited: number }> }

const IN = [...QUALIFIED];

export function createSegmentationActivities(deps: ActivityDeps) {
  const { stores } = deps;
  const profiles = stores.profiles.profiles;

  return {
    /** Pins the job's inputs (definitions) and moves it to PROCESSING. Idempotent. */
    async startSegmentJob(input: { sandbox: string; jobId: string }): Promise<{ segmentIds: string[]; partitions: number }> {
      const job = await stores.segmentJobs.get(input.sandbox, input.jobId);
      if (!job) throw ApplicationFailure.nonRetryable(`segment job ${input.jobId} not found`, 'NOT_FOUND');
      const now = deps.now();
      await stores.segmentJobs.update(input.sandbox, input.jobId, {
        status: 'PROCESSING', updateTime: now,
        metrics: { ...job.metrics, totalTime: { startTimeInMs: job.creationTime }, profileSegmentationTime: { startTimeInMs: now } },
      });
      return { segmentIds: job.segments.map((s) => s.segmentId), partitions: slices(stores) };
    },

    /**
     * Evaluates every segment of the job over one partition of profiles and writes membership
     * changes only. Each change is tagged with the job id, so a retried attempt neither re-counts
     * nor flips its own `realized` into `existing`.
     */
    async evaluatePartition(input: { sandbox: string; jobId: string; partition: number; now: string }): Promise<PartitionCounts> {
      return withKeepAlive(async () => {
        const job = (await stores.segmentJobs.get(input.sandbox, input.jobId)) as SegmentJob;
        const n = slices(stores);
        const base = { sandbox: input.sandbox, partition: { $in: Array.from({ length: PROFILE_PARTITIONS }, (_, i) => i).filter((i) => i % n === input.partition) } };
        await recoverWrites(stores, partitionScope(input));
        if (stores.writeMode === 'deleteInsert') return evaluateInMemory(deps, job, base, input);
        const out: PartitionCounts = { totalProfiles: await profiles.countDocuments(base), bySegment: {} };
        for (const { segmentId, segment } of job.segments) {
          if (!segment) continue;
          const ast = segmentAst(segmentId, segment.expression);
          const match = compileToMongo(ast, { fieldPrefix: PROFILE_FIELD_PREFIX, membershipPrefix: MEMBERSHIP_PREFIX })
            ?? { _id: { $in: await matchInMemory(deps, base, ast, input.now) } };
          const m = `${MEMBERSHIP_PREFIX}${segmentId}`;
          await profiles.updateMany({ ...base, [`${m}.status`]: { $in: IN }, $nor: [match] } as any, { $set: { [`${m}.status`]: 'exited', [`${m}.lastQualificationTime`]: input.now, [`${m}.jobId`]: input.jobId } });
          await profiles.updateMany({ $and: [{ ...base, [`${m}.status`]: { $in: IN }, [`${m}.jobId`]: { $ne: input.jobId } }, match] } as any, { $set: { [`${m}.status`]: 'existing', [`${m}.jobId`]: input.jobId } });
          await profiles.updateMany({ $and: [{ ...base, [`${m}.status`]: { $nin: IN } }, match] } as any, { $set: { [`${m}.status`]: 'realized', [`${m}.lastQualificationTime`]: input.now, [`${m}.jobId`]: input.jobId } });
          const count = (status: string) => profiles.countDocuments({ ...base, [`${m}.status`]: status, [`${m}.jobId`]: input.jobId } as any);
          out.bySegment[segmentId] = { realized: await count('realized'), existing: await count('existing'), exited: await count('exited') };
        }
        return out;
      });
    },

    async completeSegmentJob(input: { sandbox: string; jobId: string; results: PartitionCounts[]; error?: string; cancelled?: boolean }): Promise<SegmentJob['status']> {
      const job = (await stores.segmentJobs.get(input.sandbox, input.jobId)) as SegmentJob;
      const now = deps.now();
      const byStatus: Record<string, { realized: number; existing: number; exited: number }> = {};
      for (const r of input.results) {
        for (const [seg, c] of Object.entries(r.bySegment)) {
          const t = (byStatus[seg] ??= { realized: 0, existing: 0, exited: 0 });
          t.realized += c.realized;
          t.existing += c.existing;
          t.exited += c.exited;
        }
      }
      const status = input.cancelled ? 'CANCELLED' : input.error ? 'FAILED' : 'SUCCEEDED';
      const start = job.metrics.profileSegmentationTime?.startTimeInMs ?? now;
      await stores.segmentJobs.update(input.sandbox, input.jobId, {
        status, updateTime: now,
        errors: input.error ? [{ code: 'SEGMENT-JOB-500', msg: input.error }] : [],
        metrics: {
          totalTime: { startTimeInMs: job.creationTime, endTimeInMs: now, totalTimeInMs: now - job.creationTime },
          profileSegmentationTime: { startTimeInMs: start, endTimeInMs: now, totalTimeInMs: now - start },
          totalProfiles: input.results.reduce((a, r) => a + r.totalProfiles, 0),
          segmentedProfileCounter: Object.fromEntries(Object.entries(byStatus).map(([s, c]) => [s, c.realized + c.existing])),
          segmentedProfileByStatusCounter: byStatus,
        },
      });
      return status;
    },
  };
}

/**
 * How many slices a job splits the profiles into (each slice = the partitions p with p % n = slice).
 * MongoDB: one per stored partition, so more workers go faster. FerretDB scans the whole collection
 * per query whatever the slice size, so there one slice per core of the 2-core machine is cheaper.
 */
const slices = (stores: ActivityDeps['stores']) => (stores.writeMode === 'deleteInsert' ? 2 : PROFILE_PARTITIONS);

/** The writer scope of one partition of one job: what a retry of `evaluatePartition` recovers. */
const partitionScope = (i: { sandbox: string; jobId: string; partition: number }) => `segment-job/${i.sandbox}/${i.jobId}/${i.partition}`;

/** A definition's AST; a definition that no longer parses fails the job without retries. */
function segmentAst(segmentId: string, expression: SegmentDefinition['expression']) {
  try {
    return expressionAst(expression);
  } catch (e) {
    throw isDomainError(e) ? ApplicationFailure.nonRetryable(`segment ${segmentId}: ${e.message}`, e.code) : e;
  }
}

/**
 * The same transitions computed in memory: one read of the partition, one bulk write of the
 * changed profiles. Used where per-document updates are slow (FerretDB on SQLite).
 */
async function evaluateInMemory(deps: ActivityDeps, job: SegmentJob, base: { sandbox: string; partition: { $in: number[] } }, input: { sandbox: string; jobId: string; partition: number; now: string }): Promise<PartitionCounts> {
  const docs = await deps.stores.profiles.profiles.find(base).toArray();
  const out: PartitionCounts = { totalProfiles: docs.length, bySegment: {} };
  const changed = new Map<string, (typeof docs)[number]>();
  for (const { segmentId, segment } of job.segments) {
    if (!segment) continue;
    const ast = segmentAst(segmentId, segment.expression);
    const counts = { realized: 0, existing: 0, exited: 0 };
    for (const p of docs) {
      const ups = ((p.segmentMembership ??= {}).ups ??= {});
      const cur = ups[segmentId] as Membership | undefined;
      const next = nextMembership(cur, evaluatePql(ast, p as any, { now: new Date(input.now) }), input.jobId, input.now);
      if (next !== cur) {
        ups[segmentId] = next!;
        changed.set(p._id, p);
      }
      if (next?.jobId === input.jobId) counts[next.status]++;
    }
    out.bySegment[segmentId] = counts;
  }
  await replaceDocs(deps.stores.profiles.profiles, [...changed.values()], deps.stores.writeMode, partitionScope(input));
  return out;
}

/** Fallback for expressions that cannot be pushed down: scan the partition and evaluate in memory. */
async function matchInMemory(deps: ActivityDeps, base: { sandbox: string; partition: { $in: number[] } }, ast: ReturnType<typeof expressionAst>, now: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const p of deps.stores.profiles.profiles.find(base)) {
    if (evaluatePql(ast, p as any, { now: new Date(now) })) ids.push(p._id);
  }
  return ids;
}

export type SegmentationActivities = ReturnType<typeof createSegmentationActivities>;
