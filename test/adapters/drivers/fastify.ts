/**
 * The Fastify conformance driver: a real Fastify 5 app built from route specs, requests sent
 * through `app.inject` (Fastify's full routing, hooks, parsers and serializers, without a socket).
 */
import Fastify from 'fastify'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import swagger from '@fastify/swagger'
import websocket from '@fastify/websocket'
import * as entry from '../../../src/adapters/fastify.ts'
import { AuthX } from '../../../src/adapters/fastify.ts'
import type { AuthXOptions } from '../../../src/index.ts'
import { guardOf, handlerOf, parseBody, runHandlerSpec, surfaceOf } from '../driver.ts'
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

/** `/ws` behind `webSocketRequired` with `@fastify/websocket`, and `/plain`. */
async function serveWebSocket(options: AuthXOptions): Promise<WebSocketApp> {
  const auth = new AuthX(options)
  const app = Fastify()
  let runs = 0
  await app.register(websocket)
  app.register(async (scoped) => {
    scoped.get(
      '/ws',
      { websocket: true, preValidation: auth.webSocketRequired },
      (socket, request) => {
        runs++
        socket.send(`hello ${auth.payload(request).sub}`)
      },
    )
  })
  app.get('/plain', async () => 'ok')
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    auth,
    base: address.replace('http', 'ws'),
    handlerRuns: () => runs,
    close: () => app.close(),
  }
}

/** A preHandler that is not AuthX's. */
function audit(_request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
  done()
}

/** The document `@fastify/swagger` generates, with `auth.openapi(app)` called first. */
async function openapiDocument(
  options: AuthXOptions,
  routes: OpenAPIRoute[],
): Promise<OpenAPIDocument> {
  const auth = new AuthX(options)
  const app = Fastify()
  await app.register(swagger, {
    openapi: {
      info: { title: 't', version: '1' },
      components: { securitySchemes: auth.openapiComponents() },
    },
  })
  auth.openapi(app)
  for (const route of routes) {
    const guard = guardOf(auth, route.guard)
    // Hook arrays, the form apps with several preHandlers use.
    const preHandler = [
      ...(route.audit === true ? [audit] : []),
      ...(guard === undefined ? [] : [guard]),
    ]
    app.route({ method: route.method, url: route.path, preHandler, handler: async () => 'ok' })
  }
  await app.ready()
  const doc = app.swagger() as {
    components: { securitySchemes: unknown }
    paths: OpenAPIDocument['paths']
  }
  await app.close()
  return { securitySchemes: doc.components.securitySchemes, paths: doc.paths }
}

/** Builds Fastify apps with `authx-ts/fastify`. */
export const fastifyDriver: AdapterDriver = {
  name: 'fastify',
  async build(
    options: AuthXOptions,
    routes: RouteSpec[],
    extra: BuildExtra = {},
  ): Promise<TestApp> {
    const app = Fastify()
    const auth = new AuthX(options)
    extra.setup?.(auth)
    if (extra.handleErrors === true) auth.handleErrors(app)
    if (extra.implicitRefresh === true) auth.implicitRefresh(app)
    if (extra.parseForms === true) {
      // Fastify parses JSON only; a form needs a parser (or @fastify/formbody).
      app.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_request, body, done) => {
          done(null, Object.fromEntries(new URLSearchParams(body as string)))
        },
      )
    }
    if (extra.parseJSONSuffix === true) {
      // Fastify's JSON parser takes `application/json` only; `+json` types need their own.
      app.addContentTypeParser(
        /^application\/[^;]+\+json(;|$)/i,
        { parseAs: 'string' },
        app.getDefaultJsonParser('error', 'error'),
      )
    }
    const runs = new Map<string, number>()
    for (const route of routes) {
      const spec = handlerOf(route)
      const preHandler = guardOf(auth, route.guard)
      // Fastify routes only the methods it knows; the others are declared first.
      if (route.method !== 'ALL' && !app.supportedMethods.includes(route.method))
        app.addHttpMethod(route.method, { hasBody: true })
      app.route({
        method: route.method === 'ALL' ? app.supportedMethods : route.method,
        url: route.path,
        ...(preHandler === undefined ? {} : { preHandler }),
        handler: async (request, reply) => {
          runs.set(route.path, (runs.get(route.path) ?? 0) + 1)
          return runHandlerSpec<FastifyRequest, FastifyReply>(auth, spec, {
            request,
            reply,
            body: request.body,
            status: (code) => {
              void reply.code(code)
            },
          })
        },
      })
    }
    await app.ready()

    return {
      auth,
      async request(req: TestRequest): Promise<TestResponse> {
        const headers: Record<string, string> = { ...req.headers }
        let payload: string | undefined
        if (typeof req.body === 'string') payload = req.body
        else if (req.body !== undefined) {
          payload = JSON.stringify(req.body)
          if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
            headers['content-type'] = 'application/json'
        }
        const res = await app.inject({
          method: req.method as 'GET',
          url: req.path,
          headers,
          ...(payload === undefined ? {} : { payload }),
        })
        const out: Record<string, string> = {}
        let setCookies: string[] = []
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue
          if (name === 'set-cookie') setCookies = Array.isArray(value) ? value : [String(value)]
          else out[name] = Array.isArray(value) ? value.join(', ') : String(value)
        }
        return {
          status: res.statusCode,
          headers: out,
          setCookies,
          body: parseBody(res.body),
          text: res.body,
        }
      },
      handlerRuns: (path) => runs.get(path) ?? 0,
      close: () => app.close(),
    }
  },
  surface: () => Promise.resolve(surfaceOf(entry, new AuthX({ secretKey: 'x'.repeat(32) }))),
  implicitRefresh: true,
  // @fastify/websocket routes the upgrade request through Fastify, so a refusal is a full reply.
  webSocket: { serve: serveWebSocket, refusalBody: true },
  openapi: {
    document: openapiDocument,
    binding: (options) => new AuthX(options),
    webSocketGuard: true,
  },
}
