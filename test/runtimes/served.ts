/**
 * The Fetch integration behind the runtime's own HTTP server (`Bun.serve`, `Deno.serve`) on
 * loopback, with requests sent by the runtime's `fetch`: what the conformance suite's in-process
 * requests do not cover, the server's parsing of methods, headers and streamed bodies and its
 * writing of several `Set-Cookie` headers. Bundled into the Bun and Deno runs only: Node's HTTP
 * servers are the other bindings' business, and a Worker cannot listen.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { applyCookies, handleErrors, withAuth } from '../../src/adapters/fetch.ts'
import { AuthX } from '../../src/index.ts'

type Handler = (request: Request) => Promise<Response>

interface Listening {
  base: string
  close(): Promise<void>
}

interface BunLike {
  serve(options: { hostname: string; port: number; fetch: Handler }): {
    port: number
    stop(closeActive: boolean): Promise<void> | void
  }
}

interface DenoLike {
  serve(
    options: { hostname: string; port: number; onListen(): void },
    handler: Handler,
  ): { addr: { port: number }; shutdown(): Promise<void> }
}

/** Starts the runtime's HTTP server on 127.0.0.1, on a port the system picks. */
function listen(handler: Handler): Listening {
  const runtime = globalThis as { Bun?: BunLike; Deno?: DenoLike }
  if (runtime.Bun !== undefined) {
    const server = runtime.Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handler })
    return {
      base: `http://127.0.0.1:${server.port}`,
      close: async () => {
        await server.stop(true)
      },
    }
  }
  if (runtime.Deno !== undefined) {
    const server = runtime.Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, handler)
    return { base: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() }
  }
  throw new TypeError('this suite runs under Bun or Deno, whose servers it starts')
}

void describe('the Fetch integration behind the runtime HTTP server', () => {
  const auth = new AuthX({
    secretKey: 'served-suite-secret-of-32-bytes!!!',
    tokenLocation: ['headers', 'cookies', 'json'],
  })
  let runs = 0
  const me = withAuth(auth, {}, async (request, { payload }) => {
    runs++
    // The guard read a JSON token from a clone: the body is still there. (A bodiless POST has
    // an empty body stream on Deno and none on Bun.)
    const body = request.body === null ? '' : await request.text()
    return Response.json({ user_id: payload.sub, body })
  })
  const login = handleErrors(auth, async () => {
    const pair = auth.createTokenPair('alice', { fresh: true })
    return applyCookies(Response.json({ ok: true }), [
      ...auth.accessCookies(pair.access_token),
      ...auth.refreshCookies(pair.refresh_token),
    ])
  })
  let server: Listening | undefined
  const base = (): string => {
    assert.ok(server !== undefined)
    return server.base
  }
  before(() => {
    server = listen(async (request) => {
      const { pathname } = new URL(request.url)
      if (pathname === '/me') return me(request)
      if (pathname === '/login' && request.method === 'POST') return login(request)
      return new Response('Not Found', { status: 404 })
    })
  })
  after(() => server?.close())

  test('no token: 401 with the JSON contract, the challenge and no-store; the handler never ran', async () => {
    const before = runs
    const res = await fetch(`${base()}/me`)
    assert.equal(res.status, 401)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    assert.equal(res.headers.get('www-authenticate'), 'Bearer')
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.deepEqual(await res.json(), {
      detail: 'Missing JWT in request',
      error_type: 'MissingTokenError',
    })
    assert.equal(runs, before)
  })

  test('a bearer token opens the route', async () => {
    const token = auth.createAccessToken('alice')
    const res = await fetch(`${base()}/me`, { headers: { authorization: `Bearer ${token}` } })
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { user_id: 'alice', body: '' })
  })

  test('a token in a streamed JSON body opens the route and the handler still reads the body', async () => {
    const text = JSON.stringify({ access_token: auth.createAccessToken('alice'), note: 'kept' })
    const res = await fetch(`${base()}/me`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([text]).stream(),
      duplex: 'half',
    } as RequestInit)
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { user_id: 'alice', body: text })
  })

  test('login sets four cookies as four Set-Cookie headers; they open the route with the CSRF header', async () => {
    const res = await fetch(`${base()}/login`, { method: 'POST' })
    assert.equal(res.status, 200)
    const set = res.headers.getSetCookie()
    assert.deepEqual(
      set.map((header) => header.slice(0, header.indexOf('='))),
      ['access_token_cookie', 'csrf_access_token', 'refresh_token_cookie', 'csrf_refresh_token'],
    )
    const jar = new Map(
      set.map((header) => header.split(';', 1)[0]!.split('=') as [string, string]),
    )
    const cookie = `access_token_cookie=${jar.get('access_token_cookie')}`
    const refused = await fetch(`${base()}/me`, { method: 'POST', headers: { cookie } })
    assert.equal(refused.status, 401)
    assert.deepEqual(await refused.json(), {
      detail: 'Missing CSRF token',
      error_type: 'MissingCSRFTokenError',
    })
    const csrf = jar.get('csrf_access_token') ?? ''
    assert.match(csrf, /^[0-9a-f-]{36}$/)
    const ok = await fetch(`${base()}/me`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf },
    })
    assert.equal(ok.status, 200)
    assert.deepEqual(await ok.json(), { user_id: 'alice', body: '' })
  })
})
