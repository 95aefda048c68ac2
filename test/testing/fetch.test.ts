/**
 * The test kit with the Fetch integration: `new Request(url, { headers })` built from the kit's
 * headers, cookie jar and JSON body, handled by `withAuth`, with a controlled clock.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AuthX } from '../../src/index.ts'
import { withAuth } from '../../src/adapters/fetch.ts'
import { createTestClock, createTestKit } from '../../src/testing/index.ts'

const clock = createTestClock()
const auth = new AuthX({
  secretKey: 'fetch-kit-secret-of-at-least-32-bytes!',
  tokenLocation: ['headers', 'cookies', 'json'],
  clock,
})
const kit = createTestKit(auth)
const ran: string[] = []
const me = withAuth(auth, {}, (_request, { payload }) => {
  ran.push('me')
  return Response.json({ sub: payload.sub, scopes: payload.scopes ?? null })
})
const refresh = withAuth(auth, { type: 'refresh' }, (_request, { payload }) => {
  ran.push('refresh')
  return Response.json({ sub: payload.sub })
})

async function errorType(response: Response): Promise<unknown> {
  return ((await response.json()) as { error_type?: unknown }).error_type
}

void describe('authx-ts/testing with the Fetch integration', () => {
  test('headers and a JSON body carry minted tokens', async () => {
    ran.length = 0
    const res = await me(
      new Request('http://app.test/me', { headers: kit.headers({ sub: 'fay', scopes: ['read'] }) }),
    )
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { sub: 'fay', scopes: ['read'] })

    const body = await refresh(
      new Request('http://app.test/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(kit.json({ type: 'refresh', sub: 'gus' })),
      }),
    )
    assert.equal(body.status, 200)
    assert.deepEqual(await body.json(), { sub: 'gus' })

    const wrongType = await refresh(
      new Request('http://app.test/refresh', { headers: kit.headers() }),
    )
    assert.equal(wrongType.status, 401)
    assert.equal(await errorType(wrongType), 'RefreshTokenRequiredError')
    assert.deepEqual(ran, ['me', 'refresh'])
  })

  test('a cookie jar as Request headers, with the refresh CSRF value', async () => {
    ran.length = 0
    const jar = kit.cookies()
    const post = (headers: Record<string, string>) =>
      refresh(new Request('http://app.test/refresh', { method: 'POST', headers }))
    const ok = await post(jar.headers('refresh'))
    assert.equal(ok.status, 200)
    assert.deepEqual(await ok.json(), { sub: 'test-user' })
    // The access token's CSRF value is not the refresh token's.
    const crossed = await post(jar.headers('access'))
    assert.equal(crossed.status, 401)
    assert.equal(await errorType(crossed), 'CSRFError')
    assert.deepEqual(ran, ['refresh'])
  })

  test('a token issued before the clock runs out; one issued in the future is not valid yet', async () => {
    ran.length = 0
    const old = kit.headers({ issuedAt: clock() - 3600, expiresIn: '30m' })
    const expired = await me(new Request('http://app.test/me', { headers: old }))
    assert.equal(expired.status, 401)
    assert.equal(await errorType(expired), 'TokenExpiredError')
    const early = kit.headers({ issuedAt: clock() + 120 })
    const tooEarly = await me(new Request('http://app.test/me', { headers: early }))
    assert.equal(tooEarly.status, 401)
    clock.advance(120)
    assert.equal((await me(new Request('http://app.test/me', { headers: early }))).status, 200)
    assert.deepEqual(ran, ['me'])
  })
})
