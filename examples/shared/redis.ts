/**
 * The quickstarts' store, from the environment: a `RedisStore` on a Redis Cluster
 * (`$REDIS_CLUSTER_NODES`), behind Sentinel (`$REDIS_SENTINELS` with `$REDIS_SENTINEL_MASTER`) or
 * on one server (`$REDIS_URL`), else none (each app then uses the embedded MemoryStore).
 * `$REDIS_NEAR_CACHE=1` turns on the revocation near-cache. A Redis that cannot be reached, or a
 * malformed variable, stops the process with one line that names the problem, without
 * credentials, instead of a stack trace.
 */
import { createRedisStore } from 'authx-ts/redis'
import type { RedisNode, RedisStore, RedisTarget } from 'authx-ts/redis'

/**
 * Parses `host:port,host:port` (an IPv6 host in brackets: `[::1]:7000`).
 *
 * @param name - the variable's name, for the message
 * @param value - its value
 * @throws Error naming the variable and the entry that is not `host:port`
 */
export function parseNodes(name: string, value: string): RedisNode[] {
  return value.split(',').map((entry) => {
    const trimmed = entry.trim()
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(trimmed)
    const port = Number(match?.[3])
    const host = match?.[1] ?? match?.[2]
    if (host === undefined || !(port >= 1 && port <= 65535))
      throw new Error(`${name}: '${trimmed}' is not host:port`)
    return { host, port }
  })
}

/**
 * Where the environment says Redis is, or undefined when it names none.
 *
 * @param env - the environment to read
 * @throws Error when more than one kind of target is set, or one is malformed
 */
export function redisTargetFromEnv(env: NodeJS.ProcessEnv = process.env): RedisTarget | undefined {
  const set = (name: string): string | undefined => {
    const value = env[name]
    return value === undefined || value.trim() === '' ? undefined : value.trim()
  }
  const url = set('REDIS_URL')
  const cluster = set('REDIS_CLUSTER_NODES')
  const sentinels = set('REDIS_SENTINELS')
  const chosen = [url, cluster, sentinels].filter((value) => value !== undefined).length
  if (chosen > 1)
    throw new Error('set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS')
  if (cluster !== undefined) return { clusterNodes: parseNodes('REDIS_CLUSTER_NODES', cluster) }
  if (sentinels !== undefined) {
    const sentinelMaster = set('REDIS_SENTINEL_MASTER')
    if (sentinelMaster === undefined)
      throw new Error("REDIS_SENTINELS needs REDIS_SENTINEL_MASTER, the master's name")
    return { sentinels: parseNodes('REDIS_SENTINELS', sentinels), sentinelMaster }
  }
  return url
}

/**
 * Connects to the Redis the environment names, or returns undefined when it names none.
 *
 * @param app - the program's name, the prefix of the error line
 * @param env - the environment to read
 * @returns the store, or undefined for the embedded MemoryStore
 */
export async function storeFromEnv(
  app: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RedisStore | undefined> {
  let store: RedisStore
  try {
    const target = redisTargetFromEnv(env)
    if (target === undefined) return undefined
    const nearCache = env.REDIS_NEAR_CACHE
    if (nearCache !== undefined && !['', '0', '1'].includes(nearCache))
      throw new Error(`REDIS_NEAR_CACHE must be 1 (on) or 0 (off)`)
    store = await createRedisStore(target, { nearCache: nearCache === '1' })
  } catch (error) {
    console.error(`${app}: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
  // During a Redis outage requests fail closed with 503; log the client's errors instead of
  // letting ioredis report them as unhandled.
  store.client.on('error', (error: Error) => console.warn(`redis: ${error.message}`))
  return store
}
