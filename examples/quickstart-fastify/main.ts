/**
 * Starts the Fastify quickstart on port 8000 (or $PORT).
 */
import { buildApp } from './app.ts'

const port = Number(process.env.PORT ?? 8000)
const host = process.env.HOST ?? '127.0.0.1'
const app = await buildApp()
await app.listen({ port, host })
console.log(
  `authx-ts quickstart (Fastify) listening on http://${host === '127.0.0.1' ? 'localhost' : host}:${port}`,
)
