import { ActivityFailure, ApplicationFailure, condition, continueAsNew, defineSignal, log, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { StreamingActivities } from '../activities/streaming.activities';
import { stableKey } from '../domain/shared/ids';
import { STREAM_RECORDS_SIGNAL } from './definitions';
import type { StreamingIngestionWorkflowInput, StreamMessage } from './definitions';
import { presets } from './options';

export const streamRecordsSignal = defineSignal<[{ messages: StreamMessage[] }]>(STREAM_RECORDS_SIGNAL);

const acts = proxyActivities<StreamingActivities>(presets.bookkeeping);

/** A flush writes what arrived within this long of its first message, or sooner when a flush is full. */
const FLUSH_WAIT = '1 second';
const FLUSH_MESSAGES = 500;
/** Bytes (JSON characters) per flush, so an activity's input stays well under Temporal's 2 MB payload limit. */
const FLUSH_BYTES = 1_000_000;
const SIGNALS_PER_RUN = 1000;
/** An idle workflow ends; the next signalWithStart starts a fresh one. */
const IDLE = '10 minutes';
/** After a flush failed for a transient reason (its retries spent), its records wait this long and are tried again. */
const RETRY_PAUSE = '30 seconds';

const sizeOf = (m: StreamMessage) => JSON.stringify(m).length;

/**
 * Streaming ingestion into one dataset: buffers the records the collection endpoint accepted
 * (signals) and writes them in flushes — at most 1 s after the first buffered record, sooner at 500
 * records or ~1 MB — through `writeStreamRecords`. Each flush has a stable batch id (run id + flush
 * number), so a retried flush writes nothing twice. Continues as new after 1000 signals or when
 * Temporal suggests it, carrying what is still buffered. Id `stream/{sandbox}/{datasetId}`.
 */
export async function streamingIngestionWorkflow(input: StreamingIngestionWorkflowInput): Promise<{ flushes: number }> {
  const buffer: StreamMessage[] = [...(input.buffer ?? [])];
  let bytes = buffer.reduce((n, m) => n + sizeOf(m), 0);
  let signals = 0;
  let seq = input.seq ?? 0;
  setHandler(streamRecordsSignal, ({ messages }) => {
    for (const m of messages) {
      buffer.push(m);
      bytes += sizeOf(m);
    }
    signals++;
  });

  /** Takes the next flush off the front of the buffer: up to FLUSH_MESSAGES records and FLUSH_BYTES. */
  const take = (): StreamMessage[] => {
    let n = 0;
    let size = 0;
    while (n < buffer.length && n < FLUSH_MESSAGES && (n === 0 || size + sizeOf(buffer[n]) <= FLUSH_BYTES)) size += sizeOf(buffer[n++]);
    bytes -= size;
    return buffer.splice(0, n);
  };

  for (;;) {
    if (!buffer.length) await condition(() => buffer.length > 0, IDLE);
    // Signals are delivered before timers in an activation, so an empty buffer here really is idle.
    if (!buffer.length) return { flushes: seq };
    await condition(() => buffer.length >= FLUSH_MESSAGES || bytes >= FLUSH_BYTES, FLUSH_WAIT);
    while (buffer.length) {
      const messages = take();
      const batchId = `stream-${stableKey(workflowInfo().workflowId, workflowInfo().runId, String(seq)).slice(0, 24)}`;
      seq++;
      try {
        await acts.writeStreamRecords({ sandbox: input.sandbox, datasetId: input.datasetId, batchId, messages });
      } catch (err) {
        if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure) || !err.cause.nonRetryable) {
          log.warn('streaming flush failed; its records are kept and retried', { batchId, error: String(err) });
          buffer.unshift(...messages);
          bytes += messages.reduce((n, m) => n + sizeOf(m), 0);
          await sleep(RETRY_PAUSE);
          break;
        }
        // A permanent failure (the dataset or its schema is gone): these records can never be written.
        log.error('streaming flush dropped', { batchId, records: messages.length, error: err.cause.message });
      }
    }
    if ((signals >= SIGNALS_PER_RUN || workflowInfo().continueAsNewSuggested) && bytes < FLUSH_BYTES) {
      await continueAsNew<typeof streamingIngestionWorkflow>({ sandbox: input.sandbox, datasetId: input.datasetId, buffer: buffer.splice(0), seq });
    }
  }
}
