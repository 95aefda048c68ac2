/**
 * Implicit refresh never undoes a logout. The replacement access cookie is decided before the
 * handler runs; the adapters ask `PendingRefresh.confirm` once the response is known, and must
 * drop it when the response deletes (or sets) an auth cookie itself, when the handler revoked the
 * token, and on an error. A normal response still gets it, so every case below can fail.
 *
 * Fastify through `inject`, Express through a real server and `fetch`, Hono through
 * `app.request`. The Fetch integration (`authx-ts/fetch`) has no implicit refresh: nothing to test.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import fastifyCookie from '@fastify/cookie'
import express from 'express'
import type { Request as ExpressRequest, Response as ExpressResponse } from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import type { Context } from 'hono'
import { deleteCookie } from 'hono/cookie'
import { AuthX as ExpressAuthX } from '../../src/adapters/express.ts'
import * as fetchAdapter from '../../src/adapters/fetch.ts'
import { AuthX as FastifyAuthX } from '../../src/adapters/fastify.ts'
import { AuthX as HonoAuthX } from '../../src/adapters/hono.ts'
import type { AuthX, AuthXOptions } from '../../src/index.ts'
import { csrfOf, parseSetCookie } from '../adapters/helpers.ts'
import type { ParsedCookie } from '../adapters/helpers.ts'

const SECRET = 'implicit-refresh-logout-secret-32-bytes!'
const NOW = 1_900_000_000

const OPTIONS: AuthXOptions = {
  secretKey: SECRET,
  clock: () => NOW,
  tokenLocation: ['cookies'],
  implicitRefreshDeltatime: 300,
}

/** A response as the client saw it. */
interface Reply {
  status: number
  setCookies: string[]
  body: string
}

/** One framework's app with the routes every case needs. */
interface Target {
  auth: AuthX
  /** Handler runs by path. */
  runs: Map<string, number>
  /** The jti values the async blocklist refuses; `GET /block` adds the request's own. */
  blocked: Set<string>
  send(method: string, path: string, headers: Record<string, string>): Promise<Reply>
  close(): Promise<void>
}

function count(runs: Map<string, number>, path: string): void {
  runs.set(path, (runs.get(path) ?? 0) + 1)
}

/**
 * The routes, per framework:
 * - `POST /logout`: revokes the token and deletes every auth cookie (`auth.unsetCookies(reply)`);
 * - `POST /logout-cookies`: deletes the cookies only, revokes nothing;
 * - `POST /revoke`: revokes the token, touches no cookie;
 * - `GET /page`: a normal page; `GET /fail`: answers 500; `GET /throws`: throws;
 * - `GET /clear`: the framework's own cookie helper deletes the access cookie;
 * - `GET /block`: puts the token on the blocklist (an async callback that answers a tick later);
 *   with `?throw=1`, makes the blocklist throw for it instead.
 */

/** Installs the async blocklist of {@link Target.blocked}. */
function blocklist(auth: AuthX): Set<string> {
  const blocked = new Set<string>()
  auth.setTokenBlocklist(async (_token, payload) => {
    await new Promise((resolve) => setImmediate(resolve))
    if (blocked.has(`throw:${payload.jti ?? ''}`)) throw new Error('blocklist unavailable')
    return blocked.has(payload.jti ?? '')
  })
  return blocked
}

async function fastifyTarget(): Promise<Target> {
  const auth = new FastifyAuthX(OPTIONS)
  const app = Fastify()
  const runs = new Map<string, number>()
  const blocked = blocklist(auth)
  auth.implicitRefresh(app)
  // Registered after implicitRefresh on purpose: its onSend hook, which writes reply.setCookie's
  // cookies, must still run before the refresh decides.
  await app.register(fastifyCookie)
  const guard = { preHandler: auth.accessTokenRequired }
  app.post('/logout', guard, async (request, reply) => {
    count(runs, '/logout')
    await auth.revokeToken(auth.payload(request))
    auth.unsetCookies(reply)
    return { ok: true }
  })
  app.post('/logout-cookies', async (_request, reply) => {
    count(runs, '/logout-cookies')
    auth.unsetCookies(reply)
    return { ok: true }
  })
  app.post('/revoke', guard, async (request) => {
    count(runs, '/revoke')
    await auth.revokeToken(auth.payload(request))
    return { ok: true }
  })
  app.get('/page', guard, async () => {
    count(runs, '/page')
    return { ok: true }
  })
  app.get('/fail', guard, async (_request, reply) => {
    count(runs, '/fail')
    return reply.code(500).send({ failed: true })
  })
  app.get('/throws', guard, async () => {
    count(runs, '/throws')
    throw new Error('handler failure')
  })
  app.get('/clear', guard, async (_request, reply) => {
    count(runs, '/clear')
    void reply.clearCookie('access_token_cookie', { path: '/' })
    return { ok: true }
  })
  app.get('/block', guard, async (request) => {
    count(runs, '/block')
    const jti = auth.payload(request).jti ?? ''
    blocked.add((request.query as { throw?: string }).throw === '1' ? `throw:${jti}` : jti)
    return { ok: true }
  })
  await app.ready()
  return {
    auth,
    runs,
    blocked,
    async send(method, path, headers) {
      const res = await app.inject({ method: method as 'GET', url: path, headers })
      const raw = res.headers['set-cookie']
      const setCookies = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)]
      return { status: res.statusCode, setCookies, body: res.body }
    },
    close: () => app.close(),
  }
}

async function expressTarget(): Promise<Target> {
  const auth = new ExpressAuthX(OPTIONS)
  const app = express()
  app.set('env', 'test')
  const runs = new Map<string, number>()
  const blocked = blocklist(auth)
  auth.implicitRefresh(app)
  const guard = auth.accessTokenRequired
  app.post('/logout', guard, async (req: ExpressRequest, res: ExpressResponse) => {
    count(runs, '/logout')
    await auth.revokeToken(auth.payload(req))
    auth.unsetCookies(res)
    res.json({ ok: true })
  })
  app.post('/logout-cookies', (_req, res) => {
    count(runs, '/logout-cookies')
    auth.unsetCookies(res)
    res.json({ ok: true })
  })
  app.post('/revoke', guard, async (req: ExpressRequest, res: ExpressResponse) => {
    count(runs, '/revoke')
    await auth.revokeToken(auth.payload(req))
    res.json({ ok: true })
  })
  app.get('/page', guard, (_req, res) => {
    count(runs, '/page')
    res.json({ ok: true })
  })
  app.get('/fail', guard, (_req, res) => {
    count(runs, '/fail')
    res.status(500).json({ failed: true })
  })
  app.get('/throws', guard, () => {
    count(runs, '/throws')
    throw new Error('handler failure')
  })
  app.get('/clear', guard, (_req, res) => {
    count(runs, '/clear')
    res.clearCookie('access_token_cookie', { path: '/' })
    res.json({ ok: true })
  })
  app.get('/block', guard, (req, res) => {
    count(runs, '/block')
    const jti = auth.payload(req).jti ?? ''
    blocked.add(req.query.throw === '1' ? `throw:${jti}` : jti)
    res.json({ ok: true })
  })
  // Express-only shapes of a response: the head written by hand, with the deletion in it...
  app.get('/write-head', guard, (_req, res) => {
    count(runs, '/write-head')
    res.writeHead(200, { 'Set-Cookie': 'access_token_cookie=; Path=/; Max-Age=0' })
    res.end('bye')
  })
  // ...and a body streamed in pieces, first written before the refresh is decided.
  app.get('/stream', guard, (_req, res) => {
    count(runs, '/stream')
    const body = new PassThrough()
    body.pipe(res)
    body.write('one,')
    body.write('two,')
    body.end('three')
  })
  // ...and code that changes the response after its head would have left.
  app.get('/late-status', guard, (_req, res) => {
    count(runs, '/late-status')
    res.write('one,')
    res.statusCode = 500
    res.end('two')
  })
  app.get('/late-clear', guard, (_req, res) => {
    count(runs, '/late-clear')
    res.write('one,')
    let code: unknown
    try {
      res.clearCookie('access_token_cookie', { path: '/' })
    } catch (error) {
      code = (error as { code?: unknown }).code
    }
    res.end(String(code))
  })
  app.use((_error: unknown, _req: ExpressRequest, res: ExpressResponse, _next: unknown) => {
    res.status(500).json({ failed: true })
  })
  const server: Server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    auth,
    runs,
    blocked,
    async send(method, path, headers) {
      const res = await fetch(base + path, { method, headers })
      return { status: res.status, setCookies: res.headers.getSetCookie(), body: await res.text() }
    },
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}

function honoTarget(): Promise<Target> {
  const auth = new HonoAuthX(OPTIONS)
  const app = new Hono()
  const runs = new Map<string, number>()
  const blocked = blocklist(auth)
  auth.implicitRefresh(app)
  const guard = auth.accessTokenRequired
  app.post('/logout', guard, async (c: Context) => {
    count(runs, '/logout')
    await auth.revokeToken(auth.payload(c))
    auth.unsetCookies(c)
    return c.json({ ok: true })
  })
  app.post('/logout-cookies', (c) => {
    count(runs, '/logout-cookies')
    auth.unsetCookies(c)
    return c.json({ ok: true })
  })
  app.post('/revoke', guard, async (c: Context) => {
    count(runs, '/revoke')
    await auth.revokeToken(auth.payload(c))
    return c.json({ ok: true })
  })
  app.get('/page', guard, (c) => {
    count(runs, '/page')
    return c.json({ ok: true })
  })
  app.get('/fail', guard, (c) => {
    count(runs, '/fail')
    return c.json({ failed: true }, 500)
  })
  app.get('/throws', guard, () => {
    count(runs, '/throws')
    throw new Error('handler failure')
  })
  app.get('/clear', guard, (c) => {
    count(runs, '/clear')
    deleteCookie(c, 'access_token_cookie', { path: '/' })
    return c.json({ ok: true })
  })
  app.get('/block', guard, (c) => {
    count(runs, '/block')
    const jti = auth.payload(c).jti ?? ''
    blocked.add(c.req.query('throw') === '1' ? `throw:${jti}` : jti)
    return c.json({ ok: true })
  })
  app.onError((_error, c) => c.json({ failed: true }, 500))
  return Promise.resolve({
    auth,
    runs,
    blocked,
    async send(method, path, headers) {
      const res = await app.request(path, { method, headers })
      return { status: res.status, setCookies: res.headers.getSetCookie(), body: await res.text() }
    },
    close: () => Promise.resolve(),
  })
}

/** Whether a parsed Set-Cookie deletes its cookie: empty value, and Max-Age=0 or a past Expires. */
function isDeletion(cookie: ParsedCookie): boolean {
  const maxAge = cookie.attributes['max-age']
  const expires = cookie.attributes.expires
  const past = typeof expires === 'string' && Date.parse(expires) <= Date.parse('1970-01-02')
  return cookie.value === '' && (maxAge === '0' || past)
}

const ALL_AUTH_COOKIES = [
  'access_token_cookie',
  'csrf_access_token',
  'csrf_refresh_token',
  'refresh_token_cookie',
]

for (const [name, build] of [
  ['fastify', fastifyTarget],
  ['express', expressTarget],
  ['hono', honoTarget],
] as const) {
  void describe(`security: implicit refresh never undoes a logout [${name}]`, () => {
    let target: Target
    before(async () => {
      target = await build()
    })
    after(() => target.close())

    /** A fresh access cookie inside the refresh window (30 s left, 300 s delta). */
    const session = (): { token: string; headers: Record<string, string> } => {
      const token = target.auth.createAccessToken('alice', { expiresIn: 30 })
      return {
        token,
        headers: { cookie: `access_token_cookie=${token}`, 'x-csrf-token': csrfOf(token) },
      }
    }

    void test('(c) control: a normal response carries exactly the new access and CSRF cookies', async () => {
      const { token, headers } = session()
      const res = await target.send('GET', '/page', headers)
      assert.equal(res.status, 200, res.body)
      const cookies = res.setCookies.map(parseSetCookie)
      assert.deepEqual(cookies.map((c) => c.name).sort(), [
        'access_token_cookie',
        'csrf_access_token',
      ])
      const access = cookies.find((c) => c.name === 'access_token_cookie')!
      assert.notEqual(access.value, token)
      const payload = await target.auth.verifyToken(access.value)
      assert.equal(payload.sub, 'alice')
      assert.ok((payload.timeUntilExpiry() ?? 0) > 300)
      assert.equal(cookies.find((c) => c.name === 'csrf_access_token')!.value, payload.csrf)
    })

    void test('(a) a logout that revokes and unsets answers with the deletions only', async () => {
      const { token, headers } = session()
      const res = await target.send('POST', '/logout', headers)
      assert.equal(res.status, 200, res.body)
      assert.equal(target.runs.get('/logout'), 1)
      const cookies = res.setCookies.map(parseSetCookie)
      assert.deepEqual(cookies.map((c) => c.name).sort(), ALL_AUTH_COOKIES)
      for (const cookie of cookies) assert.ok(isDeletion(cookie), res.setCookies.join(' | '))
      // The old cookie is revoked too: nothing left to log in with.
      await assert.rejects(target.auth.verifyToken(token), { name: 'RevokedTokenError' })
    })

    void test('(a) a logout that only unsets the cookies answers with the deletions only', async () => {
      const { headers } = session()
      const res = await target.send('POST', '/logout-cookies', headers)
      assert.equal(res.status, 200, res.body)
      const cookies = res.setCookies.map(parseSetCookie)
      assert.deepEqual(cookies.map((c) => c.name).sort(), ALL_AUTH_COOKIES)
      for (const cookie of cookies) assert.ok(isDeletion(cookie), res.setCookies.join(' | '))
    })

    void test("(a) the framework's own cookie helper deleting the access cookie is a logout too", async () => {
      const { headers } = session()
      const res = await target.send('GET', '/clear', headers)
      assert.equal(res.status, 200, res.body)
      const cookies = res.setCookies.map(parseSetCookie)
      assert.deepEqual(
        cookies.map((c) => c.name),
        ['access_token_cookie'],
      )
      assert.ok(isDeletion(cookies[0]!), res.setCookies.join(' | '))
    })

    void test('(b) a route that revokes the token without touching cookies gets no new cookie', async () => {
      const { token, headers } = session()
      const res = await target.send('POST', '/revoke', headers)
      assert.equal(res.status, 200, res.body)
      assert.equal(target.runs.get('/revoke'), 1)
      assert.deepEqual(res.setCookies, [])
      await assert.rejects(target.auth.verifyToken(token), { name: 'RevokedTokenError' })
    })

    void test('(d) an error response gets no new cookie, answered or thrown', async () => {
      for (const path of ['/fail', '/throws']) {
        const { headers } = session()
        const res = await target.send('GET', path, headers)
        assert.equal(res.status, 500, `${path}: ${res.body}`)
        assert.equal(target.runs.get(path), 1, path)
        assert.deepEqual(res.setCookies, [], path)
      }
    })

    void test('after all that, the refresh still works for the next request (control)', async () => {
      const { headers } = session()
      const res = await target.send('GET', '/page', headers)
      assert.equal(res.status, 200)
      assert.deepEqual(res.setCookies.map((header) => parseSetCookie(header).name).sort(), [
        'access_token_cookie',
        'csrf_access_token',
      ])
    })
  })
}

void describe('security: implicit refresh holds the Express response head until confirmed', () => {
  let target: Target
  before(async () => {
    target = await expressTarget()
  })
  after(() => target.close())

  const headers = (): Record<string, string> => {
    const token = target.auth.createAccessToken('alice', { expiresIn: 30 })
    return { cookie: `access_token_cookie=${token}` }
  }

  void test('a deletion passed to res.writeHead itself is seen: no new cookie', async () => {
    const res = await target.send('GET', '/write-head', headers())
    assert.equal(res.status, 200)
    assert.equal(res.body, 'bye')
    assert.deepEqual(res.setCookies, ['access_token_cookie=; Path=/; Max-Age=0'])
  })

  void test('past the first write the head counts as sent: a late status or cookie change is refused as Node refuses it', async () => {
    // Without implicit refresh Node sends `200` at the first write and ignores the later status,
    // and refuses a Set-Cookie after it: the hold must not change either.
    const late = await target.send('GET', '/late-status', headers())
    assert.equal(late.status, 200)
    assert.equal(late.body, 'one,two')
    const clear = await target.send('GET', '/late-clear', headers())
    assert.equal(clear.status, 200)
    assert.equal(clear.body, 'one,ERR_HTTP_HEADERS_SENT')
    // The head that left had no deletion in it: the one cookie pair it carries is the refresh.
    assert.deepEqual(clear.setCookies.map((header) => parseSetCookie(header).name).sort(), [
      'access_token_cookie',
      'csrf_access_token',
    ])
  })

  void test('a streamed body keeps every chunk in order, and gets the new cookie', async () => {
    const res = await target.send('GET', '/stream', headers())
    assert.equal(res.status, 200)
    assert.equal(res.body, 'one,two,three')
    assert.deepEqual(res.setCookies.map((header) => parseSetCookie(header).name).sort(), [
      'access_token_cookie',
      'csrf_access_token',
    ])
  })
})

for (const [name, build] of [
  ['fastify', fastifyTarget],
  ['express', expressTarget],
  ['hono', honoTarget],
] as const) {
  void describe(`security: the check after the handler awaits an async blocklist [${name}]`, () => {
    let target: Target
    before(async () => {
      target = await build()
    })
    after(() => target.close())

    void test('a token the handler puts on the blocklist gets no new cookie', async () => {
      const token = target.auth.createAccessToken('alice', { expiresIn: 30 })
      const res = await target.send('GET', '/block', { cookie: `access_token_cookie=${token}` })
      assert.equal(res.status, 200, res.body)
      assert.equal(target.runs.get('/block'), 1)
      assert.equal(target.blocked.size, 1)
      assert.deepEqual(res.setCookies, [])
    })

    void test('a blocklist that throws after the handler drops the cookie, not the response', async () => {
      const token = target.auth.createAccessToken('alice', { expiresIn: 30 })
      const res = await target.send('GET', '/block?throw=1', {
        cookie: `access_token_cookie=${token}`,
      })
      assert.equal(res.status, 200, res.body)
      assert.deepEqual(JSON.parse(res.body), { ok: true })
      assert.equal(target.runs.get('/block'), 2)
      assert.deepEqual(res.setCookies, [])
    })
  })
}

void test('the Fetch integration has no implicit refresh (nothing to confirm)', () => {
  assert.deepEqual(Object.keys(fetchAdapter).sort(), ['applyCookies', 'handleErrors', 'withAuth'])
})
