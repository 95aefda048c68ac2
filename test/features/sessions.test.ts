/**
 * Login sessions tied to tokens, on both stores: create, get, list, revoke one, revoke all;
 * tokens carrying a revoked session's `sid` are refused while other sessions' tokens keep working;
 * a refresh records activity. MemoryStore runs on the injected clock; RedisStore runs against the
 * suite's throw-away redis-server under a random prefix removed at the end.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import { AuthX } from '../../src/adapters/fastify.ts'
import { RevokedTokenError } from '../../src/errors.ts'
import { newSession } from '../../src/features/sessions.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import { RedisStore } from '../../src/stores/redis.ts'
import { storeSuite } from '../helpers/store-suite.ts'

const { SECRET, START, redis, BACKENDS, world } = await storeSuite('sessions')

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

void describe('newSession', () => {
  void test('a random id, both times at now, expiry after the lifetime, the client details', () => {
    const a = newSession('alice', START, 600, {
      ip: '203.0.113.7',
      userAgent: 'ua',
      data: { n: 1 },
    })
    const b = newSession('alice', START, 600, {})
    assert.match(a.id, UUID)
    assert.notEqual(a.id, b.id)
    assert.deepEqual(
      { ...a, id: '' },
      {
        id: '',
        sub: 'alice',
        createdAt: START,
        lastActive: START,
        expiresAt: START + 600,
        ip: '203.0.113.7',
        userAgent: 'ua',
        data: { n: 1 },
      },
    )
  })

  void test('absent details are left out, so the record reads back the same from every store', () => {
    const record = newSession('alice', START, 600, { userAgent: 'ua' })
    assert.deepEqual(Object.keys(record).sort(), [
      'createdAt',
      'expiresAt',
      'id',
      'lastActive',
      'sub',
      'userAgent',
    ])
    assert.deepEqual(JSON.parse(JSON.stringify(record)), record)
  })
})

for (const backend of BACKENDS) {
  void describe(`sessions [${backend.name}]`, () => {
    void test('create, get and list: what was recorded comes back, oldest first', async () => {
      const { auth, time } = world(backend)
      const laptop = await auth.createSession('alice', {
        ip: '203.0.113.7',
        userAgent: 'Firefox',
        data: { device: 'laptop', trusted: true },
        expiresIn: 3600,
      })
      assert.match(laptop.id, UUID)
      assert.equal(laptop.sub, 'alice')
      assert.equal(laptop.createdAt, START)
      assert.equal(laptop.lastActive, START)
      assert.equal(laptop.expiresAt, START + 3600)
      time.now += 5
      const phone = await auth.createSession('alice', { userAgent: 'Safari' })
      // Without expiresIn a session lasts as long as a refresh token (20 days by default).
      assert.equal(phone.expiresAt, START + 5 + 20 * 86_400)
      await auth.createSession('bob')

      assert.deepEqual(await auth.getSession(laptop.id), laptop)
      assert.deepEqual(await auth.getSession(phone.id), phone)
      assert.equal(await auth.getSession(randomUUID()), null)
      const listed = await auth.listSessions('alice')
      assert.deepEqual(
        listed.map((s) => s.id),
        [laptop.id, phone.id],
      )
      assert.deepEqual(listed[0]!.data, { device: 'laptop', trusted: true })
      assert.equal(listed[1]!.userAgent, 'Safari')
      assert.deepEqual(await auth.listSessions('carol'), [])
    })

    void test('revokeSession ends one session; its tokens are refused, the others are fine', async () => {
      const { auth } = world(backend)
      const one = await auth.createSession('alice')
      const two = await auth.createSession('alice')
      const first = auth.createTokenPair('alice', { sessionId: one.id })
      const second = auth.createTokenPair('alice', { sessionId: two.id })
      assert.equal((await auth.verifyToken(first.access_token)).sid, one.id)

      assert.equal(await auth.revokeSession(one.id), true)
      assert.equal(await auth.getSession(one.id), null)
      assert.deepEqual(
        (await auth.listSessions('alice')).map((s) => s.id),
        [two.id],
      )
      await assert.rejects(auth.verifyToken(first.access_token), RevokedTokenError)
      await assert.rejects(
        auth.verifyToken(first.refresh_token, { type: 'refresh' }),
        RevokedTokenError,
      )
      await assert.rejects(auth.refresh(first.refresh_token), RevokedTokenError)
      assert.equal((await auth.verifyToken(second.access_token)).sid, two.id)
      assert.equal((await auth.refresh(second.refresh_token)).token_type, 'bearer')

      // Ending it twice, or ending an unknown id, reports that nothing existed.
      assert.equal(await auth.revokeSession(one.id), false)
      assert.equal(await auth.revokeSession(randomUUID()), false)
    })

    void test('the session is refused through a Fastify guard as well', async () => {
      const { auth } = world(backend)
      const { default: Fastify } = await import('fastify')
      const app = Fastify()
      let runs = 0
      app.get('/me', { preHandler: auth.accessTokenRequired }, async () => {
        runs += 1
        return { ok: true }
      })
      try {
        const session = await auth.createSession('alice')
        const token = auth.createAccessToken('alice', { sessionId: session.id })
        const request = { url: '/me', headers: { authorization: `Bearer ${token}` } }
        assert.equal((await app.inject(request)).statusCode, 200)
        await auth.revokeSession(session.id)
        const refused = await app.inject(request)
        assert.equal(refused.statusCode, 401)
        assert.deepEqual(refused.json(), {
          detail: 'Token has been revoked',
          error_type: 'RevokedTokenError',
        })
        assert.equal(runs, 1)
      } finally {
        await app.close()
      }
    })

    void test('revokeAllSessions ends every session of the subject and only of that subject', async () => {
      const { auth } = world(backend)
      const sessions = [
        await auth.createSession('alice'),
        await auth.createSession('alice'),
        await auth.createSession('alice'),
      ]
      const bobs = await auth.createSession('bob')
      const tokens = sessions.map((s) => auth.createAccessToken('alice', { sessionId: s.id }))
      const bobToken = auth.createAccessToken('bob', { sessionId: bobs.id })
      // A token of the subject outside any session is not a session's to revoke.
      const sessionless = auth.createAccessToken('alice')

      assert.equal(await auth.revokeAllSessions('alice'), 3)
      assert.deepEqual(await auth.listSessions('alice'), [])
      for (const token of tokens) await assert.rejects(auth.verifyToken(token), RevokedTokenError)
      assert.equal((await auth.verifyToken(bobToken)).sub, 'bob')
      assert.equal((await auth.verifyToken(sessionless)).sub, 'alice')
      assert.deepEqual(
        (await auth.listSessions('bob')).map((s) => s.id),
        [bobs.id],
      )
      assert.equal(await auth.revokeAllSessions('alice'), 0)
    })

    void test('a refresh under rotation records activity: lastActive moves to now', async () => {
      const { auth, time } = world(backend, { refreshRotation: true })
      const session = await auth.createSession('alice')
      const pair = auth.createTokenPair('alice', { sessionId: session.id })
      time.now += 120
      const next = await auth.refresh(pair.refresh_token)
      let record = await auth.getSession(session.id)
      assert.equal(record?.lastActive, START + 120)
      assert.equal(record.createdAt, START, 'creation time is kept')
      assert.equal(record.expiresAt, session.expiresAt, 'activity does not extend the session')
      time.now += 60
      await auth.refresh(next.refresh_token)
      record = await auth.getSession(session.id)
      assert.equal(record?.lastActive, START + 180)
    })

    void test('sessionUpdateLastActive: false leaves lastActive alone', async () => {
      const { auth, time } = world(backend, {
        refreshRotation: true,
        sessionUpdateLastActive: false,
      })
      const session = await auth.createSession('alice')
      const pair = auth.createTokenPair('alice', { sessionId: session.id })
      time.now += 120
      await auth.refresh(pair.refresh_token)
      assert.equal((await auth.getSession(session.id))?.lastActive, START)
    })

    void test('a refresh without rotation records activity too', async () => {
      const { auth, time } = world(backend)
      const session = await auth.createSession('alice')
      const refresh = auth.createRefreshToken('alice', { sessionId: session.id })
      time.now += 120
      await auth.refresh(refresh)
      assert.equal((await auth.getSession(session.id))?.lastActive, START + 120)
    })

    void test('the tokens of a revoked session stay refused after the session would have ended', async () => {
      const { auth, store, time } = world(backend)
      const session = await auth.createSession('alice', { expiresIn: 60 })
      const token = auth.createRefreshToken('alice', { sessionId: session.id })
      await auth.revokeSession(session.id)
      const exp = auth.verifyTokenSync(token, { type: 'refresh' }).exp as number
      if (store instanceof RedisStore) {
        // Redis expires the entry on its own clock: read when it goes instead of waiting.
        const ttl = await redis.pttl(`${store.prefix}rev:sid:${session.id}`)
        assert.ok(Date.now() + ttl >= exp * 1000, 'the entry goes before the token')
      } else {
        time.now += 61
        await assert.rejects(auth.verifyToken(token, { type: 'refresh' }), RevokedTokenError)
      }
    })
  })
}

void describe('session expiry [MemoryStore]', () => {
  void test('a session is gone at its expiresAt', async () => {
    const time = { now: START }
    const clock = (): number => time.now
    const auth = new AuthX({ secretKey: SECRET, clock, store: new MemoryStore({ clock }) })
    const session = await auth.createSession('alice', { expiresIn: 60 })
    time.now += 59
    assert.notEqual(await auth.getSession(session.id), null)
    time.now += 1
    assert.equal(await auth.getSession(session.id), null)
    assert.deepEqual(await auth.listSessions('alice'), [])
    assert.equal(await auth.revokeSession(session.id), false)
  })
})
