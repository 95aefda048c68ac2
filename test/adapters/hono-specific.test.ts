/**
 * What only the Hono binding has to get right: the payload is a typed context variable; the body
 * a guard reads stays readable for the handler (through Hono's cache and through `c.req.raw`) and
 * is bounded; `handleErrors` chains to the error handler the app already had; cookies are
 * appended, never replaced.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Hono } from 'hono'
import type { Context } from 'hono'
import { setCookie } from 'hono/cookie'
import { HTTPException } from 'hono/http-exception'
import { AuthX, TokenExpiredError, isAuthXError } from '../../src/adapters/hono.ts'
import type { AuthXEnv, TokenPayload } from '../../src/adapters/hono.ts'
import { baseOptions, bearer, cookies, csrfOf } from './helpers.ts'

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>
}

void describe('Hono: the typed context variable', () => {
  void test('c.get("authx") is the verified payload, typed with the custom claims', async () => {
    const auth = new AuthX(baseOptions())
    const app = new Hono()
    app.get('/me', auth.tokenRequired<{ role: string }>(), (c) => {
      const payload = c.get('authx')
      const role: string = payload.role
      // @ts-expect-error -- role is a string: the type flows from the guard to the handler
      const wrong: number = payload.role
      return c.json({
        sub: payload.sub,
        role,
        same: payload === auth.payload<{ role: string }>(c),
        wrong,
      })
    })
    // A handler written apart from its route names the Env itself.
    const handler = (c: Context<AuthXEnv>) => {
      const payload: TokenPayload = c.get('authx')
      return c.json({ sub: payload.sub, subject: c.get('authxSubject') ?? null })
    }
    app.get('/apart', auth.accessTokenRequired, handler)
    const token = auth.createAccessToken('alice', { data: { role: 'admin' } })
    const res = await app.request('/me', { headers: bearer(token) })
    assert.equal(res.status, 200)
    assert.deepEqual(await json(res), { sub: 'alice', role: 'admin', same: true, wrong: 'admin' })
    const apart = await app.request('/apart', { headers: bearer(token) })
    assert.deepEqual(await json(apart), { sub: 'alice', subject: null })
  })

  void test('currentSubject sets authxSubject', async () => {
    const auth = new AuthX(baseOptions())
    auth.setSubjectGetter((sub) => ({ name: sub.toUpperCase() }))
    const app = new Hono()
    app.get('/me', auth.currentSubject, (c) =>
      c.json({ subject: c.get('authxSubject'), same: c.get('authxSubject') === auth.subject(c) }),
    )
    const res = await app.request('/me', { headers: bearer(auth.createAccessToken('bob')) })
    assert.deepEqual(await json(res), { subject: { name: 'BOB' }, same: true })
  })

  void test('auth.payload(c) outside a guarded route is a TypeError', async () => {
    const auth = new AuthX(baseOptions())
    const app = new Hono()
    let caught: unknown
    app.get('/open', (c) => {
      try {
        auth.payload(c)
      } catch (error) {
        caught = error
      }
      return c.text('ok')
    })
    await app.request('/open')
    assert.ok(caught instanceof TypeError)
  })
})

void describe('Hono: the body a guard reads', () => {
  const auth = new AuthX(
    baseOptions({ tokenLocation: ['headers', 'json', 'cookies'], csrfCheckForm: true }),
  )
  const access = auth.createAccessToken('alice')
  const app = new Hono()
  let runs = 0
  app.post('/json', auth.tokenRequired({ locations: ['json'] }), async (c) => {
    runs++
    // Hono's cache, a second read, and the untouched Fetch request all see the same body.
    const first: unknown = await c.req.json()
    const again = await c.req.text()
    const raw: unknown = await c.req.raw.json()
    return c.json({ first, again: JSON.parse(again) as unknown, raw })
  })
  app.post('/form', auth.tokenRequired({ locations: ['cookies'] }), async (c) => {
    runs++
    return c.json({ form: await c.req.parseBody() })
  })

  void test('a JSON token is read; the handler reads the body through Hono and c.req.raw', async () => {
    const body = { access_token: access, note: 'kept' }
    const res = await app.request('/json', {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.api+json' },
      body: JSON.stringify(body),
    })
    assert.equal(res.status, 200)
    assert.deepEqual(await json(res), { first: body, again: body, raw: body })
  })

  void test('malformed JSON holds no token; the handler does not run', async () => {
    const before = runs
    const res = await app.request('/json', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"access_token":',
    })
    assert.equal(res.status, 401)
    assert.equal((await json(res)).error_type, 'MissingTokenError')
    assert.equal(runs, before)
  })

  void test('a body over 1 MiB is refused with 413, announced or streamed', async () => {
    const before = runs
    const big = JSON.stringify({ access_token: access, pad: 'x'.repeat(1 << 20) })
    const announced = await app.request('/json', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(big.length) },
      body: big,
    })
    assert.equal(announced.status, 413)
    // A string body carries no Content-Length header: the cap is enforced while reading, and
    // giving up on the clone must not wait for the original branch (which nobody reads).
    const unannounced = await app.request('/json', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    })
    assert.equal(unannounced.status, 413)
    const bytes = new TextEncoder().encode(big)
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 64 * 1024)
          controller.enqueue(bytes.slice(i, i + 64 * 1024))
        controller.close()
      },
    })
    const streamed = await app.request(
      new Request('http://localhost/json', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit),
    )
    assert.equal(streamed.status, 413)
    assert.equal(runs, before)
  })

  void test('a CSRF form field is read (urlencoded and multipart); parseBody still works', async () => {
    const csrf = csrfOf(access)
    const urlencoded = await app.request('/form', {
      method: 'POST',
      headers: {
        ...cookies({ access_token_cookie: access }),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `csrf_token=${encodeURIComponent(csrf)}&note=kept`,
    })
    assert.equal(urlencoded.status, 200)
    assert.deepEqual(await json(urlencoded), { form: { csrf_token: csrf, note: 'kept' } })
    const multipart = new FormData()
    multipart.set('csrf_token', csrf)
    multipart.set('note', 'kept')
    const res = await app.request(
      new Request('http://localhost/form', {
        method: 'POST',
        headers: cookies({ access_token_cookie: access }),
        body: multipart,
      }),
    )
    assert.equal(res.status, 200)
    assert.deepEqual(await json(res), { form: { csrf_token: csrf, note: 'kept' } })
    const wrong = await app.request('/form', {
      method: 'POST',
      headers: {
        ...cookies({ access_token_cookie: access }),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'csrf_token=wrong',
    })
    assert.equal(wrong.status, 401)
    assert.equal((await json(wrong)).error_type, 'CSRFError')
  })
})

void describe('Hono: error handling', () => {
  void test('handleErrors keeps the onError the app already had for other errors', async () => {
    const auth = new AuthX(baseOptions())
    const app = new Hono()
    app.onError((error, c) => c.json({ mine: error.message }, 418))
    auth.handleErrors(app)
    app.get('/authx', () => {
      throw new TokenExpiredError()
    })
    app.get('/other', () => {
      throw new Error('boom')
    })
    const authx = await app.request('/authx')
    assert.equal(authx.status, 401)
    assert.deepEqual(await json(authx), {
      detail: 'Token has expired',
      error_type: 'TokenExpiredError',
    })
    assert.match(authx.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/)
    const other = await app.request('/other')
    assert.equal(other.status, 418)
    assert.deepEqual(await json(other), { mine: 'boom' })
  })

  for (const withBlocklist of [false, true]) {
    // A stateless guard decides without awaiting its pipeline; a blocklist makes it await.
    void test(`an error that is not an AuthX error reaches app.onError (${withBlocklist ? 'awaited' : 'synchronous'} path)`, async () => {
      let failing = false
      const auth = new AuthX(
        baseOptions({
          clock: () => {
            if (failing) throw new Error('clock broke')
            return Math.floor(Date.now() / 1000)
          },
        }),
      )
      if (withBlocklist) auth.setTokenBlocklist(() => false)
      const token = auth.createAccessToken('alice')
      failing = true
      const app = new Hono()
      app.onError((error, c) => c.json({ mine: error.message }, 500))
      let ran = 0
      app.get('/p', auth.accessTokenRequired, (c) => {
        ran++
        return c.json({})
      })
      const res = await app.request('/p', { headers: bearer(token) })
      assert.equal(res.status, 500)
      assert.deepEqual(await json(res), { mine: 'clock broke' })
      assert.equal(ran, 0)
    })
  }

  void test("without an earlier onError: Hono's default (HTTPException's response, else 500)", async () => {
    const auth = new AuthX(baseOptions())
    const app = new Hono()
    auth.handleErrors(app)
    app.get('/http', () => {
      throw new HTTPException(409, { message: 'conflict' })
    })
    app.get('/plain', () => {
      throw new Error('db exploded: secret=hunter2')
    })
    const http = await app.request('/http')
    assert.equal(http.status, 409)
    assert.equal(await http.text(), 'conflict')
    const logged: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => {
      logged.push(args[0])
    }
    try {
      const plain = await app.request('/plain')
      assert.equal(plain.status, 500)
      assert.equal(await plain.text(), 'Internal Server Error')
    } finally {
      console.error = original
    }
    assert.equal((logged[0] as Error).message, 'db exploded: secret=hunter2')
  })

  void test('auth.onError inside the application’s own handler', async () => {
    const auth = new AuthX(baseOptions())
    const app = new Hono()
    app.onError((error, c) =>
      isAuthXError(error) ? auth.onError(error, c) : c.text('my page', 500),
    )
    app.get('/authx', async (c) => {
      await auth.getRefreshTokenFromRequest(c.req.raw)
      return c.text('unreachable')
    })
    app.get('/http', () => {
      throw new HTTPException(404, { message: 'gone' })
    })
    const res = await app.request('/authx')
    assert.equal(res.status, 401)
    assert.equal((await json(res)).error_type, 'MissingTokenError')
    assert.equal(res.headers.get('www-authenticate'), 'Bearer')
    assert.equal(await (await app.request('/http')).text(), 'my page')
    // Called directly, it falls back to Hono's default for what is not AuthX's.
    const direct = new Hono()
    direct.onError(auth.onError)
    direct.get('/http', () => {
      throw new HTTPException(404, { message: 'gone' })
    })
    const gone = await direct.request('/http')
    assert.equal(gone.status, 404)
    assert.equal(await gone.text(), 'gone')
  })

  void test('guards in a sub-app mounted with app.route answer the contract', async () => {
    const auth = new AuthX(baseOptions())
    const api = new Hono()
    api.get('/me', auth.accessTokenRequired, (c) => c.json({ sub: c.get('authx').sub }))
    const app = new Hono()
    auth.handleErrors(app)
    app.route('/api', api)
    const ok = await app.request('/api/me', { headers: bearer(auth.createAccessToken('alice')) })
    assert.deepEqual(await json(ok), { sub: 'alice' })
    const refused = await app.request('/api/me')
    assert.equal(refused.status, 401)
    assert.equal((await json(refused)).error_type, 'MissingTokenError')
  })

  void test('scopesRequired refuses a non-array', () => {
    const auth = new AuthX(baseOptions())
    assert.throws(() => auth.scopesRequired('admin' as unknown as string[]), TypeError)
  })
})

void describe('Hono: cookies and the client address', () => {
  void test('cookie helpers append to the Set-Cookie headers already set', async () => {
    const auth = new AuthX(baseOptions({ tokenLocation: ['cookies'] }))
    const app = new Hono()
    app.post('/login', (c) => {
      setCookie(c, 'theme', 'dark')
      const pair = auth.createTokenPair('alice')
      auth.setAccessCookies(pair.access_token, c)
      auth.setRefreshCookies(pair.refresh_token, c, 60)
      return c.json({})
    })
    app.post('/logout', (c) => {
      auth.unsetRefreshCookies(c)
      auth.unsetAccessCookies(c)
      // Without the context there is nowhere to write: refused, not a silent no-op.
      assert.throws(() => auth.unsetCookies('both'), TypeError)
      return c.json({ listed: 4 })
    })
    const login = await app.request('/login', { method: 'POST' })
    const names = login.headers.getSetCookie().map((h) => h.split('=', 1)[0])
    assert.deepEqual(names, [
      'theme',
      'access_token_cookie',
      'csrf_access_token',
      'refresh_token_cookie',
      'csrf_refresh_token',
    ])
    assert.match(login.headers.getSetCookie()[3] ?? '', /Max-Age=60/)
    const logout = await app.request('/logout', { method: 'POST' })
    assert.equal(logout.headers.getSetCookie().length, 4)
    assert.deepEqual(await json(logout), { listed: 4 })
  })

  void test('rateLimited keys on the Node client address of @hono/node-server', async () => {
    const auth = new AuthX(baseOptions())
    const app = new Hono()
    let runs = 0
    app.post('/login', auth.rateLimited({ max: 1, window: 30 }), (c) => {
      runs++
      return c.json({})
    })
    const from = (address: string) =>
      app.request(
        '/login',
        { method: 'POST' },
        { incoming: { socket: { remoteAddress: address } } },
      )
    assert.equal((await from('10.0.0.1')).status, 200)
    const limited = await from('10.0.0.1')
    assert.equal(limited.status, 429)
    assert.equal((await json(limited)).error_type, 'RateLimitExceededError')
    assert.equal(limited.headers.get('retry-after'), '30')
    assert.equal((await from('10.0.0.2')).status, 200)
    assert.equal(runs, 2)
  })
})

void describe('Hono: implicit refresh and WebSocket routes', () => {
  void test('a near-expiry cookie gets a new access cookie on success only', async () => {
    const auth = new AuthX(
      baseOptions({
        tokenLocation: ['cookies'],
        cookieCsrfProtect: false,
        implicitRefreshDeltatime: 300,
      }),
    )
    const app = new Hono()
    auth.implicitRefresh(app)
    app.get('/page', auth.accessTokenRequired, (c) => c.json({ ok: true }))
    app.get('/fail', () => {
      throw new Error('handler failed')
    })
    app.onError((_error, c) => c.text('failed', 500))
    // A response with immutable headers, as fetch() returns them.
    app.get('/proxied', () => Response.redirect('http://localhost/page', 302))
    const fresh = (res: Response): string | undefined =>
      res.headers
        .getSetCookie()
        .find((c) => c.startsWith('access_token_cookie='))
        ?.split(';', 1)[0]
        ?.slice('access_token_cookie='.length)
    const get = (path: string, token: string) =>
      app.request(path, { headers: cookies({ access_token_cookie: token }) })
    const near = auth.createAccessToken('alice', { expiresIn: 30, scopes: ['read'] })
    const ok = await get('/page', near)
    assert.equal(ok.status, 200)
    const renewed = fresh(ok)
    assert.ok(renewed !== undefined && renewed !== near)
    assert.deepEqual((await auth.verifyToken(renewed)).scopes, ['read'])
    const proxied = await get('/proxied', near)
    assert.equal(proxied.status, 302)
    assert.notEqual(fresh(proxied), undefined)
    assert.equal(fresh(await get('/fail', near)), undefined)
    assert.equal(fresh(await get('/page', auth.createAccessToken('alice'))), undefined)
  })

  void test('webSocketRequired reads the query, then the header, and refuses before the upgrade', async () => {
    const auth = new AuthX(baseOptions())
    const app = new Hono()
    let upgrades = 0
    // Stands in for upgradeWebSocket(...): the guard runs first, as it would before an upgrade.
    app.get('/ws', auth.webSocketRequired, (c) => {
      upgrades++
      return c.json({ sub: c.get('authx').sub })
    })
    const token = auth.createAccessToken('alice')
    const query = await app.request(`/ws?token=${token}`)
    assert.deepEqual(await json(query), { sub: 'alice' })
    const header = await app.request('/ws', { headers: bearer(token) })
    assert.deepEqual(await json(header), { sub: 'alice' })
    const refused = await app.request('/ws')
    assert.equal(refused.status, 401)
    assert.equal((await json(refused)).error_type, 'MissingTokenError')
    assert.equal(upgrades, 2)
  })
})

void describe('Hono: the context passed to the core methods', () => {
  void test('a JSON token is read from the body; an oversized body is 413, never a 500', async () => {
    const auth = new AuthX(baseOptions({ tokenLocation: ['json'] }))
    const app = new Hono()
    auth.handleErrors(app)
    let runs = 0
    app.post('/read', async (c) => {
      runs++
      const found = await auth.getTokenFromRequest(c, { type: 'refresh' })
      // The handler still reads the body the core read.
      const body = await c.req.json<Record<string, unknown>>()
      return c.json({ location: found?.location ?? null, keys: Object.keys(body) })
    })
    const refresh = auth.createRefreshToken('alice')
    const ok = await app.request('/read', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refresh }),
    })
    assert.equal(ok.status, 200)
    assert.deepEqual(await ok.json(), { location: 'json', keys: ['refresh_token'] })
    const big = await app.request('/read', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refresh, pad: 'x'.repeat(2 << 20) }),
    })
    assert.equal(big.status, 413)
    assert.equal(runs, 2)
  })
})
