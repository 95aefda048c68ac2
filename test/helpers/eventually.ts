/**
 * Polling for what happens "soon" (a failover, a pub/sub message): the operation is retried until
 * it succeeds, and its last error is the test's failure once the liveness bound has passed. The
 * bound is for a machine under load, never a timing assertion.
 */
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Retries `operation` until it resolves, or rethrows its last error past `withinMs`.
 *
 * @param operation - what must succeed
 * @param withinMs - the liveness bound
 * @param pauseMs - the pause between two attempts
 * @returns what the operation resolved to
 */
export async function eventually<T>(
  operation: () => T | Promise<T>,
  withinMs: number,
  pauseMs = 100,
): Promise<T> {
  const deadline = Date.now() + withinMs
  for (;;) {
    try {
      return await operation()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(pauseMs)
    }
  }
}
