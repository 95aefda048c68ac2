/**
 * One small API, the same on every binding (Fastify, Express, Hono and the Fetch integration),
 * protecting its routes with AuthX guards built from the options a test gives:
 *
 * - `GET /reports`: the `read` scope; `POST /reports`: the `write` scope
 * - `GET /whoami`: any access token; answers its `sub`, `client_id` and scopes
 * - `GET /fresh`: a fresh token; `POST /refresh`: a refresh token
 *
 * Every handler counts its runs, so that a test can check a refused request ran none.
 */
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import type { AuthXOptions } from 'authx-ts'
import { AuthX as CoreAuthX } from 'authx-ts'
import { AuthX as ExpressAuthX } from 'authx-ts/express'
import { AuthX as FastifyAuthX } from 'authx-ts/fastify'
import { withAuth } from 'authx-ts/fetch'
import type { FetchHandler } from 'authx-ts/fetch'
import { AuthX as HonoAuthX } from 'authx-ts/hono'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'

/** An answer, its JSON body parsed. */
export interface Answer {
  readonly status: number
  readonly body: Record<string, unknown>
}

/** The API on one binding. */
export interface ResourceServer {
  /** The binding's name, for test titles. */
  readonly binding: string
  /** Loads the keys before the first request (`auth.ready()`). */
  readonly ready: () => Promise<void>
  /**
   * Sends a request with `Authorization: Bearer <token>`.
   *
   * @param method - GET or POST
   * @param path - one of the routes above
   * @param token - the bearer token
   */
  readonly request: (method: 'GET' | 'POST', path: string, token: string) => Promise<Answer>
  /** How many handlers have run so far. */
  readonly handled: () => number
  /** Frees what the binding holds (the Express server). */
  readonly close: () => Promise<void>
}

/** What `/whoami` answers. */
function identity(payload: {
  sub: string
  scopes?: readonly string[] | undefined
  claims: object
}) {
  return {
    sub: payload.sub,
    client_id: (payload.claims as Record<string, unknown>).client_id,
    scopes: payload.scopes ?? [],
  }
}

async function fastifyServer(options: AuthXOptions): Promise<ResourceServer> {
  const auth = new FastifyAuthX(options)
  const app = Fastify()
  auth.handleErrors(app)
  let handled = 0
  const ok = () => {
    handled += 1
    return { ok: true }
  }
  app.get('/reports', { preHandler: auth.scopesRequired(['read']) }, ok)
  app.post('/reports', { preHandler: auth.scopesRequired(['write']) }, ok)
  app.get('/fresh', { preHandler: auth.freshTokenRequired }, ok)
  app.post('/refresh', { preHandler: auth.refreshTokenRequired }, ok)
  app.get('/whoami', { preHandler: auth.accessTokenRequired }, (request) => {
    handled += 1
    return identity(auth.payload(request))
  })
  await app.ready()
  return {
    binding: 'fastify',
    ready: () => auth.ready(),
    request: async (method, url, token) => {
      const response = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
      })
      return { status: response.statusCode, body: response.json() }
    },
    handled: () => handled,
    close: () => app.close(),
  }
}

async function expressServer(options: AuthXOptions): Promise<ResourceServer> {
  const auth = new ExpressAuthX(options)
  const app = express()
  let handled = 0
  const ok = (_req: unknown, res: express.Response) => {
    handled += 1
    res.json({ ok: true })
  }
  app.get('/reports', auth.scopesRequired(['read']), ok)
  app.post('/reports', auth.scopesRequired(['write']), ok)
  app.get('/fresh', auth.freshTokenRequired, ok)
  app.post('/refresh', auth.refreshTokenRequired, ok)
  app.get('/whoami', auth.accessTokenRequired, (req, res) => {
    handled += 1
    res.json(identity(auth.payload(req)))
  })
  auth.handleErrors(app)
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    binding: 'express',
    ready: () => auth.ready(),
    request: async (method, path, token) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}` },
      })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    },
    handled: () => handled,
    close: async () => {
      const closed = once(server, 'close')
      server.close()
      server.closeAllConnections()
      await closed
    },
  }
}

function honoServer(options: AuthXOptions): ResourceServer {
  const auth = new HonoAuthX(options)
  const app = new Hono()
  auth.handleErrors(app)
  let handled = 0
  const ok = (c: { json: (body: unknown) => Response }) => {
    handled += 1
    return c.json({ ok: true })
  }
  app.get('/reports', auth.scopesRequired(['read']), ok)
  app.post('/reports', auth.scopesRequired(['write']), ok)
  app.get('/fresh', auth.freshTokenRequired, ok)
  app.post('/refresh', auth.refreshTokenRequired, ok)
  app.get('/whoami', auth.accessTokenRequired, (c) => {
    handled += 1
    return c.json(identity(c.get('authx')))
  })
  return {
    binding: 'hono',
    ready: () => auth.ready(),
    request: async (method, path, token) => {
      const response = await app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}` },
      })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    },
    handled: () => handled,
    close: async () => undefined,
  }
}

function fetchServer(options: AuthXOptions): ResourceServer {
  const auth = new CoreAuthX(options)
  let handled = 0
  const ok = () => {
    handled += 1
    return Response.json({ ok: true })
  }
  const routes: Record<string, FetchHandler> = {
    'GET /reports': withAuth(auth, { scopes: ['read'] }, ok),
    'POST /reports': withAuth(auth, { scopes: ['write'] }, ok),
    'GET /fresh': withAuth(auth, { verifyFresh: true }, ok),
    'POST /refresh': withAuth(auth, { type: 'refresh' }, ok),
    'GET /whoami': withAuth(auth, {}, (_request, { payload }) => {
      handled += 1
      return Response.json(identity(payload))
    }),
  }
  return {
    binding: 'fetch',
    ready: () => auth.ready(),
    request: async (method, path, token) => {
      const route = routes[`${method} ${path}`]
      if (route === undefined) throw new Error(`no route ${method} ${path}`)
      const response = await route(
        new Request(`http://api.test${path}`, {
          method,
          headers: { authorization: `Bearer ${token}` },
        }),
      )
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    },
    handled: () => handled,
    close: async () => undefined,
  }
}

/** The bindings, by name: each builds the API with the given AuthX options. */
export const BINDINGS: Readonly<
  Record<string, (options: AuthXOptions) => ResourceServer | Promise<ResourceServer>>
> = {
  fastify: fastifyServer,
  express: expressServer,
  hono: honoServer,
  fetch: fetchServer,
}
