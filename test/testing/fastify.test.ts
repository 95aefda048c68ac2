/**
 * The test kit with Fastify's `app.inject`: bearer headers for any subject, scope, freshness or
 * expiry; a cookie login with its CSRF header through inject's `cookies` option; a clock that
 * expires a token without waiting. Every refusal asserts the status, the error type and that the
 * handler did not run.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { AuthX } from '../../src/adapters/fastify.ts'
import { createTestClock, createTestKit } from '../../src/testing/index.ts'

const clock = createTestClock()
const auth = new AuthX({
  secretKey: 'fastify-kit-secret-of-at-least-32-bytes',
  tokenLocation: ['headers', 'cookies'],
  clock,
})
const kit = createTestKit(auth)
const ran: string[] = []
let app: FastifyInstance

before(async () => {
  app = Fastify()
  auth.handleErrors(app)
  const handler = (name: string) => async (request: Parameters<typeof auth.payload>[0]) => {
    ran.push(name)
    return { sub: auth.payload(request).sub }
  }
  app.get('/me', { preHandler: auth.accessTokenRequired }, handler('me'))
  app.get('/admin', { preHandler: auth.scopesRequired(['admin']) }, handler('admin'))
  app.post('/notes', { preHandler: auth.freshTokenRequired }, handler('notes'))
  app.post('/refresh', { preHandler: auth.refreshTokenRequired }, handler('refresh'))
  await app.ready()
})
after(() => app.close())

function errorType(body: string): unknown {
  return (JSON.parse(body) as { error_type?: unknown }).error_type
}

void describe('authx-ts/testing with Fastify inject', () => {
  test('a bearer header for any subject and scope, without a login', async () => {
    ran.length = 0
    const me = await app.inject({ url: '/me', headers: kit.headers({ sub: 'alice' }) })
    assert.equal(me.statusCode, 200)
    assert.deepEqual(me.json(), { sub: 'alice' })
    const admin = await app.inject({ url: '/admin', headers: kit.headers({ scopes: ['admin'] }) })
    assert.equal(admin.statusCode, 200)

    const reader = await app.inject({ url: '/admin', headers: kit.headers({ scopes: ['read'] }) })
    assert.equal(reader.statusCode, 403)
    assert.equal(errorType(reader.body), 'InsufficientScopeError')
    assert.deepEqual(ran, ['me', 'admin'])
  })

  test('expired tokens, and tokens the clock lets expire', async () => {
    ran.length = 0
    const expired = await app.inject({ url: '/me', headers: kit.headers({ expired: true }) })
    assert.equal(expired.statusCode, 401)
    assert.equal(errorType(expired.body), 'TokenExpiredError')

    const headers = kit.headers({ expiresIn: '5m' })
    assert.equal((await app.inject({ url: '/me', headers })).statusCode, 200)
    clock.advance('5m')
    clock.advance(1)
    const later = await app.inject({ url: '/me', headers })
    assert.equal(later.statusCode, 401)
    assert.equal(errorType(later.body), 'TokenExpiredError')
    assert.deepEqual(ran, ['me'])
  })

  test('a cookie login through inject({ cookies }), with and without the CSRF header', async () => {
    ran.length = 0
    const jar = kit.cookies({ access: { sub: 'bob', fresh: true }, refresh: { sub: 'bob' } })
    const header = { 'X-CSRF-TOKEN': jar.csrf.access ?? '' }
    const ok = await app.inject({
      method: 'POST',
      url: '/notes',
      cookies: jar.cookies,
      headers: header,
    })
    assert.equal(ok.statusCode, 200)
    assert.deepEqual(ok.json(), { sub: 'bob' })

    const forged = await app.inject({ method: 'POST', url: '/notes', cookies: jar.cookies })
    assert.equal(forged.statusCode, 401)
    assert.equal(errorType(forged.body), 'MissingCSRFTokenError')

    const stale = kit.cookies({ access: { sub: 'bob', fresh: false } })
    const notFresh = await app.inject({ method: 'POST', url: '/notes', headers: stale.headers() })
    assert.equal(notFresh.statusCode, 401)
    assert.equal(errorType(notFresh.body), 'FreshTokenRequiredError')

    const refresh = await app.inject({
      method: 'POST',
      url: '/refresh',
      headers: jar.headers('refresh'),
    })
    assert.equal(refresh.statusCode, 200)
    assert.deepEqual(ran, ['notes', 'refresh'])
  })
})
