/**
 * Request paths as the router sees them. A request target can spell one route many ways: with a
 * fragment (`/login#x`, which no browser sends but a raw request line can carry), in the absolute
 * form (`POST http://any-host/login`, which Node servers accept), with escapes (`/l%6Fgin`), in
 * another case or with extra slashes. Whatever the framework routes to `/login` must count
 * against the one `/login` bucket of the default rate-limit key (the quickstart's login
 * throttle), be excluded by `implicitRefreshRouteExclude`, and read `/login` in `view.path`
 * (the policy environment's `path`); `/users/1` and `/users/2` are one route, `/users/:id`.
 *
 * Raw request targets go over a real socket (`node:net`) to a listening server per framework:
 * `fastify.inject`, `fetch` and `app.request` normalise the URL before the framework sees it.
 */
import assert from 'node:assert/strict'
import type { RequestView } from '../../src/types.ts'
import { once } from 'node:events'
import type { Server } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import type { FastifyServerOptions } from 'fastify'
import { Hono } from 'hono'
import { AuthX as ExpressAuthX } from '../../src/adapters/express.ts'
import { handleErrors } from '../../src/adapters/fetch.ts'
import { AuthX as FastifyAuthX } from '../../src/adapters/fastify.ts'
import { AuthX as HonoAuthX } from '../../src/adapters/hono.ts'
import { AuthX } from '../../src/index.ts'
import type { AuthXOptions } from '../../src/index.ts'
import { viewFromRequest } from '../../src/request/view.ts'
import type { TestApp } from '../adapters/driver.ts'
import { DRIVERS } from '../adapters/drivers/index.ts'
import { baseOptions } from '../adapters/helpers.ts'

// ------------------------------------------------------------------------------ a raw client

/** A response read off the socket. */
interface RawResponse {
  status: number
  /** Lower-case names; repeated headers other than Set-Cookie joined with `, `. */
  headers: Record<string, string>
  setCookies: string[]
  body: string
}

function dechunk(body: string): string {
  let out = ''
  let rest = body
  for (;;) {
    const eol = rest.indexOf('\r\n')
    if (eol === -1) return out
    const size = Number.parseInt(rest.slice(0, eol), 16)
    if (!Number.isFinite(size) || size === 0) return out
    out += rest.slice(eol + 2, eol + 2 + size)
    rest = rest.slice(eol + 2 + size + 2)
  }
}

/**
 * Sends one request with `target` written verbatim in the request line and reads the response
 * until the server closes the connection.
 */
function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close']
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
    if (method !== 'GET' && method !== 'HEAD') lines.push('Content-Length: 0')
    socket.write(`${lines.join('\r\n')}\r\n\r\n`)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      const [statusLine = '', ...headerLines] = text.slice(0, split).split('\r\n')
      const response: RawResponse = {
        status: Number(statusLine.split(' ')[1]),
        headers: {},
        setCookies: [],
        body: text.slice(split + 4),
      }
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        const name = line.slice(0, colon).trim().toLowerCase()
        const value = line.slice(colon + 1).trim()
        if (name === 'set-cookie') response.setCookies.push(value)
        else
          response.headers[name] =
            response.headers[name] === undefined ? value : `${response.headers[name]}, ${value}`
      }
      if (response.headers['transfer-encoding'] === 'chunked')
        response.body = dechunk(response.body)
      resolve(response)
    })
  })
}

// --------------------------------------------------------------- one server per framework

const SECRET = 'request-paths-test-secret-32-bytes!!'
const NOW = 1_900_000_000

/** The options of every server: cookie tokens, implicit refresh with `/excluded` excluded. */
const OPTIONS: AuthXOptions = {
  secretKey: SECRET,
  clock: () => NOW,
  tokenLocation: ['cookies'],
  cookieCsrfProtect: false,
  implicitRefreshDeltatime: 300,
  implicitRefreshRouteExclude: ['/excluded'],
}

/** What `view` reported on `GET /login`. */
interface Where {
  method: string
  path: string
  route: string | null
}

function where(view: RequestView): Where {
  return { method: view.method, path: view.path, route: view.route ?? null }
}

/** A listening app: `POST /login` limited to 2 a minute, `GET /login` reporting its view. */
interface PathServer {
  name: 'fastify' | 'express' | 'hono' | 'fetch'
  port: number
  auth: AuthX
  /** Runs of the `POST /login` handler. */
  logins(): number
  /** Whether the framework has implicit refresh (the Fetch integration has none). */
  refreshes: boolean
  close(): Promise<void>
}

async function portOf(server: Server): Promise<number> {
  if (!server.listening) await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections()
  server.close()
  await once(server, 'close')
}

async function fastifyServer(options: FastifyServerOptions = {}): Promise<PathServer> {
  const auth = new FastifyAuthX(OPTIONS)
  const app = Fastify(options)
  auth.implicitRefresh(app)
  let logins = 0
  const limit = auth.rateLimited({ max: 2, window: 60 })
  app.post('/login', { preHandler: limit }, async () => {
    logins++
    return { ok: true }
  })
  app.get('/login', async (request) => where(auth.view(request)))
  app.get('/excluded', async () => ({ ok: true }))
  app.get('/page', async () => ({ ok: true }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    name: 'fastify',
    port: (app.server.address() as AddressInfo).port,
    auth,
    logins: () => logins,
    refreshes: true,
    close: () => app.close(),
  }
}

async function expressServer(): Promise<PathServer> {
  const auth = new ExpressAuthX(OPTIONS)
  const app = express()
  auth.implicitRefresh(app)
  let logins = 0
  app.post('/login', auth.rateLimited({ max: 2, window: 60 }), (_req, res) => {
    logins++
    res.json({ ok: true })
  })
  app.get('/login', (req, res) => {
    res.json(where(auth.view(req)))
  })
  app.get('/excluded', (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/page', (_req, res) => {
    res.json({ ok: true })
  })
  const server = app.listen(0, '127.0.0.1')
  return {
    name: 'express',
    port: await portOf(server),
    auth,
    logins: () => logins,
    refreshes: true,
    close: () => stop(server),
  }
}

async function honoServer(): Promise<PathServer> {
  const auth = new HonoAuthX(OPTIONS)
  const app = new Hono()
  auth.implicitRefresh(app)
  let logins = 0
  app.post('/login', auth.rateLimited({ max: 2, window: 60 }), (c) => {
    logins++
    return c.json({ ok: true })
  })
  app.get('/login', (c) => c.json(where(auth.view(c))))
  app.get('/excluded', (c) => c.json({ ok: true }))
  app.get('/page', (c) => c.json({ ok: true }))
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
  return {
    name: 'hono',
    port: await portOf(server),
    auth,
    logins: () => logins,
    refreshes: true,
    close: () => stop(server),
  }
}

/**
 * A Fetch handler on @hono/node-server as its runtime: the limit runs on every POST before the
 * handler's own routing (a Fetch handler has no per-route middleware), on the path folded by the
 * default key, since there is no route pattern.
 */
async function fetchServer(): Promise<PathServer> {
  const auth = new AuthX(OPTIONS)
  const limit = auth.rateLimit({ max: 2, window: 60 })
  let logins = 0
  const handler = handleErrors(auth, async (request) => {
    const { pathname } = new URL(request.url)
    if (request.method === 'POST') {
      await auth.enforceRateLimit(request, limit)
      if (pathname !== '/login') return new Response('Not Found', { status: 404 })
      logins++
      return Response.json({ ok: true })
    }
    // This handler routes on the view's path, which is decoded as a router decodes it.
    const view = await viewFromRequest(request)
    if (view.path === '/login') return Response.json(where(view))
    return new Response('Not Found', { status: 404 })
  })
  const server = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }) as Server
  return {
    name: 'fetch',
    port: await portOf(server),
    auth,
    logins: () => logins,
    refreshes: false,
    close: () => stop(server),
  }
}

/** The respellings of `/login` a client can write in a request line. */
const SPELLINGS = [
  '/login#x',
  'http://any-host/login',
  '/LOGIN',
  '/login/',
  '//login',
  '/l%6Fgin',
] as const

type Spelling = (typeof SPELLINGS)[number]

/**
 * What each framework answers to each spelling once `/login`'s budget is spent: 429 where its
 * router sends the spelling to `/login` (so the limit must hold), 404 where it routes it nowhere
 * (the handler cannot run either). Fastify and Hono match case and slashes exactly and decode
 * escapes; Express ignores case and a trailing slash and matches escapes as sent; the Fetch
 * handler limits every POST before routing, on the folded path.
 */
const AFTER_LIMIT: Record<PathServer['name'], Record<Spelling, 429 | 404>> = {
  fastify: {
    '/login#x': 429,
    'http://any-host/login': 429,
    '/LOGIN': 404,
    '/login/': 404,
    '//login': 404,
    '/l%6Fgin': 429,
  },
  express: {
    '/login#x': 429,
    'http://any-host/login': 429,
    '/LOGIN': 429,
    '/login/': 429,
    '//login': 404,
    '/l%6Fgin': 404,
  },
  hono: {
    '/login#x': 429,
    'http://any-host/login': 429,
    '/LOGIN': 404,
    '/login/': 404,
    '//login': 404,
    '/l%6Fgin': 429,
  },
  fetch: {
    '/login#x': 429,
    'http://any-host/login': 429,
    '/LOGIN': 429,
    '/login/': 429,
    '//login': 429,
    '/l%6Fgin': 429,
  },
}

/** The spellings of `GET /login` each router takes, and the path and route its view reports. */
const VIEWS: Record<PathServer['name'], Record<string, Omit<Where, 'method'>>> = {
  fastify: {
    '/login#x': { path: '/login', route: '/login' },
    'http://any-host/login': { path: '/login', route: '/login' },
    '/l%6Fgin': { path: '/login', route: '/login' },
    '/login?a=b#c': { path: '/login', route: '/login' },
  },
  express: {
    '/login#x': { path: '/login', route: '/login' },
    'http://any-host/login': { path: '/login', route: '/login' },
    // Express matches case-insensitively and ignores a trailing slash: the path is the request's.
    '/LOGIN': { path: '/LOGIN', route: '/login' },
    '/login/': { path: '/login/', route: '/login' },
    '/login?a=b#c': { path: '/login', route: '/login' },
  },
  hono: {
    '/login#x': { path: '/login', route: '/login' },
    'http://any-host/login': { path: '/login', route: '/login' },
    '/l%6Fgin': { path: '/login', route: '/login' },
    '/login?a=b#c': { path: '/login', route: '/login' },
  },
  fetch: {
    '/login#x': { path: '/login', route: null },
    'http://any-host/login': { path: '/login', route: null },
    '/l%6Fgin': { path: '/login', route: null },
    '/login?a=b#c': { path: '/login', route: null },
  },
}

/** Spellings of `GET /excluded` each router routes there (implicit refresh must not run). */
const EXCLUDED: Record<'fastify' | 'express' | 'hono', readonly string[]> = {
  fastify: ['/excluded', '/excluded#x', 'http://any-host/excluded', '/ex%63luded'],
  express: ['/excluded', '/excluded#x', 'http://any-host/excluded', '/EXCLUDED', '/excluded/'],
  hono: ['/excluded', '/excluded#x', 'http://any-host/excluded', '/ex%63luded'],
}

const BUILDERS = [fastifyServer, expressServer, honoServer, fetchServer] as const

function assertLimited(response: RawResponse, where: string): void {
  assert.equal(response.status, 429, `${where}: ${response.body}`)
  const body = JSON.parse(response.body) as Record<string, unknown>
  assert.equal(body.error_type, 'RateLimitExceededError', where)
  assert.equal(body.retry_after, 60, where)
  assert.equal(response.headers['retry-after'], '60', where)
}

for (const build of BUILDERS) {
  const name = build.name.replace('Server', '') as PathServer['name']
  void describe(`security: request paths on a real socket [${name}]`, () => {
    let server: PathServer
    before(async () => {
      server = await build()
    })
    after(() => server.close())

    void test('every spelling the router sends to /login counts against the one /login bucket', async () => {
      for (let i = 0; i < 2; i++)
        assert.equal((await rawRequest(server.port, 'POST', '/login')).status, 200)
      assertLimited(await rawRequest(server.port, 'POST', '/login'), '/login')
      for (const spelling of SPELLINGS) {
        const response = await rawRequest(server.port, 'POST', spelling)
        const expected = AFTER_LIMIT[name][spelling]
        if (expected === 429) assertLimited(response, spelling)
        else assert.equal(response.status, 404, `${spelling}: ${response.body}`)
      }
      assert.equal(server.logins(), 2, 'a respelled request ran the login handler')
    })

    void test('view.path (the policy environment path) is the path the router matched', async () => {
      for (const [target, expected] of Object.entries(VIEWS[name])) {
        const response = await rawRequest(server.port, 'GET', target)
        assert.equal(response.status, 200, `${target}: ${response.body}`)
        assert.deepEqual(JSON.parse(response.body), { method: 'GET', ...expected }, target)
      }
    })

    if (name !== 'fetch') {
      const framework = name
      void test('implicitRefreshRouteExclude holds for every spelling routed to the route', async () => {
        const cookie = `access_token_cookie=${server.auth.createAccessToken('alice', { expiresIn: 30 })}`
        const refreshed = (response: RawResponse): boolean =>
          response.setCookies.some((header) => header.startsWith('access_token_cookie='))
        for (const target of EXCLUDED[framework]) {
          const response = await rawRequest(server.port, 'GET', target, { cookie })
          assert.equal(response.status, 200, `${target}: ${response.body}`)
          assert.equal(refreshed(response), false, `${target} was refreshed`)
        }
        // The same cookie on a route that is not excluded is refreshed: the exclusion did it.
        const page = await rawRequest(server.port, 'GET', '/page', { cookie })
        assert.equal(page.status, 200)
        assert.equal(refreshed(page), true)
      })
    } else {
      void test('the Fetch integration has no implicit refresh to exclude routes from', () => {
        assert.equal(server.refreshes, false)
        assert.equal('implicitRefresh' in server.auth, false)
      })
    }
  })
}

void describe('security: request paths on Fastify with folding router options', () => {
  let server: PathServer
  before(async () => {
    server = await fastifyServer({
      routerOptions: {
        caseSensitive: false,
        ignoreTrailingSlash: true,
        ignoreDuplicateSlashes: true,
      },
    })
  })
  after(() => server.close())

  void test('spellings the router folds into /login share its bucket and read /login', async () => {
    for (let i = 0; i < 2; i++)
      assert.equal((await rawRequest(server.port, 'POST', '/login')).status, 200)
    for (const spelling of SPELLINGS)
      assertLimited(await rawRequest(server.port, 'POST', spelling), spelling)
    assert.equal(server.logins(), 2)
    for (const target of ['/LOGIN', '/login/', '//login', '/Log%49n']) {
      const response = await rawRequest(server.port, 'GET', target)
      assert.equal(response.status, 200, `${target}: ${response.body}`)
      assert.deepEqual(JSON.parse(response.body), {
        method: 'GET',
        path: '/login',
        route: '/login',
      })
    }
  })
})

// ------------------------------------------------------------ route patterns, every adapter

/**
 * Whether `/users/1` and `/users/2` share a bucket: one route pattern on every framework; the
 * Fetch integration has no router, hence no pattern, and keys by the path (a custom `key` can
 * group paths there).
 */
const SHARED_PATTERN: Record<string, boolean> = {
  fastify: true,
  express: true,
  hono: true,
  fetch: false,
  koa: true,
  'nestjs-express': true,
  'nestjs-fastify': true,
}

for (const driver of DRIVERS) {
  void describe(`security: the default rate-limit key is the matched route [${driver.name}]`, () => {
    let app: TestApp
    before(async () => {
      app = await driver.build(baseOptions(), [
        {
          method: 'POST',
          path: '/users/:id',
          guard: { kind: 'rate', max: 2, window: 60 },
          handler: { kind: 'echo' },
        },
        {
          method: 'POST',
          path: '/login',
          guard: { kind: 'rate', max: 2, window: 60 },
          handler: { kind: 'echo' },
        },
      ])
    })
    after(() => app.close())

    const limited = async (path: string): Promise<void> => {
      const res = await app.request({ method: 'POST', path })
      assert.equal(res.status, 429, `${path}: ${res.text}`)
      assert.deepEqual(res.body, {
        detail: 'Rate limit exceeded. Retry after 60 seconds.',
        error_type: 'RateLimitExceededError',
        retry_after: 60,
      })
      assert.equal(res.headers['retry-after'], '60')
    }

    void test('/users/1 and /users/2 are one route: one bucket', async () => {
      for (let i = 0; i < 2; i++)
        assert.equal((await app.request({ method: 'POST', path: '/users/1' })).status, 200)
      await limited('/users/1')
      const other = await app.request({ method: 'POST', path: '/users/2' })
      if (SHARED_PATTERN[driver.name] === true) {
        await limited('/users/2')
        assert.equal(app.handlerRuns('/users/:id'), 2)
      } else {
        assert.equal(other.status, 200, other.text)
        assert.equal(app.handlerRuns('/users/:id'), 3)
      }
    })

    void test('another route keeps its own bucket, and is limited once spent', async () => {
      for (let i = 0; i < 2; i++)
        assert.equal((await app.request({ method: 'POST', path: '/login' })).status, 200)
      await limited('/login')
      assert.equal(app.handlerRuns('/login'), 2)
    })
  })
}
