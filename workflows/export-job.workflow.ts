import { ActivityCancellationType, ApplicationFailure, CancellationScope, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { ExportActivities, SliceResult } from '../activities/export.activities';
import { FAN_OUT } from './definitions';
import type { ExportJobWorkflowInput } from './definitions';
import { failureMessage, presets } from './options';

const book = proxyActivities<ExportActivities>(presets.bookkeeping);
// On cancel, wait until the slices have really stopped writing before the batch is cleaned up.
const slices = proxyActivities<ExportActivities>({ ...presets.streaming, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });

/**
 * An export job: the profiles its filter selects → one new batch of the destination dataset,
 * written slice by slice (FAN_OUT slices at once, spread over workers). NEW → PROCESSING →
 * SUCCEEDED | FAILED | CANCELLED; a failed or cancelled job leaves its batch failed/aborted and empty.
 * Id `export-job/{sandbox}/{jobId}`.
 */
export async function exportJobWorkflow(input: ExportJobWorkflowInput): Promise<string> {
  try {
    const { batchId, slices: n } = await book.startExportJob(input);
    const results: SliceResult[] = [];
    const queue = Array.from({ length: n }, (_, i) => i);
    const lanes: Promise<void>[] = [];
    const scope = new CancellationScope();
    try {
      await scope.run(() => {
        for (let i = 0; i < Math.min(FAN_OUT, n); i++) {
          lanes.push((async () => {
            for (let s = queue.shift(); s !== undefined; s = queue.shift()) results.push(await slices.exportSlice({ ...input, batchId, slice: s, slices: n }));
          })());
        }
        return Promise.all(lanes);
      });
    } catch (err) {
      // One slice failed or the job was cancelled: stop the other slices and wait until none writes any more.
      queue.length = 0;
      scope.cancel();
      await CancellationScope.nonCancellable(() => Promise.allSettled(lanes));
      throw err;
    }
    return await book.completeExportJob({ ...input, batchId, results });
  } catch (err) {
    const cancelled = isCancellation(err);
    const message = failureMessage(err);
    await CancellationScope.nonCancellable(() => book.failExportJob({ ...input, error: message, cancelled }));
    if (cancelled) throw err;
    throw ApplicationFailure.nonRetryable(`export job failed: ${message}`, 'EXPORT_JOB_FAILED');
  }
}
