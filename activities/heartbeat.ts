import { Context } from '@temporalio/activity';

/**
 * Runs a long activity step while heartbeating every 5 s with the last committed cursor, so a
 * slow step is not taken for a dead worker, and a dead worker (no more heartbeats) is noticed
 * within the heartbeat timeout and its activity retried from that cursor.
 */
export async function withKeepAlive<T>(fn: () => Promise<T>, cursor: () => unknown = () => undefined): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(cursor()), 5_000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
