import type { ActivityOptions } from '@temporalio/workflow';

const NON_RETRYABLE = ['VALIDATION', 'SCHEMA_VALIDATION', 'UNKNOWN_FIELD', 'PQL_SYNTAX', 'PQL_TYPE', 'UNPROCESSABLE', 'NOT_FOUND', 'CONFLICT'];

/** Named activity presets: short bookkeeping steps, and long streaming steps that heartbeat a cursor. */
export const presets = {
  bookkeeping: {
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
  },
  streaming: {
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2s', maximumInterval: '30 seconds', maximumAttempts: 50, nonRetryableErrorTypes: NON_RETRYABLE },
  },
} satisfies Record<string, ActivityOptions>;

/** The message worth recording for a failed step: the activity's own error rather than Temporal's wrapper. */
export const failureMessage = (err: unknown): string =>
  err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
