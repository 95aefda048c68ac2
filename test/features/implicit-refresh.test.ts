/**
 * Implicit refresh (AuthX scenarios 96-102, with our fixes: claims and scopes kept, revoked
 * tokens skipped, method include includes, error responses untouched) through Fastify.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Fastify from 'fastify'
import { AuthX } from '../../src/adapters/fastify.ts'
import { resolveConfig } from '../../src/config/index.ts'
import { isImplicitRefreshEligible } from '../../src/features/implicit-refresh.ts'
import type { AuthXOptions } from '../../src/index.ts'

const SECRET = 'implicit-refresh-test-secret-32-bytes!!'

async function setup(options: Partial<AuthXOptions> = {}, clockStart = 1_900_000_000) {
  let now = clockStart
  const auth = new AuthX({
    secretKey: SECRET,
    tokenLocation: ['cookies'],
    cookieCsrfProtect: false,
    implicitRefreshDeltatime: 300,
    clock: () => now,
    ...options,
  })
  const app = Fastify()
  auth.implicitRefresh(app)
  app.get('/page', async () => ({ ok: true }))
  app.get('/excluded', async () => ({ ok: true }))
  app.post('/page', async () => ({ ok: true }))
  app.get('/fail', async (_request, reply) => reply.code(500).send({ failed: true }))
  app.get('/missing', async (_request, reply) => reply.code(404).send({ missing: true }))
  await app.ready()
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
    app.inject({
      method: method as 'GET',
      url: path,
      headers: { cookie: `access_token_cookie=${cookie}`, ...headers },
    })
  const refreshed = (res: { headers: Record<string, unknown> }) => {
    const raw = res.headers['set-cookie']
    const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw as string]
    const cookie = list.find((c) => String(c).startsWith('access_token_cookie='))
    return cookie === undefined ? undefined : String(cookie).split(';')[0]!.split('=')[1]
  }
  return { auth, app, token, get, refreshed, advance: (s: number) => (now += s) }
}

describe('implicit refresh', () => {
  it('scenario 96: 30 s left with a 5 min delta sets a new access cookie that keeps claims and scopes', async () => {
    const { auth, token, get, refreshed } = await setup()
    const old = token(30)
    const res = await get('/page', old)
    assert.equal(res.statusCode, 200)
    const fresh = refreshed(res)
    assert.ok(fresh !== undefined && fresh !== old)
    const payload = await auth.verifyToken<{ role: string }>(fresh)
    assert.equal(payload.sub, 'alice')
    assert.equal(payload.role, 'admin')
    assert.deepEqual(payload.scopes, ['read', 'write'])
    assert.equal(payload.fresh, false)
    assert.ok((payload.timeUntilExpiry() ?? 0) > 300)
  })

  it('scenario 97: a token with 1 h left is not refreshed', async () => {
    const { token, get, refreshed } = await setup({ implicitRefreshDeltatime: 600 })
    assert.equal(refreshed(await get('/page', token(3600))), undefined)
  })

  it('scenario 98: route exclude, method exclude, and route include beating method exclude', async () => {
    const { token, get, refreshed } = await setup({
      implicitRefreshRouteExclude: ['/excluded'],
      implicitRefreshMethodExclude: ['POST'],
    })
    assert.equal(refreshed(await get('/excluded', token(30))), undefined)
    assert.equal(refreshed(await get('/page', token(30), 'POST')), undefined)
    const included = await setup({
      implicitRefreshRouteInclude: ['/page'],
      implicitRefreshMethodExclude: ['POST'],
    })
    assert.notEqual(
      included.refreshed(await included.get('/page', included.token(30), 'POST')),
      undefined,
    )
  })

  it('scenario 99 (fixed): method include means only those methods are refreshed', async () => {
    const { token, get, refreshed } = await setup({ implicitRefreshMethodInclude: ['GET'] })
    assert.notEqual(refreshed(await get('/page', token(30))), undefined)
    assert.equal(refreshed(await get('/page', token(30), 'POST')), undefined)
  })

  it('scenario 100: no cookies location, or an expired cookie, leaves the response unchanged', async () => {
    const headersOnly = await setup({ tokenLocation: ['headers'] })
    assert.equal(
      headersOnly.refreshed(await headersOnly.get('/page', headersOnly.token(30))),
      undefined,
    )
    const { token, get, refreshed, advance } = await setup()
    const old = token(30)
    advance(60)
    const res = await get('/page', old)
    assert.equal(res.statusCode, 200)
    assert.equal(refreshed(res), undefined)
  })

  it('error responses are never given a new cookie', async () => {
    const { token, get, refreshed } = await setup()
    assert.equal(refreshed(await get('/fail', token(30))), undefined)
    assert.equal(refreshed(await get('/missing', token(30))), undefined)
  })

  it('a revoked token is not refreshed', async () => {
    const { auth, token, get, refreshed } = await setup()
    const old = token(30)
    await auth.revokeToken(old)
    assert.equal(refreshed(await get('/page', old)), undefined)
  })

  it('scenario 102: with CSRF on, a POST refreshes only with the CSRF header', async () => {
    const { auth, token, get, refreshed } = await setup({ cookieCsrfProtect: true })
    const old = token(30)
    const csrf = (await auth.verifyToken(old)).csrf ?? ''
    assert.equal(refreshed(await get('/page', old, 'POST')), undefined)
    assert.notEqual(refreshed(await get('/page', old, 'POST', { 'x-csrf-token': csrf })), undefined)
  })

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
