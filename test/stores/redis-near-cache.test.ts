/**
 * The opt-in near-cache of RedisStore, on redis-servers of this file's own: answers come from
 * memory once read; a revocation by jti, session, family (also through a refresh-token reuse) or
 * subject made by another store is refused as soon as its invalidation arrives, and by the
 * revoking store at once; a read that raced an invalidation is not kept; memory stays under its
 * cap; and when the invalidation channel is lost (the subscriber connection killed, the server
 * frozen or killed) the cache is dropped and every check goes to Redis, failing closed, until the
 * channel is back. The whole store contract also runs with the near-cache on.
 *
 * No assertion here is on elapsed time: each waits for the event it is about (a message counted,
 * the cache declared unusable), with a generous liveness bound.
 */
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { AuthX } from '../../src/adapters/fastify.ts'
import { RedisStore, recommendedRedisOptions } from '../../src/stores/redis.ts'
import type { RedisStoreOptions } from '../../src/stores/redis.ts'
import { startRedisServer } from '../helpers/redis-server.ts'
import { runStoreContract } from './store-contract.ts'
import { eventually } from '../helpers/eventually.ts'

const SECRET = randomBytes(32).toString('hex')
/** Liveness bound for an event that normally takes milliseconds. */
const WITHIN_MS = 10_000

const server = await startRedisServer()
const clients: Redis[] = []
const stores: RedisStore[] = []

async function connect(url = server.url): Promise<Redis> {
  const client = new Redis(url, { ...recommendedRedisOptions(), lazyConnect: true })
  client.on('error', () => {})
  await client.connect()
  clients.push(client)
  return client
}

/** A store on a client of its own (another instance, as far as Redis can tell). */
async function instance(prefix: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
  const store = new RedisStore(await connect(), { prefix, ...options })
  stores.push(store)
  return store
}

/**
 * Waits until `check` passes, or fails with its last error past the liveness bound.
 *
 * A check gives every assertion a message: a bare `assert.ok(value)` that fails makes Node build
 * one by reading this file at the call site's line and column, which under tsx are those of the
 * transformed code, not of this file; Node 20 then re-parses the file over and over (a loop that
 * blocks the event loop for minutes) before it throws, and a polled check fails on purpose.
 */
function until(check: () => void | Promise<void>, withinMs = WITHIN_MS): Promise<void> {
  return eventually(check, withinMs, 10)
}

/** A near-caching store whose channel is proven live. */
async function cachingInstance(prefix: string, maxStalenessMs = 2000): Promise<RedisStore> {
  const store = await instance(prefix, { nearCache: { maxStalenessMs } })
  await until(() => assert.equal(store.nearCacheStats?.usable, true))
  return store
}

/** Waits until `store` has received more invalidation messages than `before`. */
async function invalidationHeard(store: RedisStore, before: number): Promise<void> {
  await until(() => {
    const invalidations = store.nearCacheStats?.invalidations ?? 0
    assert.ok(
      invalidations > before,
      `${invalidations} invalidations received, expected more than ${before}`,
    )
  })
}

after(async () => {
  for (const store of stores) store.close()
  for (const client of clients) client.disconnect()
  await server.stop()
})

runStoreContract('RedisStore with a near-cache', async () => ({
  store: await cachingInstance(`authx-test:${randomUUID()}:`),
  now: () => Date.now() / 1000,
  advance: (seconds) => sleep(seconds * 1000),
}))

const SOON = (): number => Date.now() / 1000 + 300

void describe('RedisStore near-cache', () => {
  void test('off unless asked for; options are checked', async () => {
    const plain = await instance(`authx-test:${randomUUID()}:`)
    assert.equal(plain.nearCacheStats, undefined)
    const client = await connect()
    for (const nearCache of [{ maxEntries: 0 }, { maxEntries: 1.5 }, { maxStalenessMs: 5 }]) {
      assert.throws(() => new RedisStore(client, { nearCache }), TypeError)
    }
    assert.throws(() => new RedisStore(client, { waitReplicas: -1 }), TypeError)
  })

  void test('a second check of the same token is answered from memory', async () => {
    const store = await cachingInstance(`authx-test:${randomUUID()}:`)
    const query = { sub: 'alice', jti: randomUUID(), sid: randomUUID(), fam: randomUUID(), iat: 1 }
    assert.equal(await store.isRevoked(query), false)
    const misses = store.nearCacheStats?.misses ?? 0
    assert.equal(await store.isRevoked(query), false)
    assert.equal(store.nearCacheStats?.hits, 1)
    assert.equal(store.nearCacheStats?.misses, misses)
  })

  for (const kind of ['jti', 'sid', 'fam'] as const) {
    void test(`a ${kind} revoked on another instance is refused once its message arrives`, async () => {
      const prefix = `authx-test:${randomUUID()}:`
      const reader = await cachingInstance(prefix)
      const writer = await instance(prefix)
      const query = { sub: 'bob', jti: randomUUID(), sid: randomUUID(), fam: randomUUID() }
      assert.equal(await reader.isRevoked(query), false)
      assert.equal(await reader.isRevoked(query), false)
      const heard = reader.nearCacheStats?.invalidations ?? 0
      await writer.revoke(kind, query[kind], SOON())
      await invalidationHeard(reader, heard)
      assert.equal(await reader.isRevoked(query), true)
    })
  }

  void test('a subject revoked on another instance is refused once its message arrives', async () => {
    const prefix = `authx-test:${randomUUID()}:`
    const reader = await cachingInstance(prefix)
    const writer = await instance(prefix)
    const query = { sub: `carol-${randomUUID()}`, jti: randomUUID(), iat: 1000 }
    assert.equal(await reader.isRevoked(query), false)
    const heard = reader.nearCacheStats?.invalidations ?? 0
    await writer.revokeSubject(query.sub, 1000, SOON())
    await invalidationHeard(reader, heard)
    assert.equal(await reader.isRevoked(query), true)
    assert.equal(await reader.isRevoked({ ...query, iat: 1001 }), false)
  })

  void test('a refresh-token reuse on another instance ends the family everywhere', async () => {
    const prefix = `authx-test:${randomUUID()}:`
    const reader = await cachingInstance(prefix)
    const writer = await instance(prefix)
    const fam = randomUUID()
    assert.equal(await reader.isRevoked({ sub: 'dave', fam }), false)
    const heard = reader.nearCacheStats?.invalidations ?? 0
    assert.equal(await writer.useRefreshToken(fam, 'r1', SOON()), 'ok')
    assert.equal(await writer.useRefreshToken(fam, 'r1', SOON()), 'reused')
    await invalidationHeard(reader, heard)
    assert.equal(await reader.isRevoked({ sub: 'dave', fam }), true)
  })

  void test('isRevokedSync answers from memory only, and never "not revoked" for a revoked token', async () => {
    const prefix = `authx-test:${randomUUID()}:`
    const plain = await instance(prefix)
    const query = { sub: 'judy', jti: randomUUID(), iat: 1 }
    assert.equal(plain.isRevokedSync(query), undefined, 'no near-cache, no synchronous answer')
    const reader = await cachingInstance(prefix)
    assert.equal(reader.isRevokedSync(query), undefined, 'not read yet')
    assert.equal(await reader.isRevoked(query), false)
    assert.equal(reader.isRevokedSync(query), false)
    const heard = reader.nearCacheStats?.invalidations ?? 0
    await plain.revoke('jti', query.jti, SOON())
    await invalidationHeard(reader, heard)
    assert.equal(reader.isRevokedSync(query), undefined, 'the absence is forgotten')
    assert.equal(await reader.isRevoked(query), true)
    assert.equal(reader.isRevokedSync(query), undefined, 'revocations are not cached')
    assert.throws(() => reader.isRevokedSync({ sub: 'a\ud800' }), TypeError)
  })

  void test('a guard on a near-caching store serves from memory and refuses once the revocation arrives', async () => {
    const prefix = `authx-test:${randomUUID()}:`
    const store = await cachingInstance(prefix)
    const other = new AuthX({ secretKey: SECRET, store: await instance(prefix) })
    const auth = new AuthX({ secretKey: SECRET, store })
    const app = Fastify()
    let runs = 0
    app.get('/protected', { preHandler: auth.accessTokenRequired }, async () => {
      runs += 1
      return { ok: true }
    })
    const token = auth.createAccessToken('kim')
    const get = () =>
      app.inject({ url: '/protected', headers: { authorization: `Bearer ${token}` } })
    assert.equal((await get()).statusCode, 200)
    const hits = store.nearCacheStats?.hits ?? 0
    assert.equal((await get()).statusCode, 200)
    assert.ok((store.nearCacheStats?.hits ?? 0) > hits, 'answered from memory')
    assert.equal(runs, 2)
    const heard = store.nearCacheStats?.invalidations ?? 0
    await other.revokeToken(token)
    await invalidationHeard(store, heard)
    const refused = await get()
    assert.equal(refused.statusCode, 401)
    assert.equal(refused.json<{ error_type: string }>().error_type, 'RevokedTokenError')
    assert.equal(runs, 2, 'the handler did not run')
    await app.close()
  })

  void test('the instance that revokes refuses at once, before its own message comes back', async () => {
    const store = await cachingInstance(`authx-test:${randomUUID()}:`)
    const query = { sub: 'erin', jti: randomUUID() }
    assert.equal(await store.isRevoked(query), false)
    assert.equal(await store.isRevoked(query), false)
    await store.revoke('jti', query.jti, SOON())
    assert.equal(await store.isRevoked(query), true)
  })

  void test('a read in flight when an invalidation arrives is not kept', async () => {
    const prefix = `authx-test:${randomUUID()}:`
    const reader = await cachingInstance(prefix)
    const writer = await instance(prefix)
    const query = { sub: 'frank', jti: randomUUID() }
    // Many reads race one revocation: none of the answers read before it may stay cached.
    const reads = Array.from({ length: 50 }, () => reader.isRevoked(query))
    await writer.revoke('jti', query.jti, SOON())
    await Promise.all(reads)
    await invalidationHeard(reader, 0)
    assert.equal(await reader.isRevoked(query), true)
  })

  void test('memory is capped: the oldest answers make room', async () => {
    const store = await instance(`authx-test:${randomUUID()}:`, {
      nearCache: { maxEntries: 10, maxStalenessMs: 2000 },
    })
    await until(() => assert.equal(store.nearCacheStats?.usable, true))
    for (let i = 0; i < 30; i++) await store.isRevoked({ sub: `s${i}`, jti: `j${i}` })
    assert.equal(store.nearCacheStats?.entries, 10)
  })

  void test('the subscriber connection killed: cache dropped, checks go to Redis, then it is back', async () => {
    const prefix = `authx-test:${randomUUID()}:`
    const reader = await cachingInstance(prefix)
    const writer = await instance(prefix)
    const query = { sub: 'grace', jti: randomUUID() }
    assert.equal(await reader.isRevoked(query), false)
    assert.ok((reader.nearCacheStats?.entries ?? 0) > 0, 'the answer is cached')
    const admin = await connect()
    // Every subscriber of this server, which includes the reader's; others reconnect the same way.
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    await until(() => assert.equal(reader.nearCacheStats?.usable, false))
    assert.equal(reader.nearCacheStats?.entries, 0)
    // A revocation made while the reader hears nothing is still seen: it asks Redis.
    await writer.revoke('jti', query.jti, SOON())
    assert.equal(await reader.isRevoked(query), true)
    await until(() => assert.equal(reader.nearCacheStats?.usable, true))
    assert.equal(await reader.isRevoked(query), true)
  })

  void test('Redis frozen: the cache goes unusable within its bound and checks fail closed', async () => {
    const own = await startRedisServer()
    try {
      const client = new Redis(own.url, { ...recommendedRedisOptions(300), lazyConnect: true })
      client.on('error', () => {})
      clients.push(client)
      await client.connect()
      const store = new RedisStore(client, {
        commandTimeoutMs: 300,
        nearCache: { maxStalenessMs: 200 },
      })
      stores.push(store)
      await until(() => assert.equal(store.nearCacheStats?.usable, true))
      const query = { sub: 'heidi', jti: randomUUID() }
      assert.equal(await store.isRevoked(query), false)
      own.child.kill('SIGSTOP')
      try {
        await until(() => assert.equal(store.nearCacheStats?.usable, false))
        await assert.rejects(store.isRevoked(query), /did not answer in time/)
      } finally {
        own.child.kill('SIGCONT')
      }
      await until(() => assert.equal(store.nearCacheStats?.usable, true))
      assert.equal(await store.isRevoked(query), false)
    } finally {
      await own.stop()
    }
  })

  void test('Redis killed: the cache is dropped and checks reject until Redis is back', async () => {
    let own = await startRedisServer()
    const port = own.port
    const client = new Redis(own.url, { ...recommendedRedisOptions(300), lazyConnect: true })
    client.on('error', () => {})
    clients.push(client)
    await client.connect()
    const store = new RedisStore(client, { commandTimeoutMs: 300, nearCache: true })
    stores.push(store)
    try {
      await until(() => assert.equal(store.nearCacheStats?.usable, true))
      const query = { sub: 'ivan', jti: randomUUID() }
      await store.revoke('jti', query.jti, SOON())
      assert.equal(await store.isRevoked(query), true)
      await own.stop()
      await until(() => assert.equal(store.nearCacheStats?.usable, false))
      await assert.rejects(store.isRevoked(query))
      own = await startRedisServer([], port)
      await until(() => assert.equal(store.nearCacheStats?.usable, true))
      // Back without a restart of the store: revocations work and are refused again.
      const next = { sub: 'ivan', jti: randomUUID() }
      await until(() => store.revoke('jti', next.jti, SOON()))
      assert.equal(await store.isRevoked(next), true)
    } finally {
      await own.stop()
    }
  })
})
