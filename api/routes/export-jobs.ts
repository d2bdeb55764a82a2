import { z } from 'zod';
import { checkExportFields, DEFAULT_EXPORT_STATUSES, TERMINAL_EXPORT_STATUSES } from '../../domain/segment/export';
import type { ExportFilter, ExportJob } from '../../domain/segment/export';
import { PROFILE_SCHEMA } from '../../domain/profile/model';
import type { MergePolicy } from '../../domain/profile/model';
import { isDomainError } from '../../domain/shared/errors';
import { workflowIds } from '../../domain/shared/ids';
import { PROFILE_CLASS_ID } from '../../domain/xdm';
import { defaultMergePolicyOf, getMergePolicy } from '../../infra/profile/merge-policies';
import { loadSchemaContext } from '../../infra/xdm/schema-context';
import type { ApiDeps } from '../context';
import { uiLink } from '../context';
import { ApiError, notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { startExportJob } from '../workflows';

const JOBS = '/data/core/ups/export/jobs';
const tag = 'Segmentation';

/** ISO date-time (or epoch ms) → canonical ISO, the form memberships' lastQualificationTime is stored in. */
const isoTime = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const t = typeof v === 'number' || /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) {
    ctx.addIssue({ code: 'custom', message: `expected an ISO 8601 date-time or epoch milliseconds, got "${v}"` });
    return z.NEVER;
  }
  return new Date(t).toISOString();
});

const exportBody = z.looseObject({
  fields: z.string().optional(),
  mergePolicy: z.object({ id: z.string().min(1), version: z.number().int().min(1).optional() }).optional(),
  filter: z.object({
    segments: z.array(z.object({
      segmentId: z.string().min(1),
      segmentNs: z.string().default('ups'),
      status: z.array(z.enum(['realized', 'existing', 'exited'])).min(1).default([...DEFAULT_EXPORT_STATUSES]),
    })).optional(),
    segmentQualificationTime: z.object({ startTime: isoTime.optional(), endTime: isoTime.optional() }).optional(),
    fromIngestTimestamp: isoTime.optional(),
    emptyProfiles: z.boolean().default(false),
  }).default({ emptyProfiles: false }),
  destination: z.object({ datasetId: z.string().min(1), segmentPerBatch: z.literal(false).optional() }),
  schema: z.object({ name: z.string().min(1) }).default({ name: PROFILE_SCHEMA }),
});
type ExportBody = z.infer<typeof exportBody>;

/** The merge policy a job pins: the one asked for (at the version asked for), else the first segment's, else the sandbox default. */
async function pinPolicy(d: ApiDeps, sandbox: string, body: ExportBody, firstSegmentPolicy: string | undefined): Promise<MergePolicy> {
  if (body.mergePolicy) {
    const p = await getMergePolicy(d.stores, sandbox, body.mergePolicy.id, d.now());
    if (!p) throw unprocessable(`mergePolicy.id: merge policy ${body.mergePolicy.id} does not exist in this sandbox`);
    if (body.mergePolicy.version !== undefined && body.mergePolicy.version !== p.version) throw unprocessable(`mergePolicy.version: merge policy ${p.id} is at version ${p.version}, not ${body.mergePolicy.version}`);
    return p;
  }
  return (firstSegmentPolicy && (await getMergePolicy(d.stores, sandbox, firstSegmentPolicy, d.now()))) || defaultMergePolicyOf(d.stores, sandbox, d.now());
}

/** Checks a request against the sandbox (dataset, its class, segments, policy, fields) and builds the NEW job. */
export async function newExportJob(d: ApiDeps, sandbox: string, body: ExportBody): Promise<ExportJob> {
  if (body.schema.name !== PROFILE_SCHEMA) throw unprocessable(`schema.name: export jobs export ${PROFILE_SCHEMA} (got "${body.schema.name}")`);
  const dataset = await d.stores.datasets.get(sandbox, body.destination.datasetId);
  if (!dataset) throw unprocessable(`destination.datasetId: dataset ${body.destination.datasetId} does not exist in this sandbox`);
  const schemaCtx = await loadSchemaContext(d.stores, sandbox, dataset.schemaRef.id).catch(() => {
    throw unprocessable(`destination.datasetId: the schema ${dataset.schemaRef.id} of dataset ${dataset.id} does not exist`);
  });
  if (schemaCtx.schema['meta:class'] !== PROFILE_CLASS_ID) throw unprocessable(`destination.datasetId: dataset ${dataset.id} is of class ${schemaCtx.schema['meta:class']}; exported profiles go to a dataset of class ${PROFILE_CLASS_ID}`);
  let firstPolicy: string | undefined;
  for (const [i, s] of (body.filter.segments ?? []).entries()) {
    if (s.segmentNs !== 'ups') throw unprocessable(`filter.segments[${i}].segmentNs: only "ups" segments can be exported (got "${s.segmentNs}")`);
    const def = await d.stores.segmentDefinitions.get(sandbox, s.segmentId);
    if (!def) throw unprocessable(`filter.segments[${i}].segmentId: segment ${s.segmentId} does not exist`);
    firstPolicy ??= def.mergePolicyId;
  }
  const q = body.filter.segmentQualificationTime;
  if (q?.startTime && q.endTime && q.startTime > q.endTime) throw unprocessable('filter.segmentQualificationTime: startTime is after endTime');
  if (q && !body.filter.segments?.length) throw unprocessable('filter.segmentQualificationTime: applies to the qualification time in filter.segments, which is empty');
  try {
    checkExportFields(body.fields, schemaCtx.fieldTypes);
  } catch (e) {
    if (isDomainError(e)) throw unprocessable(e.message);
    throw e;
  }
  const policy = await pinPolicy(d, sandbox, body, firstPolicy);
  const now = d.now();
  const id = d.newId();
  const workflowId = workflowIds.exportJob(sandbox, id);
  const filter: ExportFilter = {
    ...(body.filter.segments ? { segments: body.filter.segments.map((s) => ({ segmentId: s.segmentId, segmentNs: 'ups' as const, status: s.status })) } : {}),
    ...(q ? { segmentQualificationTime: q } : {}),
    ...(body.filter.fromIngestTimestamp ? { fromIngestTimestamp: body.filter.fromIngestTimestamp } : {}),
    emptyProfiles: body.filter.emptyProfiles,
  };
  return {
    id, jobType: 'BATCH', status: 'NEW', ...(body.fields ? { fields: body.fields } : {}), mergePolicy: { id: policy.id, version: policy.version }, filter,
    destination: { datasetId: dataset.id, segmentPerBatch: false }, schema: { name: PROFILE_SCHEMA }, profileInstanceId: 'ups',
    metrics: {}, workflow: { workflowId, uiUrl: uiLink(d, workflowId) }, errors: [], creationTime: now, updateTime: now,
  };
}

/** `/export/jobs`: audience (or all) profiles written as a new batch of a profile-class dataset, by a workflow. */
export function exportJobRoutes(app: Router) {
  op(app, { method: 'post', path: JOBS, tag, summary: 'Create an export job: profiles selected by segments (status, qualification time), written as a new batch of a dataset', body: exportBody }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const job = await newExportJob(d, sandbox, body);
    await d.stores.exportJobs.insert(sandbox, job);
    await startExportJob(d, sandbox, job.id, job.destination.datasetId);
    return c.json(job);
  });

  op(app, {
    method: 'get', path: JOBS, tag, summary: 'List export jobs, newest first (offset = position from a previous page)',
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), offset: z.coerce.number().int().min(0).default(0), status: z.enum(['NEW', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED']).optional() }),
  }, async (c, { query }) => {
    const { items, total } = await c.get('deps').stores.exportJobs.list(c.get('sandbox'), query.status ? { status: query.status } : {}, { start: query.offset, limit: query.limit, sort: { creationTime: -1, _id: 1 } });
    const next = query.offset + items.length < total ? `${JOBS}?limit=${query.limit}&offset=${query.offset + items.length}${query.status ? `&status=${query.status}` : ''}` : '';
    return c.json({ records: items, page: { sortField: 'creationTime', sort: 'desc', pageOffset: String(query.offset), pageSize: items.length, totalCount: total }, link: { next } });
  });

  op(app, { method: 'get', path: `${JOBS}/{id}`, tag, summary: 'Get an export job with status, batch and metrics' }, async (c, v) => {
    const job = await c.get('deps').stores.exportJobs.get(c.get('sandbox'), v.params.id);
    if (!job) throw notFound('Export job', v.params.id);
    return c.json(job);
  });

  op(app, { method: 'delete', path: `${JOBS}/{id}`, tag, summary: 'Cancel an export job (its batch is aborted and emptied)', status: 204 }, async (c, v) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const job = (await d.stores.exportJobs.get(sandbox, v.params.id)) as ExportJob | null;
    if (!job) throw notFound('Export job', v.params.id);
    const finished = (j: ExportJob) => new ApiError(422, 'UNPROCESSABLE', `status: export job ${j.id} is already ${j.status} and cannot be cancelled`);
    if (TERMINAL_EXPORT_STATUSES.includes(job.status)) throw finished(job);
    await d.temporal.workflow.getHandle(job.workflow.workflowId).cancel().catch(async (e: Error) => {
      // The workflow may have ended between the read and the cancel.
      const now = (await d.stores.exportJobs.get(sandbox, job.id)) as ExportJob | null;
      throw now && TERMINAL_EXPORT_STATUSES.includes(now.status) ? finished(now) : e;
    });
    return c.body(null, 204);
  });
}
