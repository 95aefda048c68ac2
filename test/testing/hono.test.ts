/**
 * The test kit with Hono's `app.request`: headers, a cookie jar with its CSRF header, a token in
 * the query string, and a controlled clock. Refusals assert status, error type and that the
 * handler did not run.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Hono } from 'hono'
import { AuthX } from '../../src/adapters/hono.ts'
import { createTestClock, createTestKit } from '../../src/testing/index.ts'

const clock = createTestClock()
const auth = new AuthX({
  secretKey: 'hono-kit-secret-of-at-least-32-bytes!!',
  tokenLocation: ['headers', 'cookies', 'query'],
  clock,
})
const kit = createTestKit(auth)
const ran: string[] = []
const app = new Hono()
auth.handleErrors(app)
app.get('/me', auth.accessTokenRequired, (c) => {
  ran.push('me')
  return c.json({ sub: auth.payload(c).sub })
})
app.get('/admin', auth.scopesRequired(['admin']), (c) => {
  ran.push('admin')
  return c.json({ sub: auth.payload(c).sub })
})
app.delete('/notes/:id', auth.accessTokenRequired, (c) => {
  ran.push('delete')
  return c.json({ deleted: c.req.param('id') })
})

async function errorType(response: Response): Promise<unknown> {
  return ((await response.json()) as { error_type?: unknown }).error_type
}

void describe('authx-ts/testing with Hono app.request', () => {
  test('headers, scopes and the query string', async () => {
    ran.length = 0
    const me = await app.request('/me', { headers: kit.headers({ sub: 'carol' }) })
    assert.equal(me.status, 200)
    assert.deepEqual(await me.json(), { sub: 'carol' })
    const viaQuery = await app.request(`/me?${kit.query({ sub: 'dan' })}`)
    assert.deepEqual(await viaQuery.json(), { sub: 'dan' })
    const admin = await app.request('/admin', { headers: kit.headers({ scopes: ['admin'] }) })
    assert.equal(admin.status, 200)

    const denied = await app.request('/admin', { headers: kit.headers({ scopes: [] }) })
    assert.equal(denied.status, 403)
    assert.equal(await errorType(denied), 'InsufficientScopeError')
    assert.deepEqual(ran, ['me', 'me', 'admin'])
  })

  test('a cookie jar: the CSRF header lets a DELETE through, its absence does not', async () => {
    ran.length = 0
    const jar = kit.cookies({ access: { sub: 'erin' } })
    const ok = await app.request('/notes/7', { method: 'DELETE', headers: jar.headers() })
    assert.equal(ok.status, 200)
    assert.deepEqual(await ok.json(), { deleted: '7' })

    const forged = await app.request('/notes/7', {
      method: 'DELETE',
      headers: { cookie: jar.cookieHeader, 'X-CSRF-TOKEN': 'guess' },
    })
    assert.equal(forged.status, 401)
    assert.equal(await errorType(forged), 'CSRFError')
    assert.deepEqual(ran, ['delete'])
  })

  test('the clock moves expiry', async () => {
    ran.length = 0
    const headers = kit.headers({ expiresIn: 60 })
    assert.equal((await app.request('/me', { headers })).status, 200)
    clock.advance(61)
    const expired = await app.request('/me', { headers })
    assert.equal(expired.status, 401)
    assert.equal(await errorType(expired), 'TokenExpiredError')
    assert.deepEqual(ran, ['me'])
  })
})
