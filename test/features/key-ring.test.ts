/**
 * The self-rotating key ring, on one MemoryStore shared by several instances and on the suite's
 * throw-away Redis (one client per instance, as separate servers would have), under a clock the
 * test moves through several rotation periods.
 */
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import { Redis } from 'ioredis'
import Fastify from 'fastify'
import { AuthX as FastifyAuthX } from '../../src/adapters/fastify.ts'
import { AuthX } from '../../src/index.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import {
  BadConfigurationError,
  KeySetUnavailableError,
  TokenExpiredError,
  TokenInvalidSignatureError,
} from '../../src/errors.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import { RedisStore } from '../../src/stores/redis.ts'
import type { KeyRingStore, Store } from '../../src/stores/types.ts'
import { testRedisUrl } from '../helpers/redis-server.ts'

const DAY = 86_400
const HOUR = 3_600
const SECRET = randomBytes(32).toString('base64url')
const RING = { rotateEvery: '1d', publishAhead: '1h', encryptionKey: SECRET }
const LIFETIMES = { accessTokenExpires: '15m', refreshTokenExpires: '2d' } as const
/** Retention: the longest lifetime (the refresh token's two days) plus no leeway. */
const RETENTION = 2 * DAY

const redisUrl = await testRedisUrl()
const clients: Redis[] = []
const prefix = `authx-test:key-ring:${randomUUID()}:`
after(async () => {
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  const keys = await admin.keys(`${prefix}*`)
  if (keys.length > 0) await admin.del(...keys)
  await admin.quit()
  await Promise.all(clients.map((c) => c.quit()))
})

/** A shared backend: `instance()` gives each instance its own store object over the same data. */
interface Backend {
  readonly name: string
  readonly instance: () => Store & KeyRingStore
}

function memoryBackend(clock: () => number): Backend {
  const store = new MemoryStore({ clock })
  return { name: 'MemoryStore', instance: () => store }
}

function redisBackend(): Backend {
  const ring = `${prefix}${randomUUID()}:`
  return {
    name: 'RedisStore',
    instance: () => {
      // The offline queue on: an instance's first command waits for its connection.
      const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
      clients.push(client)
      return new RedisStore(client, { prefix: ring })
    },
  }
}

const kidOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid: string })
    .kid

for (const make of [memoryBackend, redisBackend] as const) {
  void describe(`key ring on ${make === memoryBackend ? 'MemoryStore' : 'RedisStore'}`, () => {
    const setup = (extra: Partial<AuthXOptions> = {}) => {
      const time = { now: 1_900_000_000 }
      const clock = (): number => time.now
      const backend = make === memoryBackend ? memoryBackend(clock) : redisBackend()
      const instance = (options: Partial<AuthXOptions> = {}): AuthX =>
        new AuthX({
          keyRing: RING,
          ...LIFETIMES,
          clock,
          store: backend.instance(),
          ...extra,
          ...options,
        })
      return { time, instance, backend }
    }

    void it('three instances racing on an empty store create one ring of two keys', async () => {
      const { instance } = setup()
      const nodes = [instance(), instance(), instance()]
      await Promise.all(nodes.map((n) => n.ready()))
      const rings = nodes.map((n) => (n.keyRingStatus() ?? []).map((k) => `${k.kid}:${k.state}`))
      assert.equal(rings[0]?.length, 2)
      assert.deepEqual(rings[1], rings[0])
      assert.deepEqual(rings[2], rings[0])
      const tokens = nodes.map((n) => n.createAccessToken('alice'))
      assert.equal(new Set(tokens.map(kidOf)).size, 1)
      for (const node of nodes) for (const token of tokens) await node.verifyToken(token)
    })

    void it('signing before the ring is loaded is a clear error; guards and verifyToken wait', async () => {
      const { instance } = setup()
      const first = instance()
      await first.ready()
      const token = first.createAccessToken('alice')
      const cold = instance()
      assert.throws(() => cold.createAccessToken('alice'), /await auth\.ready\(\)/)
      assert.throws(() => cold.verifyTokenSync(token), KeySetUnavailableError)
      assert.equal((await cold.verifyToken(token)).sub, 'alice')
    })

    void it('through several periods, every token verifies exactly as long as it should', async (t) => {
      const { time, instance } = setup()
      const a = instance()
      const b = instance()
      await Promise.all([a.ready(), b.ready()])
      const start = time.now
      const timeline: string[] = []
      const signed: { token: string; kid: string; exp: number }[] = []
      // Four periods in steps of six hours; each step, both instances sign and check everything.
      for (let step = 0; step <= 16; step++) {
        time.now = start + step * 6 * HOUR
        // Let background re-reads (due when a key activates or retires) finish before looking.
        await Promise.all([a.ready(), b.ready()])
        const refresh = a.createRefreshToken('alice')
        const access = b.createAccessToken('alice')
        assert.equal(kidOf(refresh), kidOf(access), 'both instances sign with the same key')
        signed.push({ token: refresh, kid: kidOf(refresh), exp: time.now + 2 * DAY })
        signed.push({ token: access, kid: kidOf(access), exp: time.now + 15 * 60 })
        const ring = a.keyRingStatus() ?? []
        timeline.push(
          `t+${(time.now - start) / HOUR}h signs ${kidOf(access).slice(0, 8)}; ring ${ring
            .map((k) => `${k.kid.slice(0, 8)}=${k.state}`)
            .join(' ')}`,
        )
        for (const [index, entry] of signed.entries()) {
          const verifier = index % 2 === 0 ? a : b
          if (time.now < entry.exp) {
            const payload = await verifier.verifyToken(entry.token, { verifyType: false })
            assert.equal(payload.sub, 'alice')
          } else {
            await assert.rejects(
              verifier.verifyToken(entry.token, { verifyType: false }),
              (error) =>
                // Expired first; once its key has retired, its signature no longer verifies.
                error instanceof TokenExpiredError || error instanceof TokenInvalidSignatureError,
            )
          }
        }
        // Exactly one current key; a next key is always published; nothing older than the
        // retention is kept.
        assert.equal(ring.filter((k) => k.state === 'current').length, 1)
        assert.equal(ring.filter((k) => k.state === 'next').length, 1)
        for (const key of ring.filter((k) => k.state === 'retiring')) {
          assert.ok((key.retiresAt as number) > time.now)
          assert.ok((key.retiresAt as number) - time.now <= RETENTION)
        }
      }
      const kids = new Set(signed.map((s) => s.kid))
      assert.equal(kids.size, 5, 'one key per day over four days, and the first')
      t.diagnostic(timeline.join('\n'))
    })

    void it('a restart keeps the ring; the wrong encryption key fails closed and writes nothing', async () => {
      const { instance } = setup()
      const first = instance()
      await first.ready()
      const kids = (first.keyRingStatus() ?? []).map((k) => k.kid)
      const restarted = instance()
      await restarted.ready()
      assert.deepEqual(
        (restarted.keyRingStatus() ?? []).map((k) => k.kid),
        kids,
      )
      const wrong = instance({ keyRing: { ...RING, encryptionKey: 'w'.repeat(40) } })
      await assert.rejects(wrong.ready(), BadConfigurationError)
      const again = instance()
      await again.ready()
      assert.deepEqual(
        (again.keyRingStatus() ?? []).map((k) => k.kid),
        kids,
        'the ring was neither replaced nor extended',
      )
      // The encryption secret itself rotates: newest first seals, the old one still opens.
      const rotated = instance({
        keyRing: { ...RING, encryptionKey: [randomBytes(32).toString('base64url'), SECRET] },
      })
      await rotated.ready()
      assert.deepEqual(
        (rotated.keyRingStatus() ?? []).map((k) => k.kid),
        kids,
      )
      await assert.rejects(
        instance().ready(),
        BadConfigurationError,
        'resealed under the new secret',
      )
    })

    void it('rotateKeys promotes the published next key; revokePrevious drops the old keys', async () => {
      const { instance } = setup()
      const a = instance()
      const b = instance()
      await Promise.all([a.ready(), b.ready()])
      const before = a.createAccessToken('alice')
      const published = a.keyRingStatus()?.find((k) => k.state === 'next')?.kid
      await a.rotateKeys()
      const after = a.createAccessToken('alice')
      assert.equal(kidOf(after), published)
      assert.equal((await a.verifyToken(before)).sub, 'alice')
      await a.rotateKeys({ revokePrevious: true })
      await assert.rejects(a.verifyToken(before), TokenInvalidSignatureError)
      await assert.rejects(a.verifyToken(after), TokenInvalidSignatureError)
      // The other instance follows on its next read of the ring.
      await b.ready()
      await assert.rejects(b.verifyToken(before), TokenInvalidSignatureError)
      assert.equal(kidOf(b.createAccessToken('alice')), kidOf(a.createAccessToken('alice')))
    })
  })
}

void describe('key ring and a verifier that knows only the JWKS endpoint', () => {
  void it('never meets an unknown kid: each key is published before it signs', async () => {
    const time = { now: 1_900_000_000 }
    const clock = (): number => time.now
    const signer = new AuthX({
      keyRing: { ...RING, rotateEvery: '2h', publishAhead: '2h' },
      ...LIFETIMES,
      clock,
      store: new MemoryStore({ clock }),
    })
    await signer.ready()
    let fetches = 0
    const server = createServer((request, response) => {
      fetches++
      const reply = signer.jwksReply(request.headers['if-none-match'])
      response.writeHead(reply.status, reply.headers)
      response.end(reply.body ?? undefined)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    after(() => server.close())
    const { port } = server.address() as AddressInfo
    // The verifier caches the set for half the publication lead, and never refetches for an
    // unknown kid within a day: any unknown kid would fail the synchronous check below.
    const verifier = new AuthX({
      jwksUri: `http://127.0.0.1:${port}/jwks`,
      jwksCacheMaxAge: '1h',
      jwksCooldown: '1h',
      clock,
    })
    await verifier.ready()
    const start = time.now
    for (let minutes = 0; minutes <= 10 * 60; minutes += 15) {
      time.now = start + minutes * 60
      await signer.ready()
      const token = signer.createAccessToken('alice')
      // Synchronous: the key is already cached; a miss would throw KeySetUnavailableError.
      assert.equal(verifier.verifyTokenSync(token).sub, 'alice', `at t+${minutes}m`)
      // Let a background refresh the check started finish before the clock moves on.
      await verifier.ready()
    }
    assert.ok(fetches >= 5, 'the verifier refreshed as the ring rotated')
  })
})

void describe('key ring behind a binding', () => {
  void it('a guard waits for the ring: the first request after start-up is served, not refused', async () => {
    const store = new MemoryStore()
    const signer = new FastifyAuthX({ keyRing: RING, ...LIFETIMES, store })
    await signer.ready()
    const token = signer.createAccessToken('alice')
    // A second instance on the same store, never told to load its ring.
    const cold = new FastifyAuthX({ keyRing: RING, ...LIFETIMES, store })
    const app = Fastify()
    let ran = 0
    app.get('/me', { preHandler: cold.accessTokenRequired }, async (request) => {
      ran++
      return { sub: cold.payload(request).sub }
    })
    const response = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), { sub: 'alice' })
    assert.equal(ran, 1)
    await app.close()
  })
})

void describe('key ring configuration', () => {
  const store = new MemoryStore()
  void it('refuses weak secrets, symmetric algorithms, other key options and endless tokens', () => {
    const cases: [Partial<AuthXOptions>, RegExp][] = [
      [{ keyRing: { encryptionKey: 'short' } }, /at least 32/],
      [{ keyRing: { ...RING, algorithm: 'HS256' } }, /never published/],
      [{ keyRing: RING, secretKey: SECRET }, /keyRing makes and holds the keys/],
      [{ keyRing: { ...RING, publishAhead: '2d' } }, /must not exceed rotateEvery/],
      [{ keyRing: RING, refreshTokenExpires: null }, /tokens without exp/],
    ]
    for (const [options, message] of cases) {
      assert.throws(
        () => new AuthX({ store, ...options }),
        (error) => {
          assert.ok(error instanceof BadConfigurationError)
          assert.match(error.message, message)
          return true
        },
      )
    }
  })

  void it('a store without key ring support is refused at construction', () => {
    const {
      getKeyRing: _g,
      swapKeyRing: _s,
      ...rest
    } = Object.getOwnPropertyDescriptors(MemoryStore.prototype)
    void _g
    void _s
    const plain = Object.create(Object.prototype, rest) as Store
    assert.throws(() => new AuthX({ keyRing: RING, store: plain }), /cannot hold a key ring/)
  })

  void it('rotateKeys on an instance without a ring says so', async () => {
    const auth = new AuthX({ secretKey: SECRET })
    await assert.rejects(auth.rotateKeys(), /no keyRing/)
    assert.equal(auth.keyRingStatus(), null)
  })
})
