import { proxyActivities, isCancellation, CancellationScope, ApplicationFailure } from '@temporalio/workflow';
import type { DeleteResult, PrivacyActivities } from '../activities/privacy.activities';
import type { PrivacyStatus } from '../domain/privacy/model';
import type { PrivacyJobWorkflowInput } from './definitions';
import { failureMessage, presets } from './options';

const book = proxyActivities<PrivacyActivities>(presets.bookkeeping);
const work = proxyActivities<PrivacyActivities>(presets.streaming);

/**
 * A privacy delete job: one person's identities, graphs, profile, events and dataset records
 * deleted and verified gone, then the job marked complete (or error, saying what is left).
 * Id `privacy/{sandbox}/{jobId}`; runs on the ingestion queue, whose workers own the identity graph.
 */
export async function privacyJobWorkflow(input: PrivacyJobWorkflowInput): Promise<{ status: PrivacyStatus; result?: DeleteResult }> {
  let result: DeleteResult;
  try {
    result = await work.deletePersonData(input);
  } catch (err) {
    const message = failureMessage(err);
    await CancellationScope.nonCancellable(() => book.finishPrivacyJob({ ...input, error: isCancellation(err) ? 'cancelled before the delete finished' : message }));
    if (isCancellation(err)) throw err;
    throw ApplicationFailure.nonRetryable(`privacy job failed: ${message}`, 'PRIVACY_JOB_FAILED');
  }
  return { status: await book.finishPrivacyJob({ ...input, result }), result };
}
