/**
 * Tokens derived from other tokens (refresh, rotation, implicit refresh) never widen what the
 * source allowed: the login type must be the instance's own, and audience, scopes, session,
 * family and the family deadline are carried over. Also: logging out under rotation ends the
 * family, a spent refresh token presented anywhere ends it too, and revocations written straight
 * into `auth.store` count. Library API on both stores; implicit refresh on every binding.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AuthX as CoreAuthX } from '../../src/authx.ts'
import {
  InsufficientScopeError,
  JWTDecodeError,
  LoginTypeMismatchError,
  RateLimitExceededError,
  RevokedTokenError,
} from '../../src/errors.ts'
import { AuthManager } from '../../src/authz/manager.ts'
import { forgeToken } from '../helpers/forge.ts'
import { claimsOf, storeSuite } from '../helpers/store-suite.ts'

const { SECRET, START, BACKENDS, world } = await storeSuite('derived', { refreshRotation: true })

/** Two instances sharing one secret, as the docs allow, on their own clock. */
function adminAndUser(extra: Record<string, unknown> = {}): {
  admin: CoreAuthX
  user: CoreAuthX
  time: { now: number }
} {
  const time = { now: START }
  const common = { secretKey: SECRET, clock: () => time.now, ...extra }
  return {
    admin: new CoreAuthX({ ...common, loginType: 'admin' }),
    user: new CoreAuthX({ ...common, loginType: 'user' }),
    time,
  }
}

void describe('login-type laundering', () => {
  void test("a user refresh token sent to the admin instance's refresh is refused", async () => {
    const { admin, user } = adminAndUser()
    const pair = user.createTokenPair('mallory')
    await assert.rejects(admin.refresh(pair.refresh_token), (error: unknown) => {
      assert.ok(error instanceof LoginTypeMismatchError)
      assert.equal(error.statusCode, 401)
      assert.equal(error.expectedType, 'admin')
      assert.equal(error.actualType, 'user')
      return true
    })
  })

  void test('the same under rotation: the store is not touched, the token stays usable', async () => {
    const { admin, user } = adminAndUser({ refreshRotation: true })
    const pair = user.createTokenPair('mallory')
    await assert.rejects(admin.refresh(pair.refresh_token), LoginTypeMismatchError)
    // The refused attempt did not consume it: its own instance still refreshes it once.
    const next = await user.refresh(pair.refresh_token)
    assert.equal(claimsOf(next.access_token).login_type, 'user')
  })

  void test('a token without login_type is a mismatch for a typed instance', async () => {
    const { admin, time } = adminAndUser()
    // On the same clock, so the only difference between the two is the login type.
    const untyped = new CoreAuthX({ secretKey: SECRET, clock: () => time.now })
    const refresh = untyped.createRefreshToken('mallory')
    await assert.rejects(admin.refresh(refresh), (error: unknown) => {
      assert.ok(error instanceof LoginTypeMismatchError)
      assert.equal(error.actualType, null)
      return true
    })
    await assert.rejects(
      admin.verifyToken(untyped.createAccessToken('mallory')),
      LoginTypeMismatchError,
    )
  })

  void test('an untyped instance does not re-stamp a typed token as untyped', async () => {
    const { user, time } = adminAndUser()
    const untyped = new CoreAuthX({ secretKey: SECRET, clock: () => time.now })
    await assert.rejects(
      untyped.refresh(user.createRefreshToken('mallory')),
      LoginTypeMismatchError,
    )
  })

  void test("an instance's own guards refuse another login type's token", async () => {
    const { admin, user } = adminAndUser()
    const request = new Request('http://localhost/admin', {
      headers: { authorization: `Bearer ${user.createAccessToken('mallory')}` },
    })
    await assert.rejects(admin.authenticate(request), (error: unknown) => {
      assert.ok(error instanceof LoginTypeMismatchError)
      assert.deepEqual(admin.renderError(error).body, {
        detail: "Token type mismatch: expected 'admin', got 'user'",
        error_type: 'LoginTypeMismatchError',
        expected_type: 'admin',
        actual_type: 'user',
      })
      return true
    })
    // And the manager's admin guard reports the same, whichever instance answers first.
    const manager = new AuthManager({ instances: [admin, user] })
    await assert.rejects(manager.authenticate('admin', request), LoginTypeMismatchError)
  })

  void test('implicit refresh does not turn a user cookie into an admin cookie', async () => {
    const { admin, user } = adminAndUser({
      tokenLocation: ['cookies'],
      implicitRefreshDeltatime: 600,
    })
    const request = new Request('http://localhost/page', {
      headers: {
        cookie: `access_token_cookie=${user.createAccessToken('mallory', { expiresIn: 60 })}`,
      },
    })
    assert.equal(await admin.prepareImplicitRefresh(request), null)
    // The user instance itself still refreshes it (so the refusal above is about the type).
    const own = await user.prepareImplicitRefresh(request)
    assert.ok(own !== null)
    const header = own.cookies[0]?.header ?? ''
    const token = /^access_token_cookie=([^;]+)/.exec(header)?.[1] ?? ''
    assert.equal(claimsOf(token).login_type, 'user')
  })
})

void describe('implicit refresh and CSRF', () => {
  void test('a cross-site POST (no or wrong CSRF header) gets no new cookie; GET and a matching header do', async () => {
    const auth = new CoreAuthX({
      secretKey: SECRET,
      tokenLocation: ['cookies'],
      implicitRefreshDeltatime: 600,
    })
    const token = auth.createAccessToken('alice', { expiresIn: 60 })
    const csrf = (await auth.verifyToken(token, { verifyCsrf: false })).csrf as string
    const send = (method: string, header?: string): Promise<unknown> =>
      auth.prepareImplicitRefresh(
        new Request('http://localhost/page', {
          method,
          headers: {
            cookie: `access_token_cookie=${token}`,
            ...(header === undefined ? {} : { 'x-csrf-token': header }),
          },
        }),
      )
    assert.equal(await send('POST'), null)
    assert.equal(await send('POST', 'not-the-value'), null)
    assert.notEqual(await send('POST', csrf), null)
    assert.notEqual(await send('GET'), null)
  })
})

void describe('what a derived token carries', () => {
  void test('refresh never widens scopes, and keeps audience, session, family and deadline', async () => {
    const { auth, time } = world(BACKENDS[0]!, { decodeAudience: 'api', loginType: 'web' })
    const pair = auth.createTokenPair('alice', {
      audience: 'api',
      accessScopes: ['read'],
      refreshScopes: ['read'],
      sessionId: 'session-1',
    })
    const source = claimsOf(pair.refresh_token)
    await assert.rejects(
      auth.refresh(pair.refresh_token, { scopes: ['read', 'write'] }),
      InsufficientScopeError,
    )
    time.now += 10
    const next = await auth.refresh(pair.refresh_token)
    for (const token of [next.access_token, next.refresh_token]) {
      const claims = claimsOf(token)
      assert.equal(claims.login_type, 'web')
      assert.equal(claims.aud, 'api')
      assert.deepEqual(claims.scopes, ['read'])
      assert.equal(claims.sid, 'session-1')
      assert.equal(claims.fam, source.fam)
      assert.equal(claims.fam_exp, source.fam_exp)
      assert.ok((claims.exp as number) <= (source.fam_exp as number))
    }
  })

  void test('access tokens of a family carry its deadline and never outlive it', () => {
    const { auth, time } = world(BACKENDS[0]!, {
      refreshRotation: { familyLifetime: 120 },
      accessTokenExpires: 3600,
    })
    const pair = auth.createTokenPair('alice')
    const access = claimsOf(pair.access_token)
    assert.equal(access.fam_exp, time.now + 120)
    assert.equal(access.exp, time.now + 120, 'capped at the deadline, not an hour')
    assert.equal(access.fam, claimsOf(pair.refresh_token).fam)
  })

  void test('implicit refresh keeps the family deadline and stops at it', async () => {
    const { auth, time } = world(BACKENDS[0]!, {
      refreshRotation: { familyLifetime: 1800 },
      tokenLocation: ['cookies'],
      accessTokenExpires: 900,
      implicitRefreshDeltatime: 600,
    })
    const login = time.now
    let access = auth.createTokenPair('alice').access_token
    const cookieRequest = (token: string): Request =>
      new Request('http://localhost/page', { headers: { cookie: `access_token_cookie=${token}` } })
    // Refreshed every 6 minutes, as a busy cookie session would be.
    let refreshes = 0
    for (;;) {
      time.now += 360
      const pending = await auth.prepareImplicitRefresh(cookieRequest(access))
      if (pending === null) break
      const cookies = await pending.confirm(200, [])
      const token = /^access_token_cookie=([^;]+)/.exec(cookies[0]?.header ?? '')?.[1]
      assert.ok(token !== undefined)
      const claims = claimsOf(token)
      assert.equal(claims.fam_exp, login + 1800)
      assert.ok((claims.exp as number) <= login + 1800)
      access = token
      refreshes += 1
      assert.ok(refreshes < 10, 'the session must end at the family deadline')
    }
    assert.ok(refreshes >= 3, `refreshed ${refreshes} times before the deadline`)
    assert.ok(time.now >= login + 1800 - 360, 'refreshing stopped only near the deadline')
  })
})

for (const backend of BACKENDS) {
  void describe(`logout under rotation [${backend.name}]`, () => {
    void test("revoking the client's spent refresh token ends the thief's branch", async () => {
      const { auth, time } = world(backend)
      const client = auth.createTokenPair('alice')
      time.now += 5
      // The thief rotates first with a stolen copy.
      const thief = await auth.refresh(client.refresh_token)
      time.now += 5
      // The client logs out with the token it has (already spent).
      await auth.revokeToken(client.refresh_token)
      await assert.rejects(auth.refresh(thief.refresh_token), RevokedTokenError)
      await assert.rejects(auth.verifyToken(thief.access_token), RevokedTokenError)
    })

    void test('a spent refresh token presented to a refresh guard is refused and ends the family', async () => {
      const { auth, time } = world(backend)
      const first = auth.createTokenPair('alice')
      time.now += 5
      const second = await auth.refresh(first.refresh_token)
      time.now += 5
      const request = new Request('http://localhost/refresh', {
        headers: { authorization: `Bearer ${first.refresh_token}` },
      })
      await assert.rejects(auth.authenticate(request, { type: 'refresh' }), RevokedTokenError)
      await assert.rejects(auth.refresh(second.refresh_token), RevokedTokenError)
      await assert.rejects(auth.verifyToken(second.access_token), RevokedTokenError)
    })

    void test('the newest refresh token still works when nothing was stolen', async () => {
      const { auth, time } = world(backend)
      const first = auth.createTokenPair('alice')
      time.now += 5
      const second = await auth.refresh(first.refresh_token)
      time.now += 5
      const third = await auth.refresh(second.refresh_token)
      assert.equal(claimsOf(third.access_token).sub, 'alice')
    })
  })
}

void describe('writes through the public store', () => {
  void test('a jti revoked with auth.store.revoke is refused by the embedded store', async () => {
    const auth = new CoreAuthX({ secretKey: SECRET })
    const token = auth.createAccessToken('alice')
    const payload = await auth.verifyToken(token)
    await auth.store.revoke('jti', payload.jti as string, payload.exp as number)
    await assert.rejects(auth.verifyToken(token), RevokedTokenError)
    const request = new Request('http://localhost/', {
      headers: { authorization: `Bearer ${token}` },
    })
    await assert.rejects(auth.authenticate(request), RevokedTokenError)
  })

  void test('a subject revoked with auth.store.revokeSubject is refused', async () => {
    const auth = new CoreAuthX({ secretKey: SECRET })
    const token = auth.createAccessToken('alice')
    const payload = await auth.verifyToken(token)
    await auth.store.revokeSubject('alice', payload.iat as number, (payload.exp as number) + 60)
    await assert.rejects(auth.verifyToken(token), RevokedTokenError)
  })
})

void describe('ill-formed identifiers at creation', () => {
  void test('a lone surrogate in uid, sessionId or familyId is a TypeError', () => {
    const auth = new CoreAuthX({ secretKey: SECRET })
    assert.throws(() => auth.createAccessToken('a\ud800'), TypeError)
    assert.throws(() => auth.createAccessToken('alice', { sessionId: 's\udc00' }), TypeError)
    assert.throws(() => auth.createRefreshToken('alice', { familyId: '\ud800f' }), TypeError)
    // A well-formed astral character is fine.
    assert.equal(claimsOf(auth.createAccessToken('a😀')).sub, 'a😀')
  })

  void test('session and subject methods refuse them as misuse (TypeError), not as a 503', async () => {
    const auth = new CoreAuthX({ secretKey: SECRET })
    const bad = 'a\ud800'
    await assert.rejects(auth.createSession(bad), TypeError)
    await assert.rejects(auth.getSession(bad), TypeError)
    await assert.rejects(auth.listSessions(bad), TypeError)
    await assert.rejects(auth.revokeSession(bad), TypeError)
    await assert.rejects(auth.revokeAllSessions(bad), TypeError)
    await assert.rejects(auth.revokeAllForSubject(bad), TypeError)
  })

  void test('a rate-limit key built from request data with a lone surrogate still counts', async () => {
    const auth = new CoreAuthX({ secretKey: SECRET })
    const limit = auth.rateLimit({ max: 1, window: 60, key: (view) => view.header('x-user') ?? '' })
    // Header values cannot carry a lone surrogate, so the view is made by hand.
    const view = {
      method: 'POST',
      path: '/login',
      header: (name: string) => (name === 'x-user' ? 'a\ud800' : undefined),
      cookie: () => undefined,
      query: () => undefined,
      json: () => undefined,
      form: () => undefined,
    }
    await auth.enforceRateLimit(view, limit)
    await assert.rejects(auth.enforceRateLimit(view, limit), RateLimitExceededError)
  })
})

void describe('refresh tokens without a jti', () => {
  void test('cannot be refreshed under rotation (they cannot be spent)', async () => {
    const forged = forgeToken({
      header: { alg: 'HS256', typ: 'JWT' },
      payload: { sub: 'alice', type: 'refresh', iat: START, exp: START + 600, csrf: '' },
      key: SECRET,
    })
    const { auth } = world(BACKENDS[0]!)
    await assert.rejects(auth.refresh(forged), JWTDecodeError)
  })
})
