/**
 * Starts the Koa quickstart on port 8000 (or $PORT). In memory by default; with $REDIS_URL,
 * revocations, refresh families and rate limits live in Redis and are shared by every instance.
 */
import { storeFromEnv } from '../shared/redis.ts'
import { buildApp } from './app.ts'

const port = Number(process.env.PORT ?? 8000)
const host = process.env.HOST ?? '127.0.0.1'
const store = await storeFromEnv('authx-ts quickstart (Koa)')
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
