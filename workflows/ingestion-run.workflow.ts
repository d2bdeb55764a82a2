import { ApplicationFailure, ContinueAsNew, continueAsNew, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { FileResult, IngestFile, IngestionActivities, PreparedRun } from '../activities/ingestion.activities';
import type { BatchIngestionWorkflowInput, IngestionRunWorkflowInput } from './definitions';
import { FAN_OUT } from './definitions';
import { addResults, emptyResult } from '../domain/ingest/result';
import { failureMessage, presets } from './options';

const book = proxyActivities<IngestionActivities>(presets.bookkeeping);
/**
 * File activities. `heartbeatTimeout` may be shortened per run for faster take-over of a dead
 * worker's file (an operator's choice, or a crash test); retries then back off no longer than it.
 */
const streamWith = (heartbeatTimeout?: string) => proxyActivities<IngestionActivities>(heartbeatTimeout
  ? { ...presets.streaming, heartbeatTimeout: heartbeatTimeout as Duration, retry: { ...presets.streaming.retry, maximumInterval: heartbeatTimeout as Duration } }
  : presets.streaming);

/** Files read per page of the job's file list; a workflow continues as new after this many pages. */
const PAGE = 50;
const PAGES_PER_EXECUTION = 10;

/** Where a job stands between executions (continue-as-new carries it, never the file list). */
export interface JobProgress {
  prepared: PreparedRun;
  offset: number;
  totals: FileResult;
  /** Newest objects ingested so far (all sharing the newest lastModified): what the watermark needs. */
  newest: Pick<IngestFile, 'key' | 'etag' | 'lastModified'>[];
}


/**
 * One source dataflow run (on demand or by the flow's Temporal Schedule): list the objects new
 * since the flow's watermark → ingest them, FAN_OUT at a time, each streamed, heartbeated and
 * resumable → finalize batch, run metrics and watermark. A failure still finalizes the run as failed.
 */
export async function ingestionRunWorkflow(input: IngestionRunWorkflowInput): Promise<unknown> {
  const info = workflowInfo();
  const runId = input.runId ?? uuid4();
  const startedAt = input.startedAt ?? Date.now();
  return runJob(input.progress, input.heartbeatTimeout, () => book.prepareIngestionRun({ sandbox: input.sandbox, flowId: input.flowId, runId, startedAt, trigger: input.trigger ?? (input.runId ? 'manual' : 'schedule'), workflowId: info.workflowId, temporalRunId: info.runId }),
    (progress) => continueAsNew<typeof ingestionRunWorkflow>({ ...input, runId, startedAt, progress }));
}

/** A batch of the batch ingestion API after COMPLETE: the same pipeline over the batch's uploaded files. */
export async function batchIngestionWorkflow(input: BatchIngestionWorkflowInput): Promise<unknown> {
  return runJob(input.progress, input.heartbeatTimeout, () => book.prepareBatchIngestion({ sandbox: input.sandbox, batchId: input.batchId, startedAt: input.startedAt }),
    (progress) => continueAsNew<typeof batchIngestionWorkflow>({ ...input, progress }));
}

async function runJob(resumed: JobProgress | undefined, heartbeatTimeout: string | undefined, prepare: () => Promise<PreparedRun>, carryOn: (p: JobProgress) => Promise<never>) {
  const stream = streamWith(heartbeatTimeout);
  let progress = resumed;
  try {
    progress ??= { prepared: await prepare(), offset: 0, totals: emptyResult(), newest: [] };
    const { job, fileCount } = progress.prepared;
    for (let page = 0; progress.offset < fileCount; page++) {
      if (page >= PAGES_PER_EXECUTION || workflowInfo().continueAsNewSuggested) return await carryOn(progress);
      const files: IngestFile[] = await book.runFiles({ job, offset: progress.offset, limit: PAGE });
      const results: FileResult[] = await inParallel(files, FAN_OUT, (file) => stream.ingestFile({ job, file }));
      progress = { ...progress, offset: progress.offset + files.length, totals: results.reduce(addResults, progress.totals), newest: newestOf([...progress.newest, ...files]) };
    }
    return await book.finalizeIngestion({ job, files: progress.newest, fileCount, totals: progress.totals });
  } catch (err) {
    if (!progress || err instanceof ContinueAsNew) throw err;
    const message = failureMessage(err);
    await book.finalizeIngestion({ job: progress.prepared.job, files: [], fileCount: progress.prepared.fileCount, totals: progress.totals, error: message });
    throw ApplicationFailure.nonRetryable(`ingestion failed: ${message}`, 'INGESTION_FAILED');
  }
}

/** Runs `fn` over items with at most `limit` at once, keeping the input order of results. */
async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

function newestOf(files: Pick<IngestFile, 'key' | 'etag' | 'lastModified'>[]) {
  const max = Math.max(...files.map((f) => f.lastModified));
  return files.filter((f) => f.lastModified === max).map(({ key, etag, lastModified }) => ({ key, etag, lastModified }));
}
