/**
 * `npm run bench -- --only=cluster`: three instances of the Fastify quickstart sharing one Redis,
 * then sharing a six-node Redis Cluster, each time without and with the revocation near-cache.
 * Redis servers are throw-away processes on free loopback ports (test/helpers/redis-server.ts),
 * so the suite runs from a clean clone with only `redis-server` and `redis-cli` installed.
 *
 * For every configuration:
 * - throughput and p99 of `GET /protected` (revocation-checked through the store) beside
 *   `GET /stateless` (the same answer, a guard that asks no store), on each instance in turn,
 *   under autocannon in a process of its own; the two routes alternate, so each ratio compares
 *   neighbours in time;
 * - meanwhile, one client logs in once, then over and over refreshes on one instance, checks its
 *   new access token on the two others (so that their near-caches hold it), logs out on the first
 *   and polls the two others until they refuse it. The time from the logout's answer to the send
 *   time of the first refused request is the revocation's visibility; every request sent later
 *   than {@link BOUND_MS} after the logout and still accepted is counted (it must be zero).
 *
 * Memory: the near-cache's heap per entry, measured on a store filled with distinct tokens.
 * Nothing here asserts a timing; the numbers are reported.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { setTimeout as sleep } from 'node:timers/promises'
import { createRedisStore } from '../../src/stores/redis.ts'
import { startRedisCluster, startRedisServer } from '../../test/helpers/redis-server.ts'
import { LoadClient } from '../http/run-http.ts'
import type { LoadResult } from '../http/load.ts'
import { ROOT, firstJSONLine, stopChild } from '../lib/child.ts'

/** The visibility target of DESIGN.md section 8: a revocation refused everywhere within this. */
export const BOUND_MS = 50

/** Options of the suite. */
export interface ClusterOptions {
  /** Seconds of load per measurement. */
  readonly duration: number
  /** autocannon connections. */
  readonly connections: number
  /** Alternations of the two routes on each instance. */
  readonly rounds: number
}

/** One instance's numbers for one configuration. */
export interface InstanceResult {
  readonly instance: number
  /** Medians over the rounds. */
  readonly protectedRps: number
  readonly statelessRps: number
  readonly protectedP99: number
  readonly statelessP99: number
  /** Non-2xx answers or errors during the load (there should be none). */
  readonly failures: number
}

/** Percentiles of the revocation visibility, milliseconds. */
export interface VisibilityResult {
  readonly samples: number
  readonly p50: number
  readonly p99: number
  readonly max: number
  /** Requests sent more than {@link BOUND_MS} after the logout answered, and accepted. */
  readonly acceptedAfterBound: number
  /** Requests sent after the logout answered, within the bound, and accepted. */
  readonly acceptedWithinBound: number
}

/** One configuration: a topology and the near-cache on or off. */
export interface ConfigurationResult {
  readonly name: string
  readonly instances: readonly InstanceResult[]
  /** Median over instances of protected / stateless throughput. */
  readonly ratio: number
  readonly visibility: VisibilityResult
  /** Checks answered from memory, summed over the instances (near-cache only). */
  readonly nearCacheHits?: number | undefined
}

/** What the suite reports. */
export interface ClusterResult {
  readonly configurations: readonly ConfigurationResult[]
  readonly nearCacheMemory: { readonly entries: number; readonly bytesPerEntry: number }
}

function log(message: string): void {
  process.stderr.write(`${message}\n`)
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
}

interface Instance {
  readonly child: ChildProcess
  readonly base: string
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/cluster/instance.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const answer = (await firstJSONLine(child, 90_000)) as { port: number }
  return { child, base: `http://127.0.0.1:${answer.port}` }
}

async function call(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {}
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as never) }
}

/**
 * The client of the scenario: logs in once, then until stopped refreshes on one instance, warms
 * the new access token on the others, logs out, and times the refusal on the others.
 */
async function revocationLoop(
  instances: readonly Instance[],
  stop: { done: boolean },
): Promise<{ delays: number[]; acceptedAfterBound: number; acceptedWithinBound: number }> {
  const delays: number[] = []
  let acceptedAfterBound = 0
  let acceptedWithinBound = 0
  const [first] = instances
  if (first === undefined) throw new Error('no instance')
  const login = await call(first.base, 'POST', '/login', undefined, {
    username: 'user1',
    password: 'password1',
  })
  if (login.status !== 200) throw new Error(`login answered ${login.status}`)
  let refreshToken = String(login.json.refresh_token)
  for (let turn = 0; !stop.done; turn++) {
    const revoker = instances[turn % instances.length]!
    const others = instances.filter((instance) => instance !== revoker)
    const refreshed = await call(revoker.base, 'POST', '/refresh', refreshToken)
    if (refreshed.status !== 200) throw new Error(`refresh answered ${refreshed.status}`)
    refreshToken = String(refreshed.json.refresh_token)
    const access = String(refreshed.json.access_token)
    for (const other of others) {
      const warm = await call(other.base, 'GET', '/protected', access)
      if (warm.status !== 200) throw new Error(`a fresh token answered ${warm.status}`)
    }
    const logout = await call(revoker.base, 'POST', '/logout', access)
    if (logout.status !== 200) throw new Error(`logout answered ${logout.status}`)
    const acknowledged = performance.now()
    await Promise.all(
      others.map(async (other) => {
        for (;;) {
          const sent = performance.now()
          const answer = await call(other.base, 'GET', '/protected', access)
          if (answer.status === 401) {
            delays.push(sent - acknowledged)
            return
          }
          if (answer.status !== 200) throw new Error(`a check answered ${answer.status}`)
          if (sent - acknowledged > BOUND_MS) acceptedAfterBound += 1
          else acceptedWithinBound += 1
          if (sent - acknowledged > 10_000) throw new Error('a revocation was never seen')
        }
      }),
    )
    await sleep(20)
  }
  return { delays, acceptedAfterBound, acceptedWithinBound }
}

async function measureConfiguration(
  name: string,
  env: Record<string, string>,
  load: LoadClient,
  options: ClusterOptions,
): Promise<ConfigurationResult> {
  log(`cluster: ${name}: starting three instances`)
  const instances: Instance[] = []
  try {
    for (let i = 0; i < 3; i++) instances.push(await startInstance(env))
    // A token for the load: the routes verify it on every request.
    const login = await call(instances[0]!.base, 'POST', '/login', undefined, {
      username: 'user2',
      password: 'password2',
    })
    const token = String(login.json.access_token)
    const stop = { done: false }
    const scenario = revocationLoop(instances, stop)
    const results: InstanceResult[] = []
    try {
      for (const [index, instance] of instances.entries()) {
        const runs: Record<'protected' | 'stateless', LoadResult[]> = {
          protected: [],
          stateless: [],
        }
        for (let round = 0; round < options.rounds; round++) {
          const order =
            round % 2 === 0
              ? (['protected', 'stateless'] as const)
              : (['stateless', 'protected'] as const)
          for (const route of order) {
            runs[route].push(
              await load.run({
                url: `${instance.base}/${route}`,
                connections: options.connections,
                duration: options.duration,
                headers: { authorization: `Bearer ${token}` },
              }),
            )
          }
        }
        const failures = [...runs.protected, ...runs.stateless].reduce(
          (sum, run) => sum + run.non2xx + run.errors + run.timeouts,
          0,
        )
        results.push({
          instance: index + 1,
          protectedRps: median(runs.protected.map((run) => run.rps)),
          statelessRps: median(runs.stateless.map((run) => run.rps)),
          protectedP99: median(runs.protected.map((run) => run.p99)),
          statelessP99: median(runs.stateless.map((run) => run.p99)),
          failures,
        })
        const last = results[results.length - 1]!
        log(
          `  instance ${index + 1}: /protected ${Math.round(last.protectedRps)} req/s (p99 ${last.protectedP99} ms), /stateless ${Math.round(last.statelessRps)} req/s (p99 ${last.statelessP99} ms), failures ${failures}`,
        )
      }
    } finally {
      stop.done = true
    }
    const scenarioResult = await scenario
    const delays = scenarioResult.delays
    const visibility: VisibilityResult = {
      samples: delays.length,
      p50: percentile(delays, 50),
      p99: percentile(delays, 99),
      max: Math.max(0, ...delays),
      acceptedAfterBound: scenarioResult.acceptedAfterBound,
      acceptedWithinBound: scenarioResult.acceptedWithinBound,
    }
    let nearCacheHits: number | undefined
    if (env.REDIS_NEAR_CACHE === '1') {
      nearCacheHits = 0
      for (const instance of instances) {
        const stats = await call(instance.base, 'GET', '/near-cache')
        nearCacheHits += Number(stats.json.hits ?? 0)
      }
    }
    const ratio = median(results.map((result) => result.protectedRps / result.statelessRps))
    log(
      `  revocation visible on the others: p50 ${visibility.p50.toFixed(1)} ms, p99 ${visibility.p99.toFixed(1)} ms, max ${visibility.max.toFixed(1)} ms (${visibility.samples} samples); accepted after ${BOUND_MS} ms: ${visibility.acceptedAfterBound}`,
    )
    log(`  /protected at ${ratio.toFixed(2)}x /stateless`)
    return { name, instances: results, ratio, visibility, nearCacheHits }
  } finally {
    await Promise.all(instances.map((instance) => stopChild(instance.child)))
  }
}

/** Heap per near-cache entry, on a store filled with `entries` distinct tokens' answers. */
async function measureNearCacheMemory(
  url: string,
  entries: number,
): Promise<{ entries: number; bytesPerEntry: number }> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const store = await createRedisStore(url, {
    prefix: `bench:${randomUUID()}:`,
    nearCache: { maxEntries: entries * 2, maxStalenessMs: 60_000 },
  })
  try {
    while (store.nearCacheStats?.usable !== true) await sleep(10)
    gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < entries; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, j) =>
          // One key per check: a jti, as a check on a subject already cached would add.
          store.isRevoked({ sub: 'user-42', jti: randomBytes(16).toString('base64url') + (i + j) }),
        ),
      )
    }
    gc()
    const held = store.nearCacheStats?.entries ?? 0
    const after = process.memoryUsage().heapUsed
    return { entries: held, bytesPerEntry: (after - before) / Math.max(1, held) }
  } finally {
    store.close()
    await store.client.quit()
  }
}

/**
 * Runs the whole suite.
 *
 * @param options - load duration, connections and rounds
 */
export async function runCluster(options: ClusterOptions): Promise<ClusterResult> {
  const secret = randomBytes(32).toString('hex')
  log('cluster: starting a Redis server and a six-node Redis Cluster on loopback')
  const server = await startRedisServer()
  const cluster = await startRedisCluster()
  const load = await LoadClient.start()
  const nodes = cluster.seeds.map(({ host, port }) => `${host}:${port}`).join(',')
  try {
    const configurations: ConfigurationResult[] = []
    const base = { JWT_SECRET_KEY: secret, REDIS_URL: '', REDIS_CLUSTER_NODES: '' }
    for (const [name, env] of [
      ['one Redis', { ...base, REDIS_URL: server.url, REDIS_NEAR_CACHE: '0' }],
      ['one Redis + near-cache', { ...base, REDIS_URL: server.url, REDIS_NEAR_CACHE: '1' }],
      ['Redis Cluster', { ...base, REDIS_CLUSTER_NODES: nodes, REDIS_NEAR_CACHE: '0' }],
      [
        'Redis Cluster + near-cache',
        { ...base, REDIS_CLUSTER_NODES: nodes, REDIS_NEAR_CACHE: '1' },
      ],
    ] as const) {
      configurations.push(await measureConfiguration(name, env, load, options))
    }
    const nearCacheMemory = await measureNearCacheMemory(server.url, 20_000)
    log(
      `cluster: near-cache memory: ${Math.round(nearCacheMemory.bytesPerEntry)} B per entry (${nearCacheMemory.entries} entries); the default cap of 100000 entries is about ${((nearCacheMemory.bytesPerEntry * 100_000) / 1048576).toFixed(1)} MB`,
    )
    return { configurations, nearCacheMemory }
  } finally {
    await load.stop()
    await cluster.stop()
    await server.stop()
  }
}
