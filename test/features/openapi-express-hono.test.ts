/**
 * OpenAPI security schemes (AuthX 2.11) on Express and Hono, which have no document generator of
 * their own: the document is built from the app's routes with `auth.openapiComponents()` and
 * `auth.openapiSecurityOf(handler)`, and must say what the Fastify document says.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { Hono } from 'hono'
import { AuthX as ExpressAuthX } from '../../src/adapters/express.ts'
import { AuthX as HonoAuthX } from '../../src/adapters/hono.ts'
import type { AuthXOptions, SecurityRequirement } from '../../src/index.ts'

const SECRET = 'openapi-test-secret-at-least-32-bytes!'
const OPTIONS: AuthXOptions = {
  secretKey: SECRET,
  tokenLocation: ['headers', 'cookies', 'query', 'json'],
}

type Paths = Record<string, Record<string, { security?: SecurityRequirement[] }>>

const EXPECTED_SCHEMES = {
  AuthXBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
  AuthXAccessCookie: { type: 'apiKey', in: 'cookie', name: 'access_token_cookie' },
  AuthXRefreshCookie: { type: 'apiKey', in: 'cookie', name: 'refresh_token_cookie' },
  AuthXQuery: { type: 'apiKey', in: 'query', name: 'token' },
}
const ACCESS = [{ AuthXBearer: [] }, { AuthXAccessCookie: [] }, { AuthXQuery: [] }]
const REFRESH = [{ AuthXBearer: [] }, { AuthXRefreshCookie: [] }, { AuthXQuery: [] }]

/** Adds an operation, with the security of the first AuthX guard among its handlers. */
function addOperation(
  paths: Paths,
  path: string,
  method: string,
  security: SecurityRequirement[] | undefined,
): void {
  const operations = (paths[path] ??= {})
  const operation = (operations[method] ??= {})
  if (security !== undefined && operation.security === undefined) operation.security = security
}

/** A middleware that is not AuthX's: it must not add security to the document. */
function audit(_req: Request, _res: Response, next: NextFunction): void {
  next()
}

describe('OpenAPI security on Express', () => {
  /** Express 5's route layers: `app.router.stack[].route.stack[].handle`. */
  interface ExpressLayer {
    route?: { path: string; stack: { method?: string; handle: unknown }[] }
  }

  it('builds the document from the guarded routes', () => {
    const auth = new ExpressAuthX(OPTIONS)
    const app = express()
    app.get('/open', (_req, res) => {
      res.send('open')
    })
    app.get('/access', audit, auth.accessTokenRequired, (_req, res) => {
      res.send('a')
    })
    app.post('/refresh', auth.refreshTokenRequired, (_req, res) => {
      res.send('r')
    })
    app.get('/header-only', auth.tokenRequired({ locations: ['headers'] }), (_req, res) => {
      res.send('h')
    })
    app.get('/scoped', auth.scopesRequired(['read']), (_req, res) => {
      res.send('s')
    })
    app.get('/limited', auth.rateLimited({ max: 5, window: '1m' }), (_req, res) => {
      res.send('l')
    })

    const paths: Paths = {}
    for (const layer of (app as unknown as { router: { stack: ExpressLayer[] } }).router.stack) {
      if (layer.route === undefined) continue
      for (const handler of layer.route.stack) {
        addOperation(
          paths,
          layer.route.path,
          handler.method ?? 'get',
          auth.openapiSecurityOf(handler.handle),
        )
      }
    }
    const doc = {
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      components: { securitySchemes: auth.openapiComponents() },
      paths,
    }

    assert.deepEqual(doc.components.securitySchemes, EXPECTED_SCHEMES)
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      '/access',
      '/header-only',
      '/limited',
      '/open',
      '/refresh',
      '/scoped',
    ])
    assert.equal(doc.paths['/open']?.get?.security, undefined)
    assert.equal(doc.paths['/limited']?.get?.security, undefined)
    assert.deepEqual(doc.paths['/access']?.get?.security, ACCESS)
    assert.deepEqual(doc.paths['/refresh']?.post?.security, REFRESH)
    assert.deepEqual(doc.paths['/header-only']?.get?.security, [{ AuthXBearer: [] }])
    assert.deepEqual(doc.paths['/scoped']?.get?.security, ACCESS)
  })

  it('knows only the guards of its own instance', () => {
    const auth = new ExpressAuthX(OPTIONS)
    const other = new ExpressAuthX(OPTIONS)
    assert.deepEqual(auth.openapiSecurityOf(auth.currentSubject), ACCESS)
    assert.deepEqual(auth.openapiSecurityOf(auth.freshTokenRequired), ACCESS)
    assert.equal(auth.openapiSecurityOf(other.accessTokenRequired), undefined)
    assert.equal(auth.openapiSecurityOf(audit), undefined)
    assert.equal(auth.openapiSecurityOf('not a function'), undefined)
  })
})

describe('OpenAPI security on Hono', () => {
  it('builds the document from app.routes', () => {
    const auth = new HonoAuthX(OPTIONS)
    const app = new Hono()
    app.use(async (_c, next) => next())
    app.get('/open', (c) => c.text('open'))
    app.get('/access', auth.accessTokenRequired, (c) => c.text('a'))
    app.post('/refresh', auth.refreshTokenRequired, (c) => c.text('r'))
    app.get('/header-only', auth.tokenRequired({ locations: ['headers'] }), (c) => c.text('h'))
    app.get('/scoped', auth.scopesRequired(['read']), (c) => c.text('s'))
    app.get('/ws', auth.webSocketRequired, (c) => c.text('ws'))

    const paths: Paths = {}
    for (const route of app.routes) {
      // Middleware mounted with app.use is method ALL: not an operation.
      if (route.method === 'ALL') continue
      addOperation(
        paths,
        route.path,
        route.method.toLowerCase(),
        auth.openapiSecurityOf(route.handler),
      )
    }
    const doc = {
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      components: { securitySchemes: auth.openapiComponents() },
      paths,
    }

    assert.deepEqual(doc.components.securitySchemes, EXPECTED_SCHEMES)
    assert.equal(doc.paths['/open']?.get?.security, undefined)
    assert.deepEqual(doc.paths['/access']?.get?.security, ACCESS)
    assert.deepEqual(doc.paths['/refresh']?.post?.security, REFRESH)
    assert.deepEqual(doc.paths['/header-only']?.get?.security, [{ AuthXBearer: [] }])
    assert.deepEqual(doc.paths['/scoped']?.get?.security, ACCESS)
    // What authenticateWebSocket reads: the query parameter and the header, never a cookie.
    assert.deepEqual(doc.paths['/ws']?.get?.security, [{ AuthXQuery: [] }, { AuthXBearer: [] }])
  })

  it('knows only the guards of its own instance', () => {
    const auth = new HonoAuthX(OPTIONS)
    const other = new HonoAuthX(OPTIONS)
    assert.deepEqual(auth.openapiSecurityOf(auth.currentSubject), ACCESS)
    assert.equal(auth.openapiSecurityOf(other.accessTokenRequired), undefined)
    assert.equal(auth.openapiSecurityOf(auth.rateLimited({ max: 1, window: 60 })), undefined)
    assert.equal(auth.openapiSecurityOf(undefined), undefined)
  })

  it('uses an apiKey header scheme for a custom header, on both integrations', () => {
    for (const auth of [
      new ExpressAuthX({ secretKey: SECRET, headerName: 'X-Auth-Token', headerType: 'Token' }),
      new HonoAuthX({ secretKey: SECRET, headerName: 'X-Auth-Token', headerType: 'Token' }),
    ]) {
      assert.deepEqual(auth.openapiComponents(), {
        AuthXHeader: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
      })
      assert.deepEqual(auth.openapiSecurityOf(auth.refreshTokenRequired), [{ AuthXHeader: [] }])
    }
  })
})
