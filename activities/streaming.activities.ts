import { ApplicationFailure } from '@temporalio/common';
import type { Batch } from '../domain/catalog/model';
import { DomainError, isDomainError } from '../domain/shared/errors';
import { EXPERIENCE_EVENT_CLASS_ID } from '../domain/xdm';
import { recoverWrites } from '../infra/mongo/stores';
import { getRecordValidator } from '../infra/xdm/validator';
import type { StreamMessage } from '../workflows/definitions';
import type { ActivityDeps } from './deps';
import { toChunkRow, writeRows } from './ingestion/ingest-file';
import type { RecordValidator } from './ingestion/records';
import { GraphCache } from './profile/graph-cache';
import { loadSchemaContext } from '../infra/xdm/schema-context';
import type { SchemaContext } from '../infra/xdm/schema-context';

export interface WriteStreamInput { sandbox: string; datasetId: string; batchId: string; messages: StreamMessage[] }
export interface WriteStreamResult { input: number; output: number; failed: number; errorCounts: Record<string, number> }

/** How long a loaded schema (and its compiled validator) is reused: schema changes apply within this. */
const SCHEMA_TTL_MS = 10_000;
/** Graph caches kept per worker (one per dataset stream). */
const MAX_CACHES = 16;
/** Name of the "file" a stream's failed rows are listed under (`row_errors/streaming.json`). */
const STREAM_FILE = 'streaming';

/**
 * The writer scope of one flush (what a retry of its activity recovers; the graph lease's owner).
 * One per flush, not per stream: a flush's rows are numbered from 1, and the write path tells a
 * retry of a unit of work from the next one by scope and first row.
 */
export const flushScope = (sandbox: string, datasetId: string, batchId: string) => `stream/${sandbox}/${datasetId}/${batchId}`;

export function createStreamingActivities(deps: ActivityDeps) {
  const { stores } = deps;
  const schemas = new Map<string, { at: number; ctx: SchemaContext; validate: RecordValidator; isEvent: boolean }>();
  const caches = new Map<string, GraphCache>();

  async function schemaOf(sandbox: string, schemaId: string) {
    const key = `${sandbox}|${schemaId}`;
    const hit = schemas.get(key);
    if (hit && deps.now() - hit.at < SCHEMA_TTL_MS) return hit;
    const ctx = await loadSchemaContext(stores, sandbox, schemaId);
    const entry = { at: deps.now(), ctx, validate: getRecordValidator(ctx.schema.$id, ctx.schema.version, ctx.resolved), isEvent: ctx.schema['meta:class'] === EXPERIENCE_EVENT_CLASS_ID };
    schemas.set(key, entry);
    return entry;
  }

  function cacheOf(stream: string) {
    let cache = caches.get(stream);
    if (cache) caches.delete(stream);
    else cache = new GraphCache(stores.writeMode === 'deleteInsert');
    caches.set(stream, cache);
    if (caches.size > MAX_CACHES) caches.delete(caches.keys().next().value!);
    return cache;
  }

  return {
    /**
     * Writes one flush of streamed records through the shared write path (row errors, dataset
     * records, identity graph and profile under the graph lease) and records it as a catalog batch.
     * Idempotent: the batch id is the flush's, dataset records are keyed by content, and every row is
     * (re)applied, which changes nothing the second time — and lets a record streamed again after a
     * newer one win again, as the latest message should. A missing dataset is permanent.
     */
    async writeStreamRecords(input: WriteStreamInput): Promise<WriteStreamResult> {
      try {
        const { sandbox, datasetId, batchId, messages } = input;
        const scope = flushScope(sandbox, datasetId, batchId);
        await recoverWrites(stores, scope);
        const dataset = await stores.datasets.get(sandbox, datasetId);
        if (!dataset) throw new DomainError('NOT_FOUND', `Dataset ${datasetId} not found`);
        const { ctx, validate, isEvent } = await schemaOf(sandbox, dataset.schemaRef.id);
        const rows = messages.map((m, i) => toChunkRow(i + 1, JSON.stringify(m.entity), m.entity, { mappings: [], schemaCtx: ctx, validate, isEvent, rowKey: m.xactionId, now: m.receivedTimeMs }));
        const w = await writeRows(deps, { sandbox, datasetId, batchId, filename: STREAM_FILE, scope, cache: cacheOf(`${sandbox}/${datasetId}`) }, rows, () => true);
        const now = deps.now();
        const batch: Batch = {
          id: batchId, status: w.failed === rows.length ? 'failed' : 'success', relatedObjects: [{ type: 'dataSet', id: datasetId }], inputFormat: { format: 'json' },
          metrics: { inputByteSize: rows.reduce((n, r) => n + Buffer.byteLength(r.raw), 0), inputFileCount: 0, inputRecordCount: rows.length, outputRecordCount: w.output, failedRecordCount: w.failed },
          errors: Object.entries(w.errorCounts).map(([code, recordCount]) => ({ code, description: `${recordCount} streamed records failed with ${code}`, recordCount })),
          tags: { openxp_ingestionMode: ['streaming'] }, created: Math.min(...messages.map((m) => m.receivedTimeMs)), updated: now, completed: now,
        };
        await stores.batches.put(sandbox, batch);
        return { input: rows.length, output: w.output, failed: w.failed, errorCounts: w.errorCounts };
      } catch (e) {
        throw isDomainError(e) ? ApplicationFailure.nonRetryable(e.message, e.code) : e;
      }
    },
  };
}

export type StreamingActivities = ReturnType<typeof createStreamingActivities>;
