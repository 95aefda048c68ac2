/**
 * The Fetch conformance driver: route specs become plain `(request: Request) => Promise<Response>`
 * handlers built with `withAuth` / `handleErrors` / `applyCookies` from `src/adapters/fetch.ts`
 * over the core `AuthX`, behind a minimal router standing in for the runtime (Bun.serve,
 * Deno.serve, a Next.js route file). Requests are real Fetch `Request` objects.
 *
 * Also exports the helpers the Express and Hono drivers share: building a Fetch `Request` from a
 * {@link TestRequest} and reading a Fetch `Response` into a {@link TestResponse}.
 */
import * as entry from '../../../src/adapters/fetch.ts'
import { applyCookies, handleErrors, withAuth } from '../../../src/adapters/fetch.ts'
import type { FetchHandler, WithAuthOptions } from '../../../src/adapters/fetch.ts'
import { AuthX } from '../../../src/index.ts'
import type { AuthXOptions, TokenPayload } from '../../../src/index.ts'
import { handlerOf, parseBody, payloadBody, surfaceOf } from '../driver.ts'
import type {
  AdapterDriver,
  BuildExtra,
  GuardSpec,
  HandlerSpec,
  RouteSpec,
  TestApp,
  TestRequest,
  TestResponse,
} from '../driver.ts'

/**
 * A Fetch `Request` for a test request: an object body is sent as JSON with
 * `content-type: application/json` unless the headers name another type.
 *
 * @param base - scheme and authority, e.g. `http://127.0.0.1:3000`
 * @param req - the test request
 */
export function fetchRequest(base: string, req: TestRequest): Request {
  const headers = new Headers(req.headers)
  let body: string | undefined
  if (typeof req.body === 'string') body = req.body
  else if (req.body !== undefined) {
    body = JSON.stringify(req.body)
    if (!headers.has('content-type')) headers.set('content-type', 'application/json')
  }
  return new Request(`${base}${req.path}`, {
    method: req.method,
    headers,
    ...(body === undefined ? {} : { body }),
  })
}

/**
 * Reads a Fetch `Response` the way every driver reports it.
 *
 * @param res - the response
 */
export async function testResponse(res: Response): Promise<TestResponse> {
  const headers: Record<string, string> = {}
  res.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  const text = await res.text()
  return {
    status: res.status,
    headers,
    setCookies: res.headers.getSetCookie(),
    body: parseBody(text),
    text,
  }
}

/** A route path as a regular expression: `:name` matches one non-empty segment. */
function routePattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) =>
      segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/')
  return new RegExp(`^${source}$`)
}

/**
 * What each guard spec means for `withAuth`; `undefined` for an unguarded route and for a rate
 * limit, which is not an authentication (the driver enforces it itself).
 */
function guardOf(spec: GuardSpec): WithAuthOptions | undefined {
  switch (spec.kind) {
    case 'rate':
      return undefined
    case 'access':
      return { type: 'access' }
    case 'refresh':
      return { type: 'refresh' }
    case 'fresh':
      return { type: 'access', verifyFresh: true }
    case 'subject':
      return { type: 'access', subject: true }
    case 'none':
      return undefined
    case 'token':
      return spec.options
    case 'scopes':
      return { type: 'access', scopes: spec.scopes, allScopes: spec.all ?? true }
    case 'websocket':
      throw new TypeError('the Fetch integration has no WebSocket guard')
    case 'optional':
      return { ...spec.options, optional: true }
  }
}

/** What `withAuth` hands a handler: the payload (null on an optional route without a token). */
type HandlerContext = { payload: TokenPayload | null; subject?: unknown } | undefined

async function bodyOf(request: Request): Promise<unknown> {
  const type = request.headers.get('content-type') ?? ''
  if (request.body === null) return null
  if (/json/i.test(type)) return (await request.json()) as unknown
  if (/x-www-form-urlencoded/i.test(type)) return Object.fromEntries(await request.formData())
  return await request.text()
}

async function runHandler(
  auth: AuthX,
  spec: HandlerSpec,
  request: Request,
  context: HandlerContext,
): Promise<Response> {
  switch (spec.kind) {
    case 'payload': {
      if (context?.payload == null) throw new TypeError('a payload handler needs a guarded route')
      return Response.json(payloadBody(context.payload))
    }
    case 'subject':
      return Response.json({ subject: context?.subject })
    case 'issue': {
      const pair = auth.createTokenPair(spec.uid ?? 'user1', { fresh: spec.fresh ?? false })
      const maxAge = spec.maxAge === undefined ? {} : { maxAge: spec.maxAge }
      const cookies = [
        ...(spec.cookies === 'access' || spec.cookies === 'both'
          ? auth.accessCookies(pair.access_token, maxAge)
          : []),
        ...(spec.cookies === 'refresh' || spec.cookies === 'both'
          ? auth.refreshCookies(pair.refresh_token, maxAge)
          : []),
      ]
      return applyCookies(
        Response.json({ access_token: pair.access_token, refresh_token: pair.refresh_token }),
        cookies,
      )
    }
    case 'logout':
      return applyCookies(Response.json({}), auth.unsetCookies())
    case 'logout-access':
      return applyCookies(Response.json({}), auth.unsetCookies('access'))
    case 'read':
      return Response.json({
        token: await auth.getTokenFromRequest(request, { type: spec.type, optional: true }),
      })
    case 'echo':
      return Response.json({ body: await bodyOf(request) })
    case 'throw':
      throw spec.error()
    case 'json':
      return Response.json(spec.body, { status: spec.status })
    case 'optional-payload': {
      const payload = context?.payload ?? null
      return Response.json({ payload: payload === null ? null : payloadBody(payload) })
    }
    case 'refresh':
      return Response.json(
        await auth.refresh(await auth.getRefreshTokenFromRequest(request, spec.locations)),
      )
  }
}

/** Builds Fetch handlers with `withAuth` on the core `AuthX`. */
export const fetchDriver: AdapterDriver = {
  name: 'fetch',
  async build(
    options: AuthXOptions,
    routes: RouteSpec[],
    extra: BuildExtra = {},
  ): Promise<TestApp> {
    if (extra.implicitRefresh === true)
      throw new TypeError('the Fetch integration has no implicit refresh')
    const auth = new AuthX(options)
    extra.setup?.(auth)
    const runs = new Map<string, number>()
    const table: { method: RouteSpec['method']; pattern: RegExp; handler: FetchHandler }[] = []
    for (const route of routes) {
      const spec = handlerOf(route)
      const guard = guardOf(route.guard)
      const count = (): void => {
        runs.set(route.path, (runs.get(route.path) ?? 0) + 1)
      }
      const open = (request: Request): Promise<Response> => {
        count()
        return runHandler(auth, spec, request, undefined)
      }
      let handler: FetchHandler
      if (route.guard.kind === 'rate') {
        // No middleware chain here: the handler enforces the limit before doing anything.
        const limit = auth.rateLimit({ max: route.guard.max, window: route.guard.window })
        handler = handleErrors(auth, async (request) => {
          await auth.enforceRateLimit(request, limit)
          return open(request)
        })
      } else if (guard !== undefined) {
        const run = (request: Request, context: HandlerContext): Promise<Response> => {
          count()
          return runHandler(auth, spec, request, context)
        }
        handler =
          guard.optional === true
            ? withAuth(auth, { ...guard, optional: true, subject: false }, run)
            : withAuth(auth, { ...guard, optional: false }, run)
      } else {
        // Guarded routes always render AuthX errors (withAuth does); `handleErrors` decides it
        // for unguarded ones, as it does for the frameworks' error handlers.
        handler = extra.handleErrors === true ? handleErrors(auth, open) : open
      }
      table.push({ method: route.method, pattern: routePattern(route.path), handler })
    }

    /**
     * The runtime's part: route by method (as sent: a Fetch `Request` upper-cases only the
     * standard six) and exact pathname, `:name` matching one segment; an uncaught error is a
     * bare 500.
     */
    const serve = async (request: Request): Promise<Response> => {
      const { pathname } = new URL(request.url)
      const head = request.method === 'HEAD'
      const method = head ? 'GET' : request.method
      const handler = table.find(
        (entry) =>
          (entry.method === 'ALL' || entry.method === method) && entry.pattern.test(pathname),
      )?.handler
      if (handler === undefined) return new Response('Not Found', { status: 404 })
      try {
        const response = await handler(request)
        return head ? new Response(null, response) : response
      } catch {
        return new Response('Internal Server Error', { status: 500 })
      }
    }

    return {
      auth,
      request: async (req: TestRequest): Promise<TestResponse> =>
        testResponse(await serve(fetchRequest('http://localhost', req))),
      handlerRuns: (path) => runs.get(path) ?? 0,
      close: () => Promise.resolve(),
    }
  },
  surface: () => Promise.resolve(surfaceOf(entry, new AuthX({ secretKey: 'x'.repeat(32) }))),
  implicitRefresh: {
    missing:
      'a Fetch handler returns its own Response, with no hook around it to add a cookie to: ' +
      'it sets the cookies it wants with applyCookies',
    absent: ['implicitRefresh'],
  },
  webSocket: {
    missing:
      'each runtime upgrades in its own way (Bun server.upgrade, Deno.upgradeWebSocket): ' +
      'call auth.authenticateWebSocket(request) before it',
    absent: ['webSocketRequired', 'webSocketUpgrade', 'authenticateUpgrade'],
  },
  openapi: {
    missing:
      'withAuth keeps no route table to describe: use auth.openapiSecurity(options) per route',
    absent: ['openapi', 'openapiSecurityOf'],
  },
}
