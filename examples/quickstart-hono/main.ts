/**
 * Starts the Hono quickstart on Node (through @hono/node-server) on port 8000 (or $PORT). In
 * memory by default; with $REDIS_URL, revocations, refresh families and rate limits live in Redis
 * and are shared by every instance. On Bun or Deno, serve `app.fetch` instead.
 */
import { serve } from '@hono/node-server'
import { storeFromEnv } from '../shared/redis.ts'
import { buildApp } from './app.ts'

const port = Number(process.env.PORT ?? 8000)
const host = process.env.HOST ?? '127.0.0.1'
const store = await storeFromEnv('authx-ts quickstart (Hono)')
const app = await buildApp(store === undefined ? {} : { store })
serve({ fetch: app.fetch, port, hostname: host }, () => {
  const shown = host === '127.0.0.1' ? 'localhost' : host
  console.log(
    `authx-ts quickstart (Hono) listening on http://${shown}:${port}${store ? ' (Redis store)' : ''}`,
  )
})
