/**
 * Starts the Koa quickstart on port 8000 (or $PORT). In memory by default; with $REDIS_URL,
 * revocations, refresh families and rate limits live in Redis and are shared by every instance.
 */
import { createRedisStore } from 'authx-ts/redis'
import { buildApp } from './app.ts'

const port = Number(process.env.PORT ?? 8000)
const host = process.env.HOST ?? '127.0.0.1'
const redisUrl = process.env.REDIS_URL
const store =
  redisUrl === undefined || redisUrl === '' ? undefined : await createRedisStore(redisUrl)
// During a Redis outage requests fail closed with 503; log the client's errors instead of letting
// ioredis report them as unhandled.
store?.client.on('error', (error: Error) => console.warn(`redis: ${error.message}`))
const app = await buildApp(store === undefined ? {} : { store })
const server = app.listen(port, host, () => {
  const shown = host === '127.0.0.1' ? 'localhost' : host
  console.log(
    `authx-ts quickstart (Koa) listening on http://${shown}:${port}${store ? ' (Redis store)' : ''}`,
  )
})
server.on('error', (error) => {
  throw error
})
