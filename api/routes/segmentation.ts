import { z } from 'zod';
import { checkPql, pqlSegmentIds } from '../../domain/pql';
import { expressionAst } from '../../domain/segment/expression';
import type { ExportJob, SegmentDefinition, SegmentJob } from '../../domain/segment/model';
import { workflowIds } from '../../domain/shared/ids';
import { fieldPaths, PROFILE_CLASS_ID } from '../../domain/xdm';
import type { ApiDeps } from '../context';
import { uiLink } from '../context';
import { notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { startExportJob, startSegmentJob } from '../workflows';
import { defaultMergePolicyOf, getMergePolicy } from '../../infra/profile/merge-policies';
import { unionsByClass } from './schemaregistry';

const UPS = '/data/core/ups';
const tag = 'Segmentation';

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

/** Parses and type-checks an expression against the sandbox's profile union schema. */
async function validateExpression(d: ApiDeps, sandbox: string, expression: SegmentDefinition['expression']) {
  const ast = expressionAst(expression);
  const union = (await unionsByClass(d, sandbox, PROFILE_CLASS_ID)).get(PROFILE_CLASS_ID);
  checkPql(ast, fieldPaths(union ?? { properties: {} }));
  for (const id of pqlSegmentIds(ast)) if (!(await d.stores.segmentDefinitions.get(sandbox, id))) throw unprocessable(`expression: inSegment("${id}") names a segment that does not exist`);
}

export function segmentationRoutes(app: Router) {
  op(app, { method: 'post', path: `${UPS}/segment/definitions`, tag, summary: 'Create a segment definition (PQL checked against the union schema)', body: definitionBody }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    await validateExpression(d, sandbox, body.expression);
    if (body.evaluationInfo?.continuous.enabled) throw unprocessable('evaluationInfo.continuous: streaming evaluation is not available yet; use batch');
    const mp = body.mergePolicyId ? await getMergePolicy(d.stores, sandbox, body.mergePolicyId, d.now()) : await defaultMergePolicyOf(d.stores, sandbox, d.now());
    if (!mp) throw unprocessable(`mergePolicyId: merge policy ${body.mergePolicyId} does not exist`);
    const now = d.now();
    const def: SegmentDefinition = {
      id: d.newId(), name: body.name, description: body.description, profileInstanceId: body.profileInstanceId, schema: body.schema, expression: body.expression,
      evaluationInfo: body.evaluationInfo ?? { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } },
      mergePolicyId: mp.id, creationTime: now, updateTime: now, updateEpoch: Math.floor(now / 1000),
    };
    await d.stores.segmentDefinitions.insert(sandbox, def);
    return c.json(def);
  });
  op(app, { method: 'get', path: `${UPS}/segment/definitions`, tag, summary: 'List segment definitions', query: z.object({ start: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }) }, async (c, { query }) => {
    const { items, total } = await c.get('deps').stores.segmentDefinitions.list(c.get('sandbox'), {}, { start: query.start, limit: query.limit, sort: { creationTime: 1 } });
    return c.json({ segments: items, page: { totalCount: total, pageSize: items.length } });
  });
  op(app, { method: 'get', path: `${UPS}/segment/definitions/{id}`, tag, summary: 'Get a segment definition' }, async (c, v) => {
    const def = await c.get('deps').stores.segmentDefinitions.get(c.get('sandbox'), v.params.id);
    if (!def) throw notFound('Segment definition', v.params.id);
    return c.json(def);
  });
  op(app, { method: 'delete', path: `${UPS}/segment/definitions/{id}`, tag, summary: 'Delete a segment definition', status: 204 }, async (c, v) => {
    if (!(await c.get('deps').stores.segmentDefinitions.delete(c.get('sandbox'), v.params.id))) throw notFound('Segment definition', v.params.id);
    return c.body(null, 204);
  });

  op(app, { method: 'post', path: `${UPS}/segment/jobs`, tag, summary: 'Start a segment job over one or many segments ("*" for all)', body: z.array(z.object({ segmentId: z.string().min(1) })).min(1) }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    let defs: SegmentDefinition[];
    if (body.some((s) => s.segmentId === '*')) defs = (await d.stores.segmentDefinitions.list(sandbox, {}, { limit: 4000 })).items;
    else {
      defs = [];
      for (const [i, s] of body.entries()) {
        const def = await d.stores.segmentDefinitions.get(sandbox, s.segmentId);
        if (!def) throw unprocessable(`[${i}].segmentId: segment ${s.segmentId} does not exist`);
        defs.push(def);
      }
    }
    if (!defs.length) throw unprocessable('segmentId: there are no segment definitions to evaluate');
    const now = d.now();
    const id = d.newId();
    const workflowId = workflowIds.segmentJob(sandbox, id);
    const job: SegmentJob = {
      id, status: 'QUEUED', segments: defs.map((s) => ({ segmentId: s.id, segment: { id: s.id, expression: s.expression, mergePolicyId: s.mergePolicyId } })),
      metrics: {}, properties: {}, inputs: { now: new Date(now).toISOString(), mergePolicyId: defs[0].mergePolicyId },
      workflow: { workflowId, uiUrl: uiLink(d, workflowId) }, errors: [], creationTime: now, updateTime: now,
    };
    await d.stores.segmentJobs.insert(sandbox, job);
    await startSegmentJob(d, sandbox, id, defs.map((s) => s.id), job.inputs!.now);
    return c.json(job);
  });
  op(app, { method: 'get', path: `${UPS}/segment/jobs/{id}`, tag, summary: 'Get a segment job with status and metrics' }, async (c, v) => {
    const job = await c.get('deps').stores.segmentJobs.get(c.get('sandbox'), v.params.id);
    if (!job) throw notFound('Segment job', v.params.id);
    return c.json(job);
  });
  op(app, { method: 'get', path: `${UPS}/segment/jobs`, tag, summary: 'List segment jobs', query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional(), status: z.string().optional() }) }, async (c, { query }) => {
    const { items, total } = await c.get('deps').stores.segmentJobs.list(c.get('sandbox'), query.status ? { status: query.status } : {}, { limit: query.limit, sort: { creationTime: -1 } });
    return c.json({ children: items, _page: { totalCount: total, pageSize: items.length } });
  });
  op(app, { method: 'delete', path: `${UPS}/segment/jobs/{id}`, tag, summary: 'Cancel a segment job', status: 204 }, async (c, v) => {
    const d = c.get('deps');
    const job = await d.stores.segmentJobs.get(c.get('sandbox'), v.params.id);
    if (!job) throw notFound('Segment job', v.params.id);
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status)) throw unprocessable(`status: job is already ${job.status}`);
    await d.stores.segmentJobs.update(c.get('sandbox'), job.id, { status: 'CANCELLING', updateTime: d.now() });
    await d.temporal.workflow.getHandle(job.workflow.workflowId).cancel();
    return c.body(null, 204);
  });

  const exportBody = z.looseObject({
    fields: z.string().optional(),
    mergePolicy: z.object({ id: z.string(), version: z.number().optional() }).optional(),
    filter: z.object({ segments: z.array(z.object({ segmentId: z.string().min(1), segmentNs: z.string().default('ups'), status: z.array(z.enum(['realized', 'existing', 'exited'])).optional() })).min(1) }),
    destination: z.object({ datasetId: z.string().min(1) }),
    schema: z.object({ name: z.string() }).default({ name: '_xdm.context.profile' }),
  });
  op(app, { method: 'post', path: `${UPS}/export/jobs`, tag, summary: 'Export audience profiles to a dataset', body: exportBody }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    if (!(await d.stores.datasets.get(sandbox, body.destination.datasetId))) throw unprocessable(`destination.datasetId: dataset ${body.destination.datasetId} does not exist`);
    for (const [i, s] of body.filter.segments.entries()) if (!(await d.stores.segmentDefinitions.get(sandbox, s.segmentId))) throw unprocessable(`filter.segments[${i}].segmentId: segment ${s.segmentId} does not exist`);
    const now = d.now();
    const id = d.newId();
    const workflowId = workflowIds.exportJob(sandbox, id);
    const job: ExportJob = { id, status: 'NEW', fields: body.fields, mergePolicy: body.mergePolicy, filter: body.filter, destination: body.destination, schema: body.schema, metrics: {}, workflow: { workflowId, uiUrl: uiLink(d, workflowId) }, errors: [], creationTime: now, updateTime: now };
    await d.stores.exportJobs.insert(sandbox, job);
    await startExportJob(d, sandbox, id, body.destination.datasetId);
    return c.json(job);
  });
  op(app, { method: 'get', path: `${UPS}/export/jobs/{id}`, tag, summary: 'Get an export job' }, async (c, v) => {
    const job = await c.get('deps').stores.exportJobs.get(c.get('sandbox'), v.params.id);
    if (!job) throw notFound('Export job', v.params.id);
    return c.json(job);
  });
}
