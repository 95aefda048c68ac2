/**
 * The test kit with supertest on Express: `.set(kit.headers(...))` for bearer tokens,
 * `.set(jar.headers())` for a cookie login with its CSRF header, and a clock that expires tokens
 * without waiting. Refusals assert status, error type and that the handler did not run.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import express from 'express'
import request from 'supertest'
import { AuthX } from '../../src/adapters/express.ts'
import { createTestClock, createTestKit } from '../../src/testing/index.ts'

const clock = createTestClock()
const auth = new AuthX({
  secretKey: 'express-kit-secret-of-at-least-32-bytes',
  tokenLocation: ['headers', 'cookies'],
  clock,
})
const kit = createTestKit(auth)
const ran: string[] = []
const app = express()
app.get('/me', auth.accessTokenRequired, (req, res) => {
  ran.push('me')
  res.json({ sub: auth.payload(req).sub })
})
app.get('/admin', auth.scopesRequired(['admin', 'audit'], { all: false }), (req, res) => {
  ran.push('admin')
  res.json({ scopes: auth.payload(req).scopes })
})
app.put('/profile', auth.freshTokenRequired, (req, res) => {
  ran.push('profile')
  res.json({ sub: auth.payload(req).sub })
})
auth.handleErrors(app)

void describe('authx-ts/testing with supertest on Express', () => {
  test('bearer headers for any subject and scope', async () => {
    ran.length = 0
    await request(app)
      .get('/me')
      .set(kit.headers({ sub: 'hal' }))
      .expect(200, { sub: 'hal' })
    await request(app)
      .get('/admin')
      .set(kit.headers({ scopes: ['audit'] }))
      .expect(200, { scopes: ['audit'] })
    const denied = await request(app)
      .get('/admin')
      .set(kit.headers({ scopes: ['read'] }))
    assert.equal(denied.status, 403)
    assert.equal(denied.body.error_type, 'InsufficientScopeError')
    assert.deepEqual(ran, ['me', 'admin'])
  })

  test('a cookie login with its CSRF header; freshness and the clock', async () => {
    ran.length = 0
    const jar = kit.cookies({ access: { sub: 'ivy', fresh: true } })
    await request(app).put('/profile').set(jar.headers()).expect(200, { sub: 'ivy' })

    const noHeader = await request(app).put('/profile').set('Cookie', jar.cookieHeader)
    assert.equal(noHeader.status, 401)
    assert.equal(noHeader.body.error_type, 'MissingCSRFTokenError')

    const stale = await request(app)
      .put('/profile')
      .set(kit.cookies({ access: { fresh: false } }).headers())
    assert.equal(stale.status, 401)
    assert.equal(stale.body.error_type, 'FreshTokenRequiredError')

    clock.advance(auth.config.accessTokenExpires ?? 0)
    const expired = await request(app).put('/profile').set(jar.headers())
    assert.equal(expired.status, 401)
    assert.equal(expired.body.error_type, 'TokenExpiredError')
    assert.deepEqual(ran, ['profile'])
  })
})
