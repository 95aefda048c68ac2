/**
 * Guards answer the JSON contract with and without `handleErrors`; with it, AuthX errors thrown
 * inside handlers get the same contract; other errors pass through to the framework untouched
 * (AuthX scenarios 43 and 113-114, and DESIGN.md section 3).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  FreshTokenRequiredError,
  InsufficientScopeError,
  MissingCSRFTokenError,
  RateLimitExceededError,
  TokenExpiredError,
} from '../../src/index.ts'
import type { RouteSpec, TestApp } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'
import { baseOptions, bearer, expectRefused } from './helpers.ts'

const GUARDED: RouteSpec[] = [
  { method: 'GET', path: '/access', guard: { kind: 'access' } },
  { method: 'GET', path: '/refresh', guard: { kind: 'refresh' } },
  { method: 'GET', path: '/fresh', guard: { kind: 'fresh' } },
  { method: 'GET', path: '/scoped', guard: { kind: 'scopes', scopes: ['admin'] } },
  { method: 'GET', path: '/token', guard: { kind: 'token', options: { type: 'refresh' } } },
]

class PlainFailure extends Error {
  override readonly name = 'PlainFailure'
}

for (const driver of DRIVERS) {
  for (const handleErrors of [false, true]) {
    void describe(`guards, handleErrors ${handleErrors} [${driver.name}]`, () => {
      let app: TestApp

      before(async () => {
        app = await driver.build(baseOptions(), GUARDED, { handleErrors })
      })
      after(() => app.close())

      void test('every guard answers a missing token with the 401 contract', async () => {
        for (const route of GUARDED) {
          await expectRefused(
            app,
            { method: 'GET', path: route.path },
            { errorType: 'MissingTokenError' },
          )
        }
      })

      void test('43. every guard answers a garbage token with 401 JWTDecodeError', async () => {
        for (const route of GUARDED) {
          await expectRefused(
            app,
            { method: 'GET', path: route.path, headers: bearer('secret') },
            { errorType: 'JWTDecodeError' },
          )
        }
      })

      void test('type, freshness and scope failures', async () => {
        const access = app.auth.createAccessToken('alice', { scopes: ['user'] })
        await expectRefused(
          app,
          { method: 'GET', path: '/refresh', headers: bearer(access) },
          { errorType: 'RefreshTokenRequiredError' },
        )
        await expectRefused(
          app,
          { method: 'GET', path: '/token', headers: bearer(access) },
          { errorType: 'RefreshTokenRequiredError' },
        )
        await expectRefused(
          app,
          { method: 'GET', path: '/fresh', headers: bearer(access) },
          { errorType: 'FreshTokenRequiredError' },
        )
        await expectRefused(
          app,
          { method: 'GET', path: '/scoped', headers: bearer(access) },
          {
            errorType: 'InsufficientScopeError',
            detail: 'Missing required scopes: admin. Provided: user',
            extra: { required_scopes: ['admin'], provided_scopes: ['user'] },
            challenge: { kind: 'insufficient_scope', scope: 'admin' },
          },
        )
      })
    })
  }

  void describe(`errors thrown in handlers, with handleErrors [${driver.name}]`, () => {
    let app: TestApp

    before(async () => {
      const thrower = (path: string, error: () => Error): RouteSpec => ({
        method: 'GET',
        path,
        guard: { kind: 'none' },
        handler: { kind: 'throw', error },
      })
      app = await driver.build(
        baseOptions(),
        [
          thrower('/expired', () => new TokenExpiredError()),
          thrower('/fresh', () => new FreshTokenRequiredError()),
          thrower('/csrf', () => new MissingCSRFTokenError()),
          thrower('/scope', () => new InsufficientScopeError(['admin'], ['user'])),
          thrower('/limited', () => new RateLimitExceededError(30)),
          thrower('/plain', () => new PlainFailure('db exploded: secret=hunter2')),
          {
            method: 'GET',
            path: '/guarded-plain',
            guard: { kind: 'access' },
            handler: { kind: 'throw', error: () => new PlainFailure('after the guard') },
          },
        ],
        { handleErrors: true },
      )
    })
    after(() => app.close())

    /** Runs a throwing route: the handler ran once, the contract came back. */
    async function thrown(
      path: string,
      expect: Parameters<typeof expectRefused>[2],
    ): Promise<void> {
      const before = app.handlerRuns(path)
      const res = await app.request({ method: 'GET', path })
      assert.equal(res.status, expect.status ?? 401, `${path}: ${res.text}`)
      assert.equal((res.body as Record<string, unknown>).error_type, expect.errorType)
      assert.equal(app.handlerRuns(path), before + 1)
    }

    void test('an AuthX error thrown by a handler becomes the JSON contract', async () => {
      const res = await app.request({ method: 'GET', path: '/expired' })
      assert.equal(res.status, 401)
      assert.deepEqual(res.body, { detail: 'Token has expired', error_type: 'TokenExpiredError' })
      assert.equal(
        res.headers['www-authenticate'],
        'Bearer error="invalid_token", error_description="Token has expired"',
      )
      assert.equal(app.handlerRuns('/expired'), 1)
      await thrown('/fresh', { errorType: 'FreshTokenRequiredError' })
    })

    void test('113. MissingCSRFTokenError thrown directly keeps its message', async () => {
      const res = await app.request({ method: 'GET', path: '/csrf' })
      assert.equal(res.status, 401)
      assert.deepEqual(res.body, {
        detail: 'Missing CSRF token',
        error_type: 'MissingCSRFTokenError',
      })
    })

    void test('a thrown InsufficientScopeError is a 403 with its fields', async () => {
      const res = await app.request({ method: 'GET', path: '/scope' })
      assert.equal(res.status, 403)
      assert.deepEqual(res.body, {
        detail: 'Missing required scopes: admin. Provided: user',
        error_type: 'InsufficientScopeError',
        required_scopes: ['admin'],
        provided_scopes: ['user'],
      })
      assert.equal(
        res.headers['www-authenticate'],
        'Bearer error="insufficient_scope", scope="admin"',
      )
    })

    void test('a thrown RateLimitExceededError is a 429 with Retry-After', async () => {
      const res = await app.request({ method: 'GET', path: '/limited' })
      assert.equal(res.status, 429)
      assert.equal(res.headers['retry-after'], '30')
      assert.deepEqual(res.body, {
        detail: 'Rate limit exceeded. Retry after 30 seconds.',
        error_type: 'RateLimitExceededError',
        retry_after: 30,
      })
    })

    void test('a non-AuthX error passes through to the framework: 500, not the contract', async () => {
      for (const path of ['/plain', '/guarded-plain']) {
        const headers = path === '/guarded-plain' ? bearer(app.auth.createAccessToken('alice')) : {}
        const before = app.handlerRuns(path)
        const res = await app.request({ method: 'GET', path, headers })
        assert.equal(res.status, 500, `${path}: ${res.text}`)
        assert.equal(app.handlerRuns(path), before + 1)
        const body = res.body as Record<string, unknown> | undefined
        assert.equal(body?.error_type, undefined, 'not rendered by AuthX')
        assert.equal(res.headers['www-authenticate'], undefined)
      }
    })
  })
}
