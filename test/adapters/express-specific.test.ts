/**
 * What only the Express binding has to get right: guards are plain callback middleware, so no
 * failure may escape as an unhandled rejection; the app needs neither cookie-parser nor
 * `express.json()` (and works the same with them); the error middleware comes after the routes;
 * the Express `req` itself is accepted where the core takes a request.
 */
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'
import cookieParser from 'cookie-parser'
import express from 'express'
import type { ErrorRequestHandler, Express, Request, Response } from 'express'
import { AuthX } from '../../src/adapters/express.ts'
import type { AuthXOptions } from '../../src/index.ts'
import { baseOptions, bearer, cookies, csrfOf } from './helpers.ts'

/** A response as the tests look at it. */
interface Reply {
  status: number
  headers: Headers
  body: unknown
  text: string
}

/** Serves an app on 127.0.0.1 port 0 for one test. */
async function serve(app: Express): Promise<{ url: string; close: () => Promise<void> }> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

async function call(
  url: string,
  init: {
    method?: string
    headers?: Record<string, string>
    body?: string
    redirect?: RequestRedirect
  } = {},
): Promise<Reply> {
  const res = await fetch(url, init)
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: res.status, headers: res.headers, body, text }
}

/** Sends a chunked body (no Content-Length) the way a streaming client does. */
async function sendChunked(
  url: string,
  headers: Record<string, string>,
  chunks: string[],
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.on('error', reject)
    for (const chunk of chunks) req.write(chunk)
    req.end()
  })
}

function options(extra: Partial<AuthXOptions> = {}): AuthXOptions {
  return baseOptions(extra)
}

void describe('Express: no failure escapes as an unhandled rejection', () => {
  const rejections: unknown[] = []
  const onRejection = (reason: unknown): void => {
    rejections.push(reason)
  }
  beforeEach(() => {
    rejections.length = 0
    process.on('unhandledRejection', onRejection)
  })
  afterEach(() => {
    process.off('unhandledRejection', onRejection)
  })

  /** Lets a rejection that escaped reach the process listener before the test looks. */
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

  void test('a throwing subject getter goes to next(err), never to the process', async () => {
    const auth = new AuthX(options())
    auth.setSubjectGetter(() => {
      throw new Error('database down')
    })
    const app = express()
    app.set('env', 'test')
    let ran = 0
    const seen: unknown[] = []
    app.get('/me', auth.currentSubject, (_req, res) => {
      ran++
      res.json({})
    })
    const onError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
      seen.push(error)
      res.status(500).json({ detail: 'custom' })
    }
    app.use(onError)
    const server = await serve(app)
    try {
      const token = auth.createAccessToken('alice')
      const res = await call(`${server.url}/me`, { headers: bearer(token) })
      await settle()
      assert.equal(res.status, 500)
      assert.deepEqual(res.body, { detail: 'custom' })
      assert.equal(ran, 0, 'the handler must not run')
      assert.equal(seen.length, 1)
      assert.equal((seen[0] as Error).message, 'database down')
      assert.deepEqual(rejections, [])
    } finally {
      await server.close()
    }
  })

  for (const withBlocklist of [false, true]) {
    // A stateless guard decides without awaiting; a blocklist makes it await. Same outcome.
    void test(`an error that is not an AuthX error goes to next(err) (${withBlocklist ? 'awaited' : 'synchronous'} path)`, async () => {
      let failing = false
      const auth = new AuthX(
        options({
          clock: () => {
            if (failing) throw new Error('clock broke')
            return Math.floor(Date.now() / 1000)
          },
        }),
      )
      if (withBlocklist) auth.setTokenBlocklist(() => false)
      const token = auth.createAccessToken('alice')
      failing = true
      const app = express()
      let ran = 0
      const seen: unknown[] = []
      app.get('/p', auth.accessTokenRequired, (_req, res) => {
        ran++
        res.json({})
      })
      const onError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
        seen.push(error)
        res.status(500).json({ detail: 'custom' })
      }
      app.use(onError)
      const server = await serve(app)
      try {
        const res = await call(`${server.url}/p`, { headers: bearer(token) })
        await settle()
        assert.equal(res.status, 500)
        assert.deepEqual(res.body, { detail: 'custom' })
        assert.equal(ran, 0, 'the handler must not run')
        assert.deepEqual(
          seen.map((e) => (e as Error).message),
          ['clock broke'],
        )
        assert.deepEqual(rejections, [])
      } finally {
        await server.close()
      }
    })
  }

  void test('an async subject getter that rejects: the same, through Express default handler', async () => {
    const auth = new AuthX(options())
    auth.setSubjectGetter(() => Promise.reject(new Error('timeout')))
    const app = express()
    app.set('env', 'test')
    let ran = 0
    app.get('/me', auth.currentSubject, (_req, res) => {
      ran++
      res.json({})
    })
    const server = await serve(app)
    try {
      const res = await call(`${server.url}/me`, {
        headers: bearer(auth.createAccessToken('alice')),
      })
      await settle()
      assert.equal(res.status, 500)
      assert.doesNotMatch(res.text, /eyJ/)
      assert.equal(ran, 0)
      assert.deepEqual(rejections, [])
    } finally {
      await server.close()
    }
  })

  void test('a throwing blocklist fails closed with 503, no rejection escapes', async () => {
    const auth = new AuthX(options())
    auth.setTokenBlocklist(async () => {
      await Promise.resolve()
      throw new Error('redis gone')
    })
    const app = express()
    let ran = 0
    app.get('/p', auth.accessTokenRequired, (_req, res) => {
      ran++
      res.json({})
    })
    const server = await serve(app)
    try {
      const res = await call(`${server.url}/p`, {
        headers: bearer(auth.createAccessToken('alice')),
      })
      await settle()
      assert.equal(res.status, 503)
      assert.equal((res.body as { error_type: string }).error_type, 'StoreUnavailableError')
      assert.equal(ran, 0)
      assert.deepEqual(rejections, [])
    } finally {
      await server.close()
    }
  })

  void test('a subject getter that finds nobody: 401, no rejection', async () => {
    const auth = new AuthX(options())
    auth.setSubjectGetter(() => undefined)
    const app = express()
    app.get('/me', auth.currentSubject, (_req, res) => {
      res.json({})
    })
    const server = await serve(app)
    try {
      const res = await call(`${server.url}/me`, {
        headers: bearer(auth.createAccessToken('alice')),
      })
      await settle()
      assert.equal(res.status, 401)
      assert.equal((res.body as { error_type: string }).error_type, 'SubjectNotFoundError')
      assert.deepEqual(rejections, [])
    } finally {
      await server.close()
    }
  })

  void test('an error thrown after the guard is not taken for an authentication failure', async () => {
    const auth = new AuthX(options())
    const app = express()
    app.set('env', 'test')
    app.get('/p', auth.accessTokenRequired, () => {
      throw new Error('handler bug')
    })
    const seen: unknown[] = []
    const onError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
      seen.push(error)
      res.status(500).json({ detail: 'handler failed' })
    }
    auth.handleErrors(app)
    app.use(onError)
    const server = await serve(app)
    try {
      const res = await call(`${server.url}/p`, {
        headers: bearer(auth.createAccessToken('alice')),
      })
      await settle()
      assert.equal(res.status, 500)
      assert.deepEqual(res.body, { detail: 'handler failed' })
      assert.equal((seen[0] as Error).message, 'handler bug')
      assert.deepEqual(rejections, [])
    } finally {
      await server.close()
    }
  })
})

/** An app exercising cookies, JSON tokens and form CSRF, with or without the usual parsers. */
function parserApp(auth: AuthX, withParsers: boolean): { app: Express; runs: () => number } {
  const app = express()
  app.set('env', 'test')
  if (withParsers) {
    app.use(cookieParser())
    app.use(express.json())
    app.use(express.urlencoded({ extended: false }))
  }
  let runs = 0
  const echo = (req: Request, res: Response): void => {
    runs++
    res.json({ sub: auth.payload(req).sub, body: (req.body as unknown) ?? null })
  }
  app.post('/cookie', auth.tokenRequired({ locations: ['cookies'] }), echo)
  app.get('/cookie', auth.tokenRequired({ locations: ['cookies'] }), echo)
  app.post('/json', auth.tokenRequired({ locations: ['json'] }), echo)
  app.post('/headers', auth.tokenRequired({ locations: ['headers'] }), echo)
  app.post('/read', async (req, res) => {
    runs++
    const found = await auth.getRefreshTokenFromRequest(req, ['json'])
    const payload = await auth.verifyToken(found)
    res.json({ sub: payload.sub, body: (req.body as unknown) ?? null })
  })
  auth.handleErrors(app)
  return { app, runs: () => runs }
}

for (const withParsers of [false, true]) {
  const label = withParsers
    ? 'with cookie-parser, express.json() and express.urlencoded()'
    : 'without cookie-parser or body parsers'

  void describe(`Express ${label}`, () => {
    const auth = new AuthX(
      options({ tokenLocation: ['headers', 'cookies', 'json'], csrfCheckForm: true }),
    )
    const { app, runs } = parserApp(auth, withParsers)
    let server: Awaited<ReturnType<typeof serve>>
    const access = auth.createAccessToken('alice')

    before(async () => {
      server = await serve(app)
    })
    after(() => server.close())

    void test('a cookie token is read from the Cookie header', async () => {
      const res = await call(`${server.url}/cookie`, {
        headers: cookies({ other: 'x', access_token_cookie: access }),
      })
      assert.equal(res.status, 200, res.text)
      assert.equal((res.body as { sub: string }).sub, 'alice')
    })

    void test('a cookie named like an Object.prototype member is no token', async () => {
      const res = await call(`${server.url}/cookie`, { headers: cookies({ constructor: 'x' }) })
      assert.equal(res.status, 401)
      assert.equal((res.body as { error_type: string }).error_type, 'MissingTokenError')
    })

    void test('a JSON token is read and the handler still sees the body', async () => {
      const before = runs()
      const res = await call(`${server.url}/json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ access_token: access, note: 'kept' }),
      })
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.body, { sub: 'alice', body: { access_token: access, note: 'kept' } })
      assert.equal(runs(), before + 1)
    })

    void test('malformed JSON holds no token', async () => {
      const before = runs()
      const res = await call(`${server.url}/json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"access_token": ',
      })
      // express.json() refuses it itself (400); without it the guard finds no token (401).
      assert.equal(res.status, withParsers ? 400 : 401, res.text)
      assert.equal(runs(), before)
    })

    void test('a CSRF value in a urlencoded form field is accepted (csrfCheckForm)', async () => {
      const res = await call(`${server.url}/cookie`, {
        method: 'POST',
        headers: {
          ...cookies({ access_token_cookie: access }),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `csrf_token=${encodeURIComponent(csrfOf(access))}&note=kept`,
      })
      assert.equal(res.status, 200, res.text)
      assert.deepEqual((res.body as { body: unknown }).body, {
        csrf_token: csrfOf(access),
        note: 'kept',
      })
      const wrong = await call(`${server.url}/cookie`, {
        method: 'POST',
        headers: {
          ...cookies({ access_token_cookie: access }),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'csrf_token=wrong',
      })
      assert.equal(wrong.status, 401)
      assert.equal((wrong.body as { error_type: string }).error_type, 'CSRFError')
    })

    void test('a guard that does not search the body leaves it unread', async () => {
      const res = await call(`${server.url}/headers`, {
        method: 'POST',
        headers: { ...bearer(access), 'content-type': 'application/json' },
        body: JSON.stringify({ kept: true }),
      })
      assert.equal(res.status, 200, res.text)
      // Nobody parsed it without express.json(): Express leaves req.body undefined.
      assert.deepEqual((res.body as { body: unknown }).body, withParsers ? { kept: true } : null)
    })

    void test('auth.getRefreshTokenFromRequest(req) takes the Express request itself', async () => {
      const refresh = auth.createRefreshToken('bob')
      const res = await call(`${server.url}/read`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: refresh }),
      })
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.body, { sub: 'bob', body: { refresh_token: refresh } })
      const missing = await call(`${server.url}/read`, { method: 'POST' })
      assert.equal(missing.status, 401)
      assert.equal((missing.body as { error_type: string }).error_type, 'MissingTokenError')
    })

    void test('a body over 1 MiB is refused with 413 and the handler does not run', async () => {
      const before = runs()
      const big = JSON.stringify({ access_token: access, pad: 'x'.repeat(1 << 20) })
      const res = await call(`${server.url}/json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: big,
      })
      assert.equal(res.status, 413)
      const chunked = await sendChunked(
        `${server.url}/json`,
        { 'content-type': 'application/json' },
        [big.slice(0, 1000), big.slice(1000)],
      )
      assert.equal(chunked.status, 413)
      assert.equal(runs(), before)
    })
  })
}

void describe('Express: without parsers, streamed bodies', () => {
  void test('a chunked JSON body under the limit is read', async () => {
    const auth = new AuthX(options({ tokenLocation: ['json'] }))
    const { app } = parserApp(auth, false)
    const server = await serve(app)
    try {
      const body = JSON.stringify({ access_token: auth.createAccessToken('alice') })
      const res = await sendChunked(`${server.url}/json`, { 'content-type': 'application/json' }, [
        body.slice(0, 10),
        body.slice(10),
      ])
      assert.equal(res.status, 200, res.text)
      assert.equal((JSON.parse(res.text) as { sub: string }).sub, 'alice')
    } finally {
      await server.close()
    }
  })
})

void describe('Express: error handling', () => {
  void test('handleErrors before any route throws: it would catch nothing there', () => {
    const auth = new AuthX(options())
    assert.throws(() => auth.handleErrors(express()), {
      name: 'TypeError',
      message: /after the routes/,
    })
    assert.throws(() => auth.handleErrors(express.Router()), TypeError)
  })

  void test('auth.errorHandler renders AuthX errors and passes others on', async () => {
    const auth = new AuthX(options())
    const app = express()
    app.set('env', 'test')
    app.get('/expired', () => {
      throw new (class extends Error {})('plain')
    })
    app.get('/refresh', async (req, res) => {
      // A token in the wrong place: the core throws, Express 5 forwards the rejection.
      const found = await auth.getRefreshTokenFromRequest(req)
      res.json(found)
    })
    app.use(auth.errorHandler)
    const server = await serve(app)
    try {
      const missing = await call(`${server.url}/refresh`)
      assert.equal(missing.status, 401)
      assert.deepEqual(missing.body, {
        detail: 'Missing JWT in request',
        error_type: 'MissingTokenError',
      })
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer')
      assert.equal(missing.headers.get('cache-control'), 'no-store')
      const plain = await call(`${server.url}/expired`)
      assert.equal(plain.status, 500)
      assert.equal(plain.body, undefined, 'Express renders other errors itself')
    } finally {
      await server.close()
    }
  })

  void test('auth.payload(req) on an unguarded route is a TypeError', () => {
    const auth = new AuthX(options())
    assert.throws(() => auth.payload({} as Request), TypeError)
    assert.equal(auth.subject({} as Request), undefined)
  })

  void test('unsetCookies needs the res: without it, a TypeError instead of clearing nothing', () => {
    const auth = new AuthX(options({ tokenLocation: ['cookies'] }))
    assert.throws(() => auth.unsetCookies(), {
      name: 'TypeError',
      message: /auth\.unsetCookies\(reply\) needs the framework's reply/,
    })
    assert.throws(() => auth.unsetCookies('access'), TypeError)
  })

  void test('scopesRequired refuses a non-array', () => {
    const auth = new AuthX(options())
    assert.throws(() => auth.scopesRequired('admin' as unknown as string[]), TypeError)
  })
})

void describe('Express: query parsers and the client address', () => {
  void test("the 'extended' query parser: nested values are no token, repeats are refused", async () => {
    const auth = new AuthX(options({ tokenLocation: ['query'] }))
    const app = express()
    app.set('query parser', 'extended')
    app.get('/q', auth.accessTokenRequired, (req, res) => {
      res.json({ sub: auth.payload(req).sub })
    })
    const server = await serve(app)
    const token = auth.createAccessToken('alice')
    try {
      const ok = await call(`${server.url}/q?token=${token}`)
      assert.equal(ok.status, 200, ok.text)
      const nested = await call(`${server.url}/q?token[a]=${token}`)
      assert.equal(nested.status, 401)
      assert.equal((nested.body as { error_type: string }).error_type, 'MissingTokenError')
      const repeated = await call(`${server.url}/q?token=${token}&token=${token}`)
      assert.equal(repeated.status, 401)
      assert.equal((repeated.body as { error_type: string }).error_type, 'JWTDecodeError')
    } finally {
      await server.close()
    }
  })

  void test('rateLimited counts per req.ip and answers 429 with Retry-After', async () => {
    const auth = new AuthX(options())
    const app = express()
    app.set('trust proxy', true)
    let runs = 0
    app.post('/login', auth.rateLimited({ max: 2, window: 60 }), (_req, res) => {
      runs++
      res.json({})
    })
    const server = await serve(app)
    try {
      const from = (ip: string) =>
        call(`${server.url}/login`, { method: 'POST', headers: { 'x-forwarded-for': ip } })
      assert.equal((await from('10.0.0.1')).status, 200)
      assert.equal((await from('10.0.0.1')).status, 200)
      const limited = await from('10.0.0.1')
      assert.equal(limited.status, 429)
      assert.equal((limited.body as { error_type: string }).error_type, 'RateLimitExceededError')
      assert.equal(limited.headers.get('retry-after'), '60')
      assert.equal((await from('10.0.0.2')).status, 200, 'another client has its own bucket')
      assert.equal(runs, 3)
    } finally {
      await server.close()
    }
  })
})

void describe('Express: implicit refresh', () => {
  void test('a near-expiry cookie gets a new access cookie on success only', async () => {
    const auth = new AuthX(
      options({
        tokenLocation: ['cookies'],
        cookieCsrfProtect: false,
        implicitRefreshDeltatime: 300,
      }),
    )
    const app = express()
    app.set('env', 'test')
    auth.implicitRefresh(app)
    app.get('/page', auth.accessTokenRequired, (_req, res) => {
      res.json({ ok: true })
    })
    app.get('/redirect', (_req, res) => {
      res.redirect(303, '/page')
    })
    app.get('/fail', (_req, res) => {
      res.status(500).json({ failed: true })
    })
    app.get('/explicit', (_req, res) => {
      res.writeHead(404).end()
    })
    const server = await serve(app)
    const fresh = (res: Reply): string | undefined =>
      res.headers
        .getSetCookie()
        .find((c) => c.startsWith('access_token_cookie='))
        ?.split(';', 1)[0]
        ?.slice('access_token_cookie='.length)
    const get = (path: string, token: string) =>
      call(`${server.url}${path}`, {
        headers: cookies({ access_token_cookie: token }),
        redirect: 'manual',
      })
    try {
      const near = auth.createAccessToken('alice', { expiresIn: 30, data: { role: 'admin' } })
      const ok = await get('/page', near)
      assert.equal(ok.status, 200)
      const renewed = fresh(ok)
      assert.ok(renewed !== undefined && renewed !== near)
      const payload = await auth.verifyToken<{ role: string }>(renewed)
      assert.equal(payload.sub, 'alice')
      assert.equal(payload.role, 'admin')
      assert.notEqual(fresh(await get('/redirect', near)), undefined, 'redirects count as success')
      assert.equal(fresh(await get('/fail', near)), undefined)
      assert.equal(fresh(await get('/explicit', near)), undefined)
      const far = auth.createAccessToken('alice', { expiresIn: 3600 })
      assert.equal(fresh(await get('/page', far)), undefined)
    } finally {
      await server.close()
    }
  })
})
