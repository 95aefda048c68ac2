/**
 * The Fastify conformance driver: a real Fastify 5 app built from route specs, requests sent
 * through `app.inject` (Fastify's full routing, hooks, parsers and serializers, without a socket).
 */
import Fastify from 'fastify'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AuthX } from '../../../src/adapters/fastify.ts'
import type { AuthXOptions } from '../../../src/index.ts'
import { guardOf, handlerOf, parseBody, payloadBody } from '../driver.ts'
import type {
  AdapterDriver,
  BuildExtra,
  HandlerSpec,
  RouteSpec,
  TestApp,
  TestRequest,
  TestResponse,
} from '../driver.ts'

async function runHandler(
  auth: AuthX,
  spec: HandlerSpec,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  switch (spec.kind) {
    case 'payload':
      return payloadBody(auth.payload(request))
    case 'subject':
      return { subject: auth.subject(request) }
    case 'issue': {
      const pair = auth.createTokenPair(spec.uid ?? 'user1', { fresh: spec.fresh ?? false })
      if (spec.cookies === 'access' || spec.cookies === 'both')
        auth.setAccessCookies(pair.access_token, reply, spec.maxAge)
      if (spec.cookies === 'refresh' || spec.cookies === 'both')
        auth.setRefreshCookies(pair.refresh_token, reply, spec.maxAge)
      return { access_token: pair.access_token, refresh_token: pair.refresh_token }
    }
    case 'logout':
      auth.unsetCookies(reply)
      return {}
    case 'logout-access':
      auth.unsetAccessCookies(reply)
      return {}
    case 'read':
      return {
        token: await auth.getTokenFromRequest(auth.view(request), {
          type: spec.type,
          optional: true,
        }),
      }
    case 'echo':
      return { body: request.body ?? null }
    case 'throw':
      throw spec.error()
  }
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
          return runHandler(auth, spec, request, reply)
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
}
