import { z } from 'zod';
import { EXPERIENCE_EVENT_CLASS_ID, PROFILE_CLASS_ID } from '../../domain/xdm';
import type { Batch, Dataset } from '../../domain/catalog/model';
import { notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { findSchema } from './schemaregistry';

const BASE = '/data/foundation';
const tag = 'Catalog';

const datasetBody = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  schemaRef: z.object({ id: z.string().min(1), contentType: z.string().default('application/vnd.adobe.xed-full+json;version=1') }),
  tags: z.record(z.string(), z.array(z.string())).optional(),
});
const listQuery = z.object({ start: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).optional(), property: z.string().optional() });

/** AEP's `property=field==value` filter (one or several, comma separated). */
export function propertyFilter(property?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const clause of (property ?? '').split(',').filter(Boolean)) {
    const m = /^([\w.@]+)==(.+)$/.exec(clause);
    if (!m) throw unprocessable(`property: "${clause}" must look like field==value`);
    out[m[1]] = m[2];
  }
  return out;
}

const keyed = <T extends { id: string }>(items: T[]) => Object.fromEntries(items.map((i) => [i.id, i]));

export function catalogRoutes(app: Router) {
  op(app, { method: 'post', path: `${BASE}/catalog/dataSets`, tag, summary: 'Create a dataset bound to a schema', body: datasetBody, status: 201 }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const schema = await findSchema(d, sandbox, body.schemaRef.id).catch(() => {
      throw unprocessable(`schemaRef.id: schema ${body.schemaRef.id} does not exist`);
    });
    const tags = body.tags ?? {};
    if ((tags.unifiedProfile ?? []).includes('enabled:true')) {
      if (!(schema['meta:immutableTags'] ?? []).includes('union')) throw unprocessable('tags.unifiedProfile: the schema is not enabled for Profile (meta:immutableTags must contain "union")');
      if (![PROFILE_CLASS_ID, EXPERIENCE_EVENT_CLASS_ID].includes(schema['meta:class'])) throw unprocessable('tags.unifiedProfile: only XDM Individual Profile and XDM ExperienceEvent datasets can be enabled for Profile');
    }
    const now = d.now();
    const ds: Dataset = { id: d.newId().replaceAll('-', '').slice(0, 24), name: body.name, description: body.description, schemaRef: { id: schema.$id, contentType: body.schemaRef.contentType }, tags, created: now, updated: now, version: '1.0.0' };
    await d.stores.datasets.insert(sandbox, ds);
    return c.json([`@/dataSets/${ds.id}`], 201);
  });
  op(app, { method: 'get', path: `${BASE}/catalog/dataSets`, tag, summary: 'List datasets', query: listQuery }, async (c, { query }) => {
    const { items } = await c.get('deps').stores.datasets.list(c.get('sandbox'), propertyFilter(query.property), { start: query.start, limit: query.limit });
    return c.json(keyed(items));
  });
  op(app, { method: 'get', path: `${BASE}/catalog/dataSets/{id}`, tag, summary: 'Get a dataset' }, async (c, v) => {
    const ds = await c.get('deps').stores.datasets.get(c.get('sandbox'), v.params.id);
    if (!ds) throw notFound('Dataset', v.params.id);
    return c.json({ [ds.id]: ds });
  });
  op(app, { method: 'patch', path: `${BASE}/catalog/dataSets/{id}`, tag, summary: 'Update dataset tags (enable for Profile / Identity)', body: z.object({ tags: z.record(z.string(), z.array(z.string())) }) }, async (c, { body, params }) => {
    const d = c.get('deps');
    const ds = await d.stores.datasets.get(c.get('sandbox'), params.id);
    if (!ds) throw notFound('Dataset', params.id);
    await d.stores.datasets.update(c.get('sandbox'), ds.id, { tags: { ...ds.tags, ...body.tags }, updated: d.now() });
    return c.json([`@/dataSets/${ds.id}`]);
  });
  op(app, { method: 'get', path: `${BASE}/catalog/batches`, tag, summary: 'List batches', query: listQuery }, async (c, { query }) => {
    const { items } = await c.get('deps').stores.batches.list(c.get('sandbox'), propertyFilter(query.property), { start: query.start, limit: query.limit, sort: { created: -1 } });
    return c.json(keyed(items));
  });
  op(app, { method: 'get', path: `${BASE}/catalog/batches/{id}`, tag, summary: 'Get a batch with status and metrics' }, async (c, v) => {
    const b = await c.get('deps').stores.batches.get(c.get('sandbox'), v.params.id);
    if (!b) throw notFound('Batch', v.params.id);
    return c.json({ [b.id]: b });
  });
  op(app, { method: 'get', path: `${BASE}/export/batches/{id}/meta`, tag: 'Data Access', summary: 'List a batch\'s files; path=row_errors lists failed-row files', query: z.object({ path: z.string().optional() }) }, async (c, { params, query }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const b: Batch | null = await d.stores.batches.get(sandbox, params.id);
    if (!b) throw notFound('Batch', params.id);
    if (query.path !== 'row_errors') return c.json({ data: [], _page: { count: 0 } });
    const files = await d.stores.rowErrors.aggregate<{ _id: string; n: number }>([{ $match: { sandbox, batchId: b.id } }, { $group: { _id: '$_filename', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray();
    const data = files.map((f) => ({ name: `row_errors/${f._id}.json`, length: f.n, _links: { self: { href: `${BASE}/export/batches/${b.id}/failed?path=${encodeURIComponent(`row_errors/${f._id}.json`)}` } } }));
    return c.json({ data, _page: { count: data.length } });
  });
  op(app, { method: 'get', path: `${BASE}/export/batches/{id}/failed`, tag: 'Data Access', summary: 'Read failed rows (NDJSON) of one row_errors file', query: z.object({ path: z.string().min(1) }) }, async (c, { params, query }) => {
    const d = c.get('deps');
    const m = /^row_errors\/(.+)\.json$/.exec(query.path);
    if (!m) throw unprocessable('path: must be a row_errors file name returned by /meta?path=row_errors');
    const rows = await d.stores.rowErrors.find({ sandbox: c.get('sandbox'), batchId: params.id, _filename: m[1] }).sort({ rowNumber: 1 }).toArray();
    const body = rows.map(({ _corrupt_record, _errors, _filename, rowNumber }) => JSON.stringify({ _corrupt_record, _errors, _filename, rowNumber })).join('\n');
    return c.body(body ? `${body}\n` : '', 200, { 'content-type': 'application/x-ndjson' });
  });
}
