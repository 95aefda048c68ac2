/**
 * Faults of the shared store, with three instances (A, B, C) of a Fastify app on one
 * `redis-server` of the test's own, each with the revocation near-cache on (bound 300 ms) and
 * data-loss detection. C reaches Redis through a TCP proxy of the test's own, which can cut its
 * link (a network partition: nothing crosses, nothing is closed, as when packets are dropped).
 *
 * Per fault: what the instances answer (503 StoreUnavailableError, fail closed, never a 500),
 * that they recover without a restart, and that a revoked token is never accepted: not during
 * the fault once the near-cache's bound has passed since the revocation was acknowledged, and
 * never after the fault. Faults: a partition of C, Redis frozen (SIGSTOP), Redis killed, and
 * Redis restarted empty (every token issued before the loss is then refused: its revocation may
 * be among what was lost).
 *
 * Waits are for events (an answer changing), with liveness bounds; the one time comparison is the
 * near-cache's documented bound, a safety property, checked on when each request was sent.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { connect, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { once } from 'node:events'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { AuthX } from '../../src/adapters/fastify.ts'
import { StoreUnavailableError } from '../../src/errors.ts'
import { RedisStore, recommendedRedisOptions } from '../../src/stores/redis.ts'
import { startRedisServer } from '../helpers/redis-server.ts'
import type { RedisProcess } from '../helpers/redis-server.ts'

const SECRET = randomBytes(32).toString('hex')
/** The near-cache's bound (and the store's command timeout). */
const BOUND_MS = 300
/** Liveness bound for a change of answer (reconnection backoff is up to a second or two). */
const WITHIN_MS = 20_000

/** A TCP proxy that can stop forwarding in both directions, and resume. */
interface Proxy {
  readonly port: number
  partition(): void
  heal(): void
  close(): Promise<void>
}

async function startProxy(target: () => number): Promise<Proxy> {
  let partitioned = false
  const flows = new Set<{ flush(): void; destroy(): void }>()
  const server: Server = createServer((client: Socket) => {
    const upstream = connect(target(), '127.0.0.1')
    const held: [Socket, Buffer][] = []
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (partitioned) held.push([to, chunk])
      else to.write(chunk)
    }
    client.on('data', forward(upstream))
    upstream.on('data', forward(client))
    const flow = {
      flush: () => {
        for (const [to, chunk] of held.splice(0)) to.write(chunk)
      },
      destroy: () => {
        client.destroy()
        upstream.destroy()
        flows.delete(flow)
      },
    }
    flows.add(flow)
    for (const socket of [client, upstream]) {
      socket.on('error', () => flow.destroy())
      socket.on('close', () => flow.destroy())
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address !== 'object') throw new Error('no port')
  return {
    port: address.port,
    partition: () => {
      partitioned = true
    },
    heal: () => {
      partitioned = false
      for (const flow of flows) flow.flush()
    },
    close: async () => {
      for (const flow of [...flows]) flow.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}

interface Instance {
  readonly name: string
  readonly auth: AuthX
  readonly store: RedisStore
  readonly app: FastifyInstance
  /** How many times the handler ran. */
  runs: number
}

let redis: RedisProcess
let port: number
let proxy: Proxy
const instances: Instance[] = []

async function startInstance(name: string, redisPort: number): Promise<Instance> {
  const client = new Redis(redisPort, '127.0.0.1', {
    ...recommendedRedisOptions(BOUND_MS),
    lazyConnect: true,
  })
  client.on('error', () => {})
  await client.connect()
  const store = new RedisStore(client, {
    prefix: 'faults:',
    commandTimeoutMs: BOUND_MS,
    nearCache: { maxStalenessMs: BOUND_MS },
    detectDataLoss: true,
  })
  await store.initialize()
  const auth = new AuthX({ secretKey: SECRET, store })
  const app = Fastify()
  const instance: Instance = { name, auth, store, app, runs: 0 }
  app.get('/protected', { preHandler: auth.accessTokenRequired }, async () => {
    instance.runs += 1
    return { ok: true }
  })
  await app.ready()
  return instance
}

/** What an instance answers to a token, and whether the handler ran. */
async function answer(
  instance: Instance,
  token: string,
): Promise<{ status: number; errorType: unknown; ran: boolean; sentAt: number }> {
  const sentAt = performance.now()
  const runs = instance.runs
  const response = await instance.app.inject({
    url: '/protected',
    headers: { authorization: `Bearer ${token}` },
  })
  const body = response.json<Record<string, unknown>>()
  return {
    status: response.statusCode,
    errorType: body.error_type,
    ran: instance.runs > runs,
    sentAt,
  }
}

/** Polls until `instance` answers `status` for `token`, asserting the contract of that status. */
async function until(instance: Instance, token: string, status: number): Promise<void> {
  const deadline = Date.now() + WITHIN_MS
  for (;;) {
    const got = await answer(instance, token)
    assert.notEqual(got.status, 500, `${instance.name} answered 500`)
    if (got.status === status) {
      if (status === 503) assert.equal(got.errorType, 'StoreUnavailableError')
      if (status === 401) assert.equal(got.errorType, 'RevokedTokenError')
      assert.equal(got.ran, status === 200, 'the handler runs only on a 200')
      return
    }
    if (Date.now() > deadline)
      throw new Error(`${instance.name} still answers ${got.status}, not ${status}`)
    await sleep(20)
  }
}

/** Asserts that no instance accepts any of `tokens`, polling each once. */
async function neverAccepted(tokens: readonly string[]): Promise<void> {
  for (const instance of instances) {
    for (const token of tokens) {
      const got = await answer(instance, token)
      assert.notEqual(got.status, 200, `${instance.name} accepted a revoked token`)
      assert.equal(got.ran, false)
    }
  }
}

/**
 * Polls `instance` with a token revoked at `acknowledgedAt` for `forMs`: every answer to a
 * request sent later than the bound after the acknowledgement must refuse it.
 */
async function refusedPastTheBound(
  instance: Instance,
  token: string,
  acknowledgedAt: number,
  forMs: number,
): Promise<number> {
  let lateAcceptances = 0
  const end = performance.now() + forMs
  while (performance.now() < end) {
    const got = await answer(instance, token)
    if (got.status === 200 && got.sentAt - acknowledgedAt > BOUND_MS) lateAcceptances += 1
    await sleep(10)
  }
  return lateAcceptances
}

before(async () => {
  redis = await startRedisServer()
  port = redis.port
  proxy = await startProxy(() => port)
  instances.push(await startInstance('A', port))
  instances.push(await startInstance('B', port))
  instances.push(await startInstance('C', proxy.port))
  for (const instance of instances) {
    const deadline = Date.now() + WITHIN_MS
    while (instance.store.nearCacheStats?.usable !== true) {
      if (Date.now() > deadline) throw new Error(`${instance.name}: near-cache never usable`)
      await sleep(20)
    }
  }
})

after(async () => {
  for (const instance of instances) {
    instance.store.close()
    instance.store.client.disconnect()
    await instance.app.close()
  }
  await proxy.close()
  await redis.stop()
})

const instanceAt = (index: number) => (): Instance => instances[index]!
const [A, B, C] = [instanceAt(0), instanceAt(1), instanceAt(2)]
/** Tokens revoked so far: none may ever be accepted again. */
const revoked: string[] = []

void describe('store faults across three instances with near-caches', () => {
  let valid: string

  void test('no fault: a revocation on A is refused on B and C', async () => {
    valid = A().auth.createAccessToken('alice')
    const gone = A().auth.createAccessToken('alice')
    for (const instance of instances) await until(instance, gone, 200)
    await A().auth.revokeToken(gone)
    revoked.push(gone)
    for (const instance of instances) await until(instance, gone, 401)
    for (const instance of instances) await until(instance, valid, 200)
  })

  void test('C partitioned from Redis: C fails closed past the bound, recovers after; A and B serve', async (t) => {
    const cut = A().auth.createAccessToken('bob')
    for (const instance of instances) await until(instance, cut, 200)
    proxy.partition()
    await A().auth.revokeToken(cut)
    const acknowledgedAt = performance.now()
    revoked.push(cut)
    const late = await refusedPastTheBound(C(), cut, acknowledgedAt, 3 * BOUND_MS)
    assert.equal(late, 0, 'C accepted the revoked token past the bound')
    await until(C(), valid, 503)
    await until(A(), cut, 401)
    await until(B(), valid, 200)
    proxy.heal()
    await until(C(), valid, 200)
    await until(C(), cut, 401)
    await neverAccepted(revoked)
    t.diagnostic(`C: ${JSON.stringify(C().store.nearCacheStats)}`)
  })

  void test('Redis frozen: every instance fails closed past the bound, a logout fails, all recover', async () => {
    redis.child.kill('SIGSTOP')
    try {
      for (const instance of instances) await until(instance, valid, 503)
      await assert.rejects(
        A().auth.revokeToken(A().auth.createAccessToken('carol')),
        StoreUnavailableError,
      )
      await neverAccepted(revoked)
    } finally {
      redis.child.kill('SIGCONT')
    }
    for (const instance of instances) await until(instance, valid, 200)
    await neverAccepted(revoked)
  })

  void test('Redis killed: 503 everywhere; restarted empty: older tokens refused, new ones served', async () => {
    await redis.stop()
    for (const instance of instances) await until(instance, valid, 503)
    await neverAccepted(revoked)
    redis = await startRedisServer([], port)
    // The revocations are gone with the data: the marker's absence says so, and every token
    // issued until now is refused, revoked or not.
    for (const instance of instances) await until(instance, valid, 401)
    await neverAccepted(revoked)
    // Issued-at has a one-second grain: a token of the next second is after the loss.
    await sleep(1100)
    const fresh = B().auth.createAccessToken('dave')
    for (const instance of instances) await until(instance, fresh, 200)
    await B().auth.revokeToken(fresh)
    revoked.push(fresh)
    for (const instance of instances) await until(instance, fresh, 401)
    await neverAccepted(revoked)
  })
})
