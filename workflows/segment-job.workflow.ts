import { proxyActivities, isCancellation, CancellationScope, ApplicationFailure, ActivityCancellationType } from '@temporalio/workflow';
import type { SegmentationActivities } from '../activities/segmentation.activities';
import type { SegmentJobWorkflowInput } from './definitions';
import { failureMessage, presets } from './options';

const book = proxyActivities<SegmentationActivities>(presets.bookkeeping);
// A cancelled job waits for its partitions to stop, so nothing is written after it reads CANCELLED.
const evalActs = proxyActivities<SegmentationActivities>({ ...presets.streaming, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });

/**
 * A segment job: every segment of the job evaluated in one pass per slice of the profiles, all
 * slices at once as separate activities (so more workers finish sooner), with one pinned `now`.
 * Id `segment-job/{sandbox}/{jobId}`; status NEW → QUEUED (API) → PROCESSING → SUCCEEDED | FAILED;
 * cancelling the workflow (DELETE, status CANCELLING) ends it CANCELLED.
 */
export async function segmentJobWorkflow(input: SegmentJobWorkflowInput): Promise<string> {
  try {
    const { partitions } = await book.startSegmentJob(input);
    const scope = new CancellationScope();
    const running: Promise<unknown>[] = [];
    try {
      await scope.run(() => Promise.all(Array.from({ length: partitions }, (_, p) => {
        running.push(evalActs.evaluatePartition({ ...input, partition: p }));
        return running[p];
      })));
    } catch (err) {
      // One partition failed (or the job was cancelled): stop the others and wait until none writes any more.
      scope.cancel();
      await CancellationScope.nonCancellable(() => Promise.allSettled(running));
      throw err;
    }
  } catch (err) {
    const cancelled = isCancellation(err);
    const message = failureMessage(err);
    await CancellationScope.nonCancellable(() => book.completeSegmentJob({ ...input, error: cancelled ? undefined : message, cancelled }));
    if (cancelled) throw err;
    throw ApplicationFailure.nonRetryable(`segment job failed: ${message}`, 'SEGMENT_JOB_FAILED');
  }
  return book.completeSegmentJob(input);
}
