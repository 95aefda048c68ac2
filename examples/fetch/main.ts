/**
 * Serves the Fetch-API example on Node through @hono/node-server (which turns each Node request
 * into a Fetch `Request`) on port 8000 (or $PORT). Elsewhere, hand the same function to the
 * runtime: `Bun.serve({ fetch: handler })`, `Deno.serve(handler)`, `export default { fetch }` in
 * a Worker, or `export const POST = handler` in a Next.js route file.
 */
import { serve } from '@hono/node-server'
import { storeFromEnv } from '../shared/redis.ts'
import { createHandler } from './app.ts'

const port = Number(process.env.PORT ?? 8000)
const host = process.env.HOST ?? '127.0.0.1'
const store = await storeFromEnv('authx-ts Fetch example')
const handler = await createHandler(store === undefined ? {} : { store })
serve({ fetch: handler, port, hostname: host }, () => {
  const shown = host === '127.0.0.1' ? 'localhost' : host
  console.log(
    `authx-ts Fetch example listening on http://${shown}:${port}${store ? ' (Redis store)' : ''}`,
  )
})
