/**
 * One instance of the scale-out benchmark, in its own process: the Fastify quickstart (its store
 * from the environment, as `npm start` reads it: REDIS_URL or REDIS_CLUSTER_NODES, and
 * REDIS_NEAR_CACHE) plus `GET /stateless`, the same answer behind a guard that never asks a store
 * (an AuthX without a store and without rotation, on the same secret). Both routes run in one
 * process, so each pair of measurements shares the same machine state. Prints `{"port":N}` once
 * listening.
 */
import type { AddressInfo } from 'node:net'
import { buildApp } from '../../examples/quickstart-fastify/app.ts'
import { storeFromEnv } from '../../examples/shared/redis.ts'
import { AuthX } from '../../src/adapters/fastify.ts'

const secretKey = process.env.JWT_SECRET_KEY
if (secretKey === undefined || secretKey === '') throw new Error('JWT_SECRET_KEY is required')
const store = await storeFromEnv('bench instance')
const app = await buildApp(store === undefined ? { secretKey } : { secretKey, store })
const stateless = new AuthX({ secretKey })
app.get('/stateless', { preHandler: stateless.accessTokenRequired }, async () => {
  return { message: 'You have access to this protected resource' }
})
// How many checks the near-cache answered, for the report.
app.get('/near-cache', async () => store?.nearCacheStats ?? null)
await app.listen({ port: 0, host: '127.0.0.1' })
console.log(JSON.stringify({ port: (app.server.address() as AddressInfo).port }))
