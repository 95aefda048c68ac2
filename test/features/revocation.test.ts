/**
 * Revocation through the store, on both stores: by jti (token string or payload), by subject,
 * in every token location over Fastify, across instances that share a store, and the expiry of
 * revocation entries once the token they describe has expired. MemoryStore runs on the injected
 * clock; RedisStore runs against the suite's throw-away redis-server under a random prefix
 * removed at the end.
 */
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { AuthX } from '../../src/adapters/fastify.ts'
import { RevokedTokenError, TokenExpiredError } from '../../src/errors.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import { RedisStore, recommendedRedisOptions } from '../../src/stores/redis.ts'
import { testRedisUrl } from '../helpers/redis-server.ts'
import { claimsOf, storeSuite } from '../helpers/store-suite.ts'

const { SECRET, START, RUN_PREFIX, redis, BACKENDS, world } = await storeSuite('revocation')
const REDIS_URL = await testRedisUrl()

/**
 * The same claims signed again under a header with its members in another order, and the claims
 * in reverse order: another string, the same token id.
 */
function reencode(token: string): string {
  const claims = Object.fromEntries(Object.entries(claimsOf(token)).reverse())
  const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'HS256' })).toString('base64url')
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url')
  const signature = createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${signature}`
}

const REVOKED_BODY = { detail: 'Token has been revoked', error_type: 'RevokedTokenError' }

for (const backend of BACKENDS) {
  void describe(`revocation [${backend.name}]`, () => {
    void test('revokeToken(token string): that token is revoked, others of the subject are not', async () => {
      const { auth } = world(backend)
      const token = auth.createAccessToken('alice')
      const other = auth.createAccessToken('alice')
      assert.equal((await auth.verifyToken(token)).sub, 'alice')
      await auth.revokeToken(token)
      await assert.rejects(auth.verifyToken(token), RevokedTokenError)
      assert.equal((await auth.verifyToken(other)).sub, 'alice')
    })

    void test('revokeToken(payload): revoked by its jti', async () => {
      const { auth } = world(backend)
      const token = auth.createRefreshToken('alice')
      const payload = await auth.verifyToken(token, { type: 'refresh' })
      await auth.revokeToken(payload)
      await assert.rejects(auth.verifyToken(token, { type: 'refresh' }), RevokedTokenError)
    })

    void test('revocation is by jti: a re-encoded copy of a revoked token is revoked too', async () => {
      const { auth } = world(backend)
      const token = auth.createAccessToken('alice')
      const copy = reencode(token)
      assert.notEqual(copy, token)
      // The copy is a valid token with the same id: only the bytes differ.
      assert.equal(auth.verifyTokenSync(copy).jti, auth.verifyTokenSync(token).jti)
      await auth.revokeToken(token)
      await assert.rejects(auth.verifyToken(copy), RevokedTokenError)

      // And the other way round: revoking the copy revokes the original.
      const second = auth.createAccessToken('bob')
      await auth.revokeToken(reencode(second))
      await assert.rejects(auth.verifyToken(second), RevokedTokenError)
    })

    void test('a revoked token is refused in every location: headers, cookies+CSRF, query, json', async () => {
      const { auth } = world(backend, { tokenLocation: ['headers', 'cookies', 'query', 'json'] })
      const app = Fastify()
      auth.handleErrors(app)
      let runs = 0
      const handler = async (): Promise<{ ok: true }> => {
        runs += 1
        return { ok: true }
      }
      app.post('/p', { preHandler: auth.accessTokenRequired }, handler)
      app.get('/p', { preHandler: auth.accessTokenRequired }, handler)
      try {
        const token = auth.createAccessToken('alice')
        const csrf = claimsOf(token).csrf as string
        assert.ok(csrf.length > 0)
        const requests = {
          headers: { method: 'POST', url: '/p', headers: { authorization: `Bearer ${token}` } },
          cookies: {
            method: 'POST',
            url: '/p',
            headers: {
              cookie: `access_token_cookie=${token}; csrf_access_token=${csrf}`,
              'x-csrf-token': csrf,
            },
          },
          query: { method: 'GET', url: `/p?token=${token}` },
          json: { method: 'POST', url: '/p', payload: { access_token: token } },
        } as const
        for (const [where, request] of Object.entries(requests)) {
          const response = await app.inject(request)
          assert.equal(response.statusCode, 200, `${where} before revocation: ${response.body}`)
        }
        assert.equal(runs, 4)

        await auth.revokeToken(token)
        for (const [where, request] of Object.entries(requests)) {
          const response = await app.inject(request)
          assert.equal(response.statusCode, 401, where)
          assert.deepEqual(response.json(), REVOKED_BODY, where)
          assert.match(String(response.headers['www-authenticate']), /error="invalid_token"/)
        }
        assert.equal(runs, 4, 'the handler never ran for a revoked token')
      } finally {
        await app.close()
      }
    })

    void test('revokeAllForSubject: tokens issued until now are refused, later ones accepted', async () => {
      const { auth, time } = world(backend)
      const access = auth.createAccessToken('alice')
      const refresh = auth.createRefreshToken('alice')
      const bob = auth.createAccessToken('bob')
      time.now += 0.5 // later in the same second: iat is whole seconds, so still revoked below
      const sameSecond = auth.createAccessToken('alice')
      await auth.revokeAllForSubject('alice')
      await assert.rejects(auth.verifyToken(access), RevokedTokenError)
      await assert.rejects(auth.verifyToken(refresh, { type: 'refresh' }), RevokedTokenError)
      await assert.rejects(auth.verifyToken(sameSecond), RevokedTokenError)
      assert.equal((await auth.verifyToken(bob)).sub, 'bob', 'another subject is untouched')
      // A token minted later in the same second has the same iat: it is refused too (fail closed).
      await assert.rejects(auth.verifyToken(auth.createAccessToken('alice')), RevokedTokenError)

      // The next whole second: a token issued after the revocation is accepted.
      time.now = Math.floor(time.now) + 1
      const fresh = auth.createAccessToken('alice')
      assert.equal((await auth.verifyToken(fresh)).sub, 'alice')
      await assert.rejects(auth.verifyToken(access), RevokedTokenError)

      // A second "log out everywhere" moves the line forward.
      await auth.revokeAllForSubject('alice')
      await assert.rejects(auth.verifyToken(fresh), RevokedTokenError)
    })

    void test('two AuthX instances sharing one store see each other’s revocations at once', async () => {
      const { auth: first, store, time } = world(backend)
      const second = new AuthX({ secretKey: SECRET, clock: () => time.now, store })
      const token = first.createAccessToken('alice')
      assert.equal((await second.verifyToken(token)).sub, 'alice')
      await first.revokeToken(token)
      await assert.rejects(second.verifyToken(token), RevokedTokenError)

      const other = second.createAccessToken('bob')
      await second.revokeAllForSubject('bob')
      await assert.rejects(first.verifyToken(other), RevokedTokenError)
    })
  })
}

void describe('revocation across processes [RedisStore]', () => {
  void test('separate clients on the same prefix (separate instances) share revocations', async () => {
    const prefix = `${RUN_PREFIX}shared:`
    const clients = [0, 1].map(
      () => new Redis(REDIS_URL, { ...recommendedRedisOptions(), lazyConnect: true }),
    )
    try {
      await Promise.all(clients.map((client) => client.connect()))
      const [a, b] = clients.map(
        (client) => new AuthX({ secretKey: SECRET, store: new RedisStore(client, { prefix }) }),
      ) as [AuthX, AuthX]
      const token = a.createAccessToken('alice')
      const other = a.createAccessToken('alice')
      assert.equal((await b.verifyToken(token)).sub, 'alice')
      await b.revokeToken(token)
      await assert.rejects(a.verifyToken(token), RevokedTokenError)
      assert.equal((await a.verifyToken(other)).sub, 'alice')
    } finally {
      await Promise.all(clients.map((client) => client.quit()))
    }
  })
})

void describe('revocation entries expire with their tokens', () => {
  void test('MemoryStore: the entry is gone once the token has expired', async () => {
    const time = { now: START }
    const clock = (): number => time.now
    const store = new MemoryStore({ clock })
    const auth = new AuthX({ secretKey: SECRET, clock, store })
    const token = auth.createAccessToken('alice', { expiresIn: 60 })
    const { jti } = auth.verifyTokenSync(token)
    await auth.revokeToken(token)
    assert.equal(store.stats().revokedTokens, 1)
    time.now += 59
    await assert.rejects(auth.verifyToken(token), RevokedTokenError)
    time.now += 1 // exp reached: the token is dead on its own, its revocation entry can go
    await assert.rejects(auth.verifyToken(token), TokenExpiredError)
    assert.equal(await store.isRevoked({ sub: 'alice', jti }), false)
    assert.equal(store.stats().revokedTokens, 0)
  })

  void test('MemoryStore: a subject revocation lasts as long as the longest token lifetime', async () => {
    const time = { now: START }
    const clock = (): number => time.now
    const store = new MemoryStore({ clock })
    const auth = new AuthX({ secretKey: SECRET, clock, store, refreshTokenExpires: 3600 })
    const refresh = auth.createRefreshToken('alice')
    await auth.revokeAllForSubject('alice')
    time.now += 3599
    await assert.rejects(auth.verifyToken(refresh, { type: 'refresh' }), RevokedTokenError)
    time.now += 1
    assert.equal(await store.isRevoked({ sub: 'alice', iat: START }), false)
    assert.equal(store.stats().revokedSubjects, 0)
  })

  void test('RedisStore: the key expires at the token’s exp', async () => {
    const prefix = `${RUN_PREFIX}expiry:`
    const store = new RedisStore(redis, { prefix })
    // Redis expires keys on its own clock: run this AuthX on real time.
    const auth = new AuthX({ secretKey: SECRET, store })
    const long = auth.createAccessToken('alice', { expiresIn: 600 })
    await auth.revokeToken(long)
    const longKey = `${prefix}rev:jti:${auth.verifyTokenSync(long).jti}`
    const exp = claimsOf(long).exp as number
    const ttl = await redis.pttl(longKey)
    assert.ok(ttl > 0 && ttl <= 600_000, `TTL ${ttl} ms`)
    // PXAT is the token's exp: what is left is what the token has left.
    assert.ok(Math.abs(Date.now() + ttl - exp * 1000) < 1000, `TTL ${ttl} ms for exp ${exp}`)

    const short = auth.createAccessToken('alice', { expiresIn: 2 })
    await auth.revokeToken(short)
    const shortKey = `${prefix}rev:jti:${auth.verifyTokenSync(short).jti}`
    assert.equal(await redis.exists(shortKey), 1)
    await assert.rejects(auth.verifyToken(short), RevokedTokenError)
    const deadline = Date.now() + 10_000
    while ((await redis.exists(shortKey)) === 1 && Date.now() < deadline) await sleep(100)
    assert.equal(await redis.exists(shortKey), 0, 'the entry went with the token')
  })

  void test('RedisStore: a subject revocation key lives as long as the longest token lifetime', async () => {
    const prefix = `${RUN_PREFIX}subject-expiry:`
    const auth = new AuthX({
      secretKey: SECRET,
      store: new RedisStore(redis, { prefix }),
      accessTokenExpires: 60,
      refreshTokenExpires: 3600,
    })
    await auth.revokeAllForSubject('alice')
    const ttl = await redis.pttl(`${prefix}rsub:alice`)
    assert.ok(ttl > 3_590_000 && ttl <= 3_600_000, `TTL ${ttl} ms`)
  })
})
