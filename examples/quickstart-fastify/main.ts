/**
 * Starts the Fastify quickstart on port 8000 (or $PORT). In memory by default; with $REDIS_URL,
 * revocations, refresh families and rate limits live in Redis and are shared by every instance.
 */
import { storeFromEnv } from '../shared/redis.ts'
import { buildApp } from './app.ts'

const port = Number(process.env.PORT ?? 8000)
const host = process.env.HOST ?? '127.0.0.1'
const store = await storeFromEnv('authx-ts quickstart (Fastify)')
const app = await buildApp(store === undefined ? {} : { store })
await app.listen({ port, host })
const shown = host === '127.0.0.1' ? 'localhost' : host
const base = `http://${shown}:${port}`
console.log(
  `authx-ts quickstart (Fastify) listening on ${base}${store ? ' (Redis store)' : ''}\n` +
    `  the cookie-login page: ${base}/   Swagger UI: ${base}/docs`,
)
