/**
 * Token types (access vs refresh, in every location), freshness, and the claims a guarded
 * handler sees (AuthX scenarios 29-40 and 88-92).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { TestApp } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'
import {
  NOW,
  baseOptions,
  bearer,
  claimsOf,
  cookies,
  csrfOf,
  expectOk,
  expectRefused,
} from './helpers.ts'

for (const driver of DRIVERS) {
  void describe(`token types [${driver.name}]`, () => {
    let app: TestApp
    let access: string
    let fresh: string
    let refresh: string

    before(async () => {
      app = await driver.build(
        baseOptions({ tokenLocation: ['headers', 'json', 'query', 'cookies'] }),
        [
          { method: 'POST', path: '/access', guard: { kind: 'access' } },
          { method: 'POST', path: '/refresh', guard: { kind: 'refresh' } },
          { method: 'POST', path: '/fresh', guard: { kind: 'fresh' } },
          {
            method: 'POST',
            path: '/any-type',
            guard: { kind: 'token', options: { verifyType: false } },
          },
          {
            method: 'GET',
            path: '/refresh-query',
            guard: { kind: 'token', options: { type: 'refresh', locations: ['query'] } },
          },
        ],
      )
      access = app.auth.createAccessToken('alice')
      fresh = app.auth.createAccessToken('alice', { fresh: true })
      refresh = app.auth.createRefreshToken('alice')
    })
    after(() => app.close())

    void test('29. a refresh token on an access route: 401 AccessTokenRequiredError', async () => {
      await expectRefused(
        app,
        { method: 'POST', path: '/access', headers: bearer(refresh) },
        { errorType: 'AccessTokenRequiredError' },
      )
      await expectRefused(
        app,
        { method: 'POST', path: '/access', body: { access_token: refresh } },
        { errorType: 'AccessTokenRequiredError' },
      )
      await expectRefused(
        app,
        { method: 'POST', path: `/access?token=${refresh}` },
        { errorType: 'AccessTokenRequiredError' },
      )
    })

    void test('30-31. an access token in the refresh cookie: 401 RefreshTokenRequiredError', async () => {
      for (const token of [access, fresh]) {
        await expectRefused(
          app,
          {
            method: 'POST',
            path: '/refresh',
            headers: { ...cookies({ refresh_token_cookie: token }), 'x-csrf-token': csrfOf(token) },
          },
          { errorType: 'RefreshTokenRequiredError' },
        )
      }
    })

    void test('32. an access token in the header on a refresh route: 401 RefreshTokenRequiredError', async () => {
      await expectRefused(
        app,
        { method: 'POST', path: '/refresh', headers: bearer(access) },
        { errorType: 'RefreshTokenRequiredError' },
      )
      await expectRefused(
        app,
        { method: 'POST', path: '/refresh', body: { refresh_token: access } },
        { errorType: 'RefreshTokenRequiredError' },
      )
    })

    void test('33. verifyType: false accepts either type', async () => {
      const res = await expectOk(app, {
        method: 'POST',
        path: '/any-type',
        headers: bearer(refresh),
      })
      assert.equal((res.body as { type: string }).type, 'refresh')
      await expectOk(app, { method: 'POST', path: '/any-type', headers: bearer(access) })
    })

    void test('34. the query reader honours the route type (AuthX typed it "access" always)', async () => {
      const res = await expectOk(app, { method: 'GET', path: `/refresh-query?token=${refresh}` })
      assert.equal((res.body as { type: string }).type, 'refresh')
      await expectRefused(
        app,
        { method: 'GET', path: `/refresh-query?token=${access}` },
        { errorType: 'RefreshTokenRequiredError' },
      )
    })

    void test('35. a fresh route without a token: 401 MissingTokenError', async () => {
      await expectRefused(
        app,
        { method: 'POST', path: '/fresh' },
        { errorType: 'MissingTokenError' },
      )
    })

    void test('36. a non-fresh access token on a fresh route: 401 FreshTokenRequiredError', async () => {
      await expectRefused(
        app,
        { method: 'POST', path: '/fresh', headers: bearer(access) },
        { errorType: 'FreshTokenRequiredError' },
      )
    })

    void test('37. a refresh token on a fresh route: the type is checked first', async () => {
      await expectRefused(
        app,
        { method: 'POST', path: '/fresh', headers: bearer(refresh) },
        { errorType: 'AccessTokenRequiredError' },
      )
    })

    void test('38. a fresh token via header, JSON or query opens a fresh route', async () => {
      for (const res of [
        await expectOk(app, { method: 'POST', path: '/fresh', headers: bearer(fresh) }),
        await expectOk(app, { method: 'POST', path: '/fresh', body: { access_token: fresh } }),
        await expectOk(app, { method: 'POST', path: `/fresh?token=${fresh}` }),
      ]) {
        assert.equal((res.body as { fresh: boolean }).fresh, true)
      }
    })

    void test('40. a refresh token is never fresh', async () => {
      assert.equal(claimsOf(refresh).type, 'refresh')
      assert.equal(claimsOf(refresh).fresh, undefined)
      const res = await expectOk(app, {
        method: 'POST',
        path: '/any-type',
        headers: bearer(refresh),
      })
      assert.equal((res.body as { fresh: boolean }).fresh, false)
    })
  })

  void describe(`claims seen by the handler [${driver.name}]`, () => {
    let app: TestApp

    before(async () => {
      app = await driver.build(baseOptions(), [
        { method: 'GET', path: '/p', guard: { kind: 'access' } },
        { method: 'GET', path: '/r', guard: { kind: 'refresh' } },
      ])
    })
    after(() => app.close())

    void test('88. an access token: sub, jti, type, fresh, csrf "", integer iat, exp = iat + 900', async () => {
      const token = app.auth.createAccessToken('alice')
      const claims = claimsOf(token)
      assert.equal(claims.sub, 'alice')
      assert.match(String(claims.jti), /^[0-9a-f-]{36}$/)
      assert.equal(claims.type, 'access')
      assert.equal(claims.fresh, false)
      assert.equal(claims.csrf, '', 'headers-only config: no CSRF value')
      assert.equal(claims.iat, NOW)
      assert.equal(claims.exp, NOW + 900)
      const res = await expectOk(app, { method: 'GET', path: '/p', headers: bearer(token) })
      assert.deepEqual(res.body, {
        sub: 'alice',
        type: 'access',
        fresh: false,
        scopes: null,
        extra: {},
      })
    })

    void test('89. a refresh token lives 20 days', async () => {
      const token = app.auth.createRefreshToken('alice')
      assert.equal(claimsOf(token).exp, NOW + 20 * 86_400)
      await expectOk(app, { method: 'GET', path: '/r', headers: bearer(token) })
    })

    void test('90. custom data reaches the handler as extra claims', async () => {
      const token = app.auth.createAccessToken('alice', { data: { role: 'admin', n: 3 } })
      const res = await expectOk(app, { method: 'GET', path: '/p', headers: bearer(token) })
      assert.deepEqual((res.body as { extra: unknown }).extra, { role: 'admin', n: 3 })
    })

    void test('91. createTokenPair: separate scopes, shared data, both usable', async () => {
      const pair = app.auth.createTokenPair('alice', {
        fresh: true,
        accessScopes: ['read', 'write'],
        refreshScopes: ['refresh'],
        data: { role: 'admin' },
      })
      assert.equal(pair.token_type, 'bearer')
      assert.notEqual(pair.access_token, pair.refresh_token)
      const a = await expectOk(app, {
        method: 'GET',
        path: '/p',
        headers: bearer(pair.access_token),
      })
      assert.deepEqual(a.body, {
        sub: 'alice',
        type: 'access',
        fresh: true,
        scopes: ['read', 'write'],
        extra: { role: 'admin' },
      })
      const r = await expectOk(app, {
        method: 'GET',
        path: '/r',
        headers: bearer(pair.refresh_token),
      })
      assert.deepEqual(r.body, {
        sub: 'alice',
        type: 'refresh',
        fresh: false,
        scopes: ['refresh'],
        extra: { role: 'admin' },
      })
    })

    void test('an expired token: 401 TokenExpiredError; a numeric expiresIn is seconds from now', async () => {
      const short = app.auth.createAccessToken('alice', { expiresIn: 60 })
      assert.equal(claimsOf(short).exp, NOW + 60)
      await expectOk(app, { method: 'GET', path: '/p', headers: bearer(short) })
      const expired = app.auth.createAccessToken('alice', { expiresIn: -1 })
      await expectRefused(
        app,
        { method: 'GET', path: '/p', headers: bearer(expired) },
        { errorType: 'TokenExpiredError' },
      )
    })
  })

  void describe(`tokens without exp [${driver.name}]`, () => {
    void test('92. accessTokenExpires: null writes no exp and the token is accepted', async () => {
      let now = NOW
      const app = await driver.build(baseOptions({ accessTokenExpires: null, clock: () => now }), [
        { method: 'GET', path: '/p', guard: { kind: 'access' } },
      ])
      try {
        const token = app.auth.createAccessToken('alice')
        assert.equal(claimsOf(token).exp, undefined)
        now += 10 * 365 * 86_400
        await expectOk(app, { method: 'GET', path: '/p', headers: bearer(token) })
      } finally {
        await app.close()
      }
    })

    void test('a token without exp is refused where the lifetime is not null', async () => {
      const lax = await driver.build(baseOptions({ accessTokenExpires: null }), [])
      const app = await driver.build(baseOptions(), [
        { method: 'GET', path: '/p', guard: { kind: 'access' } },
      ])
      try {
        const token = lax.auth.createAccessToken('alice')
        await expectRefused(
          app,
          { method: 'GET', path: '/p', headers: bearer(token) },
          { errorType: 'JWTDecodeError' },
        )
      } finally {
        await app.close()
        await lax.close()
      }
    })
  })
}
