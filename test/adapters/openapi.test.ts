/**
 * OpenAPI security schemes (AuthX 2.11) on every driver whose binding describes its routes:
 * `@fastify/swagger` with `auth.openapi(app)` on Fastify, `auth.openapi(app)` on Express and Hono
 * (which have no generator of their own). Each document must say the same thing.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AuthX } from '../../src/index.ts'
import type { AuthXOptions } from '../../src/index.ts'
import { isMissing } from './driver.ts'
import type { OpenAPIRoute } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'

const SECRET = 'openapi-test-secret-at-least-32-bytes!'
const OPTIONS: AuthXOptions = {
  secretKey: SECRET,
  tokenLocation: ['headers', 'cookies', 'query', 'json'],
}
const CUSTOM_HEADER: AuthXOptions = {
  secretKey: SECRET,
  headerName: 'X-Auth-Token',
  headerType: 'Token',
}

const EXPECTED_SCHEMES = {
  AuthXBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
  AuthXAccessCookie: { type: 'apiKey', in: 'cookie', name: 'access_token_cookie' },
  AuthXRefreshCookie: { type: 'apiKey', in: 'cookie', name: 'refresh_token_cookie' },
  AuthXQuery: { type: 'apiKey', in: 'query', name: 'token' },
}
const ACCESS = [{ AuthXBearer: [] }, { AuthXAccessCookie: [] }, { AuthXQuery: [] }]
const REFRESH = [{ AuthXBearer: [] }, { AuthXRefreshCookie: [] }, { AuthXQuery: [] }]

const ROUTES: OpenAPIRoute[] = [
  { method: 'GET', path: '/open', guard: { kind: 'none' } },
  { method: 'GET', path: '/access', guard: { kind: 'access' }, audit: true },
  { method: 'POST', path: '/refresh', guard: { kind: 'refresh' } },
  {
    method: 'GET',
    path: '/header-only',
    guard: { kind: 'token', options: { locations: ['headers'] } },
  },
  { method: 'GET', path: '/scoped', guard: { kind: 'scopes', scopes: ['read'] } },
  { method: 'GET', path: '/limited', guard: { kind: 'rate', max: 5, window: 60 } },
  { method: 'GET', path: '/maybe', guard: { kind: 'optional' } },
]

for (const driver of DRIVERS) {
  const capability = driver.openapi
  if (isMissing(capability)) {
    describe(`OpenAPI security [${driver.name}]`, () => {
      it('is declared missing, with the reason, and the binding really has none', async () => {
        assert.match(capability.missing, /\w{10}/)
        const surface = await driver.surface()
        for (const name of capability.absent) assert.equal(surface.has(name), false, name)
        // What the binding's users call instead: the core's description of one route.
        const auth = new AuthX(OPTIONS)
        assert.deepEqual(auth.openapiComponents(), EXPECTED_SCHEMES)
        assert.deepEqual(auth.openapiSecurity({ type: 'refresh' }), REFRESH)
      })
    })
    continue
  }

  describe(`OpenAPI security [${driver.name}]`, () => {
    it('declares bearer, cookie and query schemes per guarded route', async () => {
      const routes: OpenAPIRoute[] = capability.webSocketGuard
        ? [...ROUTES, { method: 'GET', path: '/ws', guard: { kind: 'websocket' } }]
        : ROUTES
      const doc = await capability.document(OPTIONS, routes)
      assert.deepEqual(doc.securitySchemes, EXPECTED_SCHEMES)
      assert.deepEqual(Object.keys(doc.paths).sort(), routes.map((route) => route.path).sort())
      assert.equal(doc.paths['/open']?.get?.security, undefined)
      // A rate limit reads no token, and a middleware that is not AuthX's describes nothing.
      assert.equal(doc.paths['/limited']?.get?.security, undefined)
      assert.deepEqual(doc.paths['/access']?.get?.security, ACCESS)
      assert.deepEqual(doc.paths['/refresh']?.post?.security, REFRESH)
      assert.deepEqual(doc.paths['/header-only']?.get?.security, [{ AuthXBearer: [] }])
      assert.deepEqual(doc.paths['/scoped']?.get?.security, ACCESS)
      // An optional token: the empty requirement says the operation works without credentials.
      assert.deepEqual(doc.paths['/maybe']?.get?.security, [...ACCESS, {}])
      if (capability.webSocketGuard) {
        // What authenticateWebSocket reads: the query parameter and the header, never a cookie.
        assert.deepEqual(doc.paths['/ws']?.get?.security, [{ AuthXQuery: [] }, { AuthXBearer: [] }])
      }
    })

    it('knows only the guards of its own instance', () => {
      const auth = capability.binding(OPTIONS)
      const other = capability.binding(OPTIONS)
      assert.deepEqual(auth.openapiSecurityOf(auth.accessTokenRequired), ACCESS)
      assert.deepEqual(auth.openapiSecurityOf(auth.currentSubject), ACCESS)
      assert.deepEqual(auth.openapiSecurityOf(auth.freshTokenRequired), ACCESS)
      assert.equal(auth.openapiSecurityOf(other.accessTokenRequired), undefined)
      assert.equal(auth.openapiSecurityOf(auth.rateLimited({ max: 1, window: 60 })), undefined)
      assert.equal(
        auth.openapiSecurityOf(() => undefined),
        undefined,
      )
      assert.equal(auth.openapiSecurityOf('not a function'), undefined)
      assert.equal(auth.openapiSecurityOf(undefined), undefined)
    })

    it('uses an apiKey header scheme for a custom header', () => {
      const auth = capability.binding(CUSTOM_HEADER)
      assert.deepEqual(auth.openapiComponents(), {
        AuthXHeader: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
      })
      assert.deepEqual(auth.openapiSecurityOf(auth.refreshTokenRequired), [{ AuthXHeader: [] }])
    })
  })
}

describe('OpenAPI security of the core', () => {
  it('uses an apiKey header scheme for a custom header', () => {
    const auth = new AuthX(CUSTOM_HEADER)
    assert.deepEqual(auth.openapiComponents(), {
      AuthXHeader: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
    })
    assert.deepEqual(auth.openapiSecurity({ type: 'refresh' }), [{ AuthXHeader: [] }])
  })
})
