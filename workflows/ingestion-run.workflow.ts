import { proxyActivities, ApplicationFailure } from '@temporalio/workflow';
import type { IngestionActivities, FileResult } from '../activities/ingestion.activities';
import type { IngestionRunWorkflowInput } from './definitions';
import { failureMessage, presets } from './options';

const book = proxyActivities<IngestionActivities>(presets.bookkeeping);
const stream = proxyActivities<IngestionActivities>(presets.streaming);

/**
 * One source dataflow run: list new files → ingest each (streamed, heartbeated, resumable) →
 * finalize batch and run metrics. Id `ingest/{sandbox}/{flowId}/{runId}`; a failure of any step
 * still finalizes the run as failed with the reason.
 */
export async function ingestionRunWorkflow(input: IngestionRunWorkflowInput) {
  const base = input;
  let prepared: Awaited<ReturnType<IngestionActivities['prepareIngestionRun']>> | undefined;
  const results: FileResult[] = [];
  try {
    prepared = await book.prepareIngestionRun(base);
    // Files of one flow run one after another: identity merges of one sandbox are not yet safe to run concurrently.
    for (const file of prepared.files) {
      results.push(await stream.ingestFile({ ...base, batchId: prepared.batchId, datasetId: prepared.datasetId, file, earlier: [...results] }));
    }
  } catch (err) {
    const message = failureMessage(err);
    await book.finalizeIngestionRun({ ...base, batchId: prepared?.batchId, files: prepared?.files ?? [], results, error: message });
    throw ApplicationFailure.nonRetryable(`ingestion run failed: ${message}`, 'INGESTION_FAILED');
  }
  return book.finalizeIngestionRun({ ...base, batchId: prepared.batchId, files: prepared.files, results });
}
