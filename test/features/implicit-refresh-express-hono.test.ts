/**
 * Implicit refresh (AuthX scenarios 96-102, with our fixes: claims and scopes kept, revoked
 * tokens skipped, method include includes, error responses untouched) on Express, through a
 * real HTTP server and `fetch`, and on Hono, through `app.request`.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import express from 'express'
import { Hono } from 'hono'
import { AuthX as ExpressAuthX } from '../../src/adapters/express.ts'
import { AuthX as HonoAuthX } from '../../src/adapters/hono.ts'
import type { AuthXOptions } from '../../src/index.ts'

const SECRET = 'implicit-refresh-test-secret-32-bytes!!'

type Send = (path: string, method: string, headers: Record<string, string>) => Promise<Response>

interface Built {
  auth: ExpressAuthX | HonoAuthX
  send: Send
}

const servers: Server[] = []
after(async () => {
  for (const server of servers) {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  }
})

/** Express app with the routes the scenarios need, on 127.0.0.1:0. */
async function buildExpress(options: AuthXOptions): Promise<Built> {
  const auth = new ExpressAuthX(options)
  const app = express()
  auth.implicitRefresh(app)
  app.get('/page', (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/excluded', (_req, res) => {
    res.json({ ok: true })
  })
  app.post('/page', (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/fail', (_req, res) => {
    res.status(500).json({ failed: true })
  })
  app.get('/throws', () => {
    throw new Error('handler failure')
  })
  app.get('/missing', (_req, res) => {
    res.status(404).json({ missing: true })
  })
  // Silences Express's default logging of /throws; still a 500.
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: unknown) => {
    res.status(500).json({ failed: true })
  })
  const server = app.listen(0, '127.0.0.1')
  servers.push(server)
  await once(server, 'listening')
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { auth, send: (path, method, headers) => fetch(base + path, { method, headers }) }
}

/** Hono app with the same routes. */
function buildHono(options: AuthXOptions): Promise<Built> {
  const auth = new HonoAuthX(options)
  const app = new Hono()
  auth.implicitRefresh(app)
  app.get('/page', (c) => c.json({ ok: true }))
  app.get('/excluded', (c) => c.json({ ok: true }))
  app.post('/page', (c) => c.json({ ok: true }))
  app.get('/fail', (c) => c.json({ failed: true }, 500))
  app.get('/throws', () => {
    throw new Error('handler failure')
  })
  app.get('/missing', (c) => c.json({ missing: true }, 404))
  app.onError((_error, c) => c.json({ failed: true }, 500))
  return Promise.resolve({
    auth,
    send: async (path, method, headers) => app.request(path, { method, headers }),
  })
}

for (const [name, build] of [
  ['Express', buildExpress],
  ['Hono', buildHono],
] as const) {
  async function setup(options: Partial<AuthXOptions> = {}, clockStart = 1_900_000_000) {
    let now = clockStart
    const { auth, send } = await build({
      secretKey: SECRET,
      tokenLocation: ['cookies'],
      cookieCsrfProtect: false,
      implicitRefreshDeltatime: 300,
      clock: () => now,
      ...options,
    })
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
    ) => send(path, method, { cookie: `access_token_cookie=${cookie}`, ...headers })
    const refreshed = (res: Response) => {
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('access_token_cookie='))
      return cookie === undefined ? undefined : cookie.split(';')[0]!.split('=')[1]
    }
    return { auth, token, get, refreshed, advance: (s: number) => (now += s) }
  }

  describe(`implicit refresh on ${name}`, () => {
    it('scenario 96: 30 s left with a 5 min delta sets a new access cookie that keeps claims and scopes', async () => {
      const { auth, token, get, refreshed } = await setup()
      const old = token(30)
      const res = await get('/page', old)
      assert.equal(res.status, 200)
      assert.deepEqual(await res.json(), { ok: true })
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
      const res = await get('/page', token(3600))
      assert.equal(res.status, 200)
      assert.equal(refreshed(res), undefined)
    })

    it('scenario 98: route exclude, method exclude, and route include beating method exclude', async () => {
      const { token, get, refreshed } = await setup({
        implicitRefreshRouteExclude: ['/excluded'],
        implicitRefreshMethodExclude: ['POST'],
      })
      assert.equal(refreshed(await get('/excluded', token(30))), undefined)
      assert.equal(refreshed(await get('/page', token(30), 'POST')), undefined)
      // The same instance still refreshes what is not excluded: the exclusions did the work.
      assert.notEqual(refreshed(await get('/page', token(30))), undefined)
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
      const res1 = await headersOnly.get('/page', headersOnly.token(30))
      assert.equal(res1.status, 200)
      assert.equal(headersOnly.refreshed(res1), undefined)
      const { token, get, refreshed, advance } = await setup()
      const old = token(30)
      advance(60)
      const res = await get('/page', old)
      assert.equal(res.status, 200)
      assert.equal(refreshed(res), undefined)
    })

    it('error responses (404, 500, a thrown error) are never given a new cookie', async () => {
      const { token, get, refreshed } = await setup()
      for (const path of ['/fail', '/missing', '/throws', '/no-such-route']) {
        const res = await get(path, token(30))
        assert.ok(res.status >= 400, path)
        assert.equal(refreshed(res), undefined, path)
      }
      // The same token on a successful route is refreshed: the status alone made the difference.
      assert.notEqual(refreshed(await get('/page', token(30))), undefined)
    })

    it('a revoked token is not refreshed', async () => {
      const { auth, token, get, refreshed } = await setup()
      const old = token(30)
      await auth.revokeToken(old)
      const res = await get('/page', old)
      assert.equal(res.status, 200)
      assert.equal(refreshed(res), undefined)
    })

    it('scenario 102: with CSRF on, a POST refreshes only with the CSRF header', async () => {
      const { auth, token, get, refreshed } = await setup({ cookieCsrfProtect: true })
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
