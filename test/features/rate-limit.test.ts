/**
 * Rate limits on the store, on both stores and through Fastify's `auth.rateLimited`: one bucket
 * per key, custom keys, the 429 contract with the real time left in the window, the reset after
 * the window, and the default key's resistance to respelled paths and IPv6 address hopping.
 * MemoryStore runs on the injected clock; RedisStore runs against the suite's
 * throw-away redis-server under a random prefix removed at the end (the window follows the injected clock
 * there too: the store is given `now`).
 */
import assert from 'node:assert/strict'
import type { RequestView } from '../../src/types.ts'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import Fastify from 'fastify'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { Redis } from 'ioredis'
import { buildApp } from '../../examples/quickstart-fastify/app.ts'
import { AuthX } from '../../src/adapters/fastify.ts'
import type { RateLimitOptions } from '../../src/features/rate-limit.ts'
import {
  defaultRateLimitKey,
  normalizeRatePath,
  rateLimitClient,
  resolveRateLimit,
} from '../../src/features/rate-limit.ts'
import { RateLimitExceededError } from '../../src/errors.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import { RedisStore, recommendedRedisOptions } from '../../src/stores/redis.ts'
import type { Store } from '../../src/stores/types.ts'
import { testRedisUrl } from '../helpers/redis-server.ts'

const SECRET = randomBytes(32).toString('hex')
/** Real time, whole seconds: Redis expires keys on its own clock, so the test clock starts there. */
const START = Math.floor(Date.now() / 1000)
const RUN_PREFIX = `authx-test:rate-limit:${randomUUID()}:`
const redis = new Redis(await testRedisUrl(), { ...recommendedRedisOptions(), lazyConnect: true })
await redis.connect()
let prefixes = 0

/** A kind of store the whole suite runs against. */
interface Backend {
  readonly name: 'MemoryStore' | 'RedisStore'
  /** A fresh, empty store; the memory one runs on the injected clock. */
  make(clock: () => number): Store
}

const BACKENDS: readonly Backend[] = [
  { name: 'MemoryStore', make: (clock) => new MemoryStore({ clock }) },
  {
    name: 'RedisStore',
    make: () => new RedisStore(redis, { prefix: `${RUN_PREFIX}${++prefixes}:` }),
  },
]

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return keys
}

after(async () => {
  const keys = await keysUnder(RUN_PREFIX)
  if (keys.length > 0) await redis.del(...keys)
  await redis.quit()
})

/** A Fastify app with one rate-limited route per entry of `limits`, counting handler runs. */
interface LimitedApp {
  readonly app: FastifyInstance
  readonly auth: AuthX
  readonly time: { now: number }
  /** Handler runs per route. */
  readonly runs: Map<string, number>
  readonly send: (
    url: string,
    options?: Omit<InjectOptions, 'url'>,
  ) => Promise<LightMyRequestResponse>
}

async function limitedApp(
  backend: Backend,
  limits: Record<string, RateLimitOptions>,
): Promise<LimitedApp> {
  const time = { now: START }
  const clock = (): number => time.now
  const auth = new AuthX({ secretKey: SECRET, clock, store: backend.make(clock) })
  const app = Fastify()
  auth.handleErrors(app)
  const runs = new Map<string, number>()
  for (const [path, limit] of Object.entries(limits)) {
    runs.set(path, 0)
    app.post(path, { preHandler: auth.rateLimited(limit) }, async () => {
      runs.set(path, (runs.get(path) ?? 0) + 1)
      return { ok: true }
    })
  }
  await app.ready()
  const send = (
    url: string,
    options: Omit<InjectOptions, 'url'> = {},
  ): Promise<LightMyRequestResponse> => app.inject({ method: 'POST', url, ...options })
  return { app, auth, time, runs, send }
}

/** Asserts the 429 contract with `seconds` left. */
function assertLimited(response: LightMyRequestResponse, seconds: number): void {
  assert.equal(response.statusCode, 429, response.body)
  assert.deepEqual(response.json(), {
    detail: `Rate limit exceeded. Retry after ${seconds} seconds.`,
    error_type: 'RateLimitExceededError',
    retry_after: seconds,
  })
  assert.equal(response.headers['retry-after'], String(seconds))
}

function view(path: string, ip?: string): RequestView {
  return {
    method: 'POST',
    path,
    ...(ip === undefined ? {} : { ip }),
    header: () => undefined,
    cookie: () => undefined,
    query: () => undefined,
    json: () => undefined,
    form: () => undefined,
  }
}

void describe('rate-limit options and the default key', () => {
  void test('options are validated when the limit is built', () => {
    for (const max of [0, -1, 1.5, Number.NaN, '10'])
      assert.throws(() => resolveRateLimit({ max: max as number, window: 60 }), TypeError)
    for (const window of [0, -5, 'soon', '', Number.POSITIVE_INFINITY])
      assert.throws(() => resolveRateLimit({ max: 1, window }), TypeError)
    assert.throws(
      () => resolveRateLimit({ max: 1, window: 60, key: 'ip' as unknown as () => string }),
      TypeError,
    )
    const limit = resolveRateLimit({ max: 5, window: '1m' })
    assert.equal(limit.max, 5)
    assert.equal(limit.windowSeconds, 60)
    assert.equal(limit.key, defaultRateLimitKey)
  })

  void test('the default key is the normalised path and the client', () => {
    assert.equal(defaultRateLimitKey(view('/login', '203.0.113.7')), '11:203.0.113.7|/login')
    assert.equal(defaultRateLimitKey(view('/login')), '7:unknown|/login')
    assert.equal(defaultRateLimitKey(view('/LOGIN/', '203.0.113.7')), '11:203.0.113.7|/login')
  })

  void test('with a matched route the default key is its pattern: one bucket per route', () => {
    const routed = (path: string, route: string): RequestView => ({
      ...view(path, '203.0.113.7'),
      route,
    })
    assert.equal(defaultRateLimitKey(routed('/users/1', '/users/:id')), '11:203.0.113.7|/users/:id')
    assert.equal(defaultRateLimitKey(routed('/users/2', '/users/:id')), '11:203.0.113.7|/users/:id')
    // An empty pattern is no pattern.
    assert.equal(defaultRateLimitKey(routed('/Users/3', '')), '11:203.0.113.7|/users/3')
  })

  void test('no two (route, client) pairs share a key, whatever `|` they hold', () => {
    const routed = (route: string, ip: string): RequestView => ({ ...view('/x', ip), route })
    assert.notEqual(
      defaultRateLimitKey(routed('/a|b', 'c')),
      defaultRateLimitKey(routed('/a', 'b|c')),
    )
  })

  void test('every spelling of a path a router may route to it is one bucket', () => {
    for (const path of [
      '/login',
      '/l%6Fgin',
      '/LOGIN',
      '/Log%49n',
      '/login/',
      '//login',
      '/login//',
    ])
      assert.equal(normalizeRatePath(path), '/login', path)
    assert.equal(normalizeRatePath('/'), '/')
    assert.equal(normalizeRatePath('/caf%C3%A9'), '/café', 'multi-byte escapes decode whole')
    assert.equal(normalizeRatePath('/a%E9b'), '/a%e9b', 'bytes that are not UTF-8 stay as sent')
    assert.notEqual(normalizeRatePath('/login2'), normalizeRatePath('/login'))
  })

  void test('clients: IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64', () => {
    const cases: [string, string][] = [
      ['203.0.113.7', '203.0.113.7'],
      ['::ffff:203.0.113.7', '203.0.113.7'],
      ['0:0:0:0:0:ffff:203.0.113.7', '203.0.113.7'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
      ['2001:DB8:0001:0002::ffff', '2001:db8:1:2::/64'],
      ['2001:db8::1', '2001:db8:0:0::/64'],
      ['::1', '0:0:0:0::/64'],
      ['fe80::1%eth0', 'fe80:0:0:0::/64'],
      ['64:ff9b::203.0.113.7', '64:ff9b:0:0::/64'],
      // Not addresses: kept as they are (still one bucket per distinct value).
      ['unknown-proxy', 'unknown-proxy'],
      ['1:2:3', '1:2:3'],
      ['1::2::3', '1::2::3'],
      ['2001:db8:zz::1', '2001:db8:zz::1'],
    ]
    for (const [ip, client] of cases) assert.equal(rateLimitClient(ip), client, ip)
  })
})

for (const backend of BACKENDS) {
  void describe(`rate limits over Fastify [${backend.name}]`, () => {
    void test('one bucket per client and route; the handler does not run once limited', async () => {
      const { app, send, runs } = await limitedApp(backend, {
        '/login': { max: 3, window: 60 },
        '/other': { max: 3, window: 60 },
      })
      try {
        for (let i = 0; i < 3; i++)
          assert.equal((await send('/login', { remoteAddress: '203.0.113.7' })).statusCode, 200)
        assertLimited(await send('/login', { remoteAddress: '203.0.113.7' }), 60)
        assert.equal(runs.get('/login'), 3)
        // Another client, and the same client on another route, have buckets of their own.
        assert.equal((await send('/login', { remoteAddress: '203.0.113.8' })).statusCode, 200)
        assert.equal((await send('/other', { remoteAddress: '203.0.113.7' })).statusCode, 200)
        assert.equal(runs.get('/login'), 4)
        assert.equal(runs.get('/other'), 1)
      } finally {
        await app.close()
      }
    })

    void test('429 says the real time left, and the window resets when it ends', async () => {
      const { app, send, time, runs } = await limitedApp(backend, {
        '/login': { max: 3, window: '1m' },
      })
      try {
        for (let i = 0; i < 3; i++) assert.equal((await send('/login')).statusCode, 200)
        time.now = START + 25
        assertLimited(await send('/login'), 35)
        time.now = START + 59.5
        assertLimited(await send('/login'), 1)
        assert.equal(runs.get('/login'), 3)
        time.now = START + 60
        for (let i = 0; i < 3; i++) assert.equal((await send('/login')).statusCode, 200)
        time.now = START + 61
        assertLimited(await send('/login'), 59)
        assert.equal(runs.get('/login'), 6)
      } finally {
        await app.close()
      }
    })

    void test('a custom key function (sync or async) decides the bucket', async () => {
      const { app, send, runs } = await limitedApp(backend, {
        '/api': { max: 2, window: 60, key: (request) => request.header('x-api-key') ?? 'anon' },
        '/async': {
          max: 1,
          window: 60,
          key: async (request) => {
            await Promise.resolve()
            return `user:${request.header('x-user') ?? '?'}`
          },
        },
      })
      try {
        const key = (value: string, ip: string): Omit<InjectOptions, 'url'> => ({
          headers: { 'x-api-key': value },
          remoteAddress: ip,
        })
        // One API key from two addresses: one bucket.
        assert.equal((await send('/api', key('k1', '203.0.113.1'))).statusCode, 200)
        assert.equal((await send('/api', key('k1', '203.0.113.2'))).statusCode, 200)
        assertLimited(await send('/api', key('k1', '203.0.113.3')), 60)
        // Another key from the same address: another bucket.
        assert.equal((await send('/api', key('k2', '203.0.113.1'))).statusCode, 200)
        assert.equal(runs.get('/api'), 3)

        const user = (name: string): Omit<InjectOptions, 'url'> => ({ headers: { 'x-user': name } })
        assert.equal((await send('/async', user('alice'))).statusCode, 200)
        assertLimited(await send('/async', user('alice')), 60)
        assert.equal((await send('/async', user('bob'))).statusCode, 200)
      } finally {
        await app.close()
      }
    })

    void test('respelling the path or hopping within an IPv6 /64 gets no new bucket', async () => {
      const { app, send, runs } = await limitedApp(backend, { '/login': { max: 2, window: 60 } })
      try {
        assert.equal((await send('/login', { remoteAddress: '203.0.113.9' })).statusCode, 200)
        assert.equal((await send('/l%6Fgin', { remoteAddress: '203.0.113.9' })).statusCode, 200)
        for (const url of ['/login', '/lo%67in', '/%6C%6F%67%69%6E'])
          assertLimited(await send(url, { remoteAddress: '203.0.113.9' }), 60)
        assert.equal(runs.get('/login'), 2)

        for (const ip of ['2001:db8:5:6::1', '2001:db8:5:6::2'])
          assert.equal((await send('/login', { remoteAddress: ip })).statusCode, 200)
        assertLimited(await send('/login', { remoteAddress: '2001:db8:5:6:ffff::3' }), 60)
        // Another /64 is another client.
        assert.equal((await send('/login', { remoteAddress: '2001:db8:5:7::1' })).statusCode, 200)
      } finally {
        await app.close()
      }
    })

    void test('enforceRateLimit on a Fetch Request, without a framework', async () => {
      const time = { now: START }
      const clock = (): number => time.now
      const auth = new AuthX({ secretKey: SECRET, clock, store: backend.make(clock) })
      const limit = auth.rateLimit({
        max: 1,
        window: 30,
        key: (request) => request.header('x-client') ?? 'anon',
      })
      const request = (): Request =>
        new Request('http://localhost/login', {
          method: 'POST',
          headers: { 'x-client': 'c1' },
        })
      await auth.enforceRateLimit(request(), limit)
      time.now += 10
      await assert.rejects(auth.enforceRateLimit(request(), limit), (error: unknown) => {
        assert.ok(error instanceof RateLimitExceededError)
        assert.equal(error.statusCode, 429)
        assert.equal(error.retryAfter, 20)
        return true
      })
    })
  })

  void describe(`the quickstart's /login limit [${backend.name}]`, () => {
    let app: FastifyInstance
    before(async () => {
      app = await buildApp({ secretKey: SECRET, store: backend.make(() => Date.now() / 1000) })
    })
    after(() => app.close())

    void test('ten attempts a minute per client, wrong passwords included; the eleventh is 429', async () => {
      const attempt = (remoteAddress: string): Promise<LightMyRequestResponse> =>
        app.inject({
          method: 'POST',
          url: '/login',
          payload: { username: 'user1', password: 'wrong' },
          remoteAddress,
        })
      for (let i = 0; i < 10; i++) assert.equal((await attempt('198.51.100.1')).statusCode, 401)
      const limited = await attempt('198.51.100.1')
      assert.equal(limited.statusCode, 429)
      const body = limited.json<{ error_type: string; retry_after: number }>()
      assert.equal(body.error_type, 'RateLimitExceededError')
      assert.ok(body.retry_after >= 1 && body.retry_after <= 60, String(body.retry_after))
      assert.equal(limited.headers['retry-after'], String(body.retry_after))
      // The right password does not get past the limit either, and other clients are not limited.
      const right = await app.inject({
        method: 'POST',
        url: '/login',
        payload: { username: 'user1', password: 'password1' },
        remoteAddress: '198.51.100.1',
      })
      assert.equal(right.statusCode, 429)
      assert.equal((await attempt('198.51.100.2')).statusCode, 401)
    })
  })
}
