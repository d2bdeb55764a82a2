import { proxyActivities, ApplicationFailure } from '@temporalio/workflow';
import type { ActivationActivities, FileExport } from '../activities/activation.activities';
import type { ActivationRunWorkflowInput } from './definitions';
import { failureMessage, presets } from './options';

const book = proxyActivities<ActivationActivities>(presets.bookkeeping);
const stream = proxyActivities<ActivationActivities>(presets.streaming);

/** One destination run: one file per audience, then the run record. Id `activation/{sandbox}/{flowId}/{runId}`. */
export async function activationRunWorkflow(input: ActivationRunWorkflowInput) {
  const files: FileExport[] = [];
  try {
    const segmentIds = await book.listActivationSegments(input);
    for (const segmentId of segmentIds) files.push(await stream.exportSegmentFile({ ...input, segmentId }));
  } catch (err) {
    const message = failureMessage(err);
    await book.finalizeActivationRun({ ...input, files, error: message });
    throw ApplicationFailure.nonRetryable(`activation run failed: ${message}`, 'ACTIVATION_FAILED');
  }
  return { status: await book.finalizeActivationRun({ ...input, files }), files };
}
