/**
 * Audit events: the tests subscribe to the `node:diagnostics_channel` channels the way an
 * application does, drive the library through its public API (and a real Fastify app for the
 * guards), and check each message: its shape, its values, and that no token ever appears in it.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { after, describe, test } from 'node:test'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { AuthX as FastifyAuthX } from '../../src/adapters/fastify.ts'
import { AuthX } from '../../src/authx.ts'
import { AUDIT_CHANNELS } from '../../src/core/audit.ts'
import type {
  AuthenticationFailedEvent,
  RateLimitHitEvent,
  RefreshReuseDetectedEvent,
  SessionCreatedEvent,
  SessionRevokedEvent,
  StoreUnavailableEvent,
  TokenIssuedEvent,
  TokenRefreshedEvent,
  TokenRevokedEvent,
} from '../../src/core/audit.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import {
  InsufficientScopeError,
  JWTDecodeError,
  RateLimitExceededError,
  RevokedTokenError,
  StoreUnavailableError,
} from '../../src/errors.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import { RedisStore, recommendedRedisOptions } from '../../src/stores/redis.ts'
import { freePort } from '../helpers/processes.ts'

const SECRET = randomBytes(32).toString('hex')
const START = 1_900_000_000

/** A new instance on its own MemoryStore and clock. */
function world(options: Partial<AuthXOptions> = {}): {
  auth: AuthX
  time: { now: number }
} {
  const time = { now: START }
  const clock = (): number => time.now
  const auth = new AuthX({
    secretKey: SECRET,
    clock,
    store: new MemoryStore({ clock }),
    ...options,
  })
  return { auth, time }
}

/**
 * Collects every message published on a channel until the end of the file.
 *
 * @param name - the channel
 */
function listen<T>(name: string): T[] {
  const seen: T[] = []
  const listener = (message: unknown): void => {
    seen.push(message as T)
  }
  subscribe(name, listener)
  after(() => {
    unsubscribe(name, listener)
  })
  return seen
}

/** Empties the collected messages, so each test reads only its own. */
function drain<T>(seen: T[]): T[] {
  return seen.splice(0, seen.length)
}

/** Asserts that no token of `tokens` appears anywhere in the messages. */
function assertNoToken(messages: readonly unknown[], tokens: readonly string[]): void {
  const text = JSON.stringify(messages, (_, value: unknown) =>
    value instanceof Error ? { message: value.message, stack: value.stack } : value,
  )
  for (const token of tokens) {
    assert.ok(!text.includes(token), 'a message carries a token')
    // Nor any of its parts (the signature alone is a secret-derived value).
    for (const part of token.split('.'))
      assert.ok(!text.includes(part), 'a message carries a token part')
  }
}

const issued = listen<TokenIssuedEvent>(AUDIT_CHANNELS.tokenIssued)
const failed = listen<AuthenticationFailedEvent>(AUDIT_CHANNELS.authenticationFailed)
const refreshed = listen<TokenRefreshedEvent>(AUDIT_CHANNELS.tokenRefreshed)
const reused = listen<RefreshReuseDetectedEvent>(AUDIT_CHANNELS.refreshReuseDetected)
const revoked = listen<TokenRevokedEvent>(AUDIT_CHANNELS.tokenRevoked)
const sessionsCreated = listen<SessionCreatedEvent>(AUDIT_CHANNELS.sessionCreated)
const sessionsRevoked = listen<SessionRevokedEvent>(AUDIT_CHANNELS.sessionRevoked)
const limited = listen<RateLimitHitEvent>(AUDIT_CHANNELS.rateLimitHit)
const unavailable = listen<StoreUnavailableEvent>(AUDIT_CHANNELS.storeUnavailable)

/** Decodes a token's claims without verifying them. */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >
}

// The tests share the listeners above and read them in turn: they run one after the other.
void describe('audit events', { concurrency: false }, () => {
  void test('the channel names are stable', () => {
    assert.deepEqual(
      { ...AUDIT_CHANNELS },
      {
        tokenIssued: 'authx-ts:token:issued',
        authenticationFailed: 'authx-ts:authentication:failed',
        tokenRefreshed: 'authx-ts:token:refreshed',
        refreshReuseDetected: 'authx-ts:refresh:reuse-detected',
        tokenRevoked: 'authx-ts:token:revoked',
        sessionCreated: 'authx-ts:session:created',
        sessionRevoked: 'authx-ts:session:revoked',
        rateLimitHit: 'authx-ts:rate-limit:hit',
        storeUnavailable: 'authx-ts:store:unavailable',
      },
    )
    assert.ok(Object.isFrozen(AUDIT_CHANNELS))
  })

  void test('token issued: one message per token, with its claims and never the token', () => {
    const { auth } = world({ accessTokenExpires: 900 })
    drain(issued)
    const pair = auth.createTokenPair('alice', {
      fresh: true,
      accessScopes: ['read'],
      sessionId: 'session-1',
    })
    const access = claimsOf(pair.access_token)
    const refresh = claimsOf(pair.refresh_token)
    const messages = drain(issued)
    assert.deepEqual(messages, [
      {
        type: 'access',
        sub: 'alice',
        jti: access.jti,
        exp: START + 900,
        fresh: true,
        scopes: ['read'],
        sid: 'session-1',
        fam: undefined,
      },
      {
        type: 'refresh',
        sub: 'alice',
        jti: refresh.jti,
        exp: refresh.exp,
        fresh: false,
        scopes: undefined,
        sid: 'session-1',
        fam: undefined,
      },
    ])
    assertNoToken(messages, [pair.access_token, pair.refresh_token])
  })

  void test('token issued: a token without exp says null', () => {
    const { auth } = world({ accessTokenExpires: null })
    drain(issued)
    auth.createAccessToken(42)
    const [message] = drain(issued)
    assert.equal(message?.exp, null)
    assert.equal(message?.sub, '42')
  })

  void test('authentication failed on a guarded route: the error, the request line, no token', async () => {
    const auth = new FastifyAuthX({ secretKey: SECRET })
    const app = Fastify()
    let ran = 0
    app.get('/orders', { preHandler: auth.accessTokenRequired }, async () => {
      ran += 1
      return { ok: true }
    })
    after(() => app.close())
    const expired = auth.createAccessToken('alice', { expiresIn: -60 })
    drain(failed)
    const response = await app.inject({
      method: 'GET',
      url: '/orders?page=2',
      headers: { authorization: `Bearer ${expired}` },
    })
    assert.equal(response.statusCode, 401)
    assert.equal(response.json<{ error_type: string }>().error_type, 'TokenExpiredError')
    assert.equal(ran, 0)
    const messages = drain(failed)
    assert.deepEqual(messages, [
      {
        error: 'TokenExpiredError',
        code: 'ERR_AUTHX_TOKEN_EXPIRED',
        statusCode: 401,
        reason: undefined,
        operation: 'authenticate',
        method: 'GET',
        path: '/orders',
      },
    ])
    assertNoToken(messages, [expired])

    // No token at all: the reason says where the guard looked.
    const missing = await app.inject({ method: 'GET', url: '/orders' })
    assert.equal(missing.statusCode, 401)
    assert.equal(ran, 0)
    const [none, ...more] = drain(failed)
    assert.equal(none?.error, 'MissingTokenError')
    assert.match(none?.reason ?? '', /searched/)
    assert.deepEqual(more, [])

    // A revoked token: the guard awaits the store, and the refusal is still published once.
    const valid = auth.createAccessToken('alice')
    await auth.revokeToken(valid)
    const revokedGet = await app.inject({
      method: 'GET',
      url: '/orders',
      headers: { authorization: `Bearer ${valid}` },
    })
    assert.equal(revokedGet.statusCode, 401)
    assert.equal(ran, 0)
    assert.deepEqual(
      drain(failed).map(({ error, method, path }) => ({ error, method, path })),
      [{ error: 'RevokedTokenError', method: 'GET', path: '/orders' }],
    )
  })

  void test('authentication failed through authenticate(Request), on the awaited path', async () => {
    const { auth } = world()
    const token = auth.createAccessToken('bob', { scopes: ['read'] })
    await auth.revokeToken(token)
    drain(failed)
    const request = new Request('http://localhost/admin/users', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    })
    await assert.rejects(auth.authenticate(request), RevokedTokenError)
    const fresh = auth.createAccessToken('bob', { scopes: ['read'] })
    const scoped = new Request('http://localhost/admin', {
      headers: { authorization: `Bearer ${fresh}` },
    })
    await assert.rejects(auth.authenticate(scoped, { scopes: ['admin'] }), InsufficientScopeError)
    const messages = drain(failed)
    assert.deepEqual(
      messages.map(({ error, statusCode, method, path, operation }) => ({
        error,
        statusCode,
        method,
        path,
        operation,
      })),
      [
        {
          error: 'RevokedTokenError',
          statusCode: 401,
          method: 'DELETE',
          path: '/admin/users',
          operation: 'authenticate',
        },
        {
          error: 'InsufficientScopeError',
          statusCode: 403,
          method: 'GET',
          path: '/admin',
          operation: 'authenticate',
        },
      ],
    )
    assertNoToken(messages, [token, fresh])
  })

  void test('a WebSocket handshake refused: the upgrade request line', async () => {
    const { auth } = world()
    drain(failed)
    const upgrade = new Request('http://localhost/ws?token=not-a-token', {
      headers: { upgrade: 'websocket' },
    })
    await assert.rejects(auth.authenticateWebSocket(upgrade), JWTDecodeError)
    assert.deepEqual(
      drain(failed).map(({ error, method, path }) => ({ error, method, path })),
      [{ error: 'JWTDecodeError', method: 'GET', path: '/ws' }],
    )
  })

  void test('a passing request publishes no failure', async () => {
    const { auth } = world()
    const token = auth.createAccessToken('carol')
    drain(failed)
    const request = new Request('http://localhost/', {
      headers: { authorization: `Bearer ${token}` },
    })
    await auth.authenticate(request)
    assert.deepEqual(drain(failed), [])
  })

  void test('refresh, then reuse of the spent refresh token: reuse detected, family revoked', async () => {
    const { auth, time } = world({ refreshRotation: true })
    const pair = auth.createTokenPair('alice', { sessionId: 'session-9' })
    const family = claimsOf(pair.refresh_token).fam as string
    const spent = claimsOf(pair.refresh_token).jti as string
    time.now += 30
    drain(refreshed)
    drain(issued)
    const next = await auth.refresh(pair.refresh_token)
    assert.deepEqual(drain(refreshed), [
      { sub: 'alice', jti: spent, fam: family, sid: 'session-9', rotated: true, implicit: false },
    ])
    assert.deepEqual(
      drain(issued).map((message) => message.type),
      ['refresh', 'access'],
    )

    drain(reused)
    drain(revoked)
    drain(failed)
    time.now += 30
    await assert.rejects(auth.refresh(pair.refresh_token), RevokedTokenError)
    const reuse = drain(reused)
    assert.deepEqual(reuse, [{ fam: family, sub: 'alice', jti: spent }])
    const ended = drain(revoked)
    assert.deepEqual(
      ended.map(({ kind, id, sub }) => ({ kind, id, sub })),
      [{ kind: 'family', id: family, sub: 'alice' }],
    )
    assert.ok(ended[0]!.until > time.now)
    const refusals = drain(failed)
    assert.deepEqual(
      refusals.map(({ error, operation, method }) => ({ error, operation, method })),
      [{ error: 'RevokedTokenError', operation: 'refresh', method: undefined }],
    )
    assert.deepEqual(drain(refreshed), [])
    assertNoToken([...reuse, ...ended, ...refusals], [pair.refresh_token, next.refresh_token])
  })

  void test('two refreshes racing with one token: the store reports the reuse once', async () => {
    const { auth } = world({ refreshRotation: true })
    const pair = auth.createTokenPair('zoe')
    const family = claimsOf(pair.refresh_token).fam as string
    drain(reused)
    drain(refreshed)
    drain(failed)
    const results = await Promise.allSettled([
      auth.refresh(pair.refresh_token),
      auth.refresh(pair.refresh_token),
    ])
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'rejected'],
    )
    // Both passed verification; the store's atomic spend told the second it came too late.
    assert.deepEqual(drain(reused), [
      { fam: family, sub: 'zoe', jti: claimsOf(pair.refresh_token).jti },
    ])
    assert.equal(drain(refreshed).length, 1)
    assert.deepEqual(
      drain(failed).map(({ error, operation }) => ({ error, operation })),
      [{ error: 'RevokedTokenError', operation: 'refresh' }],
    )
  })

  void test('refresh without rotation says rotated: false', async () => {
    const { auth } = world()
    const pair = auth.createTokenPair('dave')
    drain(refreshed)
    await auth.refresh(pair.refresh_token)
    const [message] = drain(refreshed)
    assert.equal(message?.rotated, false)
    assert.equal(message?.sub, 'dave')
  })

  void test('revocation: one token by jti, every token of a subject', async () => {
    const { auth, time } = world({ accessTokenExpires: 600 })
    const token = auth.createAccessToken('erin')
    drain(revoked)
    await auth.revokeToken(token)
    await auth.revokeAllForSubject('erin')
    const messages = drain(revoked)
    assert.deepEqual(messages[0], {
      kind: 'jti',
      id: claimsOf(token).jti,
      sub: 'erin',
      until: START + 600,
    })
    assert.equal(messages[1]?.kind, 'subject')
    assert.equal(messages[1]?.id, 'erin')
    assert.equal(messages[1]?.sub, 'erin')
    assert.ok(messages[1].until > time.now)
    assert.equal(messages.length, 2)
    assertNoToken(messages, [token])
  })

  void test('sessions: created, revoked one by one and all at once', async () => {
    const { auth } = world({ refreshTokenExpires: 3600 })
    drain(sessionsCreated)
    drain(sessionsRevoked)
    const first = await auth.createSession('frank', { ip: '203.0.113.9', userAgent: 'curl/8' })
    const second = await auth.createSession('frank')
    const third = await auth.createSession('frank')
    assert.deepEqual(drain(sessionsCreated), [
      {
        id: first.id,
        sub: 'frank',
        expiresAt: START + 3600,
        ip: '203.0.113.9',
        userAgent: 'curl/8',
      },
      { id: second.id, sub: 'frank', expiresAt: START + 3600, ip: undefined, userAgent: undefined },
      { id: third.id, sub: 'frank', expiresAt: START + 3600, ip: undefined, userAgent: undefined },
    ])
    assert.equal(await auth.revokeSession(first.id), true)
    assert.deepEqual(drain(sessionsRevoked), [{ id: first.id, sub: 'frank' }])
    assert.equal(await auth.revokeAllSessions('frank'), 2)
    assert.deepEqual(
      drain(sessionsRevoked)
        .map((message) => message.id)
        .sort(),
      [second.id, third.id].sort(),
    )
    // An unknown session is still revoked (its tokens die); the subject is not known.
    assert.equal(await auth.revokeSession('no-such-session'), false)
    assert.deepEqual(drain(sessionsRevoked), [{ id: 'no-such-session', sub: undefined }])
  })

  void test('rate limit hit: the bucket, the count, the limit and Retry-After', async () => {
    const { auth, time } = world()
    const limit = auth.rateLimit({ max: 2, window: 60, key: () => 'login|203.0.113.7' })
    const request = new Request('http://localhost/login', { method: 'POST' })
    drain(limited)
    await auth.enforceRateLimit(request, limit)
    await auth.enforceRateLimit(request, limit)
    assert.deepEqual(drain(limited), [])
    time.now += 15
    await assert.rejects(auth.enforceRateLimit(request, limit), RateLimitExceededError)
    assert.deepEqual(drain(limited), [
      { key: 'login|203.0.113.7', count: 3, max: 2, retryAfter: 45 },
    ])
  })

  void test('store unavailable: an unreachable Redis, a failing blocklist, a full MemoryStore', async () => {
    const port = await freePort()
    const client = new Redis(`redis://127.0.0.1:${port}`, {
      ...recommendedRedisOptions(200),
      lazyConnect: true,
      enableOfflineQueue: false,
    })
    client.on('error', () => {})
    after(() => client.disconnect())
    const down = new AuthX({
      secretKey: SECRET,
      store: new RedisStore(client, { commandTimeoutMs: 200 }),
    })
    const token = down.createAccessToken('gina')
    drain(unavailable)
    drain(failed)
    const request = new Request('http://localhost/', {
      headers: { authorization: `Bearer ${token}` },
    })
    await assert.rejects(down.authenticate(request), StoreUnavailableError)
    const [fromRedis] = drain(unavailable)
    assert.equal(fromRedis?.source, 'store')
    assert.ok(fromRedis.cause instanceof Error, 'the Redis error is the cause')
    assert.equal(drain(failed)[0]?.error, 'StoreUnavailableError')

    const { auth } = world()
    auth.setTokenBlocklist(() => {
      throw new Error('blocklist database down')
    })
    const other = auth.createAccessToken('gina')
    const asked = new Request('http://localhost/', {
      headers: { authorization: `Bearer ${other}` },
    })
    await assert.rejects(auth.authenticate(asked), StoreUnavailableError)
    const [fromBlocklist] = drain(unavailable)
    assert.equal(fromBlocklist?.source, 'blocklist')
    assert.equal((fromBlocklist?.cause as Error).message, 'blocklist database down')

    const time = { now: START }
    const clock = (): number => time.now
    const full = new AuthX({
      secretKey: SECRET,
      clock,
      store: new MemoryStore({ clock, maxEntries: 1 }),
    })
    await full.revokeToken(full.createAccessToken('hal'))
    await assert.rejects(full.revokeToken(full.createAccessToken('hal')), StoreUnavailableError)
    const [fromMemory] = drain(unavailable)
    assert.equal(fromMemory?.source, 'store')
    assert.match(fromMemory?.reason ?? '', /maxEntries/)
    assertNoToken([fromRedis, fromBlocklist, fromMemory], [token, other])
  })

  void test('implicit refresh: published once the new cookie is really sent', async () => {
    const { auth, time } = world({
      tokenLocation: ['cookies'],
      accessTokenExpires: 900,
      implicitRefreshDeltatime: 600,
    })
    const token = auth.createAccessToken('ivy')
    time.now += 400 // 500 s left: under the 600 s threshold
    const request = new Request('http://localhost/profile', {
      headers: { cookie: `access_token_cookie=${token}` },
    })
    drain(refreshed)
    const pending = await auth.prepareImplicitRefresh(request)
    assert.ok(pending !== null)
    assert.deepEqual(drain(refreshed), [], 'nothing before the response is known')
    assert.deepEqual(await pending.confirm(500, []), [])
    assert.deepEqual(drain(refreshed), [], 'an error response gets no new cookie')
    assert.notDeepEqual(await pending.confirm(200, []), [])
    assert.deepEqual(drain(refreshed), [
      {
        sub: 'ivy',
        jti: claimsOf(token).jti,
        fam: undefined,
        sid: undefined,
        rotated: false,
        implicit: true,
      },
    ])
  })
})
