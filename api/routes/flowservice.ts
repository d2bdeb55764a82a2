import { z } from 'zod';
import { SPECS } from '../../domain/flow/model';
import type { Connection, Flow, RunRecord, SourceConnection, TargetConnection } from '../../domain/flow/model';
import type { ApiDeps } from '../context';
import { uiLink } from '../context';
import { applyPatch } from '../../domain/shared/json-patch';
import type { PatchOp } from '../../domain/shared/json-patch';
import { normalizeMappings, validateMappings } from '../../domain/ingest/mapping';
import { fieldPaths, resolveSchema } from '../../domain/xdm';
import type { SegmentSelector } from '../../domain/destination/filename';
import type { MappingSetDoc } from '../../domain/xdm/registry-model';
import { ApiError, notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { startFlowRun, syncFlowSchedule } from '../workflows';
import { propertyFilter } from './catalog';
import { findSchema, loadRegistry } from './schemaregistry';
import { CONNECTION_SPECS, FLOW_SPECS, STREAMING } from './specs';

const BASE = '/data/foundation/flowservice';
const tag = 'Flow Service';
const specRef = z.object({ id: z.string().min(1), version: z.string().default('1.0') });

const connectionBody = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  connectionSpec: specRef,
  auth: z.object({ specName: z.string(), params: z.record(z.string(), z.union([z.string(), z.boolean(), z.number()]).transform(String)) }),
  params: z.record(z.string(), z.unknown()).optional(),
});
const sourceConnectionBody = z.looseObject({
  name: z.string().optional(),
  baseConnectionId: z.string().min(1),
  connectionSpec: specRef,
  // Optional for a streaming source (AEP sends neither); required for a file source (checked below).
  data: z.object({ format: z.enum(['delimited', 'json']), columnDelimiter: z.string().max(1).optional(), properties: z.record(z.string(), z.unknown()).optional() }).optional(),
  params: z.object({ path: z.string().regex(/^\/?[a-z0-9.-]{3,63}(\/.*)?$/, 'must be /bucket/path with an optional glob'), recursive: z.boolean().optional() }).optional(),
});
const targetConnectionBody = z.looseObject({
  name: z.string().optional(),
  baseConnectionId: z.string().optional(),
  connectionSpec: specRef,
  data: z.record(z.string(), z.unknown()).default({}),
  params: z.record(z.string(), z.unknown()).default({}),
});
const flowBody = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  flowSpec: specRef,
  sourceConnectionIds: z.array(z.string()).min(1),
  targetConnectionIds: z.array(z.string()).min(1).max(1),
  transformations: z.array(z.object({ name: z.string(), params: z.record(z.string(), z.any()) })).default([]),
  scheduleParams: z.object({ startTime: z.coerce.number().int().nonnegative().optional(), frequency: z.enum(['once', 'minute', 'hour', 'day', 'week']), interval: z.number().int().positive().optional(), backfill: z.boolean().optional() }).optional(),
});
const mappingSetBody = z.looseObject({ xdmSchema: z.string().min(1), xdmVersion: z.string().optional(), mappings: z.array(z.record(z.string(), z.unknown())).min(1) });
const patchBody = z.array(z.looseObject({ op: z.enum(['add', 'remove', 'replace', 'test']), path: z.string(), value: z.unknown().optional() }));

/** A run as the API shows it: while in progress, record counts summed from each file's live progress; a Web UI link. */
function showRun(d: ApiDeps, run: RunRecord & { progress?: Record<string, { input: number; output: number; failed: number; skipped: number }> }) {
  const { progress, ...rest } = run;
  const live = Object.values(progress ?? {});
  const sum = (k: 'input' | 'output' | 'failed' | 'skipped') => live.reduce((a, p) => a + (p[k] ?? 0), 0);
  const recordSummary = run.metrics.statusSummary.status === 'inProgress' && live.length
    ? { inputRecordCount: sum('input'), outputRecordCount: sum('output'), failedRecordCount: sum('failed'), skippedRecordCount: sum('skipped') }
    : run.metrics.recordSummary;
  return { ...rest, metrics: { ...run.metrics, recordSummary }, workflow: { ...run.workflow, uiUrl: run.workflow.uiUrl ?? uiLink(d, run.workflow.workflowId) } };
}

const isRecurring = (f: Flow) => !!f.scheduleParams && f.scheduleParams.frequency !== 'once';
function checkSchedule(sp: Flow['scheduleParams']) {
  if (!sp) return;
  if (!['once', 'minute', 'hour', 'day', 'week'].includes(sp.frequency)) throw unprocessable('scheduleParams.frequency: must be once, minute, hour, day or week');
  if (sp.frequency === 'minute' && (sp.interval ?? 0) < 15) throw unprocessable('scheduleParams.interval: minute frequency needs an interval of at least 15');
}

const publicConnection = ({ auth, ...rest }: Connection) => ({ ...rest, auth: { specName: auth.specName, params: auth.params } });
/** A streaming connection shows where to send messages: its inlet is the connection itself (`POST /collection/{id}`). */
const withInlet = (conn: ReturnType<typeof publicConnection>, origin: string) => {
  if (conn.connectionSpec.id !== STREAMING.connectionSpec) return conn;
  const inlet = { inletId: conn.id, inletUrl: `${origin}/collection/${conn.id}` };
  return { ...conn, auth: { ...conn.auth, params: { ...conn.auth.params, ...inlet } }, params: { ...conn.params, ...inlet } };
};
const etag = (d: { newId(): string }) => `"${d.newId()}"`;
const MAX_SELECTORS = { audiences: 250, attributes: 50 };

export function flowServiceRoutes(app: Router) {
  op(app, { method: 'get', path: `${BASE}/connectionSpecs`, tag, summary: 'Source and destination connection specs' }, (c) => c.json({ items: CONNECTION_SPECS }));
  op(app, { method: 'get', path: `${BASE}/flowSpecs`, tag, summary: 'Flow specs' }, (c) => c.json({ items: FLOW_SPECS }));

  op(app, { method: 'post', path: `${BASE}/connections`, tag, summary: 'Create a base connection (credentials stored encrypted)', body: connectionBody, status: 201 }, async (c, { body }) => {
    const d = c.get('deps');
    if (!CONNECTION_SPECS.some((s) => s.id === body.connectionSpec.id)) throw unprocessable(`connectionSpec.id: unknown connection spec ${body.connectionSpec.id}`);
    if (body.connectionSpec.id === STREAMING.connectionSpec) {
      if (body.auth.specName !== 'Streaming Connection') throw unprocessable(`auth.specName: a streaming connection takes "Streaming Connection" (got "${body.auth.specName}")`);
      if ((body.auth.params.dataType ?? 'xdm') !== 'xdm') throw unprocessable(`auth.params.dataType: only "xdm" streaming is supported so far (got "${body.auth.params.dataType}")`);
    }
    const secretKeys = ['s3AccessKey', 's3SecretKey', 'password', 'token', 'secret'];
    const secret = Object.fromEntries(Object.entries(body.auth.params).filter(([k]) => secretKeys.includes(k) || k === 'serviceUrl' || k === 'region'));
    const visible = Object.fromEntries(Object.entries(body.auth.params).filter(([k]) => !secretKeys.includes(k)));
    const now = d.now();
    const conn: Connection = {
      id: d.newId(), name: body.name, description: body.description, connectionSpec: body.connectionSpec,
      auth: { specName: body.auth.specName, params: visible, enc: d.secrets.seal(secret) }, params: body.params ?? {}, etag: etag(d), createdAt: now, updatedAt: now,
    };
    await d.stores.connections.insert(c.get('sandbox'), conn);
    return c.json({ id: conn.id, etag: conn.etag }, 201);
  });
  op(app, { method: 'get', path: `${BASE}/connections/{id}`, tag, summary: 'Get a connection (secrets are never returned)' }, async (c, v) => {
    const conn = await c.get('deps').stores.connections.get(c.get('sandbox'), v.params.id);
    if (!conn) throw notFound('Connection', v.params.id);
    return c.json({ items: [withInlet(publicConnection(conn), new URL(c.req.url).origin)] });
  });

  op(app, { method: 'post', path: `${BASE}/sourceConnections`, tag, summary: 'Create a source connection (S3 path, format)', body: sourceConnectionBody, status: 201 }, async (c, { body }) => {
    const d = c.get('deps');
    const base = await d.stores.connections.get(c.get('sandbox'), body.baseConnectionId);
    if (!base) throw unprocessable(`baseConnectionId: connection ${body.baseConnectionId} does not exist`);
    if (base.connectionSpec.id !== STREAMING.connectionSpec) {
      if (!body.data) throw unprocessable('data: a file source needs data.format (delimited or json)');
      if (!body.params?.path) throw unprocessable('params.path: a file source needs the S3 path, e.g. /bucket/dir/*.csv');
    }
    const sc: SourceConnection = { ...(body as unknown as SourceConnection), id: d.newId(), etag: etag(d), createdAt: d.now() };
    await d.stores.sourceConnections.insert(c.get('sandbox'), sc);
    return c.json({ id: sc.id, etag: sc.etag }, 201);
  });
  op(app, { method: 'post', path: `${BASE}/targetConnections`, tag, summary: 'Create a target connection (dataset, or destination bucket)', body: targetConnectionBody, status: 201 }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    if (body.connectionSpec.id === SPECS.dataLake) {
      const dsId = String(body.params.dataSetId ?? '');
      if (!(await d.stores.datasets.get(sandbox, dsId))) throw unprocessable(`params.dataSetId: dataset ${dsId || '(missing)'} does not exist`);
    } else if (!body.baseConnectionId || !(await d.stores.connections.get(sandbox, body.baseConnectionId))) {
      throw unprocessable(`baseConnectionId: a destination target connection needs an existing base connection`);
    }
    const tc: TargetConnection = { ...(body as unknown as TargetConnection), id: d.newId(), etag: etag(d), createdAt: d.now() };
    await d.stores.targetConnections.insert(sandbox, tc);
    return c.json({ id: tc.id, etag: tc.etag }, 201);
  });

  op(app, { method: 'post', path: '/data/foundation/conversion/mappingSets', tag: 'Data Prep', summary: 'Create a mapping set', body: mappingSetBody, status: 201 }, async (c, { body }) => {
    const d = c.get('deps');
    const schema = await findSchema(d, c.get('sandbox'), body.xdmSchema);
    const { lookup } = await loadRegistry(d, c.get('sandbox'));
    validateMappings(normalizeMappings(body.mappings), fieldPaths(resolveSchema(schema, lookup)), schema.$id);
    const doc: MappingSetDoc = { id: d.newId().replaceAll('-', ''), version: 0, xdmSchema: schema.$id, xdmVersion: body.xdmVersion, mappings: body.mappings as MappingSetDoc['mappings'], createdDate: d.now() };
    await d.stores.mappingSets.insert(c.get('sandbox'), doc);
    return c.json({ id: doc.id, version: doc.version, createdDate: doc.createdDate }, 201);
  });
  op(app, { method: 'get', path: '/data/foundation/conversion/mappingSets/{id}', tag: 'Data Prep', summary: 'Get a mapping set' }, async (c, v) => {
    const m = await c.get('deps').stores.mappingSets.get(c.get('sandbox'), v.params.id);
    if (!m) throw notFound('Mapping set', v.params.id);
    return c.json(m);
  });

  op(app, { method: 'post', path: `${BASE}/flows`, tag, summary: 'Create a dataflow; frequency "once" runs it now', body: flowBody, status: 201 }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    if (!FLOW_SPECS.some((s) => s.id === body.flowSpec.id)) throw unprocessable(`flowSpec.id: unknown flow spec ${body.flowSpec.id}`);
    checkSchedule(body.scheduleParams);
    const isSource = body.flowSpec.id === SPECS.cloudStorageToPlatform;
    const isStreaming = body.flowSpec.id === STREAMING.flowSpec;
    if (isStreaming) {
      for (const id of body.sourceConnectionIds) {
        const sc = await d.stores.sourceConnections.get(sandbox, id);
        const base = sc && (await d.stores.connections.get(sandbox, sc.baseConnectionId));
        if (base?.connectionSpec.id !== STREAMING.connectionSpec) throw unprocessable(`sourceConnectionIds: ${id} is not a source connection of a streaming (HTTP API) connection`);
      }
      const tc = await d.stores.targetConnections.get(sandbox, body.targetConnectionIds[0]);
      if (tc?.connectionSpec.id !== SPECS.dataLake || !(await d.stores.datasets.get(sandbox, String(tc.params.dataSetId ?? '')))) throw unprocessable(`targetConnectionIds: a streaming dataflow needs a Data Lake target connection with an existing params.dataSetId`);
    }
    if (isSource) {
      for (const id of body.sourceConnectionIds) if (!(await d.stores.sourceConnections.get(sandbox, id))) throw unprocessable(`sourceConnectionIds: source connection ${id} does not exist`);
      const mappingId = body.transformations.find((t) => t.name === 'Mapping')?.params.mappingId;
      if (mappingId && !(await d.stores.mappingSets.get(sandbox, String(mappingId)))) throw unprocessable(`transformations[Mapping].params.mappingId: mapping set ${mappingId} does not exist`);
    }
    if (!(await d.stores.targetConnections.get(sandbox, body.targetConnectionIds[0]))) throw unprocessable(`targetConnectionIds: target connection ${body.targetConnectionIds[0]} does not exist`);
    const now = d.now();
    const transformations = body.transformations.length || isSource || isStreaming ? body.transformations : [{ name: 'GeneralTransform', params: { segmentSelectors: { selectors: [] }, profileSelectors: { selectors: [] } } }];
    const flow: Flow = { ...(body as unknown as Flow), transformations, id: d.newId(), state: 'enabled', etag: etag(d), createdAt: now, updatedAt: now };
    await d.stores.flows.insert(sandbox, flow);
    if (isSource && isRecurring(flow)) await syncFlowSchedule(d, sandbox, flow);
    else if (isSource) await startFlowRun(d, sandbox, flow, 'ingestion');
    return c.json({ id: flow.id, etag: flow.etag }, 201);
  });
  op(app, { method: 'get', path: `${BASE}/flows`, tag, summary: 'List dataflows', query: z.object({ property: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }) }, async (c, { query }) => {
    const { items } = await c.get('deps').stores.flows.list(c.get('sandbox'), propertyFilter(query.property), { limit: query.limit });
    return c.json({ items });
  });
  op(app, { method: 'get', path: `${BASE}/flows/{id}`, tag, summary: 'Get a dataflow' }, async (c, v) => {
    const flow = await c.get('deps').stores.flows.get(c.get('sandbox'), v.params.id);
    if (!flow) throw notFound('Flow', v.params.id);
    c.header('etag', flow.etag);
    return c.json({ items: [flow] });
  });
  op(app, { method: 'patch', path: `${BASE}/flows/{id}`, tag, summary: 'JSON Patch a dataflow (If-Match etag): add audiences and attributes to an activation flow', body: patchBody }, async (c, { body, params }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const flow = await d.stores.flows.get(sandbox, params.id);
    if (!flow) throw notFound('Flow', params.id);
    const ifMatch = c.req.header('if-match');
    if (!ifMatch) throw new ApiError(428, 'PRECONDITION_REQUIRED', 'If-Match: send the flow\'s etag');
    if (ifMatch !== flow.etag) throw new ApiError(412, 'PRECONDITION_FAILED', `If-Match: etag ${ifMatch} is stale; the flow's etag is ${flow.etag}`);
    const next = applyPatch(flow, body as PatchOp[]);
    for (const k of ['id', 'flowSpec', 'createdAt'] as const) if (JSON.stringify(next[k]) !== JSON.stringify(flow[k])) throw unprocessable(`${k}: cannot be changed`);
    if (next.state !== 'enabled' && next.state !== 'disabled') throw unprocessable('state: must be "enabled" or "disabled"');
    checkSchedule(next.scheduleParams);
    const params0 = next.transformations[0]?.params ?? {};
    const selectors = (params0.segmentSelectors?.selectors ?? []) as SegmentSelector[];
    const attributes = (params0.profileSelectors?.selectors ?? []) as { value?: { path?: string } }[];
    if (selectors.length > MAX_SELECTORS.audiences) throw unprocessable(`segmentSelectors: at most ${MAX_SELECTORS.audiences} audiences per dataflow`);
    if (attributes.length > MAX_SELECTORS.attributes) throw unprocessable(`profileSelectors: at most ${MAX_SELECTORS.attributes} attributes per dataflow`);
    for (const [i, s] of selectors.entries()) {
      if (s.type !== 'PLATFORM_SEGMENT' || !s.value?.id) throw unprocessable(`segmentSelectors.selectors[${i}]: needs type PLATFORM_SEGMENT and value.id`);
      if (!(await d.stores.segmentDefinitions.get(sandbox, s.value.id))) throw unprocessable(`segmentSelectors.selectors[${i}].value.id: segment ${s.value.id} does not exist`);
    }
    attributes.forEach((a, i) => {
      if (!a.value?.path || typeof a.value.path !== 'string') throw unprocessable(`profileSelectors.selectors[${i}].value.path is required`);
    });
    const updated = { ...next, etag: etag(d), updatedAt: d.now() };
    await d.stores.flows.put(sandbox, updated);
    if (updated.flowSpec.id === SPECS.cloudStorageToPlatform && (isRecurring(updated) || isRecurring(flow))) await syncFlowSchedule(d, sandbox, updated);
    const addsOnce = (body as PatchOp[]).some((o) => o.op === 'add' && /segmentSelectors/.test(o.path) && ((o.value as SegmentSelector)?.value?.schedule?.frequency ?? 'ONCE') === 'ONCE');
    if (flow.flowSpec.id === SPECS.profileToCloudStorage && addsOnce && selectors.length) await startFlowRun(d, sandbox, updated, 'activation');
    c.header('etag', updated.etag);
    return c.json({ id: updated.id, etag: updated.etag });
  });

  op(app, { method: 'post', path: `${BASE}/flows/{id}/action`, tag, summary: 'Enable or disable a dataflow (op=enable|disable); a disabled flow\'s schedule is paused', query: z.object({ op: z.enum(['enable', 'disable']) }) }, async (c, { params, query }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const flow = await d.stores.flows.get(sandbox, params.id);
    if (!flow) throw notFound('Flow', params.id);
    const updated: Flow = { ...flow, state: query.op === 'enable' ? 'enabled' : 'disabled', etag: etag(d), updatedAt: d.now() };
    await d.stores.flows.put(sandbox, updated);
    if (isRecurring(updated)) await syncFlowSchedule(d, sandbox, updated);
    return c.json({ id: updated.id, etag: updated.etag, state: updated.state });
  });
  op(app, { method: 'delete', path: `${BASE}/flows/{id}`, tag, summary: 'Delete a dataflow and its schedule (runs and ingested data stay)', status: 204 }, async (c, v) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const flow = await d.stores.flows.get(sandbox, v.params.id);
    if (!flow) throw notFound('Flow', v.params.id);
    await syncFlowSchedule(d, sandbox, flow, { deleted: true });
    await d.stores.flows.delete(sandbox, flow.id);
    return c.body(null, 204);
  });

  const runsQuery = z.object({ property: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).optional(), start: z.coerce.number().int().min(0).optional() });
  op(app, { method: 'get', path: `${BASE}/runs`, tag, summary: 'List dataflow runs (property=flowId==…)', query: runsQuery }, async (c, { query }) => {
    const d = c.get('deps');
    const { items } = await d.stores.runs.list(c.get('sandbox'), propertyFilter(query.property), { limit: query.limit, start: query.start, sort: { createdAt: -1 } });
    return c.json({ items: items.map((r) => showRun(d, r)) });
  });
  op(app, { method: 'get', path: `${BASE}/runs/{id}`, tag, summary: 'Get a dataflow run (live record counts while in progress)' }, async (c, v) => {
    const d = c.get('deps');
    const run = await d.stores.runs.get(c.get('sandbox'), v.params.id);
    if (!run) throw notFound('Run', v.params.id);
    return c.json({ items: [showRun(d, run)] });
  });
  op(app, { method: 'post', path: `${BASE}/runs`, tag, summary: 'Start an on-demand run of a dataflow', body: z.object({ flowId: z.string().min(1) }), status: 201 }, async (c, { body }) => {
    const d = c.get('deps');
    const flow = await d.stores.flows.get(c.get('sandbox'), body.flowId);
    if (!flow) throw unprocessable(`flowId: flow ${body.flowId} does not exist`);
    if (flow.state === 'disabled') throw unprocessable(`flowId: flow ${body.flowId} is disabled; enable it with POST /flows/${flow.id}/action?op=enable`);
    const run = await startFlowRun(d, c.get('sandbox'), flow, flow.flowSpec.id === SPECS.cloudStorageToPlatform ? 'ingestion' : 'activation');
    return c.json({ items: [run] }, 201);
  });
}
