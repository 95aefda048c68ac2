/**
 * The Hono conformance driver: a real Hono 4 app built from route specs, requests sent through
 * `app.request` (Hono's full routing and middleware chain, without a socket).
 */
import type { AddressInfo } from 'node:net'
import { Hono } from 'hono'
import type { Context, MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { serve } from '@hono/node-server'
import type { ServerType } from '@hono/node-server'
import { createNodeWebSocket } from '@hono/node-ws'
import * as entry from '../../../src/adapters/hono.ts'
import { AuthX } from '../../../src/adapters/hono.ts'
import type { AuthXOptions } from '../../../src/index.ts'
import { guardOf, handlerOf, payloadBody, surfaceOf } from '../driver.ts'
import type {
  AdapterDriver,
  BuildExtra,
  HandlerSpec,
  OpenAPIDocument,
  OpenAPIRoute,
  RouteSpec,
  TestApp,
  TestRequest,
  TestResponse,
  WebSocketApp,
} from '../driver.ts'
import { fetchRequest, testResponse } from './fetch.ts'

/** The body as a Hono handler reads it: through the request's cache, so a guard's read is kept. */
async function bodyOf(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? ''
  if (c.req.raw.body === null) return null
  if (/json/i.test(type)) return (await c.req.json()) as unknown
  if (/x-www-form-urlencoded|multipart\/form-data/i.test(type)) return await c.req.parseBody()
  return await c.req.text()
}

async function runHandler(auth: AuthX, spec: HandlerSpec, c: Context): Promise<Response> {
  switch (spec.kind) {
    case 'payload':
      return c.json(payloadBody(auth.payload(c)))
    case 'subject':
      return c.json({ subject: auth.subject(c) })
    case 'issue': {
      const pair = auth.createTokenPair(spec.uid ?? 'user1', { fresh: spec.fresh ?? false })
      if (spec.cookies === 'access' || spec.cookies === 'both')
        auth.setAccessCookies(pair.access_token, c, spec.maxAge)
      if (spec.cookies === 'refresh' || spec.cookies === 'both')
        auth.setRefreshCookies(pair.refresh_token, c, spec.maxAge)
      return c.json({ access_token: pair.access_token, refresh_token: pair.refresh_token })
    }
    case 'logout':
      auth.unsetCookies(c)
      return c.json({})
    case 'logout-access':
      auth.unsetAccessCookies(c)
      return c.json({})
    case 'read':
      // The Fetch request under the context: the core reads a clone of its body.
      return c.json({
        token: await auth.getTokenFromRequest(c.req.raw, { type: spec.type, optional: true }),
      })
    case 'echo':
      return c.json({ body: await bodyOf(c) })
    case 'throw':
      throw spec.error()
    case 'json':
      return c.json(spec.body, spec.status as ContentfulStatusCode)
    case 'optional-payload': {
      const payload = auth.optionalPayload(c)
      return c.json({ payload: payload === null ? null : payloadBody(payload) })
    }
    case 'refresh':
      // The Hono context itself, as every core method takes it.
      return c.json(await auth.refresh(await auth.getRefreshTokenFromRequest(c, spec.locations)))
  }
}

/** `/ws` behind `webSocketRequired` with @hono/node-ws on @hono/node-server, and `/plain`. */
async function serveWebSocket(options: AuthXOptions): Promise<WebSocketApp> {
  const auth = new AuthX(options)
  const app = new Hono()
  const nodeWs = createNodeWebSocket({ app })
  let runs = 0
  app.get(
    '/ws',
    auth.webSocketRequired,
    nodeWs.upgradeWebSocket((c) => {
      runs++
      const sub = auth.payload(c).sub
      return {
        onOpen: (_event, ws) => {
          ws.send(`hello ${sub}`)
        },
      }
    }),
  )
  app.get('/plain', (c) => c.text('ok'))
  const server = await new Promise<ServerType>((resolve) => {
    const started: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(started),
    )
  })
  nodeWs.injectWebSocket(server)
  return {
    auth,
    base: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handlerRuns: () => runs,
    // @hono/node-ws writes only the status line of a refusal: the body is seen in process.
    inProcess: async (path) =>
      testResponse(
        await app.request(`http://localhost${path}`, {
          headers: { upgrade: 'websocket', connection: 'Upgrade' },
        }),
      ),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)))
      }),
  }
}

/** A middleware that is not AuthX's. */
const audit: MiddlewareHandler = async (_c, next) => next()

/** The paths `auth.openapi(app)` reads from `app.routes`. */
function openapiDocument(options: AuthXOptions, routes: OpenAPIRoute[]): Promise<OpenAPIDocument> {
  const auth = new AuthX(options)
  const app = new Hono()
  // Middleware mounted with app.use is method ALL: not an operation.
  app.use(async (_c, next) => next())
  for (const route of routes) {
    const guard = guardOf(auth, route.guard)
    const handlers: MiddlewareHandler[] = [
      ...(route.audit === true ? [audit] : []),
      ...(guard === undefined ? [] : [guard as MiddlewareHandler]),
    ]
    // One entry of app.routes per handler, as Hono lists a route's chain.
    for (const handler of handlers) app.on(route.method, route.path, handler)
    app.on(route.method, route.path, (c) => c.text('ok'))
  }
  return Promise.resolve({ securitySchemes: auth.openapiComponents(), paths: auth.openapi(app) })
}

/** Builds Hono apps with `authx-ts/hono`. */
export const honoDriver: AdapterDriver = {
  name: 'hono',
  async build(
    options: AuthXOptions,
    routes: RouteSpec[],
    extra: BuildExtra = {},
  ): Promise<TestApp> {
    const app = new Hono()
    const auth = new AuthX(options)
    extra.setup?.(auth)
    if (extra.handleErrors === true) auth.handleErrors(app)
    if (extra.implicitRefresh === true) auth.implicitRefresh(app)
    const runs = new Map<string, number>()
    for (const route of routes) {
      const spec = handlerOf(route)
      const guard = guardOf(auth, route.guard)
      const handler = (c: Context): Promise<Response> => {
        runs.set(route.path, (runs.get(route.path) ?? 0) + 1)
        return runHandler(auth, spec, c)
      }
      if (route.method === 'ALL') {
        if (guard === undefined) app.all(route.path, handler)
        else app.all(route.path, guard, handler)
      } else if (guard === undefined) app.on(route.method, route.path, handler)
      else app.on(route.method, route.path, guard, handler)
    }

    return {
      auth,
      request: async (req: TestRequest): Promise<TestResponse> =>
        testResponse(await app.request(fetchRequest('http://localhost', req))),
      handlerRuns: (path) => runs.get(path) ?? 0,
      close: () => Promise.resolve(),
    }
  },
  surface: () => Promise.resolve(surfaceOf(entry, new AuthX({ secretKey: 'x'.repeat(32) }))),
  implicitRefresh: true,
  webSocket: { serve: serveWebSocket, refusalBody: false },
  openapi: {
    document: openapiDocument,
    binding: (options) => new AuthX(options),
    webSocketGuard: true,
  },
}
