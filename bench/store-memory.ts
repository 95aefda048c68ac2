/**
 * Store figures, measured once by hand (never in a timed test):
 *
 * - heap used by 1,000,000 revoked jtis in MemoryStore (`maxEntries` raised to fit them);
 * - latency of `isRevoked` on MemoryStore and on a local Redis (10,000 sequential calls each).
 *
 * Run: `node --expose-gc --import tsx bench/store-memory.ts [redis-url]`
 * (the Redis part is skipped when no server answers).
 */
import { randomBytes } from 'node:crypto'
import { MemoryStore } from '../src/stores/memory.ts'
import { createRedisStore } from '../src/stores/redis.ts'
import type { Store } from '../src/stores/types.ts'

const ENTRIES = 1_000_000
const CALLS = 10_000
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')

/** A jti as AuthX makes them: 16 random bytes, base64url (22 characters). */
function jti(): string {
  return randomBytes(16).toString('base64url')
}

function heapUsed(): number {
  gc!()
  gc!()
  return process.memoryUsage().heapUsed
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

async function latency(store: Store, ids: readonly string[]): Promise<string> {
  const samples: number[] = []
  for (let i = 0; i < CALLS; i++) {
    const started = process.hrtime.bigint()
    // Half revoked, half not: both answers cost the same one lookup (one MGET on Redis).
    await store.isRevoked({ sub: 'bench-user', jti: i % 2 === 0 ? ids[i]! : `miss-${i}` })
    samples.push(Number(process.hrtime.bigint() - started) / 1000)
  }
  samples.sort((a, b) => a - b)
  return `median ${percentile(samples, 0.5).toFixed(1)} us, p99 ${percentile(samples, 0.99).toFixed(1)} us`
}

const empty = heapUsed()
const ids = Array.from({ length: ENTRIES }, jti)
const withIds = heapUsed()
const expiresAt = Date.now() / 1000 + 3600
const before = heapUsed()
const memory = new MemoryStore({ maxEntries: ENTRIES })
const started = process.hrtime.bigint()
for (let i = 0; i < ENTRIES; i++) await memory.revoke('jti', ids[i]!, expiresAt + (i % 900))
const insertMs = Number(process.hrtime.bigint() - started) / 1e6
const after = heapUsed()
const bytes = after - before
console.log(
  `MemoryStore, ${ENTRIES.toLocaleString('en')} revoked jtis: ` +
    `${(bytes / 2 ** 20).toFixed(1)} MiB of heap (${Math.round(bytes / ENTRIES)} bytes each, ` +
    `not counting the jti strings), inserted in ${insertMs.toFixed(0)} ms`,
)
const strings = withIds - empty
console.log(
  `  the 22-character jti strings themselves (and the array holding them): ` +
    `${(strings / 2 ** 20).toFixed(1)} MiB (${Math.round(strings / ENTRIES)} bytes each)`,
)
console.log(`MemoryStore isRevoked, ${CALLS} sequential calls: ${await latency(memory, ids)}`)

const url = process.argv[2] ?? 'redis://127.0.0.1:6379'
let redis
try {
  redis = await createRedisStore(url, { prefix: `authx-bench:${jti()}:` })
} catch {
  console.log(`RedisStore: no server at ${url}, skipped`)
}
if (redis !== undefined) {
  for (let i = 0; i < CALLS; i += 2) await redis.revoke('jti', ids[i]!, expiresAt)
  for (let i = 0; i < 1000; i++) await redis.isRevoked({ sub: 'bench-user', jti: ids[i]! }) // warm-up
  console.log(
    `RedisStore isRevoked (${url}), ${CALLS} sequential calls: ${await latency(redis, ids)}`,
  )
  const keys = await redis.client.keys(`${redis.prefix}*`)
  for (let i = 0; i < keys.length; i += 1000) await redis.client.del(...keys.slice(i, i + 1000))
  await redis.client.quit()
}
