import { proxyActivities, isCancellation, CancellationScope, ApplicationFailure } from '@temporalio/workflow';
import type { ExportActivities } from '../activities/export.activities';
import type { ExportJobWorkflowInput } from './definitions';
import { failureMessage, presets } from './options';

const book = proxyActivities<ExportActivities>(presets.bookkeeping);
const stream = proxyActivities<ExportActivities>(presets.streaming);

/** An export job: audience profiles → a batch in a dataset. Id `export-job/{sandbox}/{jobId}`. */
export async function exportJobWorkflow(input: ExportJobWorkflowInput) {
  try {
    return await stream.runExportJob(input);
  } catch (err) {
    const cancelled = isCancellation(err);
    const message = failureMessage(err);
    await CancellationScope.nonCancellable(() => book.failExportJob({ ...input, error: message, cancelled }));
    if (cancelled) throw err;
    throw ApplicationFailure.nonRetryable(`export job failed: ${message}`, 'EXPORT_JOB_FAILED');
  }
}
