import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError, isDomainError } from '../domain/shared/errors';
import { normalizeMappings, ROW_ERROR } from '../domain/ingest/mapping';
import type { RowIssue } from '../domain/ingest/mapping';
import { parseS3Path } from '../domain/flow/model';
import type { Flow, RunRecord } from '../domain/flow/model';
import type { Batch } from '../domain/catalog/model';
import { listObjects, openObject } from '../infra/s3/client';
import { insertNew } from '../infra/mongo/bulk';
import { recoverWrites } from '../infra/mongo/stores';
import { createRecordValidator } from '../infra/xdm/validator';
import type { ActivityDeps } from './deps';
import { loadSchemaContext } from './schema-context';
import { readDelimited } from './ingestion/csv-source';
import { processRow } from './ingestion/records';
import { writeRecords } from './profile/write-records';
import { withKeepAlive } from './heartbeat';
import type { IncomingRecord } from './profile/write-records';

export interface IngestionRunInput { sandbox: string; flowId: string; runId: string; startedAt: number }
export interface SourceFile { bucket: string; key: string; size: number; etag: string }
export interface PreparedRun { batchId: string; datasetId: string; files: SourceFile[] }
export interface FileResult { key: string; bytes: number; input: number; output: number; failed: number; graphsMerged: number; errorCounts: Record<string, number> }
export interface FileCursor { row: number; result: FileResult }

/** Rows per write round; FerretDB scans a collection per lookup, so fewer, larger rounds are faster. */
const CHUNK = 2500;
const permanent = (e: unknown) =>
  isDomainError(e) ? ApplicationFailure.nonRetryable(e.message, e.code) : e;

export function createIngestionActivities(deps: ActivityDeps) {
  const { stores } = deps;

  async function loadFlow(sandbox: string, flowId: string) {
    const flow = await stores.flows.get(sandbox, flowId);
    if (!flow) throw new DomainError('NOT_FOUND', `Flow ${flowId} not found`);
    const source = await stores.sourceConnections.get(sandbox, flow.sourceConnectionIds[0]);
    const target = await stores.targetConnections.get(sandbox, flow.targetConnectionIds[0]);
    if (!source || !target) throw new DomainError('NOT_FOUND', `Flow ${flowId} has a missing source or target connection`);
    const base = await stores.connections.get(sandbox, source.baseConnectionId);
    if (!base) throw new DomainError('NOT_FOUND', `Base connection ${source.baseConnectionId} not found`);
    const mappingId = flow.transformations.find((t) => t.name === 'Mapping')?.params.mappingId as string | undefined;
    const mappingSet = mappingId ? await stores.mappingSets.get(sandbox, mappingId) : null;
    return { flow, source, target, base, mappingSet, datasetId: String(target.params.dataSetId) };
  }

  return {
    /** Lists the new source files and opens the run's batch. Idempotent: batch id = run id. */
    async prepareIngestionRun(input: IngestionRunInput): Promise<PreparedRun> {
      try {
        const { flow, source, base, datasetId } = await loadFlow(input.sandbox, input.flowId);
        const { bucket, prefix, match } = parseS3Path(source.params.path, source.params.recursive);
        const seen = new Set<string>(((flow.inheritedAttributes?.ingestedFiles as string[]) ?? []));
        const objects = await listObjects(deps.s3For(base), bucket, prefix);
        const files = objects.filter((o) => match.test(o.key) && !seen.has(`${o.key}@${o.etag}`)).sort((a, b) => a.key.localeCompare(b.key))
          .map((o) => ({ bucket, key: o.key, size: o.size, etag: o.etag }));
        const now = deps.now();
        const batch: Batch = {
          id: input.runId, status: 'processing', relatedObjects: [{ type: 'dataSet', id: datasetId }, { type: 'flow', id: flow.id }, { type: 'run', id: input.runId }],
          inputFormat: { format: source.data.format === 'delimited' ? 'csv' : source.data.format },
          metrics: { inputByteSize: 0, inputFileCount: files.length, inputRecordCount: 0, outputRecordCount: 0, failedRecordCount: 0 },
          errors: [], tags: { acp_enableErrorDiagnostics: ['true'], acp_partialIngestionPercent: [String(partialPercent(flow))] }, created: now, updated: now,
        };
        if (!(await stores.batches.get(input.sandbox, batch.id))) await stores.batches.put(input.sandbox, batch);
        await stores.runs.update(input.sandbox, input.runId, { batchId: batch.id, updatedAt: now, 'metrics.fileSummary.inputFileCount': files.length } as Partial<RunRecord>);
        return { batchId: batch.id, datasetId, files };
      } catch (e) {
        throw permanent(e);
      }
    },

    /** Streams one file into the dataset and profiles; heartbeats `{row, result}` and resumes after the last heartbeated row. */
    async ingestFile(input: IngestionRunInput & { batchId: string; datasetId: string; file: SourceFile; earlier?: FileResult[] }): Promise<FileResult> {
      const ctx = Context.current();
      const resume = ctx.info.heartbeatDetails as FileCursor | undefined;
      const result: FileResult = resume?.result ?? { key: input.file.key, bytes: input.file.size, input: 0, output: 0, failed: 0, graphsMerged: 0, errorCounts: {} };
      const after = resume?.row ?? 0;
      let cursor: FileCursor = { row: after, result: structuredClone(result) };
      try {
        await recoverWrites(stores, writeScope(input));
        const { source, base, mappingSet } = await loadFlow(input.sandbox, input.flowId);
        const dataset = await stores.datasets.get(input.sandbox, input.datasetId);
        if (!dataset) throw new DomainError('NOT_FOUND', `Dataset ${input.datasetId} not found`);
        const schemaCtx = await loadSchemaContext(stores, input.sandbox, dataset.schemaRef.id);
        const validate = createRecordValidator(schemaCtx.resolved);
        const mappings = normalizeMappings(mappingSet?.mappings ?? []);
        const body = await openObject(deps.s3For(base), input.file.bucket, input.file.key);
        const gzip = source.data.properties?.compressionType === 'gzip' || input.file.key.endsWith('.gz');
        let chunk: { row: number; raw: string; outcome: { record?: IncomingRecord; issues: RowIssue[] } }[] = [];
        const flush = async () => {
          await writeChunk(deps, input, chunk, result);
          cursor = { row: chunk.length ? chunk[chunk.length - 1].row : cursor.row, result: structuredClone(result) };
          chunk = [];
          ctx.heartbeat(cursor);
          // Live progress for the runs API: this file so far plus the files before it.
          const all = [...(input.earlier ?? []), result];
          const total = (f: (r: FileResult) => number) => all.reduce((a, r) => a + f(r), 0);
          await stores.runs.update(input.sandbox, input.runId, {
            updatedAt: deps.now(),
            'metrics.recordSummary': { inputRecordCount: total((r) => r.input), outputRecordCount: total((r) => r.output), failedRecordCount: total((r) => r.failed) },
          } as Partial<RunRecord>);
        };
        await withKeepAlive(async () => {
          for await (const row of readDelimited(body, { delimiter: source.data.columnDelimiter, gzip })) {
            if (row.rowNumber <= after) continue;
            const outcome = row.error
              ? { issues: [{ code: ROW_ERROR.CORRUPT, message: `corrupt row: ${row.error}` }] }
              : processRow(row.values!, mappings, schemaCtx, validate, input.startedAt);
            chunk.push({ row: row.rowNumber, raw: row.raw, outcome });
            if (chunk.length >= CHUNK) await flush();
          }
          await flush();
        }, () => cursor);
        return result;
      } catch (e) {
        throw permanent(e);
      }
    },

    /** Writes batch status (partial-ingestion threshold), run metrics and the ingested-file list. Idempotent. */
    async finalizeIngestionRun(input: IngestionRunInput & { batchId?: string; files: SourceFile[]; results: FileResult[]; error?: string }): Promise<RunRecord['metrics']['statusSummary'] & { inputRecordCount: number; outputRecordCount: number; failedRecordCount: number }> {
      const now = deps.now();
      const flow = await stores.flows.get(input.sandbox, input.flowId);
      const sum = (f: (r: FileResult) => number) => input.results.reduce((a, r) => a + f(r), 0);
      const inputRecordCount = sum((r) => r.input);
      const failedRecordCount = sum((r) => r.failed);
      const outputRecordCount = sum((r) => r.output);
      const codes: Record<string, number> = {};
      for (const r of input.results) for (const [c, n] of Object.entries(r.errorCounts)) codes[c] = (codes[c] ?? 0) + n;
      const threshold = flow ? partialPercent(flow) : 5;
      const failedPct = inputRecordCount ? (100 * failedRecordCount) / inputRecordCount : 0;
      const errors: { code: string; message: string }[] = [];
      if (input.error) errors.push({ code: 'CONNECTOR-2001-500', message: input.error });
      if (failedRecordCount) errors.push({ code: ROW_ERROR.PARTIAL_SUMMARY, message: `${failedRecordCount} of ${inputRecordCount} records failed (${failedPct.toFixed(2)}%; threshold ${threshold}%)` });
      const status = input.error || failedPct > threshold ? 'failed' : 'success';
      if (input.batchId) {
        await stores.batches.update(input.sandbox, input.batchId, {
          status, updated: now, completed: now,
          metrics: { inputByteSize: sum((r) => r.bytes), inputFileCount: input.files.length, inputRecordCount, outputRecordCount, failedRecordCount },
          errors: [
            ...(failedRecordCount ? [{ code: ROW_ERROR.PARTIAL_SUMMARY, description: errors.at(-1)!.message, recordCount: failedRecordCount }] : []),
            ...Object.entries(codes).map(([code, recordCount]) => ({ code, description: `${recordCount} rows failed with ${code}`, recordCount })),
          ],
        });
      }
      await stores.runs.update(input.sandbox, input.runId, {
        updatedAt: now,
        'metrics.durationSummary.completedAtUTC': now,
        'metrics.sizeSummary.inputBytes': sum((r) => r.bytes),
        'metrics.recordSummary': { inputRecordCount, outputRecordCount, failedRecordCount },
        'metrics.fileSummary.inputFileCount': input.files.length,
        'metrics.statusSummary': { status, errors },
        activities: [{ id: 'ingest', name: 'Ingest files into dataset and profile', status, recordCount: outputRecordCount }],
      } as any);
      if (flow && status === 'success') {
        const ingested = [...new Set([...((flow.inheritedAttributes?.ingestedFiles as string[]) ?? []), ...input.files.map((f) => `${f.key}@${f.etag}`)])];
        await stores.flows.update(input.sandbox, flow.id, { inheritedAttributes: { ...flow.inheritedAttributes, ingestedFiles: ingested } } as Partial<Flow>);
      }
      return { status, errors, inputRecordCount, outputRecordCount, failedRecordCount };
    },
  };
}

/** The writer scope of one file of one run: what a retry of `ingestFile` recovers. */
const writeScope = (i: IngestionRunInput & { file: SourceFile }) => `ingest/${i.sandbox}/${i.runId}/${i.file.key}`;

function partialPercent(flow: Flow): number {
  const t = flow.transformations.find((x) => x.params?.partialIngestionPercentage !== undefined)?.params.partialIngestionPercentage;
  return typeof t === 'number' ? t : 5;
}

/** Writes one chunk: row errors, dataset records, then identities/fragments/profiles. Ids derive from the row, so a retried chunk inserts nothing twice. */
async function writeChunk(deps: ActivityDeps, input: IngestionRunInput & { batchId: string; datasetId: string; file: SourceFile }, chunk: { row: number; raw: string; outcome: { record?: IncomingRecord; issues: RowIssue[] } }[], result: FileResult) {
  if (!chunk.length) return;
  const { stores } = deps;
  const { sandbox, batchId, datasetId } = input;
  const key = (row: number) => `${sandbox}|${batchId}|${input.file.key}|${row}`;
  const failed = chunk.filter((c) => c.outcome.issues.length);
  const good = chunk.filter((c) => !c.outcome.issues.length && c.outcome.record);
  if (failed.length) {
    await insertNew(stores.rowErrors, failed.map((c) => ({ _id: key(c.row), sandbox, batchId, datasetId, _filename: input.file.key, rowNumber: c.row, _corrupt_record: c.raw, _errors: c.outcome.issues })));
  }
  if (good.length) {
    await insertNew(stores.datasetRecords, good.map((c) => ({ _id: key(c.row), sandbox, datasetId, batchId, record: c.outcome.record!.data })));
    const w = await writeRecords(stores, sandbox, datasetId, batchId, good.map((c) => c.outcome.record!), deps.now(), writeScope(input));
    result.graphsMerged += w.graphsMerged;
  }
  result.input += chunk.length;
  result.output += good.length;
  result.failed += failed.length;
  for (const c of failed) {
    const code = c.outcome.issues[0].code;
    result.errorCounts[code] = (result.errorCounts[code] ?? 0) + 1;
  }
}

export type IngestionActivities = ReturnType<typeof createIngestionActivities>;
