/**
 * The Koa conformance driver: a real Koa 3 app with `@koa/router` built from route specs, served
 * on 127.0.0.1 port 0 and called with `fetch`. The app uses no body parser unless a case asks for
 * one: the adapter reads what it needs itself.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Koa from 'koa'
import type { Context, Next } from 'koa'
import Router from '@koa/router'
import { WebSocketServer } from 'ws'
import * as entry from '../../../src/adapters/koa.ts'
import { AuthX } from '../../../src/adapters/koa.ts'
import type { AuthXOptions } from '../../../src/index.ts'
import { guardOf, handlerOf, runHandlerSpec, surfaceOf } from '../driver.ts'
import type {
  AdapterDriver,
  BuildExtra,
  OpenAPIDocument,
  OpenAPIRoute,
  RouteSpec,
  TestApp,
  TestRequest,
  TestResponse,
  WebSocketApp,
} from '../driver.ts'
import { fetchRequest, testResponse } from './fetch.ts'

/** Reads a whole request body as text. */
async function readText(ctx: Context): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** A minimal body parser for the cases that ask the app to parse forms or `+json` bodies. */
function bodyParser(extra: BuildExtra) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const type = ctx.get('content-type').toLowerCase()
    const request = ctx.request as { body?: unknown }
    if (extra.parseForms === true && type.startsWith('application/x-www-form-urlencoded'))
      request.body = Object.fromEntries(new URLSearchParams(await readText(ctx)))
    else if (extra.parseJSONSuffix === true && /^application\/([^;]+\+)?json(;|$)/.test(type)) {
      const text = await readText(ctx)
      try {
        request.body = JSON.parse(text) as unknown
      } catch {
        ctx.throw(400, 'invalid JSON')
      }
    }
    await next()
  }
}

/** A Node server for a Koa app (Koa's request listener returns a promise Node ignores). */
function serverOf(app: Koa): Server {
  const listener = app.callback()
  return createServer((req, res) => {
    void listener(req, res)
  })
}

/** A `ws` server in `noServer` mode behind `auth.webSocketUpgrade(wss)`, and Koa's `/plain`. */
async function serveWebSocket(options: AuthXOptions): Promise<WebSocketApp> {
  const auth = new AuthX(options)
  const app = new Koa()
  const router = new Router()
  router.get('/plain', (ctx) => {
    ctx.body = 'ok'
  })
  app.use(router.routes())
  const wss = new WebSocketServer({ noServer: true })
  const server = serverOf(app)
  let runs = 0
  wss.on('connection', (ws, req) => {
    runs++
    ws.send(`hello ${auth.payload(req).sub}`)
  })
  server.on('upgrade', auth.webSocketUpgrade(wss))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    auth,
    base: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handlerRuns: () => runs,
    close: async () => {
      wss.close()
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}

/** A middleware that is not AuthX's. */
async function audit(_ctx: Context, next: Next): Promise<void> {
  await next()
}

/** The paths `auth.openapi(router)` reads from the router's layers. */
function openapiDocument(options: AuthXOptions, routes: OpenAPIRoute[]): Promise<OpenAPIDocument> {
  const auth = new AuthX(options)
  const router = new Router()
  for (const route of routes) {
    const guard = guardOf(auth, route.guard)
    const handlers = [
      ...(route.audit === true ? [audit] : []),
      ...(guard === undefined ? [] : [guard]),
      (ctx: Context) => {
        ctx.body = 'ok'
      },
    ]
    router.register(route.path, [route.method], handlers)
  }
  return Promise.resolve({
    securitySchemes: auth.openapiComponents(),
    paths: auth.openapi(router),
  })
}

/** Builds Koa apps with `authx-ts/koa`. */
export const koaDriver: AdapterDriver = {
  name: 'koa',
  async build(
    options: AuthXOptions,
    routes: RouteSpec[],
    extra: BuildExtra = {},
  ): Promise<TestApp> {
    const app = new Koa()
    // Keeps Koa from logging the 500s that cases provoke on purpose.
    app.silent = true
    const auth = new AuthX(options)
    extra.setup?.(auth)
    // Koa error handlers cover the middleware after them.
    if (extra.handleErrors === true) auth.handleErrors(app)
    if (extra.implicitRefresh === true) auth.implicitRefresh(app)
    if (extra.parseForms === true || extra.parseJSONSuffix === true) app.use(bodyParser(extra))
    const router = new Router()
    const runs = new Map<string, number>()
    for (const route of routes) {
      const spec = handlerOf(route)
      const guard = guardOf(auth, route.guard)
      const handler = async (ctx: Context): Promise<void> => {
        runs.set(route.path, (runs.get(route.path) ?? 0) + 1)
        ctx.body = await runHandlerSpec<Context, Context>(auth, spec, {
          request: ctx,
          reply: ctx,
          body: (ctx.request as { body?: unknown }).body,
          status: (code) => (ctx.status = code),
        })
      }
      const handlers = guard === undefined ? [handler] : [guard, handler]
      if (route.method === 'ALL') router.all(route.path, ...handlers)
      // `register` takes any method, PURGE and PROPFIND included.
      else router.register(route.path, [route.method], handlers)
    }
    app.use(router.routes())
    const server = serverOf(app)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const base = `http://127.0.0.1:${port}`

    return {
      auth,
      request: async (req: TestRequest): Promise<TestResponse> =>
        testResponse(await fetch(fetchRequest(base, req))),
      handlerRuns: (path) => runs.get(path) ?? 0,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error === undefined ? resolve() : reject(error)))
          server.closeAllConnections()
        }),
    }
  },
  surface: () => Promise.resolve(surfaceOf(entry, new AuthX({ secretKey: 'x'.repeat(32) }))),
  implicitRefresh: true,
  // The upgrade never reaches Koa: `rejectUpgrade` writes the whole contract on the socket.
  webSocket: { serve: serveWebSocket, refusalBody: true },
  openapi: {
    document: openapiDocument,
    binding: (options) => new AuthX(options),
    // WebSockets are guarded on the server's 'upgrade' event, not on a route.
    webSocketGuard: false,
  },
}
