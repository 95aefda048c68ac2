/**
 * Memory benchmarks, run by `bench/run.ts` in a child started with `--expose-gc` and a large
 * young generation:
 * - heap held by `MemoryStore` per 100 000 revoked tokens (`revoke('jti', id, exp)`), with and
 *   without the 36-character ids themselves;
 * - bytes allocated per verification, for authx-ts and the peers: the heap growth over N
 *   verifications with no garbage collection in between (checked with a `gc` performance
 *   observer; N is halved and the run repeated if a collection happened).
 *
 * Usage: `node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 --import tsx bench/memory.ts`
 */
import { createSecretKey, randomUUID } from 'node:crypto'
import { PerformanceObserver } from 'node:perf_hooks'
import { createVerifier } from 'fast-jwt'
import { jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { bareHmacVerify } from './lib/bare.ts'
import { MemoryStore } from './lib/library.ts'
import { HMAC_SECRET, SUBJECT, createAuthX, createKeyMaterial } from './lib/fixtures.ts'

/** Heap held per 100k revocations. */
export interface StoreMemory {
  readonly entries: number
  /** Heap growth in bytes, ids included. */
  readonly totalBytes: number
  /** Heap growth in bytes with the id strings allocated before the baseline. */
  readonly overheadBytes: number
}

/** Bytes allocated per verification, for one contender. */
export interface AllocationResult {
  readonly id: string
  readonly label: string
  readonly bytesPerOp: number
  readonly iterations: number
}

/** The memory phase. */
export interface MemoryResult {
  readonly store: StoreMemory
  readonly allocation: readonly AllocationResult[]
}

const gc = (globalThis as { gc?: () => void }).gc

function heapUsed(): number {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

/** Keeps a measured structure alive between the two heap readings. */
let held: unknown

/** Heap growth caused by `build`, with everything else collected before and after. */
function heapGrowth(build: () => unknown): number {
  held = undefined
  const before = heapUsed()
  held = build()
  const after = heapUsed()
  if (held === undefined) throw new Error('nothing was built')
  held = undefined
  return after - before
}

/**
 * Fills a store with revocations. `revoke` does its work synchronously before its promise
 * settles, so a plain loop suffices, and no suspended async frame keeps an old store alive.
 */
function fillStore(ids: () => string, entries: number): InstanceType<typeof MemoryStore> {
  const exp = Math.floor(Date.now() / 1000) + 3600
  const store = new MemoryStore({ maxEntries: entries })
  for (let i = 0; i < entries; i++) void store.revoke('jti', ids(), exp + (i % 900))
  if (store.stats().revokedTokens !== entries) throw new Error('the store did not keep every entry')
  return store
}

/**
 * A jti as the store receives it in production: a flat string out of `JSON.parse`. (The string
 * `randomUUID()` returns is a rope of small pieces, about eight times larger until flattened.)
 */
function flatId(): string {
  return JSON.parse(`"${randomUUID()}"`) as string
}

function storeMemory(entries: number): StoreMemory {
  fillStore(flatId, 1000) // warm the code paths
  // Ids included: the store keeps the strings alive, as it would in production.
  const totalBytes = heapGrowth(() => fillStore(flatId, entries))
  // Ids excluded: allocate them before the baseline.
  const ids = Array.from({ length: entries }, flatId)
  let i = 0
  const overheadBytes = heapGrowth(() => fillStore(() => ids[i++] as string, entries))
  return { entries, totalBytes, overheadBytes }
}

interface Candidate {
  readonly id: string
  readonly label: string
  readonly run: () => unknown
  readonly async: boolean
}

/** Counts garbage collections reported between two calls. */
class GCCounter {
  #count = 0
  readonly #observer = new PerformanceObserver((list) => {
    this.#count += list.getEntries().length
  })
  constructor() {
    this.#observer.observe({ entryTypes: ['gc'] })
  }
  async count(): Promise<number> {
    // Observer callbacks are delivered asynchronously: let them arrive.
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setTimeout(resolve, 5))
    return this.#count
  }
  stop(): void {
    this.#observer.disconnect()
  }
}

async function allocation(candidate: Candidate, counter: GCCounter): Promise<AllocationResult> {
  const loop = async (n: number): Promise<void> => {
    if (candidate.async) for (let i = 0; i < n; i++) await candidate.run()
    else for (let i = 0; i < n; i++) candidate.run()
  }
  await loop(20_000) // warm-up: optimised code allocates less (escape analysis)
  for (let n = 4000; n >= 250; n >>= 1) {
    heapUsed()
    const gcsBefore = await counter.count()
    const before = process.memoryUsage().heapUsed
    await loop(n)
    const after = process.memoryUsage().heapUsed
    if ((await counter.count()) === gcsBefore) {
      return {
        id: candidate.id,
        label: candidate.label,
        bytesPerOp: (after - before) / n,
        iterations: n,
      }
    }
  }
  return { id: candidate.id, label: candidate.label, bytesPerOp: Number.NaN, iterations: 0 }
}

/** Runs the memory phase. */
export async function runMemory(): Promise<MemoryResult> {
  if (gc === undefined) throw new Error('run with --expose-gc')
  const store = storeMemory(100_000)
  const keys = createKeyMaterial('HS256')
  const auth = createAuthX(keys)
  const token = auth.createAccessToken(SUBJECT)
  const secret = Buffer.from(HMAC_SECRET)
  const fast = createVerifier({ key: HMAC_SECRET, algorithms: ['HS256'] })
  const keyObject = createSecretKey(secret)
  const joseKey = await crypto.subtle.importKey(
    'raw',
    secret,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  )
  const bare = (): unknown => bareHmacVerify(secret, token)
  const candidates: Candidate[] = [
    {
      id: 'authx.sync',
      label: 'authx-ts verifyTokenSync',
      async: false,
      run: () => auth.verifyTokenSync(token),
    },
    {
      id: 'authx.async',
      label: 'authx-ts await verifyToken',
      async: true,
      run: () => auth.verifyToken(token),
    },
    { id: 'bare', label: 'bare node:crypto', async: false, run: bare },
    { id: 'fast-jwt', label: 'fast-jwt', async: false, run: () => fast(token) },
    {
      id: 'jsonwebtoken',
      label: 'jsonwebtoken',
      async: false,
      run: () => jsonwebtoken.verify(token, keyObject, { algorithms: ['HS256'] }),
    },
    {
      id: 'jose',
      label: 'jose (await jwtVerify)',
      async: true,
      run: () => jwtVerify(token, joseKey),
    },
  ]
  const counter = new GCCounter()
  const results: AllocationResult[] = []
  try {
    for (const c of candidates) results.push(await allocation(c, counter))
  } finally {
    counter.stop()
  }
  return { store, allocation: results }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runMemory()
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
