/**
 * The conformance host for workerd: a module worker that runs every registered case inside the
 * request it is sent, with the Workers runtime's own `Request`, `Response`, `Headers`, timers and
 * `nodejs_compat` modules, and answers the results as JSON.
 */
import { runRegistered } from '../harness.ts'

export default {
  /** Runs the suite; one request per worker process. */
  async fetch(): Promise<Response> {
    return Response.json(await runRegistered())
  },
}
