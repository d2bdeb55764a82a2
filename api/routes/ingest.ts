import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { bodyLimit } from 'hono/body-limit';
import type { Context } from 'hono';
import { z } from 'zod';
import type { Batch, Dataset } from '../../domain/catalog/model';
import type { Connection, SourceFormat } from '../../domain/flow/model';
import { extractIdentities } from '../../domain/identity/extract';
import type { Namespace } from '../../domain/identity/namespaces';
import { checkRecord, GUARDRAIL_ERROR, INGEST_LIMITS } from '../../domain/ingest/guardrails';
import { ROW_ERROR } from '../../domain/ingest/mapping';
import { EXPERIENCE_EVENT_CLASS_ID } from '../../domain/xdm';
import { loadSchemaContext } from '../../infra/xdm/schema-context';
import type { MappingSetDoc } from '../../domain/xdm/registry-model';
import { ensureBucket, uploadStream } from '../../infra/s3/client';
import { landingPrefix } from '../../domain/shared/ids';
import { getRecordValidator } from '../../infra/xdm/validator';
import type { RecordValidator } from '../../infra/xdm/validator';
import type { StreamMessage } from '../../workflows/definitions';
import type { ApiDeps, AppEnv } from '../context';
import { ApiError, badRequest, notFound, problem, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { sendStreamRecords, startBatchIngestion, stopBatchIngestion } from '../workflows';
import { STREAMING } from './specs';

const IMPORT = '/data/foundation/import';
const conflict = (message: string) => new ApiError(409, 'CONFLICT', message);

// ---------------------------------------------------------------------------------------------
// Batch ingestion API: create a batch, PUT its files into the landing bucket, COMPLETE or ABORT.
// ---------------------------------------------------------------------------------------------

type LandingStore = ApiDeps['landing'];
const bucketReady = new Map<string, Promise<void>>();
const landingOf = (d: ApiDeps): LandingStore => d.landing;
/** Creates the landing bucket once per process (again after a failed attempt). */
function ensureLanding(l: LandingStore): Promise<void> {
  let ready = bucketReady.get(l.bucket);
  if (!ready) {
    ready = ensureBucket(l.s3, l.bucket).catch((e) => {
      bucketReady.delete(l.bucket);
      throw e;
    });
    bucketReady.set(l.bucket, ready);
  }
  return ready;
}
/** Where a batch's files wait for COMPLETE (the ingestion workflow lists that prefix). */
const landingKey = (sandbox: string, batchId: string, fileName: string) => `${landingPrefix(sandbox, batchId)}${fileName}`;

const FORMATS = { csv: 'delimited', json: 'json', parquet: 'parquet' } as const;
const batchBody = z.looseObject({
  datasetId: z.string().min(1),
  inputFormat: z.looseObject({
    format: z.string(), isMultiLineJson: z.boolean().optional(), delimiter: z.string().optional(), quote: z.string().optional(), escape: z.string().optional(), header: z.boolean().optional(),
  }),
  enableErrorDiagnostics: z.boolean().optional(),
  partialIngestionPercentage: z.number().optional(),
  tags: z.record(z.string(), z.array(z.string())).optional(),
});
type BatchBody = z.infer<typeof batchBody>;

/** What the API shows of a batch (how files are read is internal). */
const showBatch = ({ sourceFormat: _f, mappingId: _m, ...b }: Batch) => b;
const datasetOf = (b: Batch) => b.relatedObjects.find((o) => o.type === 'dataSet')?.id;
const batchKey = (sandbox: string, id: string) => `${sandbox}:${id}`;

function sourceFormatOf(body: BatchBody): SourceFormat {
  const f = body.inputFormat;
  const format = FORMATS[f.format.toLowerCase() as keyof typeof FORMATS];
  if (!format) throw unprocessable(`inputFormat.format: must be csv or json (got "${f.format}")`);
  if (format === 'parquet') throw unprocessable('inputFormat.format: parquet is not supported yet; send csv or json');
  for (const k of ['delimiter', 'quote', 'escape'] as const) if (f[k] !== undefined && f[k].length !== 1) throw unprocessable(`inputFormat.${k}: must be one character`);
  return format === 'delimited' ? { format, delimiter: f.delimiter, quote: f.quote, escape: f.escape, header: f.header ?? true } : { format, multiLineJson: f.isMultiLineJson === true };
}

/**
 * CSV has neither nesting nor types: its columns are read as XDM paths (`person.name.firstName`)
 * and typed by the schema, through a mapping of every scalar or array field onto itself.
 */
async function csvMapping(d: ApiDeps, sandbox: string, ds: Dataset, batchId: string): Promise<string> {
  const { schema, fieldTypes } = await loadSchemaContext(d.stores, sandbox, ds.schemaRef.id);
  const fields = [...fieldTypes].filter(([, t]) => t !== 'object' && t !== 'map').map(([p]) => p);
  const doc: MappingSetDoc = { id: `batch-${batchId}`, version: 0, xdmSchema: schema.$id, mappings: fields.map((p) => ({ sourceType: 'ATTRIBUTE', source: p, destination: p })) as MappingSetDoc['mappings'], createdDate: d.now() };
  await d.stores.mappingSets.put(sandbox, doc);
  return doc.id;
}

async function getBatch(d: ApiDeps, sandbox: string, id: string): Promise<Batch> {
  const b = await d.stores.batches.get(sandbox, id);
  if (!b) throw notFound('Batch', id);
  return b;
}

/** A file name is the rest of the path: relative, no empty or `..` segments. */
function checkFileName(name: string) {
  if (!name || name.length > 1024 || name.startsWith('/') || name.split('/').some((s) => !s || s === '.' || s === '..') || /[\u0000-\u001f]/.test(name)) {
    throw badRequest(`fileName: "${name}" must be a relative path without empty, "." or ".." segments`);
  }
}

/**
 * Counts a file into the batch before its upload (atomically, only while loading and under the
 * limits): a new file adds one, a replaced one none; bytes by Content-Length, corrected afterwards.
 */
async function reserve(d: ApiDeps, sandbox: string, batchId: string, newFile: boolean, bytes: number) {
  const res = await d.stores.batches.coll.updateOne(
    { _id: batchKey(sandbox, batchId), status: 'loading', ...(newFile ? { 'metrics.inputFileCount': { $lt: INGEST_LIMITS.filesPerBatch } } : {}), 'metrics.inputByteSize': { $lte: INGEST_LIMITS.bytesPerBatch - bytes } } as never,
    { $inc: { 'metrics.inputFileCount': newFile ? 1 : 0, 'metrics.inputByteSize': bytes }, $set: { updated: d.now() } } as never,
  );
  if (res.modifiedCount) return;
  const b = await getBatch(d, sandbox, batchId);
  if (b.status !== 'loading') throw conflict(`batch ${batchId} is ${b.status}: files can only be uploaded while it is loading`);
  if (newFile && b.metrics.inputFileCount >= INGEST_LIMITS.filesPerBatch) throw unprocessable(`files: batch ${batchId} already has ${b.metrics.inputFileCount} files; at most ${INGEST_LIMITS.filesPerBatch} files are allowed per batch (${GUARDRAIL_ERROR.BATCH_LIMIT})`);
  throw bytesLimit(batchId);
}
const bytesLimit = (batchId: string) => unprocessable(`inputByteSize: batch ${batchId} would exceed ${INGEST_LIMITS.bytesPerBatch} bytes (1 TB), the limit per batch (${GUARDRAIL_ERROR.BATCH_LIMIT})`);
const adjust = (d: ApiDeps, sandbox: string, batchId: string, files: number, bytes: number) =>
  d.stores.batches.coll.updateOne({ _id: batchKey(sandbox, batchId) } as never, { $inc: { 'metrics.inputFileCount': files, 'metrics.inputByteSize': bytes } } as never);

async function sizeOf(l: LandingStore, key: string): Promise<number | undefined> {
  try {
    return (await l.s3.send(new HeadObjectCommand({ Bucket: l.bucket, Key: key }))).ContentLength ?? 0;
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
    throw e;
  }
}

/** PUT a file: streamed to the landing bucket (never held in memory), counted into the batch. */
async function uploadFile(c: Context<AppEnv>) {
  const d = c.get('deps');
  const sandbox = c.get('sandbox');
  const { batchId, datasetId, fileName } = c.req.param() as Record<string, string>;
  checkFileName(fileName);
  const batch = await getBatch(d, sandbox, batchId);
  if (datasetOf(batch) !== datasetId) throw unprocessable(`datasetId: batch ${batchId} belongs to dataset ${datasetOf(batch)}, not ${datasetId}`);
  if (batch.status !== 'loading') throw conflict(`batch ${batchId} is ${batch.status}: files can only be uploaded while it is loading`);
  const land = landingOf(d);
  await ensureLanding(land);
  const key = landingKey(sandbox, batchId, fileName);
  const old = await sizeOf(land, key);
  const declared = Math.max(0, Number(c.req.header('content-length')) || 0);
  await reserve(d, sandbox, batchId, old === undefined, declared - (old ?? 0));
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      done(size > INGEST_LIMITS.bytesPerBatch ? bytesLimit(batchId) : null, chunk);
    },
  });
  const body = c.req.raw.body ? Readable.fromWeb(c.req.raw.body as WebReadableStream) : Readable.from([]);
  body.on('error', (e) => counter.destroy(e));
  try {
    await uploadStream(land.s3, land.bucket, key, body.pipe(counter), c.req.header('content-type') ?? 'application/octet-stream');
  } catch (e) {
    await adjust(d, sandbox, batchId, old === undefined ? -1 : 0, -(declared - (old ?? 0)));
    throw e;
  }
  if (size !== declared) {
    const fixed = await d.stores.batches.coll.updateOne({ _id: batchKey(sandbox, batchId), 'metrics.inputByteSize': { $lte: INGEST_LIMITS.bytesPerBatch - (size - declared) } } as never, { $inc: { 'metrics.inputByteSize': size - declared } } as never);
    if (!fixed.modifiedCount) {
      await land.s3.send(new DeleteObjectCommand({ Bucket: land.bucket, Key: key }));
      await adjust(d, sandbox, batchId, old === undefined ? -1 : 0, -(declared - (old ?? 0)));
      throw bytesLimit(batchId);
    }
  }
  return c.json({ batchId, datasetId, fileName, size }, 200);
}

function batchRoutes(app: Router) {
  const tag = 'Batch Ingestion';
  op(app, { method: 'post', path: `${IMPORT}/batches`, tag, summary: 'Create a batch (status loading) to upload files into', body: batchBody, status: 201 }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const sourceFormat = sourceFormatOf(body);
    const pct = body.partialIngestionPercentage;
    if (pct !== undefined && !(pct >= 0 && pct <= 100)) throw unprocessable(`partialIngestionPercentage: must be between 0 and 100 (got ${pct})`);
    const ds = await d.stores.datasets.get(sandbox, body.datasetId);
    if (!ds) throw unprocessable(`datasetId: dataset ${body.datasetId} does not exist`);
    const id = d.newId().replaceAll('-', '');
    const now = d.now();
    const { format: _f, ...options } = body.inputFormat;
    const batch: Batch = {
      id, status: 'loading', relatedObjects: [{ type: 'dataSet', id: ds.id }], inputFormat: { ...options, format: body.inputFormat.format.toLowerCase() },
      metrics: { inputByteSize: 0, inputFileCount: 0, inputRecordCount: 0, outputRecordCount: 0, failedRecordCount: 0 }, errors: [],
      tags: {
        ...body.tags,
        ...(body.enableErrorDiagnostics !== undefined ? { acp_enableErrorDiagnostics: [String(body.enableErrorDiagnostics)] } : {}),
        ...(pct !== undefined ? { acp_partialIngestionPercent: [String(pct)] } : {}),
      },
      created: now, updated: now, sourceFormat,
      mappingId: sourceFormat.format === 'delimited' ? await csvMapping(d, sandbox, ds, id) : undefined,
    };
    await d.stores.batches.insert(sandbox, batch);
    return c.json(showBatch(batch), 201);
  });

  app.put(`${IMPORT}/batches/:batchId/datasets/:datasetId/files/:fileName{.+}`, uploadFile);
  app.openAPIRegistry.registerPath({
    method: 'put', path: `${IMPORT}/batches/{batchId}/datasets/{datasetId}/files/{fileName}`, tags: [tag],
    summary: 'Upload one file of a loading batch (body = the file; any content type; .gz is gunzipped on ingest; fileName may contain /)',
    responses: { 200: { description: 'Stored' }, 404: { description: 'No such batch' }, 409: { description: 'The batch is no longer loading' }, 422: { description: 'Wrong dataset, or a batch limit (25,000 files, 1 TB) reached' } },
  });

  op(app, { method: 'post', path: `${IMPORT}/batches/{batchId}`, tag, summary: 'action=COMPLETE starts ingestion (safe to retry); action=ABORT aborts a loading or staging batch', query: z.object({ action: z.string().optional() }) }, async (c, { params, query }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const action = query.action?.toUpperCase();
    if (action !== 'COMPLETE' && action !== 'ABORT') throw badRequest(`action: must be COMPLETE or ABORT (got ${query.action === undefined ? 'none' : `"${query.action}"`})`);
    const batch = await getBatch(d, sandbox, params.batchId);
    const status = action === 'COMPLETE' ? await complete(d, sandbox, batch) : await abort(d, sandbox, batch);
    return c.json({ id: batch.id, status }, 200);
  });

  op(app, { method: 'get', path: `${IMPORT}/batches/{batchId}`, tag, summary: 'Get a batch (as the Catalog shows it)' }, async (c, { params }) => {
    const b = await getBatch(c.get('deps'), c.get('sandbox'), params.batchId);
    return c.json({ [b.id]: showBatch(b) });
  });
}

/** loading → staging, then the ingestion workflow (idempotent: a repeated COMPLETE starts nothing new). */
async function complete(d: ApiDeps, sandbox: string, batch: Batch): Promise<Batch['status']> {
  const start = () => startBatchIngestion(d, sandbox, batch.id, datasetOf(batch)!);
  if (batch.status === 'aborted') throw conflict(`batch ${batch.id} was aborted; it cannot be completed`);
  if (batch.status === 'staging') await start(); // a COMPLETE that died before starting the workflow
  if (batch.status !== 'loading') return batch.status;
  if (!batch.metrics.inputFileCount) throw unprocessable(`files: batch ${batch.id} has no files; upload at least one (PUT …/files/{fileName}) before COMPLETE`);
  const moved = await d.stores.batches.coll.updateOne({ _id: batchKey(sandbox, batch.id), status: 'loading' } as never, { $set: { status: 'staging', updated: d.now() } } as never);
  if (!moved.modifiedCount) return complete(d, sandbox, await getBatch(d, sandbox, batch.id));
  await start();
  return 'staging';
}

/** loading or staging → aborted; a workflow a COMPLETE already started is stopped. */
async function abort(d: ApiDeps, sandbox: string, batch: Batch): Promise<Batch['status']> {
  const now = d.now();
  const before = await d.stores.batches.coll.findOneAndUpdate(
    { _id: batchKey(sandbox, batch.id), status: { $in: ['loading', 'staging'] } } as never,
    { $set: { status: 'aborted', updated: now, completed: now } } as never,
    { returnDocument: 'before' },
  );
  if (!before) {
    const b = await getBatch(d, sandbox, batch.id);
    if (b.status === 'aborted') return 'aborted';
    throw conflict(`batch ${batch.id} is ${b.status}: only a loading or staging batch can be aborted`);
  }
  if (before.status === 'staging') {
    await stopBatchIngestion(d, sandbox, batch.id);
    await d.stores.batches.update(sandbox, batch.id, { status: 'aborted' });
  }
  return 'aborted';
}

// ---------------------------------------------------------------------------------------------
// Streaming ingestion: POST /collection/{connectionId} (one message) and /collection/batch/{id}.
// ---------------------------------------------------------------------------------------------

/** AEP's streaming limit: one message at most 1 MB. A batch request may carry several (up to 10 MB). */
const MESSAGE_BYTES = 1024 * 1024;
const BATCH_REQUEST_BYTES = 10 * MESSAGE_BYTES;
/** Records per workflow signal are kept under this size (Temporal payloads must stay under 2 MB). */
const SIGNAL_BYTES = 900 * 1024;
/** How long a looked-up dataset target (schema, compiled validator, identity fields) or dataflow link is reused. */
const CACHE_MS = 5_000;

const schemaRef = z.looseObject({ id: z.string().min(1), contentType: z.string().optional() });
const envelope = z.looseObject({
  header: z.looseObject({ schemaRef, imsOrgId: z.string().optional(), datasetId: z.string().optional(), flowId: z.string().optional(), source: z.looseObject({ name: z.string().optional() }).optional() }),
  body: z.looseObject({ xdmMeta: z.looseObject({ schemaRef: schemaRef.partial().optional() }).optional(), xdmEntity: z.record(z.string(), z.unknown()) }),
});
type Envelope = z.infer<typeof envelope>;

interface FieldError { path: string; rule: string; message: string }
interface Target { datasetId: string; schemaIds: string[]; validate: RecordValidator; isEvent: boolean; identityFields: { path: string; namespace: string; primary: boolean }[]; namespaces: Namespace[] }
type Outcome = { ok: true; datasetId: string; message: StreamMessage } | { ok: false; status: number; code: string; message: string; errors?: FieldError[] };

const targets = new Map<string, { at: number; target: Target | null }>();
const links = new Map<string, { at: number; datasetId?: string }>();

async function cached<T extends { at: number }>(map: Map<string, T>, key: string, now: number, load: () => Promise<Omit<T, 'at'>>): Promise<T> {
  const hit = map.get(key);
  if (hit && now - hit.at < CACHE_MS) return hit;
  const fresh = { ...(await load()), at: now } as T;
  map.set(key, fresh);
  if (map.size > 1000) map.delete(map.keys().next().value!);
  return fresh;
}

/** The dataset a record goes to, with what validating it needs (the same schema and descriptors ingestion uses). */
async function targetOf(d: ApiDeps, sandbox: string, datasetId: string): Promise<Target | null> {
  return (await cached(targets, `${sandbox}|${datasetId}`, d.now(), async () => {
    const ds = await d.stores.datasets.get(sandbox, datasetId);
    if (!ds) return { target: null };
    const { schema, resolved, identityFields, namespaces } = await loadSchemaContext(d.stores, sandbox, ds.schemaRef.id);
    const validate = getRecordValidator(schema.$id, schema.version, resolved);
    return { target: { datasetId, schemaIds: [schema.$id, schema['meta:altId']], validate, isEvent: schema['meta:class'] === EXPERIENCE_EVENT_CLASS_ID, identityFields, namespaces } };
  })).target;
}

/** The dataset of the streaming dataflow that reads this connection (or the named flow). */
async function linkedDataset(d: ApiDeps, sandbox: string, conn: Connection, flowId?: string): Promise<string | undefined> {
  return (await cached(links, `${sandbox}|${conn.id}|${flowId ?? ''}`, d.now(), async () => {
    const sources = (await d.stores.sourceConnections.list(sandbox, { baseConnectionId: conn.id }, { limit: 1000 })).items.map((s) => s.id);
    const filter = { sourceConnectionIds: { $in: sources }, 'flowSpec.id': STREAMING.flowSpec, state: 'enabled', ...(flowId ? { id: flowId } : {}) };
    const [flow] = sources.length ? (await d.stores.flows.list(sandbox, filter, { limit: 1, sort: { createdAt: 1 } })).items : [];
    const target = flow && (await d.stores.targetConnections.get(sandbox, flow.targetConnectionIds[0]));
    return { datasetId: target ? String(target.params.dataSetId) : undefined };
  })).datasetId;
}

/** Why a record cannot be ingested, checked as ingestion will: schema, guardrails, an identity. */
function checkEntity(t: Target, entity: Record<string, unknown>, now: number): FieldError[] {
  const v = t.validate(entity);
  if (!v.ok) return v.errors;
  const g = checkRecord(entity, { isEvent: t.isEvent, ingestTs: now });
  if (g.issues.length) return g.issues.map((i) => ({ path: /^([\w.]+): /.exec(i.message)?.[1] ?? '', rule: i.code, message: i.message }));
  const ids = extractIdentities(entity, t.identityFields, [], t.namespaces);
  const errors: FieldError[] = ids.issues.map((i) => ({ path: 'identityMap', rule: 'identity', message: i.message }));
  const found = ids.keys.length > 0;
  if (!found && !errors.length) {
    const primary = t.identityFields.find((f) => f.primary);
    errors.push(primary
      ? { path: primary.path, rule: 'identity', message: `the primary identity (${primary.namespace}) is missing or not a valid value` }
      : { path: 'identityMap', rule: 'identity', message: 'the record has no valid identity (an identity field of the schema, or identityMap)' });
  }
  return errors;
}

/** The row-error code a failed check is reported with, as batch ingestion would report the row. */
const codeOf = (e: FieldError) =>
  e.rule.startsWith('INGEST-') ? e.rule : e.rule === 'required' || e.rule === 'identity' ? ROW_ERROR.REQUIRED_MISSING : e.rule === 'namespace' ? ROW_ERROR.SCHEMA : ROW_ERROR.TYPE_MISMATCH;

/** Validates one message synchronously: envelope, size, target dataset, schema, identity. */
async function admit(d: ApiDeps, sandbox: string, conn: Connection, raw: unknown, xactionId: string, now: number, flowId?: string): Promise<Outcome> {
  const bytes = Buffer.byteLength(JSON.stringify(raw ?? null));
  if (bytes > MESSAGE_BYTES) return { ok: false, status: 413, code: 'PAYLOAD_TOO_LARGE', message: `message is ${bytes} bytes; a streaming message may be at most ${MESSAGE_BYTES} bytes (1 MB)` };
  const parsed = envelope.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, status: 400, code: 'VALIDATION', message: `${issue.path.join('.') || 'message'}: ${issue.message}` };
  }
  const env: Envelope = parsed.data;
  const datasetId = env.header.datasetId ?? (await linkedDataset(d, sandbox, conn, env.header.flowId ?? flowId));
  if (!datasetId) return { ok: false, status: 422, code: 'UNPROCESSABLE', message: `header.datasetId: no enabled streaming dataflow links connection ${conn.id} to a dataset; create one or name the dataset in header.datasetId` };
  const target = await targetOf(d, sandbox, datasetId);
  if (!target) return { ok: false, status: 422, code: 'UNPROCESSABLE', message: `header.datasetId: dataset ${datasetId} does not exist` };
  if (!target.schemaIds.includes(env.header.schemaRef.id)) return { ok: false, status: 400, code: 'VALIDATION', message: `header.schemaRef.id: ${env.header.schemaRef.id} is not the schema of dataset ${datasetId} (${target.schemaIds[0]})` };
  const entity = env.body.xdmEntity;
  const errors = checkEntity(target, entity, now);
  if (errors.length) return { ok: false, status: 400, code: codeOf(errors[0]), message: `the record does not fit dataset ${datasetId}: ${errors.map((e) => `${e.path || '(record)'}: ${e.message} (${e.rule})`).join('; ')}`, errors };
  return { ok: true, datasetId, message: { xactionId, receivedTimeMs: now, entity } };
}

async function streamingConnection(d: ApiDeps, sandbox: string, id: string): Promise<Connection> {
  const conn = await d.stores.connections.get(sandbox, id);
  if (!conn || conn.connectionSpec.id !== STREAMING.connectionSpec) throw notFound('Streaming connection', id);
  return conn;
}

/** Hands accepted records to their datasets' streaming workflows, in signals under SIGNAL_BYTES. */
async function forward(d: ApiDeps, sandbox: string, accepted: { datasetId: string; message: StreamMessage }[]) {
  const byDataset = new Map<string, StreamMessage[]>();
  for (const a of accepted) byDataset.set(a.datasetId, [...(byDataset.get(a.datasetId) ?? []), a.message]);
  for (const [datasetId, messages] of byDataset) {
    let part: StreamMessage[] = [];
    let size = 0;
    for (const m of messages) {
      const n = JSON.stringify(m).length;
      if (part.length && size + n > SIGNAL_BYTES) {
        await sendStreamRecords(d, sandbox, datasetId, part);
        [part, size] = [[], 0];
      }
      part.push(m);
      size += n;
    }
    if (part.length) await sendStreamRecords(d, sandbox, datasetId, part);
  }
}

const xaction = (d: ApiDeps, now: number, i: number) => `${now}:${d.newId().slice(0, 8)}:${i}`;
const tooLarge = (limit: number) => (c: Context<AppEnv>) => problem(c, new ApiError(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes; a streaming message may be at most ${MESSAGE_BYTES} bytes (1 MB) and a batch request ${BATCH_REQUEST_BYTES} bytes`));

function collectionRoutes(app: Router) {
  const tag = 'Streaming Ingestion';
  app.use('/collection/batch/*', bodyLimit({ maxSize: BATCH_REQUEST_BYTES, onError: tooLarge(BATCH_REQUEST_BYTES) }));
  app.use('/collection/:connectionId', bodyLimit({ maxSize: MESSAGE_BYTES, onError: tooLarge(MESSAGE_BYTES) }));

  op(app, { method: 'post', path: '/collection/batch/{connectionId}', tag, summary: 'Stream several messages; each is validated and answered on its own (207 when some fail)', body: z.looseObject({ messages: z.array(z.unknown()).min(1) }) }, async (c, { body, params }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const conn = await streamingConnection(d, sandbox, params.connectionId);
    const now = d.now();
    const outcomes: Outcome[] = [];
    for (const [i, m] of body.messages.entries()) outcomes.push(await admit(d, sandbox, conn, m, xaction(d, now, i), now, c.req.header('x-adobe-flow-id')));
    await forward(d, sandbox, outcomes.flatMap((o) => (o.ok ? [o] : [])));
    const responses = outcomes.map((o, i) => (o.ok ? { xactionId: o.message.xactionId, status: 200 } : { xactionId: xaction(d, now, i), status: o.status, message: o.message, ...(o.errors ? { errors: o.errors } : {}) }));
    const failed = outcomes.some((o) => !o.ok);
    return c.json({ inletId: conn.id, batchId: `${now}:${d.newId().slice(0, 8)}`, receivedTimeMs: now, responses }, failed ? 207 : 200);
  });

  op(app, { method: 'post', path: '/collection/{connectionId}', tag, summary: 'Stream one XDM message (validated synchronously; visible in the profile within seconds)', body: z.unknown() }, async (c, { body, params }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const conn = await streamingConnection(d, sandbox, params.connectionId);
    const now = d.now();
    const o = await admit(d, sandbox, conn, body, xaction(d, now, 0), now, c.req.header('x-adobe-flow-id'));
    if (!o.ok) throw new ApiError(o.status, o.code, o.message, { message: o.message, errors: o.errors ?? [{ path: o.message.split(':')[0], rule: o.code, message: o.message }] });
    await forward(d, sandbox, [o]);
    return c.json({ inletId: conn.id, xactionId: o.message.xactionId, receivedTimeMs: now }, 200);
  });
}

/** Batch ingestion (`/data/foundation/import`) and streaming collection (`/collection`) endpoints. */
export function ingestRoutes(app: Router) {
  batchRoutes(app);
  collectionRoutes(app);
}
