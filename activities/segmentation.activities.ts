import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { AnyBulkWriteOperation } from 'mongodb';
import { combineWatermarks, evaluateProfile, eventNeeds, PassTotals, planSegments, profileEvents } from '../domain/segment/evaluate-partition';
import type { EvalEvent, PlannedSegment, StatusCounts } from '../domain/segment/evaluate-partition';
import { MEMBERSHIP_PREFIX } from '../domain/segment/expression';
import { newSegmentJob, planJobSegments, TERMINAL } from '../domain/segment/job';
import type { SegmentJob } from '../domain/segment/model';
import { isDomainError } from '../domain/shared/errors';
import { workflowIds } from '../domain/shared/ids';
import type { EventDoc, ProfileDoc } from '../infra/mongo/profile.repo';
import { PROFILE_PARTITIONS } from '../infra/mongo/profile.repo';
import { replaceDocs } from '../infra/mongo/bulk';
import { recoverWrites } from '../infra/mongo/stores';
import type { Stores } from '../infra/mongo/stores';
import { defaultMergePolicyOf } from '../infra/profile/merge-policies';
import type { ActivityDeps } from './deps';
import { withKeepAlive } from './heartbeat';

/** What one partition reports to the workflow (its counts go to `segmentJobPartitions`, not through history). */
export interface PartitionSummary { partition: number; profiles: number; changed: number }

/** Profiles whose changes are written together (MongoDB: per bulkWrite; FerretDB writes a slice at once, see below). */
const WRITE_EVERY = 1000;
/** How often a partition records its progress on the job document. */
const PROGRESS_EVERY_MS = 2000;

export function createSegmentationActivities(deps: ActivityDeps) {
  const { stores } = deps;

  return {
    /** Moves the job to PROCESSING (unless a cancel came first) and says how many slices to evaluate. Idempotent. */
    async startSegmentJob(input: { sandbox: string; jobId: string }): Promise<{ partitions: number }> {
      const job = await stores.segmentJobs.get(input.sandbox, input.jobId);
      if (!job) throw ApplicationFailure.nonRetryable(`segment job ${input.jobId} not found`, 'NOT_FOUND');
      const now = deps.now();
      const partitions = slices(stores);
      await setIfStatus(stores, input.sandbox, input.jobId, ['NEW', 'QUEUED'], {
        status: 'PROCESSING', updateTime: now, progress: { partitions, partitionsDone: 0, profilesDone: 0 },
        metrics: { ...job.metrics, totalTime: { startTimeInMs: job.creationTime }, profileSegmentationTime: { startTimeInMs: now } },
      });
      return { partitions };
    },

    /**
     * Evaluates every segment of the job over one slice of the profiles in one pass (one query for
     * the profiles, one for their events when a segment reads events) and writes the membership
     * changes only. Idempotent: changes carry the job id, so a retry neither re-counts nor turns its
     * own `realized` into `existing`, and a half-done FerretDB replacement is completed first.
     * Heartbeats the profiles done; stops without writing when the job is cancelled.
     */
    async evaluatePartition(input: { sandbox: string; jobId: string; partition: number; now: string }): Promise<PartitionSummary> {
      const job = await stores.segmentJobs.get(input.sandbox, input.jobId);
      if (!job) throw ApplicationFailure.nonRetryable(`segment job ${input.jobId} not found`, 'NOT_FOUND');
      const plan = parsePlan(job);
      const ctx = Context.current();
      let done = 0;
      return withKeepAlive(async () => {
        const n = slices(stores);
        const filter = { sandbox: input.sandbox, partition: { $in: Array.from({ length: PROFILE_PARTITIONS }, (_, i) => i).filter((i) => i % n === input.partition) } };
        await recoverWrites(stores, partitionScope(input));
        const eventsByGraph = await loadEvents(stores, filter, plan, input.now);
        const totals = new PassTotals(plan);
        const writer = membershipWriter(stores, partitionScope(input));
        let lastProgress = deps.now();
        for await (const p of stores.profiles.profiles.find(filter)) {
          if (ctx.cancellationSignal.aborted) throw new CancelledFailure('segment job cancelled');
          const evs = eventsByGraph?.get(p.graphId) ?? [];
          const outcome = evaluateProfile(p, eventsByGraph ? profileEvents(evs) : undefined, plan, { jobId: input.jobId, now: input.now });
          totals.add(p, evs.map((e) => e._id), outcome);
          await writer.add(p, outcome.changes);
          done++;
          if (deps.now() - lastProgress >= PROGRESS_EVERY_MS) {
            lastProgress = deps.now();
            ctx.heartbeat({ profilesDone: done });
            await recordProgress(stores, input, done, false);
          }
        }
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('segment job cancelled');
        const changed = await writer.flush();
        await stores.segmentJobPartitions.replaceOne(
          { _id: partitionResultId(input) },
          { sandbox: input.sandbox, jobId: input.jobId, partition: input.partition, bySegment: totals.bySegment, watermark: totals.watermark() },
          { upsert: true },
        );
        await recordProgress(stores, input, done, true);
        return { partition: input.partition, profiles: totals.profiles, changed };
      }, () => ({ profilesDone: done }));
    },

    /** Final status and AEP metrics from the partitions' results; records the data watermark. Cancelled → CANCELLED. */
    async completeSegmentJob(input: { sandbox: string; jobId: string; error?: string; cancelled?: boolean }): Promise<SegmentJob['status']> {
      const job = (await stores.segmentJobs.get(input.sandbox, input.jobId)) as SegmentJob;
      const now = deps.now();
      const parts = await stores.segmentJobPartitions.find({ _id: { $in: Array.from({ length: slices(stores) }, (_, p) => partitionResultId({ ...input, partition: p })) } }).toArray();
      const byStatus: Record<string, StatusCounts> = {};
      for (const s of job.segments) byStatus[s.segmentId] = { realized: 0, existing: 0, exited: 0 };
      for (const r of parts) {
        for (const [seg, c] of Object.entries(r.bySegment)) {
          const t = (byStatus[seg] ??= { realized: 0, existing: 0, exited: 0 });
          t.realized += c.realized;
          t.existing += c.existing;
          t.exited += c.exited;
        }
      }
      const status = input.cancelled ? 'CANCELLED' : input.error ? 'FAILED' : 'SUCCEEDED';
      const watermark = combineWatermarks(parts.map((p) => p.watermark));
      const start = job.metrics.profileSegmentationTime?.startTimeInMs ?? now;
      const original = job.inputs?.rerunOf ? await stores.segmentJobs.get(input.sandbox, job.inputs.rerunOf) : null;
      const rerun = original && status === 'SUCCEEDED' ? {
        of: original.id,
        sameData: original.inputs?.dataWatermark?.hash === watermark.hash && original.inputs?.dataWatermark?.profiles === watermark.profiles,
        sameMergePolicy: JSON.stringify(original.inputs?.mergePolicy) === JSON.stringify(job.inputs?.mergePolicy),
      } : undefined;
      await stores.segmentJobs.update(input.sandbox, input.jobId, {
        ...(rerun ? { rerun } : {}),
        status, updateTime: now,
        errors: input.error ? [{ code: 'SEGMENT-JOB-500', msg: input.error }] : [],
        ...(job.inputs && status === 'SUCCEEDED' ? { inputs: { ...job.inputs, dataWatermark: watermark } } : {}),
        ...(job.progress ? { progress: { ...job.progress, partitionsDone: parts.length, profilesDone: watermark.profiles } } : {}),
        metrics: {
          totalTime: { startTimeInMs: job.creationTime, endTimeInMs: now, totalTimeInMs: now - job.creationTime },
          profileSegmentationTime: { startTimeInMs: start, endTimeInMs: now, totalTimeInMs: now - start },
          totalProfiles: watermark.profiles,
          segmentedProfileCounter: Object.fromEntries(Object.entries(byStatus).map(([s, c]) => [s, c.realized + c.existing])),
          segmentedProfileByStatusCounter: byStatus,
        },
      });
      return status;
    },

    /**
     * A scheduled run's job: every batch-enabled segment (or the schedule's list), inputs pinned
     * now. Keyed by the job id the workflow chose, so a retry finds the job it already made.
     */
    async createScheduledSegmentJob(input: { sandbox: string; scheduleId: string; runId: string; jobId: string }): Promise<{ jobId: string; now: string; status: SegmentJob['status'] }> {
      const existing = await stores.segmentJobs.get(input.sandbox, input.jobId);
      if (existing) return { jobId: existing.id, now: existing.inputs!.now, status: existing.status };
      const schedule = await stores.segmentSchedules.get(input.sandbox, input.scheduleId);
      if (!schedule) throw ApplicationFailure.nonRetryable(`schedule ${input.scheduleId} not found`, 'NOT_FOUND');
      const now = deps.now();
      const { items } = await stores.segmentDefinitions.list(input.sandbox, {}, { limit: 10_000 });
      const defs = new Map(items.map((d) => [d.id, d]));
      let segments;
      try {
        segments = planJobSegments(schedule.properties.segments?.length ? schedule.properties.segments : ['*'], defs);
      } catch (e) {
        throw isDomainError(e) ? ApplicationFailure.nonRetryable(`schedule ${input.scheduleId}: ${e.message}`, e.code) : e;
      }
      const mp = await defaultMergePolicyOf(stores, input.sandbox, now);
      const workflowId = workflowIds.segmentJob(input.sandbox, input.jobId);
      const job = newSegmentJob({
        id: input.jobId, segments, now, mergePolicy: { id: mp.id, version: mp.version },
        workflow: { workflowId }, properties: { scheduleId: input.scheduleId, runId: input.runId },
      });
      await stores.segmentJobs.put(input.sandbox, { ...job, status: 'QUEUED' });
      return { jobId: job.id, now: job.inputs!.now, status: 'QUEUED' };
    },
  };
}

/** The job's segments parsed; a definition that no longer parses fails the job without retries. */
function parsePlan(job: SegmentJob): PlannedSegment[] {
  try {
    return planSegments(job.segments);
  } catch (e) {
    throw isDomainError(e) ? ApplicationFailure.nonRetryable(`segment job ${job.id}: ${e.message}`, e.code) : e;
  }
}

/** The slice's events (one query), by profile, from the earliest instant a segment looks at; undefined when no segment reads events. */
async function loadEvents(stores: Stores, filter: { sandbox: string; partition: unknown }, plan: PlannedSegment[], now: string): Promise<Map<string, EvalEvent[]> | undefined> {
  const need = eventNeeds(plan, new Date(now));
  if (!need.load) return undefined;
  const q = { ...filter, ...(need.since ? { timestamp: { $gte: need.since } } : {}) };
  const out = new Map<string, EvalEvent[]>();
  for await (const e of stores.profiles.events.find(q as object, { projection: { graphId: 1, timestamp: 1, eventType: 1, data: 1 } }) as AsyncIterable<EventDoc>) {
    if (e.timestamp > now) continue;
    const list = out.get(e.graphId);
    if (list) list.push(e);
    else out.set(e.graphId, [e]);
  }
  return out;
}

/**
 * Writes membership changes. MongoDB: `$set` of the changed segments only, in unordered bulks, so
 * a concurrent profile write is never overwritten. FerretDB: each update scans the collection, so
 * the changed profiles are replaced together once per slice (through the redo log: a crash mid-way
 * is completed by the retry); a profile re-merged between this read and that write loses the
 * re-merge until the next write of it (rare, and only on the test server).
 */
function membershipWriter(stores: Stores, scope: string) {
  const pending: ProfileDoc[] = [];
  const ops: AnyBulkWriteOperation<ProfileDoc>[] = [];
  let changed = 0;
  const flushOps = async () => {
    if (ops.length) await stores.profiles.profiles.bulkWrite(ops.splice(0), { ordered: false });
  };
  return {
    async add(p: ProfileDoc, changes: Record<string, unknown>) {
      const keys = Object.keys(changes);
      if (!keys.length) return;
      changed++;
      if (stores.writeMode === 'deleteInsert') {
        const ups = { ...(p.segmentMembership?.ups ?? {}), ...changes } as NonNullable<ProfileDoc['segmentMembership']>['ups'];
        pending.push({ ...p, segmentMembership: { ...(p.segmentMembership ?? {}), ups } });
        return;
      }
      ops.push({ updateOne: { filter: { _id: p._id }, update: { $set: Object.fromEntries(keys.map((k) => [`${MEMBERSHIP_PREFIX}${k}`, changes[k]])) } } });
      if (ops.length >= WRITE_EVERY) await flushOps();
    },
    async flush(): Promise<number> {
      await flushOps();
      await replaceDocs(stores.profiles.profiles, pending.splice(0), stores.writeMode, scope);
      return changed;
    },
  };
}

/** Sets fields on a job only while it is in one of `from` (a cancel or a finish is never overwritten). */
async function setIfStatus(stores: Stores, sandbox: string, jobId: string, from: SegmentJob['status'][], set: Partial<SegmentJob>): Promise<boolean> {
  const res = await stores.segmentJobs.coll.updateOne({ _id: `${sandbox}:${jobId}`, status: { $in: from } } as object, { $set: set });
  return res.matchedCount === 1;
}

/** One partition's progress on the job (`progress.byPartition.<p>`), shown by GET while the job runs. */
async function recordProgress(stores: Stores, i: { sandbox: string; jobId: string; partition: number }, profiles: number, done: boolean): Promise<void> {
  await stores.segmentJobs.coll.updateOne({ _id: `${i.sandbox}:${i.jobId}`, status: { $nin: [...TERMINAL] } } as object, { $set: { [`progress.byPartition.${i.partition}`]: { profiles, done } } });
}

/**
 * How many slices a job splits the profiles into (each slice = the partitions p with p % n = slice).
 * MongoDB: one per stored partition, so more workers go faster. FerretDB scans the whole collection
 * per query whatever the slice size, so there one slice per core of the 2-core machine is cheaper.
 */
const slices = (stores: Stores) => (stores.writeMode === 'deleteInsert' ? 2 : PROFILE_PARTITIONS);

/** The writer scope of one partition of one job: what a retry of `evaluatePartition` recovers. */
const partitionScope = (i: { sandbox: string; jobId: string; partition: number }) => `segment-job/${i.sandbox}/${i.jobId}/${i.partition}`;
const partitionResultId = (i: { sandbox: string; jobId: string; partition: number }) => `${i.sandbox}|${i.jobId}|${i.partition}`;

export type SegmentationActivities = ReturnType<typeof createSegmentationActivities>;
