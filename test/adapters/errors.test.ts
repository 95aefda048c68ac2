/**
 * The HTTP error contract of guarded routes: every token failure is a 401 with
 * `{ detail, error_type }` and an `invalid_token` challenge (AuthX answered 422), messages can be
 * overridden per instance, and `errorMessageKey` renames the message key (scenario 54).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { forgeToken } from '../helpers/forge.ts'
import type { TestApp } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'
import {
  NOW,
  OTHER_SECRET,
  SECRET,
  baseOptions,
  bearer,
  expectOk,
  expectRefused,
} from './helpers.ts'

for (const driver of DRIVERS) {
  void describe(`token failures are 401 [${driver.name}]`, () => {
    let app: TestApp
    let issuer: TestApp

    before(async () => {
      app = await driver.build(baseOptions({ decodeAudience: 'AUTHX', decodeIssuer: 'VALID' }), [
        { method: 'GET', path: '/p', guard: { kind: 'access' } },
      ])
      // Builds tokens with claims the app under test must refuse.
      issuer = await driver.build(
        baseOptions({ encodeAudience: 'AUTHX', encodeIssuer: 'VALID' }),
        [],
      )
    })
    after(async () => {
      await app.close()
      await issuer.close()
    })

    const get = (token: string) => ({ method: 'GET', path: '/p', headers: bearer(token) })

    void test('a well-formed token with the expected audience and issuer opens the route', async () => {
      await expectOk(app, get(issuer.auth.createAccessToken('alice')))
      await expectOk(
        app,
        get(issuer.auth.createAccessToken('alice', { audience: ['TESTING', 'AUTHX'] })),
      )
    })

    void test('43. not a JWT: 401 JWTDecodeError "Invalid Token"', async () => {
      for (const token of ['secret', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.'])
        await expectRefused(app, get(token), { errorType: 'JWTDecodeError' })
    })

    void test('41. another key: 401 TokenInvalidSignatureError', async () => {
      const foreign = forgeToken({
        header: { alg: 'HS256', typ: 'JWT' },
        payload: {
          sub: 'alice',
          type: 'access',
          iat: NOW,
          exp: NOW + 60,
          aud: 'AUTHX',
          iss: 'VALID',
        },
        key: OTHER_SECRET,
      })
      await expectRefused(app, get(foreign), { errorType: 'TokenInvalidSignatureError' })
    })

    void test('42. expired: 401 TokenExpiredError', async () => {
      await expectRefused(app, get(issuer.auth.createAccessToken('alice', { expiresIn: -1 })), {
        errorType: 'TokenExpiredError',
      })
    })

    void test('44. wrong audience: 401 TokenInvalidAudienceError', async () => {
      await expectRefused(app, get(issuer.auth.createAccessToken('alice', { audience: 'BAD' })), {
        errorType: 'TokenInvalidAudienceError',
      })
    })

    void test('47. wrong issuer: 401 TokenInvalidIssuerError', async () => {
      const wrong = forgeToken({
        header: { alg: 'HS256', typ: 'JWT' },
        payload: {
          sub: 'alice',
          type: 'access',
          iat: NOW,
          exp: NOW + 60,
          aud: 'AUTHX',
          iss: 'BAD',
        },
        key: SECRET,
      })
      await expectRefused(app, get(wrong), { errorType: 'TokenInvalidIssuerError' })
    })

    void test('49. no sub: 401 JWTDecodeError', async () => {
      const nosub = forgeToken({
        header: { alg: 'HS256', typ: 'JWT' },
        payload: { type: 'access', iat: NOW, exp: NOW + 60, aud: 'AUTHX', iss: 'VALID' },
        key: SECRET,
      })
      await expectRefused(app, get(nosub), { errorType: 'JWTDecodeError' })
    })

    void test('alg none: 401 JWTDecodeError', async () => {
      const none = forgeToken({
        header: { alg: 'none', typ: 'JWT' },
        payload: {
          sub: 'alice',
          type: 'access',
          iat: NOW,
          exp: NOW + 60,
          aud: 'AUTHX',
          iss: 'VALID',
        },
        signature: '',
      })
      await expectRefused(app, get(none), { errorType: 'JWTDecodeError' })
    })
  })

  for (const handleErrors of [false, true]) {
    void describe(`custom messages, handleErrors ${handleErrors} [${driver.name}]`, () => {
      let app: TestApp

      before(async () => {
        app = await driver.build(
          baseOptions({
            tokenLocation: ['headers', 'cookies'],
            messages: {
              JWTDecodeError: 'Custom invalid token',
              MissingTokenError: 'Log in first',
              MissingCSRFTokenError: 'Send the X-CSRF-TOKEN header',
            },
          }),
          [{ method: 'POST', path: '/p', guard: { kind: 'access' } }],
          { handleErrors },
        )
      })
      after(() => app.close())

      void test('54. an overridden message replaces the detail; error_type stays', async () => {
        await expectRefused(
          app,
          { method: 'POST', path: '/p', headers: bearer('secret') },
          { errorType: 'JWTDecodeError', detail: 'Custom invalid token' },
        )
        await expectRefused(
          app,
          { method: 'POST', path: '/p' },
          { errorType: 'MissingTokenError', detail: 'Log in first' },
        )
        await expectRefused(
          app,
          {
            method: 'POST',
            path: '/p',
            headers: { cookie: `access_token_cookie=${app.auth.createAccessToken('a')}` },
          },
          { errorType: 'MissingCSRFTokenError', detail: 'Send the X-CSRF-TOKEN header' },
        )
      })

      void test('an override of a parent class does not leak to its subclasses', async () => {
        // TokenExpiredError extends JWTDecodeError; its own message stays.
        await expectRefused(
          app,
          {
            method: 'POST',
            path: '/p',
            headers: bearer(app.auth.createAccessToken('a', { expiresIn: -1 })),
          },
          { errorType: 'TokenExpiredError' },
        )
      })
    })
  }

  void describe(`errorMessageKey [${driver.name}]`, () => {
    void test('the message key follows errorMessageKey', async () => {
      const app = await driver.build(baseOptions({ errorMessageKey: 'message' }), [
        { method: 'GET', path: '/p', guard: { kind: 'access' } },
        { method: 'GET', path: '/s', guard: { kind: 'scopes', scopes: ['admin'] } },
      ])
      try {
        const res = await expectRefused(
          app,
          { method: 'GET', path: '/p' },
          { errorType: 'MissingTokenError', messageKey: 'message' },
        )
        assert.equal((res.body as Record<string, unknown>).detail, undefined)
        await expectRefused(
          app,
          {
            method: 'GET',
            path: '/s',
            headers: bearer(app.auth.createAccessToken('a', { scopes: ['user'] })),
          },
          {
            errorType: 'InsufficientScopeError',
            messageKey: 'message',
            detail: 'Missing required scopes: admin. Provided: user',
            extra: { required_scopes: ['admin'], provided_scopes: ['user'] },
            challenge: { kind: 'insufficient_scope', scope: 'admin' },
          },
        )
      } finally {
        await app.close()
      }
    })
  })
}
