/**
 * Starts the NestJS quickstart on port 8000 (or $PORT), on Express (or Fastify with
 * `NEST_PLATFORM=fastify`). In memory by default; with $REDIS_URL, revocations, refresh families
 * and rate limits live in Redis and are shared by every instance.
 */
import { storeFromEnv } from '../shared/redis.ts'
import { buildApp } from './app.ts'

const port = Number(process.env.PORT ?? 8000)
const host = process.env.HOST ?? '127.0.0.1'
const platform = process.env.NEST_PLATFORM === 'fastify' ? 'fastify' : 'express'
const store = await storeFromEnv('authx-ts quickstart (NestJS)')
const app = await buildApp(store === undefined ? { platform } : { store, platform })
await app.listen(port, host)
const shown = host === '127.0.0.1' ? 'localhost' : host
console.log(
  `authx-ts quickstart (NestJS on ${platform}) listening on http://${shown}:${port}${store ? ' (Redis store)' : ''}`,
)
