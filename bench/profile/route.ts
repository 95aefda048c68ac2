/**
 * Profiles one protected Fastify route: starts the server in this process (run it under
 * `node --cpu-prof --cpu-prof-dir=bench/results/profiles --import tsx`), loads it from an
 * autocannon child for a few seconds, then exits so that the profile is written.
 *
 * Usage: `... bench/profile/route.ts [fastify|express|hono] [authx|bare|peer|open] [seconds=8]`
 */
import { AuthX } from '../lib/library.ts'
import { spawnTsx, stopChild } from '../lib/child.ts'
import { HMAC_SECRET, SUBJECT } from '../lib/fixtures.ts'
import type { LoadResult } from '../http/load.ts'
import { startServer } from '../http/server.ts'
import type { Framework, Variant } from '../http/server.ts'

const [framework = 'fastify', variant = 'authx', seconds = '8'] = process.argv.slice(2)
const port = await startServer(framework as Framework, variant as Variant)
const token = new AuthX({ secretKey: HMAC_SECRET }).createAccessToken(SUBJECT)
const load = spawnTsx('bench/http/load.ts', [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
await new Promise((resolve) => load.once('message', resolve))
const result = await new Promise<{ ok: boolean; result?: LoadResult }>((resolve) => {
  load.once('message', resolve)
  load.send({
    url: `http://127.0.0.1:${port}/protected`,
    connections: 10,
    duration: Number(seconds),
    headers: { authorization: `Bearer ${token}` },
  })
})
load.disconnect()
await stopChild(load)
process.stdout.write(`${framework}/${variant}: ${JSON.stringify(result.result)}\n`)
process.exit(0)
