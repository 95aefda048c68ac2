/**
 * RedisStore against the suite's throw-away redis-server (keys under a random prefix, removed at the
 * end), plus failure behaviour against a `redis-server` of our own that the test kills and
 * restarts.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { after, describe, test } from 'node:test'
import { setImmediate, setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { RedisStore, createRedisStore, recommendedRedisOptions } from '../../src/stores/redis.ts'
import type { Store } from '../../src/stores/types.ts'
import { runStoreContract } from './store-contract.ts'
import { freePort, startRedis, stopRedis } from '../helpers/processes.ts'
import { testRedisUrl } from '../helpers/redis-server.ts'

const RUN_PREFIX = `authx-test:${randomUUID()}:`
const REDIS_URL = await testRedisUrl()
const client = new Redis(REDIS_URL, { ...recommendedRedisOptions(), lazyConnect: true })
await client.connect()
let stores = 0

/** A store on the shared server with its own prefix, under this run's prefix. */
function makeStore(options: { commandTimeoutMs?: number } = {}): RedisStore {
  stores += 1
  return new RedisStore(client, { prefix: `${RUN_PREFIX}${stores}:`, ...options })
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return keys
}

after(async () => {
  const keys = await keysUnder(RUN_PREFIX)
  if (keys.length > 0) await client.del(...keys)
  await client.quit()
})

runStoreContract('RedisStore', () => ({
  store: makeStore(),
  now: () => Date.now() / 1000,
  advance: (seconds) => sleep(seconds * 1000),
}))

void describe('RedisStore', () => {
  void test('200 concurrent uses of one refresh token: exactly one ok', async () => {
    const store = makeStore()
    const fam = randomUUID()
    const jti = randomUUID()
    const until = Date.now() / 1000 + 60
    const results = await Promise.all(
      Array.from({ length: 200 }, () => store.useRefreshToken(fam, jti, until)),
    )
    assert.equal(results.filter((r) => r === 'ok').length, 1)
    assert.equal(results.filter((r) => r === 'reused').length, 1)
    assert.equal(results.filter((r) => r === 'revoked').length, 198)
  })

  void test('200 concurrent uses through separate clients (separate instances): exactly one ok', async () => {
    const clients = Array.from({ length: 4 }, () => new Redis(REDIS_URL))
    try {
      const prefix = `${RUN_PREFIX}multi:`
      const instances = clients.map((c) => new RedisStore(c, { prefix }))
      const until = Date.now() / 1000 + 60
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          instances[i % instances.length]!.useRefreshToken('fam', 'jti', until),
        ),
      )
      assert.equal(results.filter((r) => r === 'ok').length, 1)
      // A revocation made through one instance is seen by every other.
      await instances[0]!.revoke('jti', 'seen-everywhere', until)
      for (const instance of instances)
        assert.equal(await instance.isRevoked({ sub: 'u', jti: 'seen-everywhere' }), true)
    } finally {
      await Promise.all(clients.map((c) => c.quit()))
    }
  })

  void test('every key lives under the prefix and carries a TTL', async () => {
    const store = makeStore()
    const now = Date.now() / 1000
    await store.revoke('jti', 'j', now + 60)
    await store.revoke('sid', 's', now + 60)
    await store.revokeSubject('u', now, now + 60)
    await store.useRefreshToken('f', 'j1', now + 60)
    await store.useRefreshToken('f', 'j1', now + 60)
    await store.hit('ip', 60, now)
    await store.saveSession({
      id: 's1',
      sub: 'u',
      createdAt: now,
      lastActive: now,
      expiresAt: now + 60,
    })
    const keys = await keysUnder(store.prefix)
    assert.equal(keys.length, 8)
    for (const key of keys) {
      const ttl = await client.pttl(key)
      assert.ok(ttl > 0 && ttl <= 60_000, `${key} has TTL ${ttl}`)
    }
  })

  void test('the session index lives as long as its longest session', async () => {
    const store = makeStore()
    const now = Date.now() / 1000
    const base = { sub: 'u', createdAt: now, lastActive: now }
    await store.saveSession({ ...base, id: 'long', expiresAt: now + 600 })
    await store.saveSession({ ...base, id: 'short', expiresAt: now + 60 })
    const ttl = await client.pttl(`${store.prefix}subsess:u`)
    assert.ok(ttl > 590_000, `index TTL ${ttl}`)
  })

  void test('key shapes: ids with `:` or the prefix in them stay inside their own key', async () => {
    const store = makeStore()
    const now = Date.now() / 1000
    const sub = `${store.prefix}rev:jti:u`
    const id = `a:${store.prefix}`
    await store.revoke('jti', id, now + 60)
    await store.revokeSubject(sub, now, now + 60)
    await store.useRefreshToken(sub, id, now + 60)
    await store.hit(id, 60, now)
    await store.saveSession({ id, sub, createdAt: now, lastActive: now, expiresAt: now + 60 })
    const suffixes = (await keysUnder(store.prefix)).map((key) => key.slice(store.prefix.length))
    // Every id but the last of a key is length-prefixed; the last runs to the end of the key.
    assert.deepEqual(suffixes.sort(), [
      `hit:${id}`,
      `rev:jti:${id}`,
      `rsub:${sub}`,
      `sess:${id}`,
      `subsess:${sub}`,
      `used:${sub.length}:${sub}:${id}`,
    ])
    assert.equal(await store.isRevoked({ sub: 'u', jti: 'u' }), false)
  })

  void test('a prefix that is not a well-formed string is refused', () => {
    for (const prefix of ['a\ud800:', 42 as unknown as string])
      assert.throws(() => new RedisStore(client, { prefix }), TypeError)
  })

  void test('prefixes keep stores apart', async () => {
    const [a, b] = [makeStore(), makeStore()]
    await a.revoke('jti', 'shared-id', Date.now() / 1000 + 60)
    assert.equal(await a.isRevoked({ sub: 'u', jti: 'shared-id' }), true)
    assert.equal(await b.isRevoked({ sub: 'u', jti: 'shared-id' }), false)
  })

  void test('rejects a bad commandTimeoutMs', () => {
    for (const commandTimeoutMs of [0, -5, Number.NaN])
      assert.throws(() => new RedisStore(client, { commandTimeoutMs }), TypeError)
  })

  void test('a server that never answers: rejects after commandTimeoutMs, cause is a TimeoutError', async () => {
    const silent = createServer(() => {})
    silent.listen(0, '127.0.0.1')
    await once(silent, 'listening')
    // A default ioredis client: it queues commands while it waits, so only our timeout saves us.
    const stuck = new Redis(portOf(silent), '127.0.0.1')
    stuck.on('error', () => {})
    try {
      const store = new RedisStore(stuck, { commandTimeoutMs: 200 })
      const started = Date.now()
      await assert.rejects(store.isRevoked({ sub: 'u', jti: 'j' }), (error: Error) => {
        assert.match(error.message, /isRevoked/)
        assert.equal((error.cause as DOMException).name, 'TimeoutError')
        return true
      })
      assert.ok(Date.now() - started < 3000)
    } finally {
      stuck.disconnect()
      silent.close()
    }
  })

  void test('createRedisStore rejects at once when nothing listens', async () => {
    const port = await freePort()
    await assert.rejects(createRedisStore(`redis://127.0.0.1:${port}`), (error: Error) => {
      assert.match(error.message, /cannot connect/)
      assert.ok(error.cause instanceof Error)
      return true
    })
  })

  void test('createRedisStore checks the options before connecting', async () => {
    const port = await freePort()
    // Nothing listens there: a TypeError (not "cannot connect") shows no connection was tried.
    await assert.rejects(
      createRedisStore(`redis://127.0.0.1:${port}`, { prefix: 'a\ud800' }),
      (error: unknown) => (error as Error).constructor === TypeError,
    )
  })

  void test('createRedisStore warns when the server may evict keys before their TTL', async () => {
    const warnings: (Error & { code?: string })[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(warning)
    }
    process.on('warning', onWarning)
    const port = await freePort()
    const server = await startRedis(port)
    const stores: RedisStore[] = []
    try {
      // The default policy, noeviction: a full server refuses writes (503), nothing to say.
      stores.push(await createRedisStore(`redis://127.0.0.1:${port}`))
      await setImmediate() // warnings are emitted on the next tick
      assert.deepEqual(
        warnings.filter((w) => w.code === 'AUTHX_REDIS_EVICTION_POLICY'),
        [],
      )
      await stores[0]!.client.config('SET', 'maxmemory-policy', 'volatile-lru')
      stores.push(await createRedisStore(`redis://127.0.0.1:${port}`))
      await setImmediate() // warnings are emitted on the next tick
      const evicting = warnings.filter((w) => w.code === 'AUTHX_REDIS_EVICTION_POLICY')
      assert.equal(evicting.length, 1)
      assert.equal(evicting[0]!.name, 'AuthXWarning')
      assert.match(evicting[0]!.message, /maxmemory-policy is volatile-lru/)
      assert.match(evicting[0]!.message, /noeviction/)
    } finally {
      process.off('warning', onWarning)
      for (const store of stores) store.client.disconnect()
      await stopRedis(server)
    }
  })

  void test('Redis dies: every method rejects quickly; Redis returns: the store works again', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason)
    }
    process.on('unhandledRejection', onUnhandled)
    const port = await freePort()
    let server = await startRedis(port)
    const safe = await createRedisStore(`redis://127.0.0.1:${port}`, { prefix: 'p:' })
    safe.client.on('error', () => {})
    // A client on ioredis defaults (offline queue on, 20 retries): the store's timeout bounds it.
    const loose = new Redis(port, '127.0.0.1', { lazyConnect: true })
    loose.on('error', () => {})
    await loose.connect()
    const looseStore = new RedisStore(loose, { prefix: 'p:', commandTimeoutMs: 500 })
    try {
      const now = Date.now() / 1000
      await safe.revoke('jti', 'before', now + 60)
      assert.equal(await looseStore.isRevoked({ sub: 'u', jti: 'before' }), true)

      await stopRedis(server)
      for (const store of [safe, looseStore]) {
        const started = Date.now()
        const results = await Promise.allSettled(everyMethod(store, now))
        const elapsed = Date.now() - started
        assert.ok(elapsed < 3000, `settled in ${elapsed} ms`)
        for (const result of results) {
          assert.equal(result.status, 'rejected')
          const reason: unknown = result.reason
          assert.ok(reason instanceof Error && reason.cause !== undefined, String(reason))
        }
      }

      server = await startRedis(port)
      // ioredis reconnects on its own (backoff up to 2 s); the scripts are sent again by source.
      for (const store of [safe, looseStore]) {
        const deadline = Date.now() + 10_000
        for (;;) {
          try {
            await store.revoke('jti', 'after', Date.now() / 1000 + 60)
            break
          } catch (error) {
            if (Date.now() > deadline) throw error
            await sleep(100)
          }
        }
        assert.equal(await store.isRevoked({ sub: 'u', jti: 'after' }), true)
        assert.equal(await store.useRefreshToken('f', randomUUID(), Date.now() / 1000 + 60), 'ok')
      }
      await sleep(50)
      assert.deepEqual(unhandled, [])
    } finally {
      process.off('unhandledRejection', onUnhandled)
      safe.client.disconnect()
      loose.disconnect()
      await stopRedis(server)
    }
  })
})

/** One call of every Store method. */
function everyMethod(store: Store, now: number): Promise<unknown>[] {
  const record = { id: 's', sub: 'u', createdAt: now, lastActive: now, expiresAt: now + 60 }
  return [
    store.revoke('jti', 'j', now + 60),
    store.revokeSubject('u', now, now + 60),
    store.isRevoked({ sub: 'u', jti: 'j', sid: 's', fam: 'f', iat: now }),
    store.useRefreshToken('f', 'j', now + 60),
    store.hit('ip', 60, now),
    store.resetHits('ip'),
    store.saveSession(record),
    store.getSession('s'),
    store.listSessions('u'),
    store.deleteSession('s'),
    store.deleteSessions('u'),
  ]
}

function portOf(server: Server): number {
  const address = server.address()
  assert.ok(address !== null && typeof address === 'object')
  return address.port
}
