import { proxyActivities, isCancellation, CancellationScope, ApplicationFailure } from '@temporalio/workflow';
import type { SegmentationActivities, PartitionCounts } from '../activities/segmentation.activities';
import { FAN_OUT } from './definitions';
import type { SegmentJobWorkflowInput } from './definitions';
import { failureMessage, presets } from './options';

const book = proxyActivities<SegmentationActivities>(presets.bookkeeping);
const evalActs = proxyActivities<SegmentationActivities>(presets.streaming);

/**
 * A segment job: every requested segment evaluated in one pass per slice of the profiles, the
 * slices spread over workers (FAN_OUT at a time). One pinned `now` for the whole job.
 * Id `segment-job/{sandbox}/{jobId}`; cancelling marks the job CANCELLED.
 */
export async function segmentJobWorkflow(input: SegmentJobWorkflowInput): Promise<string> {
  const results: PartitionCounts[] = [];
  try {
    const { partitions } = await book.startSegmentJob(input);
    const queue = Array.from({ length: partitions }, (_, i) => i);
    const lanes = Array.from({ length: Math.min(FAN_OUT, partitions) }, async () => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
        results.push(await evalActs.evaluatePartition({ ...input, partition: p }));
      }
    });
    await Promise.all(lanes);
  } catch (err) {
    const cancelled = isCancellation(err);
    const message = failureMessage(err);
    await CancellationScope.nonCancellable(() => book.completeSegmentJob({ ...input, results, error: cancelled ? undefined : message, cancelled }));
    if (cancelled) throw err;
    throw ApplicationFailure.nonRetryable(`segment job failed: ${message}`, 'SEGMENT_JOB_FAILED');
  }
  return book.completeSegmentJob({ ...input, results });
}
