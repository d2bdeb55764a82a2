import { ApplicationFailure } from '@temporalio/common';
import { DomainError, isDomainError } from '../domain/shared/errors';
import { ROW_ERROR } from '../domain/ingest/mapping';
import { advanceWatermark, emptyRunMetrics, parseS3Path, selectNewObjects, sourceFormatOf } from '../domain/flow/model';
import type { Flow, RunRecord, SourceFormat, Watermark } from '../domain/flow/model';
import type { Batch } from '../domain/catalog/model';
import { GUARDRAIL_ERROR, INGEST_LIMITS } from '../domain/ingest/guardrails';
import { listObjects } from '../infra/s3/client';
import { landingPrefix } from '../domain/shared/ids';
import type { ActivityDeps } from './deps';
import { ingestFile } from './ingestion/ingest-file';
import type { FileResult, IngestFile, IngestJob } from './ingestion/job';

export type { FileResult, IngestFile, IngestJob } from './ingestion/job';
export interface FlowRunInput { sandbox: string; flowId: string; runId: string; startedAt: number; trigger: RunRecord['trigger']; workflowId: string; temporalRunId: string }
/** A prepared job; its file list is kept in Mongo (`runFiles`) and read in pages, so histories stay small. */
export interface PreparedRun { job: IngestJob; fileCount: number }
export interface FinalizeInput { job: IngestJob; files: Pick<IngestFile, 'key' | 'etag' | 'lastModified'>[]; fileCount: number; totals: FileResult; error?: string }

const runFilesId = (job: IngestJob) => `${job.sandbox}|${job.batchId}`;
const permanent = (e: unknown) => (isDomainError(e) ? ApplicationFailure.nonRetryable(e.message, e.code) : e);
const guard = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
  try {
    return await fn(...a);
  } catch (e) {
    throw permanent(e);
  }
};


export function createIngestionActivities(deps: ActivityDeps, opts: { landingBucket: string }) {
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
    return { flow, source, base, mappingId, datasetId: String(target.params.dataSetId) };
  }

  /** Opens (idempotently) the batch of a job; batch id = run id for dataflow runs. */
  async function openBatch(job: IngestJob, format: SourceFormat, fileCount: number, related: Batch['relatedObjects']) {
    const now = deps.now();
    if (await stores.batches.get(job.sandbox, job.batchId)) {
      await stores.batches.update(job.sandbox, job.batchId, { status: 'processing', updated: now, 'metrics.inputFileCount': fileCount } as never);
      return;
    }
    await stores.batches.put(job.sandbox, {
      id: job.batchId, status: 'processing', relatedObjects: [{ type: 'dataSet', id: job.datasetId }, ...related],
      inputFormat: { format: format.format === 'delimited' ? 'csv' : format.format },
      metrics: { inputByteSize: 0, inputFileCount: fileCount, inputRecordCount: 0, outputRecordCount: 0, failedRecordCount: 0 },
      errors: [], tags: { acp_enableErrorDiagnostics: ['true'], acp_partialIngestionPercent: [String(job.partialPercent)] }, created: now, updated: now,
    });
  }

  async function saveFiles(job: IngestJob, files: IngestFile[]): Promise<PreparedRun> {
    await stores.runFiles.replaceOne({ _id: runFilesId(job) }, { files }, { upsert: true });
    return { job, fileCount: files.length };
  }

  return {
    /** Creates the run record if the API did not (scheduled runs), lists the objects new since the flow's watermark and opens the batch. */
    prepareIngestionRun: guard(async (input: FlowRunInput): Promise<PreparedRun> => {
      const { flow, source, base, mappingId, datasetId } = await loadFlow(input.sandbox, input.flowId);
      await ensureRunRecord(deps, input, flow);
      const { bucket, prefix, match } = parseS3Path(source.params.path, source.params.recursive);
      const objects = (await listObjects(deps.s3For(base), bucket, prefix)).filter((o) => match.test(o.key));
      const wm = flow.inheritedAttributes?.watermark as Watermark | undefined;
      const files = selectNewObjects(objects, wm, flow.scheduleParams).map((o, index) => ({ bucket, key: o.key, size: o.size, etag: o.etag, lastModified: o.lastModified, format: sourceFormatOf(source.data, o.key), index }));
      const job: IngestJob = { sandbox: input.sandbox, batchId: input.runId, datasetId, startedAt: input.startedAt, runId: input.runId, flowId: flow.id, mappingId, connectionId: base.id, partialPercent: partialPercent(flow) };
      await openBatch(job, sourceFormatOf(source.data), files.length, [{ type: 'flow', id: flow.id }, { type: 'run', id: input.runId }]);
      await stores.runs.update(input.sandbox, input.runId, { batchId: job.batchId, updatedAt: deps.now(), 'metrics.fileSummary.inputFileCount': files.length } as Partial<RunRecord>);
      return saveFiles(job, files);
    }),

    /** Lists the files uploaded to a batch of the batch ingestion API and moves it to processing. */
    prepareBatchIngestion: guard(async (input: { sandbox: string; batchId: string; startedAt: number }): Promise<PreparedRun> => {
      const batch = await stores.batches.get(input.sandbox, input.batchId);
      if (!batch) throw new DomainError('NOT_FOUND', `Batch ${input.batchId} not found`);
      if (batch.status === 'aborted') throw new DomainError('CONFLICT', `Batch ${input.batchId} was aborted`);
      const datasetId = batch.relatedObjects.find((o) => o.type === 'dataSet')!.id;
      const format = (batch as Batch & { sourceFormat?: SourceFormat }).sourceFormat ?? { format: 'json' };
      const prefix = landingPrefix(input.sandbox, input.batchId);
      const objects = await listObjects(deps.s3For(), opts.landingBucket, prefix);
      const files = objects.sort((a, b) => a.key.localeCompare(b.key)).map((o, index) => ({ bucket: opts.landingBucket, key: o.key, size: o.size, etag: o.etag, lastModified: o.lastModified, format: { ...format, compression: o.key.endsWith('.gz') ? 'gzip' as const : format.compression }, index }));
      const pct = Number(batch.tags.acp_partialIngestionPercent?.[0] ?? 5);
      const job: IngestJob = { sandbox: input.sandbox, batchId: input.batchId, datasetId, startedAt: input.startedAt, mappingId: batch.mappingId, partialPercent: Number.isFinite(pct) ? pct : 5 };
      if (files.length > INGEST_LIMITS.filesPerBatch) throw new DomainError('UNPROCESSABLE', `batch has ${files.length} files; at most ${INGEST_LIMITS.filesPerBatch} are allowed (${GUARDRAIL_ERROR.BATCH_LIMIT})`);
      await openBatch(job, format, files.length, []);
      return saveFiles(job, files);
    }),

    /** One page of a prepared job's files. */
    runFiles: guard(async (input: { job: IngestJob; offset: number; limit: number }): Promise<IngestFile[]> => {
      const doc = await stores.runFiles.findOne({ _id: runFilesId(input.job) });
      return (doc?.files ?? []).slice(input.offset, input.offset + input.limit);
    }),

    /** Streams one file into the dataset and profiles (heartbeated, resumable, idempotent). */
    ingestFile: guard((input: { job: IngestJob; file: IngestFile }) => ingestFile(deps, input.job, input.file)),

    /** Writes batch status (partial-ingestion threshold), run metrics and the flow's watermark. Idempotent. */
    finalizeIngestion: guard(async (input: FinalizeInput) => {
      const { job, totals } = input;
      const now = deps.now();
      const failedPct = totals.input ? (100 * totals.failed) / totals.input : 0;
      const summary = totals.failed ? `${totals.failed} of ${totals.input} records failed (${failedPct.toFixed(2)}%; threshold ${job.partialPercent}%)` : '';
      const errors: { code: string; message: string }[] = [];
      if (input.error) errors.push({ code: 'CONNECTOR-2001-500', message: input.error });
      if (totals.failed) errors.push({ code: ROW_ERROR.PARTIAL_SUMMARY, message: summary });
      const status = input.error || failedPct > job.partialPercent ? 'failed' : 'success';
      await stores.batches.update(job.sandbox, job.batchId, {
        status, updated: now, completed: now,
        metrics: { inputByteSize: totals.bytes, inputFileCount: input.fileCount, inputRecordCount: totals.input, outputRecordCount: totals.output, failedRecordCount: totals.failed, skippedRecordCount: totals.skipped, identity: identitySummary(totals) },
        errors: [
          ...(input.error ? [{ code: 'CONNECTOR-2001-500', description: input.error }] : []),
          ...(totals.failed ? [{ code: ROW_ERROR.PARTIAL_SUMMARY, description: summary, recordCount: totals.failed }] : []),
          ...Object.entries(totals.errorCounts).map(([code, recordCount]) => ({ code, description: `${recordCount} rows failed with ${code}`, recordCount })),
        ],
      } as never);
      if (job.runId) {
        await stores.runs.update(job.sandbox, job.runId, {
          updatedAt: now,
          'metrics.durationSummary.completedAtUTC': now,
          'metrics.sizeSummary.inputBytes': totals.bytes,
          'metrics.recordSummary': { inputRecordCount: totals.input, outputRecordCount: totals.output, failedRecordCount: totals.failed, skippedRecordCount: totals.skipped },
          'metrics.fileSummary.inputFileCount': input.fileCount,
          'metrics.identitySummary': identitySummary(totals),
          'metrics.statusSummary': { status, errors },
          activities: [{ id: 'ingest', name: 'Ingest files into dataset and profile', status, recordCount: totals.output }],
        } as never);
      }
      if (job.flowId && status === 'success' && input.files.length) {
        const flow = await stores.flows.get(job.sandbox, job.flowId);
        const watermark = advanceWatermark(flow?.inheritedAttributes?.watermark as Watermark | undefined, input.files);
        if (flow) await stores.flows.update(job.sandbox, flow.id, { 'inheritedAttributes.watermark': watermark } as Partial<Flow>);
      }
      return { status, errors, inputRecordCount: totals.input, outputRecordCount: totals.output, failedRecordCount: totals.failed, skippedRecordCount: totals.skipped };
    }),
  };
}

/** Scheduled runs have no API call to create their run record: the workflow's first step does. */
async function ensureRunRecord(deps: ActivityDeps, input: FlowRunInput, flow: Flow) {
  if (await deps.stores.runs.get(input.sandbox, input.runId)) return;
  await deps.stores.runs.insert(input.sandbox, {
    id: input.runId, flowId: flow.id, flowSpecId: flow.flowSpec.id, kind: 'ingestion', trigger: input.trigger, createdAt: input.startedAt, updatedAt: deps.now(),
    workflow: { workflowId: input.workflowId, runId: input.temporalRunId }, metrics: emptyRunMetrics(input.startedAt), activities: [],
  });
}

function partialPercent(flow: Flow): number {
  const t = flow.transformations.find((x) => x.params?.partialIngestionPercentage !== undefined)?.params.partialIngestionPercentage;
  return typeof t === 'number' ? t : 5;
}

export type IngestionActivities = ReturnType<typeof createIngestionActivities>;

/** What a run did to the identity graph (OpenXP's addition to AEP's run metrics). */
const identitySummary = (t: FileResult) => ({ graphsMerged: t.graphsMerged, linksRefused: t.linksRefused ?? 0, identitiesRejected: t.identitiesRejected ?? 0, identitiesRemoved: t.identitiesRemoved ?? 0 });
