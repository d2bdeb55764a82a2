import { createHash } from 'node:crypto';
import { z } from 'zod';
import { checkDefinition, READ_ONLY_DEFINITION_FIELDS } from '../../domain/segment/definition';
import { dependents } from '../../domain/segment/dependencies';
import { newSegmentJob, planJobSegments, TERMINAL } from '../../domain/segment/job';
import type { SegmentDefinition, SegmentJob } from '../../domain/segment/model';
import { workflowIds } from '../../domain/shared/ids';
import { applyPatch } from '../../domain/shared/json-patch';
import type { PatchOp } from '../../domain/shared/json-patch';
import { EXPERIENCE_EVENT_CLASS_ID, fieldPaths, PROFILE_CLASS_ID } from '../../domain/xdm';
import type { ApiDeps } from '../context';
import { uiLink } from '../context';
import { ApiError, notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { startSegmentJob } from '../workflows';
import { defaultMergePolicyOf, getMergePolicy } from '../../infra/profile/merge-policies';
import { unionsByClass } from './schemaregistry';

const UPS = '/data/core/ups';
const tag = 'Segmentation';

const DEFAULT_EVALUATION = { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } };
const definitionBody = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  profileInstanceId: z.string().default('ups'),
  schema: z.object({ name: z.literal('_xdm.context.profile') }).default({ name: '_xdm.context.profile' }),
  expression: z.object({ type: z.literal('PQL'), format: z.enum(['pql/text', 'pql/json']), value: z.string().min(1) }),
  evaluationInfo: z.object({
    batch: z.object({ enabled: z.boolean() }).default({ enabled: true }),
    continuous: z.object({ enabled: z.boolean() }).default({ enabled: false }),
    synchronous: z.object({ enabled: z.boolean() }).default({ enabled: false }),
  }).optional(),
  mergePolicyId: z.string().optional(),
});
type DefinitionBody = z.infer<typeof definitionBody>;
const patchOp = z.object({ op: z.enum(['add', 'remove', 'replace', 'test']), path: z.string(), value: z.unknown().optional() });

/** sha256 of the canonical rendered PQL: equal for the same expression in text or JSON form. */
const expressionHash = (canonical: string) => createHash('sha256').update(canonical).digest('hex');

/**
 * A definition as stored after the checks of `checkDefinition` (expression against the profile
 * and ExperienceEvent unions, inSegment targets and cycles, continuous eligibility, guardrails)
 * and of its merge policy. `existing` is the stored version on update.
 */
async function buildDefinition(d: ApiDeps, sandbox: string, id: string, body: DefinitionBody, existing?: SegmentDefinition): Promise<SegmentDefinition> {
  const [unions, { items }] = await Promise.all([unionsByClass(d, sandbox), d.stores.segmentDefinitions.list(sandbox, {}, { limit: 10_000 })]);
  const fields = (cls: string) => fieldPaths(unions.get(cls) ?? { properties: {} }, { arrayItems: true });
  const evaluationInfo = body.evaluationInfo ?? existing?.evaluationInfo ?? DEFAULT_EVALUATION;
  const checked = checkDefinition(id, { expression: body.expression, evaluationInfo }, {
    profileFields: fields(PROFILE_CLASS_ID), eventFields: fields(EXPERIENCE_EVENT_CLASS_ID), others: new Map(items.filter((x) => x.id !== id).map((x) => [x.id, x])),
  });
  const now = d.now();
  const mp = body.mergePolicyId ? await getMergePolicy(d.stores, sandbox, body.mergePolicyId, now) : await defaultMergePolicyOf(d.stores, sandbox, now);
  if (!mp) throw unprocessable(`mergePolicyId: merge policy ${body.mergePolicyId} does not exist`);
  return {
    id, name: body.name, ...(body.description !== undefined ? { description: body.description } : {}), profileInstanceId: body.profileInstanceId, schema: body.schema,
    expression: body.expression, evaluationInfo, mergePolicyId: mp.id, expressionHash: expressionHash(checked.canonical), dependencies: checked.dependencies,
    creationTime: existing?.creationTime ?? now, updateTime: now, updateEpoch: Math.floor(now / 1000),
  };
}

/** PATCH: RFC 6902 operations, or (as AEP's guide shows) a partial definition merged over the stored one. */
function patchedBody(existing: SegmentDefinition, body: PatchOp[] | Record<string, unknown>): DefinitionBody {
  const readOnly = READ_ONLY_DEFINITION_FIELDS as readonly string[];
  const editable = Object.fromEntries(Object.entries(existing).filter(([k]) => !readOnly.includes(k)));
  let merged: Record<string, unknown>;
  if (Array.isArray(body)) {
    body.forEach((o, i) => {
      const top = o.path.split('/')[1] ?? '';
      if (readOnly.includes(top)) throw unprocessable(`[${i}].path: /${top} is read-only`);
    });
    merged = applyPatch(editable, body);
  } else {
    const given = Object.fromEntries(Object.entries(body).filter(([k]) => !readOnly.includes(k)));
    const evaluationInfo = given.evaluationInfo && typeof given.evaluationInfo === 'object' ? { ...existing.evaluationInfo, ...(given.evaluationInfo as object) } : existing.evaluationInfo;
    merged = { ...editable, ...given, evaluationInfo };
  }
  const parsed = definitionBody.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(400, 'VALIDATION', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Sets fields on a job only while its status is one of `from` (so a finish or a cancel is never overwritten). */
async function setJobIf(d: ApiDeps, sandbox: string, id: string, from: SegmentJob['status'][], set: Partial<SegmentJob>): Promise<boolean> {
  const res = await d.stores.segmentJobs.coll.updateOne({ _id: `${sandbox}:${id}`, status: { $in: from } } as object, { $set: set });
  return res.matchedCount === 1;
}

/** A job as GET shows it: while it runs, `progress` sums what its partitions reported. */
function withProgress(job: SegmentJob): SegmentJob {
  const by = job.progress?.byPartition;
  if (!job.progress || !by || TERMINAL.includes(job.status)) return job;
  const parts = Object.values(by);
  return { ...job, progress: { ...job.progress, profilesDone: parts.reduce((a, p) => a + p.profiles, 0), partitionsDone: parts.filter((p) => p.done).length } };
}

const SORTABLE = /^(name|creationTime|updateTime|updateEpoch):(asc|desc)$/;

export function segmentationRoutes(app: Router) {
  op(app, { method: 'post', path: `${UPS}/segment/definitions`, tag, summary: 'Create a segment definition (PQL checked against the profile and ExperienceEvent unions)', body: definitionBody }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const def = await buildDefinition(d, sandbox, d.newId(), body);
    await d.stores.segmentDefinitions.insert(sandbox, def);
    return c.json(def);
  });
  op(app, {
    method: 'get', path: `${UPS}/segment/definitions`, tag, summary: 'List segment definitions (start/limit or page/limit, sort=field:asc|desc)',
    query: z.object({ start: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).optional(), page: z.coerce.number().int().min(0).optional(), sort: z.string().regex(SORTABLE, 'must be name|creationTime|updateTime|updateEpoch:asc|desc').optional() }),
  }, async (c, { query }) => {
    const limit = query.limit ?? 100;
    const start = query.start ?? (query.page ?? 0) * limit;
    const [field, dir] = (query.sort ?? 'creationTime:asc').split(':');
    const { items, total } = await c.get('deps').stores.segmentDefinitions.list(c.get('sandbox'), {}, { start, limit, sort: { [field]: dir === 'desc' ? -1 : 1, _id: 1 } });
    const next = start + items.length < total ? `${UPS}/segment/definitions?start=${start + limit}&limit=${limit}${query.sort ? `&sort=${query.sort}` : ''}` : undefined;
    return c.json({
      segments: items,
      page: { totalCount: total, totalPages: Math.ceil(total / limit), sortField: field, sort: dir, pageSize: items.length, limit },
      link: next ? { next } : {},
    });
  });
  op(app, { method: 'post', path: `${UPS}/segment/definitions/bulk-get`, tag, summary: 'Get many segment definitions by id ({ids:[{id}]} → {results:{<id>: definition}}; unknown ids are left out)', body: z.object({ ids: z.array(z.object({ id: z.string().min(1) })).min(1).max(1000) }) }, async (c, { body }) => {
    const d = c.get('deps');
    const found = await Promise.all(body.ids.map(({ id }) => d.stores.segmentDefinitions.get(c.get('sandbox'), id)));
    return c.json({ results: Object.fromEntries(found.filter((x): x is SegmentDefinition => !!x).map((x) => [x.id, x])) });
  });
  op(app, { method: 'get', path: `${UPS}/segment/definitions/{id}`, tag, summary: 'Get a segment definition' }, async (c, v) => {
    const def = await c.get('deps').stores.segmentDefinitions.get(c.get('sandbox'), v.params.id);
    if (!def) throw notFound('Segment definition', v.params.id);
    return c.json(def);
  });
  op(app, {
    method: 'patch', path: `${UPS}/segment/definitions/{id}`, tag, summary: 'Update a segment definition: JSON Patch, or a partial definition merged over it; checked like a new one',
    body: z.union([z.array(patchOp).min(1), z.looseObject({})]),
  }, async (c, { body, params }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const existing = await d.stores.segmentDefinitions.get(sandbox, params.id);
    if (!existing) throw notFound('Segment definition', params.id);
    const def = await buildDefinition(d, sandbox, existing.id, patchedBody(existing, body as PatchOp[] | Record<string, unknown>), existing);
    await d.stores.segmentDefinitions.put(sandbox, def);
    return c.json(def);
  });
  op(app, { method: 'delete', path: `${UPS}/segment/definitions/{id}`, tag, summary: 'Delete a segment definition (refused while another definition reads it through inSegment)', status: 204 }, async (c, v) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const { items } = await d.stores.segmentDefinitions.list(sandbox, {}, { limit: 10_000 });
    if (!items.some((x) => x.id === v.params.id)) throw notFound('Segment definition', v.params.id);
    const users = dependents(v.params.id, items).map((u) => `${u} ("${items.find((x) => x.id === u)!.name}")`);
    if (users.length) throw unprocessable(`id: segment definition ${v.params.id} is used through inSegment by ${users.join(', ')}; change or delete those first`);
    await d.stores.segmentDefinitions.delete(sandbox, v.params.id);
    return c.body(null, 204);
  });

  op(app, {
    method: 'post', path: `${UPS}/segment/jobs`, tag,
    summary: 'Start a segment job: [{segmentId}] (or "*" for every batch segment; segments they read through inSegment are added), or {rerunOf: jobId} to repeat a job with its pinned inputs (OpenXP)',
    body: z.union([z.array(z.object({ segmentId: z.string().min(1) })).min(1), z.object({ rerunOf: z.string().min(1) })]),
  }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const now = d.now();
    const mp = await defaultMergePolicyOf(d.stores, sandbox, now);
    const id = d.newId();
    const workflowId = workflowIds.segmentJob(sandbox, id);
    const common = { id, now, mergePolicy: { id: mp.id, version: mp.version }, workflow: { workflowId, uiUrl: uiLink(d, workflowId) } };
    let job: SegmentJob;
    if (Array.isArray(body)) {
      const { items } = await d.stores.segmentDefinitions.list(sandbox, {}, { limit: 10_000 });
      job = newSegmentJob({ ...common, segments: planJobSegments(body.map((s) => s.segmentId), new Map(items.map((x) => [x.id, x]))) });
    } else {
      const original = await d.stores.segmentJobs.get(sandbox, body.rerunOf);
      if (!original) throw unprocessable(`rerunOf: segment job ${body.rerunOf} does not exist`);
      if (!TERMINAL.includes(original.status) || !original.inputs) throw unprocessable(`rerunOf: segment job ${body.rerunOf} is ${original.status}; only a finished job can be re-run`);
      job = newSegmentJob({ ...common, segments: original.segments, inputsNow: original.inputs.now, rerunOf: original.id });
    }
    await d.stores.segmentJobs.insert(sandbox, job);
    try {
      await startSegmentJob(d, sandbox, id, job.segments.map((s) => s.segmentId), job.inputs!.now);
    } catch (e) {
      await d.stores.segmentJobs.update(sandbox, id, { status: 'FAILED', errors: [{ code: 'SEGMENT-JOB-500', msg: 'the job workflow could not be started' }], updateTime: d.now() });
      throw e;
    }
    await setJobIf(d, sandbox, id, ['NEW'], { status: 'QUEUED', updateTime: d.now() });
    return c.json({ ...job, status: 'QUEUED' });
  });
  op(app, { method: 'get', path: `${UPS}/segment/jobs/{id}`, tag, summary: 'Get a segment job: status, metrics, pinned inputs and (while it runs) progress' }, async (c, v) => {
    const job = await c.get('deps').stores.segmentJobs.get(c.get('sandbox'), v.params.id);
    if (!job) throw notFound('Segment job', v.params.id);
    return c.json(withProgress(job));
  });
  op(app, {
    method: 'get', path: `${UPS}/segment/jobs`, tag, summary: 'List segment jobs, newest first',
    query: z.object({ start: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).optional(), status: z.string().optional() }),
  }, async (c, { query }) => {
    const start = query.start ?? 0;
    const limit = query.limit ?? 100;
    const { items, total } = await c.get('deps').stores.segmentJobs.list(c.get('sandbox'), query.status ? { status: query.status.toUpperCase() } : {}, { start, limit, sort: { creationTime: -1, _id: 1 } });
    const next = start + items.length < total ? `${UPS}/segment/jobs?start=${start + limit}&limit=${limit}${query.status ? `&status=${query.status}` : ''}` : undefined;
    return c.json({ _page: { totalCount: total, pageSize: items.length, ...(next ? { next: String(start + limit) } : {}) }, children: items.map(withProgress), _links: next ? { next: { href: next } } : {} });
  });
  op(app, { method: 'delete', path: `${UPS}/segment/jobs/{id}`, tag, summary: 'Cancel a segment job: CANCELLING now, CANCELLED once its workflow stopped', status: 204 }, async (c, v) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const job = await d.stores.segmentJobs.get(sandbox, v.params.id);
    if (!job) throw notFound('Segment job', v.params.id);
    if (TERMINAL.includes(job.status)) throw unprocessable(`status: segment job ${job.id} is already ${job.status}`);
    if (job.status !== 'CANCELLING' && !(await setJobIf(d, sandbox, job.id, ['NEW', 'QUEUED', 'PROCESSING'], { status: 'CANCELLING', updateTime: d.now() }))) {
      const now = await d.stores.segmentJobs.get(sandbox, job.id);
      throw unprocessable(`status: segment job ${job.id} is already ${now?.status}`);
    }
    try {
      await d.temporal.workflow.getHandle(job.workflow.workflowId).cancel();
    } catch (e) {
      if ((e as Error).name !== 'WorkflowNotFoundError') throw e;
      await d.stores.segmentJobs.update(sandbox, job.id, { status: 'CANCELLED', updateTime: d.now() });
    }
    return c.body(null, 204);
  });
}
