/**
 * Shared setup of the feature suites that run against both stores: a MemoryStore on an injected
 * clock, and a RedisStore on the suite's throw-away server (test/helpers/redis-server.ts) under a random prefix whose keys
 * are removed after the file's tests.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { after } from 'node:test'
import { Redis } from 'ioredis'
import { AuthX } from '../../src/adapters/fastify.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import { RedisStore, recommendedRedisOptions } from '../../src/stores/redis.ts'
import type { Store } from '../../src/stores/types.ts'
import { testRedisUrl } from './redis-server.ts'

/** A kind of store a whole suite runs against. */
export interface Backend {
  readonly name: 'MemoryStore' | 'RedisStore'
  /** A fresh, empty store; the memory one runs on the injected clock. */
  make(clock: () => number): Store
}

/** An AuthX on a fresh store of one backend, with a clock the test moves. */
export interface World {
  readonly auth: AuthX
  readonly store: Store
  readonly time: { now: number }
}

/** What {@link storeSuite} gives a test file. */
export interface StoreSuite {
  /** A random HMAC secret for the file. */
  readonly SECRET: string
  /** Real time, whole seconds: Redis expires keys on its own clock, so test clocks start here. */
  readonly START: number
  /** The prefix under which every Redis key of this file lives. */
  readonly RUN_PREFIX: string
  /** A Redis client for direct inspection (closed after the file's tests). */
  readonly redis: Redis
  readonly BACKENDS: readonly Backend[]
  /** An AuthX (with the suite's default options, then `options`) on a fresh store. */
  readonly world: (backend: Backend, options?: Partial<AuthXOptions>) => World
}

/**
 * Connects to Redis and registers the cleanup of this file's keys.
 *
 * @param name - the suite's name, part of the Redis prefix
 * @param defaults - AuthX options every world of the suite gets
 */
export async function storeSuite(
  name: string,
  defaults: Partial<AuthXOptions> = {},
): Promise<StoreSuite> {
  const SECRET = randomBytes(32).toString('hex')
  const START = Math.floor(Date.now() / 1000)
  const RUN_PREFIX = `authx-test:${name}:${randomUUID()}:`
  const redis = new Redis(await testRedisUrl(), { ...recommendedRedisOptions(), lazyConnect: true })
  await redis.connect()
  let prefixes = 0
  const BACKENDS: readonly Backend[] = [
    { name: 'MemoryStore', make: (clock) => new MemoryStore({ clock }) },
    {
      name: 'RedisStore',
      make: () => new RedisStore(redis, { prefix: `${RUN_PREFIX}${++prefixes}:` }),
    },
  ]
  after(async () => {
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${RUN_PREFIX}*`, 'COUNT', 1000)
      cursor = next
      keys.push(...batch)
    } while (cursor !== '0')
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })
  return {
    SECRET,
    START,
    RUN_PREFIX,
    redis,
    BACKENDS,
    world: (backend, options = {}) => {
      const time = { now: START }
      const clock = (): number => time.now
      const store = backend.make(clock)
      return {
        auth: new AuthX({ secretKey: SECRET, clock, store, ...defaults, ...options }),
        store,
        time,
      }
    },
  }
}

/**
 * The claims of a token, decoded without verification (tests inspect what was signed).
 *
 * @param token - a compact JWS
 */
export function claimsOf(token: string): Record<string, unknown> {
  const segment = token.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>
}
