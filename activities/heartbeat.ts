import { Context } from '@temporalio/activity';

/**
 * Runs a long activity step while heartbeating (every 5 s, or a third of a shorter heartbeat timeout) with the last committed cursor, so a
 * slow step is not taken for a dead worker, and a dead worker (no more heartbeats) is noticed
 * within the heartbeat timeout and its activity retried from that cursor.
 */
export async function withKeepAlive<T>(fn: () => Promise<T>, cursor: () => unknown = () => undefined): Promise<T> {
  const ctx = Context.current();
  const every = Math.min(5_000, Math.max(200, (ctx.info.heartbeatTimeoutMs ?? 15_000) / 3));
  const timer = setInterval(() => ctx.heartbeat(cursor()), every);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
