/**
 * Optional authentication (`auth.tokenOptional`, `tokenRequired({ optional: true })`, `withAuth`
 * with `optional: true`), as AuthX's `optional=True`: the payload when a valid token is there,
 * nothing when none is, the same refusal as a required guard when one is present but bad.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { RouteSpec, TestApp } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'
import {
  NOW,
  OTHER_SECRET,
  baseOptions,
  bearer,
  cookies,
  csrfOf,
  expectOk,
  expectRefused,
} from './helpers.ts'
import { AuthX } from '../../src/index.ts'

const ROUTES: RouteSpec[] = [
  { method: 'GET', path: '/maybe', guard: { kind: 'optional' } },
  { method: 'POST', path: '/maybe', guard: { kind: 'optional' } },
  {
    method: 'GET',
    path: '/maybe-admin',
    guard: { kind: 'optional', options: { scopes: ['admin'] } },
  },
  {
    method: 'GET',
    path: '/maybe-refresh',
    guard: { kind: 'optional', options: { type: 'refresh' } },
  },
]

for (const driver of DRIVERS) {
  void describe(`optional authentication [${driver.name}]`, () => {
    let app: TestApp

    before(async () => {
      app = await driver.build(baseOptions({ tokenLocation: ['headers', 'cookies'] }), ROUTES)
    })
    after(() => app.close())

    void test('no token: the handler runs with no payload', async () => {
      const res = await expectOk(app, { method: 'GET', path: '/maybe' })
      assert.deepEqual(res.body, { payload: null })
      // Another scheme is not a bearer token either.
      const basic = await expectOk(app, {
        method: 'GET',
        path: '/maybe',
        headers: { authorization: 'Basic dXNlcjpwYXNz' },
      })
      assert.deepEqual(basic.body, { payload: null })
    })

    void test('a valid token: the handler gets its payload', async () => {
      const token = app.auth.createAccessToken('alice', { data: { role: 'admin' } })
      const res = await expectOk(app, { method: 'GET', path: '/maybe', headers: bearer(token) })
      assert.deepEqual(res.body, {
        payload: {
          sub: 'alice',
          type: 'access',
          fresh: false,
          scopes: null,
          extra: { role: 'admin' },
        },
      })
    })

    void test('a token that is present but bad is refused, and the handler does not run', async () => {
      const expired = app.auth.createAccessToken('alice', {
        expiresIn: new Date((NOW - 60) * 1000),
      })
      await expectRefused(
        app,
        { method: 'GET', path: '/maybe', headers: bearer(expired) },
        { errorType: 'TokenExpiredError' },
      )
      await expectRefused(
        app,
        { method: 'GET', path: '/maybe', headers: bearer('not-a-token') },
        { errorType: 'JWTDecodeError' },
      )
      const forged = new AuthX(baseOptions({ secretKey: OTHER_SECRET })).createAccessToken('eve')
      await expectRefused(
        app,
        { method: 'GET', path: '/maybe', headers: bearer(forged) },
        { errorType: 'TokenInvalidSignatureError' },
      )
      await expectRefused(
        app,
        { method: 'GET', path: '/maybe', headers: bearer(app.auth.createRefreshToken('alice')) },
        { errorType: 'AccessTokenRequiredError' },
      )
    })

    void test('the route options apply to a token that is there', async () => {
      const plain = app.auth.createAccessToken('alice', { scopes: ['read'] })
      await expectRefused(
        app,
        { method: 'GET', path: '/maybe-admin', headers: bearer(plain) },
        {
          errorType: 'InsufficientScopeError',
          detail: 'Missing required scopes: admin. Provided: read',
          extra: { required_scopes: ['admin'], provided_scopes: ['read'] },
          challenge: { kind: 'insufficient_scope', scope: 'admin' },
        },
      )
      const admin = app.auth.createAccessToken('alice', { scopes: ['admin'] })
      const res = await expectOk(app, {
        method: 'GET',
        path: '/maybe-admin',
        headers: bearer(admin),
      })
      assert.equal((res.body as { payload: { sub: string } }).payload.sub, 'alice')
      const none = await expectOk(app, { method: 'GET', path: '/maybe-admin' })
      assert.deepEqual(none.body, { payload: null })
      const refresh = app.auth.createRefreshToken('bob')
      const typed = await expectOk(app, {
        method: 'GET',
        path: '/maybe-refresh',
        headers: bearer(refresh),
      })
      assert.equal((typed.body as { payload: { type: string } }).payload.type, 'refresh')
    })

    void test('a revoked token is refused (the awaited path)', async () => {
      const token = app.auth.createAccessToken('carol')
      await app.auth.revokeToken(token)
      await expectRefused(
        app,
        { method: 'GET', path: '/maybe', headers: bearer(token) },
        { errorType: 'RevokedTokenError' },
      )
      // With the store consulted, a request without a token still passes with no payload.
      const res = await expectOk(app, { method: 'GET', path: '/maybe' })
      assert.deepEqual(res.body, { payload: null })
    })

    void test('cookies: CSRF is checked on a cookie that is there', async () => {
      const token = app.auth.createAccessToken('dave')
      const jar = cookies({ access_token_cookie: token })
      // As AuthX: a cookie without its CSRF header on a CSRF method is no credential at all.
      const bare = await expectOk(app, { method: 'POST', path: '/maybe', headers: jar })
      assert.deepEqual(bare.body, { payload: null })
      await expectRefused(
        app,
        { method: 'POST', path: '/maybe', headers: { ...jar, 'x-csrf-token': 'wrong' } },
        { errorType: 'CSRFError' },
      )
      const ok = await expectOk(app, {
        method: 'POST',
        path: '/maybe',
        headers: { ...jar, 'x-csrf-token': csrfOf(token) },
      })
      assert.equal((ok.body as { payload: { sub: string } }).payload.sub, 'dave')
      const safe = await expectOk(app, { method: 'GET', path: '/maybe', headers: jar })
      assert.equal((safe.body as { payload: { sub: string } }).payload.sub, 'dave')
    })
  })
}
