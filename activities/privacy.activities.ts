import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Collection, Document } from 'mongodb';
import { identityKey } from '../domain/identity/namespaces';
import { emptyRemoved, laterProgress, startProgress, stepsFor } from '../domain/privacy/model';
import type { DeleteProgress, DeleteStore, PrivacyJob, PrivacyStatus, RemovedCounts, Verification } from '../domain/privacy/model';
import { recoverWrites } from '../infra/mongo/stores';
import type { Stores } from '../infra/mongo/stores';
import type { ActivityDeps } from './deps';
import { withKeepAlive } from './heartbeat';

/** A person as a delete sees them: their identity graphs and every identity key in them. */
export interface Person { graphIds: string[]; memberKeys: string[] }

export interface DeleteResult { removed: RemovedCounts; verification: Verification; retryCount: number }

/** A pass that leaves something behind is followed by another, up to this many. */
const MAX_PASSES = 3;

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The collection and the filter that select everything of `person` in each store (what is deleted, and what is verified gone). */
function selections(stores: Stores, sandbox: string, p: Person): Record<DeleteStore, { coll: Collection<any>; filter: Document }> {
  const keys = p.memberKeys;
  const graphs = p.graphIds;
  const byGraph = (g: string) => `${sandbox}|${g}`;
  // Audience exports copy a profile into a dataset under `<sandbox>|<batch>|<profile _id>`; they carry no identities.
  const exported = graphs.length ? [{ _id: { $regex: `\\|${escapeRegex(sandbox)}\\|(?:${graphs.map(escapeRegex).join('|')})$` } }] : [];
  return {
    datasetRecords: { coll: stores.datasetRecords, filter: { sandbox, $or: [{ identities: { $in: keys } }, ...exported] } },
    events: { coll: stores.profiles.events, filter: { sandbox, $or: [{ graphId: { $in: graphs } }, { identities: { $in: keys } }] } },
    fragments: { coll: stores.profiles.fragments, filter: { sandbox, $or: [{ graphId: { $in: graphs } }, { recordKey: { $in: keys } }] } },
    // The materialised profile holds segmentMembership: memberships go with it.
    profiles: { coll: stores.profiles.profiles, filter: { _id: { $in: graphs.map(byGraph) } } },
    // Graph changes name identities: those of the person's graphs, and any naming one of the person's identities.
    history: {
      coll: stores.graphs.history,
      filter: { sandbox, $or: [{ graphId: { $in: graphs } }, { identity: { $in: keys } }, { identities: { $in: keys } }, { link: { $in: keys } }] },
    },
    graphs: { coll: stores.graphs.coll, filter: { _id: { $in: graphs.map(byGraph) } } },
    identities: { coll: stores.identities.coll, filter: { sandbox, $or: [{ graphId: { $in: graphs } }, { _id: { $in: keys.map((k) => `${sandbox}|${k}`) } }] } },
  };
}

/**
 * The person behind a job's identities: the graphs those identities (and, on a retry, every
 * identity found before) belong to, and all members of those graphs — from the identity store
 * and from the graph documents. What an earlier attempt found is kept: its identities may already
 * be deleted.
 */
export async function findPerson(stores: Stores, sandbox: string, job: PrivacyJob): Promise<Person> {
  const prior = job.work ?? { graphIds: [], memberKeys: [] };
  const start = [...new Set([...job.identityKeys, ...prior.memberKeys])];
  const graphIds = new Set([...prior.graphIds, ...(await stores.identities.graphsOf(sandbox, start)).values()]);
  const members = await stores.identities.members(sandbox, [...graphIds]);
  const graphDocs = graphIds.size
    ? await stores.graphs.coll.find({ _id: { $in: [...graphIds].map((g) => stores.graphs.id(sandbox, g)) } }, { projection: { members: 1 } }).toArray()
    : [];
  const keys = new Set([...start, ...members.map((m) => identityKey(m.ns, m.id)), ...graphDocs.flatMap((d) => (d.members ?? []).map((m) => m.k))]);
  return { graphIds: [...graphIds].sort(), memberKeys: [...keys].sort() };
}

/** Saves a job's progress on its document (durable, unlike a throttled heartbeat). */
export const saveProgress = (stores: Stores, sandbox: string, jobId: string) => (p: DeleteProgress) =>
  stores.privacyJobs.update(sandbox, jobId, { 'work.progress': p } as never).then(() => undefined);

/**
 * Deletes everything stored about the job's person, holding the sandbox's graph lease so no
 * ingestion writes the graph meanwhile, then verifies nothing is left (another pass if something
 * is). `checkpoint` is called with the progress before and after every step; resuming from the
 * last one deletes what is left and the counts add up to what all attempts deleted.
 */
export async function deletePerson(deps: ActivityDeps, sandbox: string, job: PrivacyJob, from: DeleteProgress, checkpoint: (p: DeleteProgress) => Promise<void>): Promise<Omit<DeleteResult, 'retryCount'>> {
  const { stores } = deps;
  return stores.leases.with(`graph/${sandbox}`, `privacy/${sandbox}/${job.id}`, async (held) => {
    // A writer that died holding the lease may have half-replaced the person's documents: finish that first, then delete.
    if (held.tookOverFrom) await recoverWrites(stores, held.tookOverFrom);
    const person = await findPerson(stores, sandbox, job);
    await stores.privacyJobs.update(sandbox, job.id, { work: { ...person, progress: from }, updatedAt: deps.now() });
    const sel = selections(stores, sandbox, person);
    const steps = stepsFor(job.include);
    let p: DeleteProgress = structuredClone(from);
    for (;;) {
      for (let i = p.done; i < steps.length; i++) {
        const { coll, filter } = sel[steps[i]];
        const removed = { ...p.removed };
        const matched = await coll.countDocuments(filter);
        // The attempt that died in this step deleted what it had matched, less what is still there.
        if (p.inflight?.step === i) removed[steps[i]] += Math.max(0, p.inflight.matched - matched);
        if (matched) {
          await checkpoint((p = { ...p, removed, inflight: { step: i, matched } }));
          removed[steps[i]] += (await coll.deleteMany(filter)).deletedCount;
        }
        await checkpoint((p = { ...p, removed, done: i + 1, inflight: undefined }));
      }
      const verification = await verify(sel, steps);
      if (!verification.remaining || p.pass >= MAX_PASSES) return { removed: p.removed, verification };
      await checkpoint((p = { ...p, done: 0, pass: p.pass + 1 }));
    }
  });
}

/** Counts what is left of the person in every store the job covers. */
async function verify(sel: ReturnType<typeof selections>, steps: DeleteStore[]): Promise<Verification> {
  const checked: Verification['checked'] = [];
  for (const store of steps) checked.push({ store, remaining: await sel[store].coll.countDocuments(sel[store].filter) });
  return { remaining: checked.reduce((a, c) => a + c.remaining, 0), checked };
}

export function createPrivacyActivities(deps: ActivityDeps) {
  const { stores } = deps;
  return {
    /**
     * Deletes the data of one privacy job's person. Idempotent: keyed by the job; progress is saved
     * on the job and heartbeated, and a retry resumes from it (the person found first is kept on
     * the job, since their identities may be gone). A job that is no longer processing is returned as it is.
     */
    async deletePersonData(input: { sandbox: string; jobId: string }): Promise<DeleteResult> {
      const job = await stores.privacyJobs.get(input.sandbox, input.jobId);
      if (!job) throw ApplicationFailure.nonRetryable(`privacy job ${input.jobId} not found`, 'NOT_FOUND');
      const ctx = Context.current();
      const retryCount = ctx.info.attempt - 1;
      if (job.status !== 'processing') return { removed: job.removed ?? emptyRemoved(), verification: job.verification ?? { remaining: 0, checked: [] }, retryCount };
      let last = laterProgress(job.work?.progress, ctx.info.heartbeatDetails as DeleteProgress | undefined) ?? startProgress();
      const save = saveProgress(stores, input.sandbox, input.jobId);
      const out = await withKeepAlive(() => deletePerson(deps, input.sandbox, job, last, async (p) => {
        await save(p);
        last = p;
        ctx.heartbeat(p);
      }), () => last);
      return { ...out, retryCount };
    },

    /**
     * Ends a job: complete when nothing of the person is left, else error with what remains (or
     * why the delete failed). Drops the job's working state, which names the person's identities.
     * Idempotent: a job already ended is left as it is.
     */
    async finishPrivacyJob(input: { sandbox: string; jobId: string; result?: DeleteResult; error?: string }): Promise<PrivacyStatus> {
      const job = await stores.privacyJobs.get(input.sandbox, input.jobId);
      if (!job) throw ApplicationFailure.nonRetryable(`privacy job ${input.jobId} not found`, 'NOT_FOUND');
      if (job.status !== 'processing') return job.status;
      const { work, ...rest } = job;
      const v = input.result?.verification;
      const left = v?.checked.filter((c) => c.remaining > 0).map((c) => `${c.remaining} ${c.store}`) ?? [];
      const errors = input.error ? [input.error] : left.length ? [`after ${MAX_PASSES} delete passes the person still has ${left.join(', ')}`] : [];
      const now = deps.now();
      const status: PrivacyStatus = errors.length ? 'error' : 'complete';
      await stores.privacyJobs.put(input.sandbox, {
        ...rest, status, removed: input.result?.removed ?? work?.progress?.removed ?? emptyRemoved(), ...(v ? { verification: v } : {}),
        retryCount: input.result?.retryCount ?? 0, errors, completedAt: now, updatedAt: now,
      });
      return status;
    },
  };
}

export type PrivacyActivities = ReturnType<typeof createPrivacyActivities>;
