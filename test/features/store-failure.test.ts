/**
 * Failure of the shared store, end to end: the Fastify quickstart on a `redis-server` of the
 * test's own, which the test kills (and, in a second case, freezes with SIGSTOP). Every route that
 * needs the store answers 503 StoreUnavailableError at once (fail closed: never a 500, never a
 * token let through), nothing rejects unhandled, the process keeps serving, and the same app
 * works again once Redis is back on the same port, without a restart.
 *
 * The time bound asserted is a liveness bound (the store gives up after `commandTimeoutMs`,
 * 1 s by default), generous enough for a loaded machine: it is not a performance threshold.
 */
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../examples/quickstart-fastify/app.ts'
import { createRedisStore } from '../../src/stores/redis.ts'
import type { RedisStore } from '../../src/stores/redis.ts'
import { freePort, startRedis, stopRedis } from '../helpers/processes.ts'

const SECRET = randomBytes(32).toString('hex')
/** Liveness bound for one request while Redis is down (the store's timeout is 1 s). */
const ANSWER_WITHIN_MS = 5000
/** How long Redis may take to come back and ioredis to reconnect (its backoff is up to 2 s). */
const RECOVERY_WITHIN_MS = 20_000
const UNAVAILABLE = {
  detail: 'Authentication store unavailable',
  error_type: 'StoreUnavailableError',
}

void describe('the store fails: the quickstart answers 503 and recovers', () => {
  let port: number
  let redis: ChildProcess | undefined
  let store: RedisStore
  let app: FastifyInstance
  let pair: { access_token: string; refresh_token: string }
  const unhandled: unknown[] = []
  const clientErrors: Error[] = []
  let connectionsLost = 0
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason)
  }
  let healthRuns = 0

  before(async () => {
    process.on('unhandledRejection', onUnhandled)
    port = await freePort()
    redis = await startRedis(port)
    store = await createRedisStore(`redis://127.0.0.1:${port}`, { prefix: 'quickstart:' })
    // An application listens to its client's errors (ioredis prints unheard ones).
    store.client.on('error', (error: Error) => clientErrors.push(error))
    store.client.on('close', () => (connectionsLost += 1))
    app = await buildApp({ secretKey: SECRET, store })
    // A route that needs no store: the process must keep serving it throughout.
    app.get('/health', async () => {
      healthRuns += 1
      return { ok: true }
    })
    await app.ready()
    const login = await app.inject({
      method: 'POST',
      url: '/login',
      payload: { username: 'user1', password: 'password1' },
    })
    assert.equal(login.statusCode, 200, login.body)
    pair = login.json()
  })

  after(async () => {
    process.off('unhandledRejection', onUnhandled)
    await app.close()
    store.client.disconnect()
    await stopRedis(redis)
  })

  const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

  /** Every route of the quickstart that consults the store. */
  function storeRoutes(): [string, InjectOptions][] {
    return [
      ['GET /protected', { url: '/protected', headers: bearer(pair.access_token) }],
      ['GET /me', { url: '/me', headers: bearer(pair.access_token) }],
      ['POST /refresh', { method: 'POST', url: '/refresh', headers: bearer(pair.refresh_token) }],
      [
        'POST /logout',
        {
          method: 'POST',
          url: '/logout',
          headers: bearer(pair.access_token),
          payload: { refresh_token: pair.refresh_token },
        },
      ],
      // The rate limit is kept in the store too: no store, no login (fail closed).
      [
        'POST /login',
        { method: 'POST', url: '/login', payload: { username: 'user1', password: 'password1' } },
      ],
    ]
  }

  async function timed(options: InjectOptions): Promise<[LightMyRequestResponse, number]> {
    const started = Date.now()
    const response = await app.inject(options)
    return [response, Date.now() - started]
  }

  /** Asserts the outage answers; returns the slowest single answer and the burst's, in ms. */
  async function expectUnavailable(): Promise<[number, number]> {
    let slowest = 0
    for (const [name, options] of storeRoutes()) {
      const [response, elapsed] = await timed(options)
      assert.equal(response.statusCode, 503, `${name}: ${response.body}`)
      assert.deepEqual(response.json(), UNAVAILABLE, name)
      assert.ok(elapsed < ANSWER_WITHIN_MS, `${name} answered after ${elapsed} ms`)
      slowest = Math.max(slowest, elapsed)
    }
    // Many at once: each settles on its own deadline, none waits behind the others.
    const [burst, elapsed] = await (async () => {
      const started = Date.now()
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          app.inject({ url: '/protected', headers: bearer(pair.access_token) }),
        ),
      )
      return [responses, Date.now() - started] as const
    })()
    assert.ok(
      burst.every((r) => r.statusCode === 503),
      burst.map((r) => r.statusCode).join(','),
    )
    assert.ok(elapsed < ANSWER_WITHIN_MS, `50 requests answered after ${elapsed} ms`)
    const before = healthRuns
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200)
    assert.equal(healthRuns, before + 1)
    return [slowest, elapsed]
  }

  async function expectRecovered(): Promise<void> {
    const deadline = Date.now() + RECOVERY_WITHIN_MS
    for (;;) {
      const response = await app.inject({ url: '/protected', headers: bearer(pair.access_token) })
      if (response.statusCode === 200) break
      assert.equal(response.statusCode, 503, response.body)
      assert.ok(Date.now() < deadline, 'the app did not recover after Redis came back')
      await sleep(100)
    }
    const me = await app.inject({ url: '/me', headers: bearer(pair.access_token) })
    assert.equal(me.statusCode, 200, me.body)
    const refreshed = await app.inject({
      method: 'POST',
      url: '/refresh',
      headers: bearer(pair.refresh_token),
    })
    assert.equal(refreshed.statusCode, 200, refreshed.body)
    pair = refreshed.json()
    assert.equal(
      (await app.inject({ url: '/protected', headers: bearer(pair.access_token) })).statusCode,
      200,
    )
  }

  void test('while Redis is up, the routes work', async () => {
    const response = await app.inject({ url: '/protected', headers: bearer(pair.access_token) })
    assert.equal(response.statusCode, 200)
  })

  void test('Redis killed: 503 StoreUnavailableError at once on every store route, no 500', async (t) => {
    await stopRedis(redis)
    redis = undefined
    const [slowest, burst] = await expectUnavailable()
    t.diagnostic(`killed: slowest answer ${slowest} ms, 50 concurrent in ${burst} ms`)
  })

  void test('Redis restarted on the same port: the same app serves again', async () => {
    redis = await startRedis(port)
    await expectRecovered()
  })

  void test('Redis frozen (accepts, never answers): 503 within the command timeout', async (t) => {
    assert.ok(redis !== undefined)
    redis.kill('SIGSTOP')
    try {
      const [slowest, burst] = await expectUnavailable()
      t.diagnostic(`frozen: slowest answer ${slowest} ms, 50 concurrent in ${burst} ms`)
    } finally {
      redis.kill('SIGCONT')
    }
    await expectRecovered()
  })

  void test('nothing was left unhandled while the client lost its connection', async () => {
    // Let late replies and reconnection events settle before looking.
    await sleep(100)
    assert.deepEqual(unhandled, [])
    // Whether ioredis also emits 'error' depends on when the kill lands in its reconnect loop
    // (any it emits goes to the listener above); losing the connection is certain.
    assert.ok(connectionsLost > 0, 'the client saw the outage')
  })
})
