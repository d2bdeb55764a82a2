import { executeChild, isCancellation, proxyActivities, uuid4, workflowInfo, ParentClosePolicy } from '@temporalio/workflow';
import type { SegmentationActivities } from '../activities/segmentation.activities';
import { workflowIds } from '../domain/shared/ids';
import { SA } from './definitions';
import type { SegmentScheduleWorkflowInput } from './definitions';
import { presets } from './options';
import { segmentJobWorkflow } from './segment-job.workflow';

const book = proxyActivities<SegmentationActivities>(presets.bookkeeping);

/**
 * One run of a batch segmentation schedule, started by its Temporal Schedule: creates a segment
 * job (`properties: {scheduleId, runId}`, runId = this run's Temporal run id) and runs it as a
 * child `segment-job/{sandbox}/{jobId}`, so the job is listed, fetched and cancelled like any
 * other. The job id comes from the workflow's deterministic uuid, so a retried creation finds it.
 * Returns the job's final status.
 */
export async function segmentScheduleWorkflow(input: SegmentScheduleWorkflowInput): Promise<{ jobId: string; status: string }> {
  const { runId } = workflowInfo();
  const created = await book.createScheduledSegmentJob({ ...input, runId, jobId: uuid4() });
  try {
    const status = await executeChild(segmentJobWorkflow, {
      workflowId: workflowIds.segmentJob(input.sandbox, created.jobId),
      args: [{ sandbox: input.sandbox, jobId: created.jobId, now: created.now }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      typedSearchAttributes: [{ key: SA.sandbox, value: input.sandbox }, { key: SA.kind, value: 'segment-job' }],
    });
    return { jobId: created.jobId, status };
  } catch (err) {
    // The job records its own failure or cancellation; the schedule run just reports it.
    return { jobId: created.jobId, status: isCancellation(err) || (err as Error & { cause?: Error }).cause?.name === 'CancelledFailure' ? 'CANCELLED' : 'FAILED' };
  }
}
