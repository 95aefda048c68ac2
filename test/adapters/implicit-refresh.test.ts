/**
 * Implicit refresh (AuthX scenarios 96-102, with our fixes: claims and scopes kept, revoked
 * tokens skipped, method include includes, error responses untouched) on every driver whose
 * binding has it; a driver without it says why, and the suite checks that it really has none.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { resolveConfig } from '../../src/config/index.ts'
import { isImplicitRefreshEligible } from '../../src/features/implicit-refresh.ts'
import { AuthX } from '../../src/index.ts'
import type { AuthXOptions } from '../../src/index.ts'
import { isMissing } from './driver.ts'
import type { AdapterDriver, HandlerSpec, RouteSpec, TestApp, TestResponse } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'

const SECRET = 'implicit-refresh-test-secret-32-bytes!!'

/** Unguarded routes: implicit refresh works on any route, guarded or not. */
const ROUTES: RouteSpec[] = [
  { method: 'GET', path: '/page', guard: { kind: 'none' }, handler: json(200, { ok: true }) },
  { method: 'GET', path: '/excluded', guard: { kind: 'none' }, handler: json(200, { ok: true }) },
  { method: 'POST', path: '/page', guard: { kind: 'none' }, handler: json(200, { ok: true }) },
  { method: 'GET', path: '/fail', guard: { kind: 'none' }, handler: json(500, { failed: true }) },
  {
    method: 'GET',
    path: '/missing',
    guard: { kind: 'none' },
    handler: json(404, { missing: true }),
  },
  {
    method: 'GET',
    path: '/throws',
    guard: { kind: 'none' },
    handler: { kind: 'throw', error: () => new Error('handler failure') },
  },
]

function json(status: number, body: object): HandlerSpec {
  return { kind: 'json', status, body }
}

const apps: TestApp[] = []
after(async () => {
  for (const app of apps) await app.close()
})

/** The new access token of a response, if it got one. */
function refreshed(res: TestResponse): string | undefined {
  const cookie = res.setCookies.find((c) => c.startsWith('access_token_cookie='))
  return cookie === undefined ? undefined : cookie.split(';')[0]!.split('=')[1]
}

async function setup(
  driver: AdapterDriver,
  options: Partial<AuthXOptions> = {},
  clockStart = 1_900_000_000,
) {
  let now = clockStart
  const app = await driver.build(
    {
      secretKey: SECRET,
      tokenLocation: ['cookies'],
      cookieCsrfProtect: false,
      implicitRefreshDeltatime: 300,
      clock: () => now,
      ...options,
    },
    ROUTES,
    { implicitRefresh: true },
  )
  apps.push(app)
  const { auth } = app
  const token = (expiresIn: number) =>
    auth.createAccessToken('alice', {
      expiresIn,
      data: { role: 'admin' },
      scopes: ['read', 'write'],
    })
  const get = (
    path: string,
    cookie: string,
    method = 'GET',
    headers: Record<string, string> = {},
  ) =>
    app.request({ method, path, headers: { cookie: `access_token_cookie=${cookie}`, ...headers } })
  return { auth, token, get, advance: (s: number) => (now += s) }
}

for (const driver of DRIVERS) {
  const capability = driver.implicitRefresh
  if (isMissing(capability)) {
    describe(`implicit refresh [${driver.name}]`, () => {
      it('is declared missing, with the reason, and the binding really has none', async () => {
        assert.match(capability.missing, /\w{10}/)
        const surface = await driver.surface()
        for (const name of capability.absent) assert.equal(surface.has(name), false, name)
        await assert.rejects(driver.build({ secretKey: SECRET }, ROUTES, { implicitRefresh: true }))
      })
    })
    continue
  }

  describe(`implicit refresh [${driver.name}]`, () => {
    it('scenario 96: 30 s left with a 5 min delta sets a new access cookie that keeps claims and scopes', async () => {
      const { auth, token, get } = await setup(driver)
      const old = token(30)
      const res = await get('/page', old)
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { ok: true })
      const fresh = refreshed(res)
      assert.ok(fresh !== undefined && fresh !== old)
      const payload = await auth.verifyToken<{ role: string }>(fresh)
      assert.equal(payload.sub, 'alice')
      assert.equal(payload.role, 'admin')
      assert.deepEqual(payload.scopes, ['read', 'write'])
      assert.equal(payload.fresh, false)
      assert.ok((payload.timeUntilExpiry() ?? 0) > 300)
    })

    it("never turns another login type's cookie into this instance's (login-type laundering)", async () => {
      const start = 1_900_000_000
      const { get } = await setup(driver, { loginType: 'admin' }, start)
      // A user instance sharing the secret, as two AuthManager instances may.
      const user = new AuthX({
        secretKey: SECRET,
        tokenLocation: ['cookies'],
        cookieCsrfProtect: false,
        loginType: 'user',
        clock: () => start,
      })
      const res = await get('/page', user.createAccessToken('mallory', { expiresIn: 30 }))
      assert.equal(res.status, 200)
      assert.deepEqual(res.setCookies, [])
      // An admin cookie on the same instance is refreshed: the refusal above is about the type.
      const admin = await setup(driver, { loginType: 'admin' }, start)
      assert.notEqual(refreshed(await admin.get('/page', admin.token(30))), undefined)
    })

    it('scenario 97: a token with 1 h left is not refreshed', async () => {
      const { token, get } = await setup(driver, { implicitRefreshDeltatime: 600 })
      const res = await get('/page', token(3600))
      assert.equal(res.status, 200)
      assert.equal(refreshed(res), undefined)
    })

    it('scenario 98: route exclude, method exclude, and route include beating method exclude', async () => {
      const { token, get } = await setup(driver, {
        implicitRefreshRouteExclude: ['/excluded'],
        implicitRefreshMethodExclude: ['POST'],
      })
      assert.equal(refreshed(await get('/excluded', token(30))), undefined)
      assert.equal(refreshed(await get('/page', token(30), 'POST')), undefined)
      // The same instance still refreshes what is not excluded: the exclusions did the work.
      assert.notEqual(refreshed(await get('/page', token(30))), undefined)
      const included = await setup(driver, {
        implicitRefreshRouteInclude: ['/page'],
        implicitRefreshMethodExclude: ['POST'],
      })
      assert.notEqual(refreshed(await included.get('/page', included.token(30), 'POST')), undefined)
    })

    it('scenario 99 (fixed): method include means only those methods are refreshed', async () => {
      const { token, get } = await setup(driver, { implicitRefreshMethodInclude: ['GET'] })
      assert.notEqual(refreshed(await get('/page', token(30))), undefined)
      assert.equal(refreshed(await get('/page', token(30), 'POST')), undefined)
    })

    it('scenario 100: no cookies location, or an expired cookie, leaves the response unchanged', async () => {
      const headersOnly = await setup(driver, { tokenLocation: ['headers'] })
      const res1 = await headersOnly.get('/page', headersOnly.token(30))
      assert.equal(res1.status, 200)
      assert.equal(refreshed(res1), undefined)
      const { token, get, advance } = await setup(driver)
      const old = token(30)
      advance(60)
      const res = await get('/page', old)
      assert.equal(res.status, 200)
      assert.equal(refreshed(res), undefined)
    })

    it('error responses (404, 500, a thrown error) are never given a new cookie', async () => {
      const { token, get } = await setup(driver)
      for (const path of ['/fail', '/missing', '/throws', '/no-such-route']) {
        const res = await get(path, token(30))
        assert.ok(res.status >= 400, path)
        assert.equal(refreshed(res), undefined, path)
      }
      // The same token on a successful route is refreshed: the status alone made the difference.
      assert.notEqual(refreshed(await get('/page', token(30))), undefined)
    })

    it('a revoked token is not refreshed', async () => {
      const { auth, token, get } = await setup(driver)
      const old = token(30)
      await auth.revokeToken(old)
      const res = await get('/page', old)
      assert.equal(res.status, 200)
      assert.equal(refreshed(res), undefined)
    })

    it('scenario 102: with CSRF on, a POST refreshes only with the CSRF header', async () => {
      const { auth, token, get } = await setup(driver, { cookieCsrfProtect: true })
      const old = token(30)
      const csrf = (await auth.verifyToken(old)).csrf ?? ''
      assert.notEqual(csrf, '')
      assert.equal(refreshed(await get('/page', old, 'POST')), undefined)
      assert.notEqual(
        refreshed(await get('/page', old, 'POST', { 'x-csrf-token': csrf })),
        undefined,
      )
    })
  })
}

describe('implicit refresh eligibility', () => {
  it('route lists are compared folded, methods in any case: a respelled route is still excluded', () => {
    const config = resolveConfig({
      secretKey: SECRET,
      tokenLocation: ['cookies'],
      implicitRefreshRouteExclude: ['/logout'],
      implicitRefreshRouteInclude: ['/Keep/'],
      implicitRefreshMethodExclude: ['POST'],
    })
    for (const path of ['/logout', '/LOGOUT', '/logout/', '//logout', '/l%6Fgout'])
      assert.equal(isImplicitRefreshEligible(config, 'GET', path), false, path)
    assert.equal(isImplicitRefreshEligible(config, 'GET', '/logout2'), true)
    // The include wins over the method exclude, in any spelling; the method in any case.
    assert.equal(isImplicitRefreshEligible(config, 'post', '/keep'), true)
    assert.equal(isImplicitRefreshEligible(config, 'post', '/page'), false)
    assert.equal(isImplicitRefreshEligible(config, 'get', '/page'), true)
  })
})
