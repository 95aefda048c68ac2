/**
 * The load generator, in its own process so that it never shares an event loop with a server or
 * with the orchestrator. It runs autocannon on request over IPC: the parent sends a
 * {@link LoadRequest}, this process answers with a {@link LoadResult}.
 */
import autocannon from 'autocannon'

/** One load run. */
export interface LoadRequest {
  readonly url: string
  readonly connections: number
  /** Seconds. */
  readonly duration: number
  readonly headers: Record<string, string>
}

/** What one load run measured. */
export interface LoadResult {
  /** Mean requests per second over the run. */
  readonly rps: number
  /** Latency percentiles, milliseconds. */
  readonly p50: number
  readonly p99: number
  readonly total: number
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
}

/**
 * Runs autocannon once.
 *
 * @param request - url, connections, duration, headers
 */
export async function runLoad(request: LoadRequest): Promise<LoadResult> {
  const result = await autocannon({
    url: request.url,
    connections: request.connections,
    duration: request.duration,
    headers: request.headers,
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  }
}

if (import.meta.url === `file://${process.argv[1]}` && process.send !== undefined) {
  process.on('message', (message: LoadRequest) => {
    runLoad(message).then(
      (result) => process.send?.({ ok: true, result }),
      (error: unknown) => process.send?.({ ok: false, error: String(error) }),
    )
  })
  process.send({ ready: true })
}
