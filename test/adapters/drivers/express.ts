/**
 * The Express conformance driver: a real Express 5 app built from route specs, served on
 * 127.0.0.1 port 0 and called with `fetch`. The app uses no body or cookie parser unless a case
 * asks for one: the adapter reads what it needs itself.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { WebSocketServer } from 'ws'
import * as entry from '../../../src/adapters/express.ts'
import { AuthX } from '../../../src/adapters/express.ts'
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

/** A `ws` server in `noServer` mode behind `auth.webSocketUpgrade(wss)`, and Express's `/plain`. */
async function serveWebSocket(options: AuthXOptions): Promise<WebSocketApp> {
  const auth = new AuthX(options)
  const app = express()
  app.get('/plain', (_req, res) => {
    res.send('ok')
  })
  const wss = new WebSocketServer({ noServer: true })
  const server = createServer(app)
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
function audit(_req: Request, _res: Response, next: NextFunction): void {
  next()
}

/** The paths `auth.openapi(app)` reads from the app's route layers. */
function openapiDocument(options: AuthXOptions, routes: OpenAPIRoute[]): Promise<OpenAPIDocument> {
  const auth = new AuthX(options)
  const app = express()
  for (const route of routes) {
    const guard = guardOf(auth, route.guard)
    const handlers = [
      ...(route.audit === true ? [audit] : []),
      ...(guard === undefined ? [] : [guard]),
    ]
    const method = route.method === 'GET' ? 'get' : 'post'
    app[method](route.path, ...handlers, (_req: Request, res: Response) => {
      res.send('ok')
    })
  }
  return Promise.resolve({ securitySchemes: auth.openapiComponents(), paths: auth.openapi(app) })
}

/** Builds Express apps with `authx-ts/express`. */
export const expressDriver: AdapterDriver = {
  name: 'express',
  async build(
    options: AuthXOptions,
    routes: RouteSpec[],
    extra: BuildExtra = {},
  ): Promise<TestApp> {
    const app = express()
    // 'test' keeps Express's final handler from logging the 500s that cases provoke on purpose.
    app.set('env', 'test')
    const auth = new AuthX(options)
    extra.setup?.(auth)
    if (extra.implicitRefresh === true) auth.implicitRefresh(app)
    if (extra.parseForms === true) app.use(express.urlencoded({ extended: false }))
    if (extra.parseJSONSuffix === true)
      app.use(express.json({ type: ['application/json', 'application/*+json'] }))
    const runs = new Map<string, number>()
    for (const route of routes) {
      const spec = handlerOf(route)
      const guard = guardOf(auth, route.guard)
      const handler = async (req: Request, res: Response): Promise<void> => {
        runs.set(route.path, (runs.get(route.path) ?? 0) + 1)
        const body = await runHandlerSpec<Request, Response>(auth, spec, {
          request: req,
          reply: res,
          body: req.body as unknown,
          status: (code) => res.status(code),
        })
        res.json(body)
      }
      // `app.purge`, `app.propfind` and `app.all` exist alongside the usual methods.
      const method = route.method.toLowerCase() as 'get'
      if (guard === undefined) app[method](route.path, handler)
      else app[method](route.path, guard, handler)
    }
    // Express error handlers go after the routes they cover.
    if (extra.handleErrors === true) auth.handleErrors(app)
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
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
  // The upgrade never reaches Express: `rejectUpgrade` writes the whole contract on the socket.
  webSocket: { serve: serveWebSocket, refusalBody: true },
  openapi: {
    document: openapiDocument,
    binding: (options) => new AuthX(options),
    // WebSockets are guarded on the server's 'upgrade' event, not on a route.
    webSocketGuard: false,
  },
}
