/**
 * A protected Fastify route without the network: every variant of `bench/http/server.ts` served
 * through `app.inject` in this one process, interleaved, in requests per CPU-second. With the
 * kernel's share of a request (`writev`, a quarter to a third of it on the reference machine)
 * gone, what is left is the framework and the guard.
 *
 * Usage: `node --import tsx bench/profile/inject.ts [rounds=25] [variants=open,bare,authx,peer]`
 */
import { join } from 'node:path'
import type { Variant } from '../http/server.ts'
import { buildLibrary } from '../lib/build.ts'
import { ROOT } from '../lib/child.ts'
import { measureInterleaved } from '../lib/measure.ts'
import { formatRate, formatRatio, pairedRatio, summarize } from '../lib/stats.ts'

// The compiled library, as `npm run bench` measures it: set before anything imports library.ts
// (fixtures and the servers do), hence the dynamic imports.
process.env.AUTHX_BENCH_LIB ??= join(ROOT, await buildLibrary())
const { AuthX } = await import('../lib/library.ts')
const { HMAC_SECRET, SUBJECT } = await import('../lib/fixtures.ts')
const { fastifyApp } = await import('../http/server.ts')

const [rounds = '25', list = 'open,bare,authx,peer'] = process.argv.slice(2)
const variants = list.split(',') as Variant[]
const token = new AuthX({ secretKey: HMAC_SECRET }).createAccessToken(SUBJECT, { expiresIn: '6h' })
const request = { method: 'GET', url: '/protected', headers: { authorization: `Bearer ${token}` } }
const ready = await Promise.all(variants.map(async (v) => [v, await fastifyApp(v)] as const))
for (const [variant, app] of ready) {
  const res = await app.inject(request)
  if (res.statusCode !== 200) throw new Error(`${variant}: ${res.statusCode} ${res.body}`)
}
const samples = await measureInterleaved(
  ready.map(([variant, app]) => ({
    id: variant,
    label: variant,
    async: true,
    run: () => app.inject(request),
  })),
  { warmupMs: 500, sliceMs: 200, rounds: Number(rounds) },
)
for (const [id, list] of samples) {
  const s = summarize(list)
  process.stdout.write(
    `${id.padEnd(8)} ${formatRate(s.median)} req/CPU-s (${formatRate(s.min)}–${formatRate(s.max)})\n`,
  )
}
for (const other of variants.filter((v) => v !== 'authx')) {
  const r = pairedRatio(samples.get('authx') ?? [], samples.get(other) ?? [])
  process.stdout.write(
    `authx/${other}: ${formatRatio(r.median)} (${formatRatio(r.min)}–${formatRatio(r.max)})\n`,
  )
}
