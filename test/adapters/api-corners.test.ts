/**
 * The corners of the API where wrong input used to be accepted, on every binding: cookies on an
 * instance that does not read them, `unsetCookies(reply)` with nothing else, custom token
 * extractors per route and per instance, and option keys that no option has.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { RouteSpec, TestApp } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'
import { NOW, baseOptions, bearer, cookieMap, cookies, expectOk, expectRefused } from './helpers.ts'
import { AuthX as CoreAuthX, BadConfigurationError } from '../../src/index.ts'
import type { RequestView } from '../../src/index.ts'
import { AuthX as ExpressAuthX } from '../../src/adapters/express.ts'
import { AuthX as FastifyAuthX } from '../../src/adapters/fastify.ts'
import { AuthX as HonoAuthX } from '../../src/adapters/hono.ts'
import { AuthX as KoaAuthX } from '../../src/adapters/koa.ts'

/** The header a custom extractor reads. */
const apiToken = (view: RequestView): string | undefined => view.header('x-api-token')

const AUTH_COOKIES = [
  'access_token_cookie',
  'csrf_access_token',
  'refresh_token_cookie',
  'csrf_refresh_token',
]

for (const driver of DRIVERS) {
  void describe(`API corners [${driver.name}]`, () => {
    void test('setting cookies on an instance without cookies in tokenLocation fails fast, writing none', async () => {
      const app = await driver.build(baseOptions({ tokenLocation: ['headers'] }), [
        {
          method: 'POST',
          path: '/login',
          guard: { kind: 'none' },
          handler: { kind: 'issue', cookies: 'both' },
        },
      ])
      try {
        const res = await app.request({ method: 'POST', path: '/login' })
        // A programming error: the framework's own 500, and no empty CSRF cookie on the way out.
        assert.equal(res.status, 500)
        assert.deepEqual(res.setCookies, [])
        assert.equal(app.handlerRuns('/login'), 1)
      } finally {
        await app.close()
      }
    })

    void test('unsetCookies(reply) with nothing else deletes every auth cookie', async () => {
      const app = await driver.build(baseOptions({ tokenLocation: ['headers', 'cookies'] }), [
        { method: 'POST', path: '/logout', guard: { kind: 'none' }, handler: { kind: 'logout' } },
      ])
      try {
        const res = await expectOk(app, { method: 'POST', path: '/logout' })
        const deleted = cookieMap(res)
        assert.deepEqual(Object.keys(deleted).sort(), [...AUTH_COOKIES].sort())
        for (const name of AUTH_COOKIES) {
          assert.equal(deleted[name]?.value, '', `${name} is emptied`)
          assert.equal(deleted[name]?.attributes['max-age'], '0', `${name} expires now`)
        }
      } finally {
        await app.close()
      }
    })

    void describe('a custom token extractor', () => {
      let app: TestApp
      const routes: RouteSpec[] = [
        {
          method: 'POST',
          path: '/only',
          guard: { kind: 'token', options: { extractor: apiToken, locations: [] } },
        },
        {
          method: 'GET',
          path: '/first',
          guard: { kind: 'token', options: { extractor: apiToken } },
        },
        {
          method: 'GET',
          path: '/maybe',
          guard: { kind: 'optional', options: { extractor: apiToken, locations: [] } },
        },
        { method: 'GET', path: '/instance', guard: { kind: 'access' } },
      ]

      before(async () => {
        app = await driver.build(baseOptions({ tokenLocation: ['headers', 'cookies'] }), routes, {
          setup: (auth) => auth.setTokenExtractor((view) => view.query('api_token') as string),
        })
      })
      after(() => app.close())

      void test('per route: the token it returns is verified like any other', async () => {
        const token = app.auth.createAccessToken('alice')
        const res = await expectOk(app, {
          method: 'POST',
          path: '/only',
          headers: { 'x-api-token': token },
        })
        assert.equal((res.body as { sub: string }).sub, 'alice')
        const expired = app.auth.createAccessToken('alice', {
          expiresIn: new Date((NOW - 60) * 1000),
        })
        await expectRefused(
          app,
          { method: 'POST', path: '/only', headers: { 'x-api-token': expired } },
          { errorType: 'TokenExpiredError' },
        )
        await expectRefused(
          app,
          {
            method: 'POST',
            path: '/only',
            headers: { 'x-api-token': app.auth.createRefreshToken('a') },
          },
          { errorType: 'AccessTokenRequiredError' },
        )
      })

      void test('per route with no locations: nothing else is read', async () => {
        const token = app.auth.createAccessToken('alice')
        await expectRefused(
          app,
          { method: 'POST', path: '/only', headers: bearer(token) },
          { errorType: 'MissingTokenError' },
        )
        await expectRefused(
          app,
          { method: 'POST', path: '/only', headers: cookies({ access_token_cookie: token }) },
          { errorType: 'MissingTokenError' },
        )
      })

      void test('it runs before the locations, which are searched when it finds nothing', async () => {
        const alice = app.auth.createAccessToken('alice')
        const bob = app.auth.createAccessToken('bob')
        const first = await expectOk(app, {
          method: 'GET',
          path: '/first',
          headers: { ...bearer(bob), 'x-api-token': alice },
        })
        assert.equal((first.body as { sub: string }).sub, 'alice')
        const fallback = await expectOk(app, {
          method: 'GET',
          path: '/first',
          headers: bearer(bob),
        })
        assert.equal((fallback.body as { sub: string }).sub, 'bob')
      })

      void test('with an optional guard: no token passes with no payload', async () => {
        const none = await expectOk(app, { method: 'GET', path: '/maybe' })
        assert.deepEqual(none.body, { payload: null })
        await expectRefused(
          app,
          { method: 'GET', path: '/maybe', headers: { 'x-api-token': 'garbage' } },
          { errorType: 'JWTDecodeError' },
        )
      })

      void test('per instance (setTokenExtractor): every guard of the instance consults it', async () => {
        const token = app.auth.createAccessToken('carol')
        const res = await expectOk(app, { method: 'GET', path: `/instance?api_token=${token}` })
        assert.equal((res.body as { sub: string }).sub, 'carol')
        // A route's own extractor takes its place.
        await expectRefused(
          app,
          { method: 'POST', path: `/only?api_token=${token}` },
          { errorType: 'MissingTokenError' },
        )
      })
    })
  })
}

const BINDINGS = [
  ['core', CoreAuthX],
  ['fastify', FastifyAuthX],
  ['express', ExpressAuthX],
  ['hono', HonoAuthX],
  ['koa', KoaAuthX],
] as const

for (const [name, Binding] of BINDINGS) {
  void describe(`option keys no option has [${name}]`, () => {
    const options = baseOptions({ tokenLocation: ['headers', 'cookies'] })

    void test('the constructor names the nearest option', () => {
      assert.throws(() => new Binding({ ...options, tokenLocations: ['headers'] } as never), {
        name: 'BadConfigurationError',
        message:
          "new AuthX(options): unknown option 'tokenLocations'; did you mean 'tokenLocation'?",
      })
      assert.throws(() => new Binding({ secret: 'x'.repeat(32) } as never), BadConfigurationError)
      // The settings objects of an option too.
      assert.throws(
        () => new Binding({ ...options, refreshRotation: { familyLifeTime: '1d' } } as never),
        {
          name: 'BadConfigurationError',
          message:
            "refreshRotation: settings: unknown option 'familyLifeTime'; did you mean 'familyLifetime'?",
        },
      )
      assert.throws(
        () => new Binding({ ...options, verifiedTokenCache: { max: 10 } } as never),
        BadConfigurationError,
      )
      assert.throws(
        () =>
          new Binding({ ...options, messages: { TokenExpiredEror: 'Session expired' } } as never),
        { message: /^messages: .*'TokenExpiredEror'; did you mean 'TokenExpiredError'\?$/ },
      )
    })

    void test('token, verification and cookie options are checked at the call', () => {
      const auth = new Binding(options)
      assert.throws(() => auth.createAccessToken('u', { expires: 60 } as never), {
        name: 'TypeError',
        message: "createAccessToken: unknown option 'expires'; did you mean 'expiresIn'?",
      })
      assert.throws(() => auth.createTokenPair('u', { scopes: ['a'] } as never), {
        name: 'TypeError',
        message: /createTokenPair: unknown option 'scopes'; did you mean 'accessScopes'\?/,
      })
      const token = auth.createAccessToken('u')
      assert.throws(() => auth.verifyTokenSync(token, { verifyFreshness: true } as never), {
        message: "verifyTokenSync: unknown option 'verifyFreshness'; did you mean 'verifyFresh'?",
      })
      assert.throws(() => auth.accessCookies(token, { maxage: 60 } as never), {
        message: "accessCookies: unknown option 'maxage'; did you mean 'maxAge'?",
      })
      assert.throws(() => auth.rateLimit({ max: 1, window: 1, windowMs: 5 } as never), {
        message: /rateLimit: unknown option 'windowMs'; did you mean 'window'\?/,
      })
    })

    void test('request methods reject before reading the request', async () => {
      const auth = new Binding(options)
      const request = new Request('http://localhost/')
      await assert.rejects(auth.verifyToken('x', { csrfToken: 'a' } as never), {
        name: 'TypeError',
        message: "verifyToken: unknown option 'csrfToken'; did you mean 'csrf'?",
      })
      await assert.rejects(async () => auth.authenticate(request, { optional: true } as never), {
        name: 'TypeError',
        message: /authenticate: unknown option 'optional'/,
      })
      await assert.rejects(
        async () => auth.getTokenFromRequest(request, { location: [] } as never),
        {
          message: "getTokenFromRequest: unknown option 'location'; did you mean 'locations'?",
        },
      )
      await assert.rejects(async () => auth.refresh('x', { scope: ['a'] } as never), {
        message: "refresh: unknown option 'scope'; did you mean 'scopes'?",
      })
    })
  })
}

for (const [name, Binding] of BINDINGS.slice(1) as readonly (readonly [
  string,
  typeof FastifyAuthX,
])[]) {
  void describe(`guard factories refuse unknown options when the guard is made [${name}]`, () => {
    const auth = new Binding(baseOptions())

    void test("scopesRequired(s, { allScopes: false }) names 'all' instead of ignoring it", () => {
      assert.throws(() => auth.scopesRequired(['read'], { allScopes: false } as never), {
        name: 'TypeError',
        message: "scopesRequired: unknown option 'allScopes'; did you mean 'all'?",
      })
      assert.throws(() => auth.scopesRequired(['read'], { type: 'refresh' } as never), TypeError)
    })

    void test('tokenRequired names the nearest guard option', () => {
      assert.throws(() => auth.tokenRequired({ verify_csrf: false } as never), {
        name: 'TypeError',
        message: "tokenRequired: unknown option 'verify_csrf'; did you mean 'verifyCsrf'?",
      })
      assert.throws(() => auth.tokenRequired({ optinal: true } as never), {
        message: "tokenRequired: unknown option 'optinal'; did you mean 'optional'?",
      })
    })

    void test('setAccessCookies takes maxAge as a number, not an options object', () => {
      const cookieAuth = new Binding(baseOptions({ tokenLocation: ['headers', 'cookies'] }))
      const token = cookieAuth.createAccessToken('u')
      assert.throws(
        () => cookieAuth.setAccessCookies(token, {} as never, { maxAge: 60 } as never),
        {
          name: 'TypeError',
          message:
            'setAccessCookies(token, reply, maxAge): maxAge is a number of seconds, got object',
        },
      )
    })

    void test('openapiSecurity names the nearest guard option', () => {
      assert.throws(() => auth.openapiSecurity({ location: ['headers'] } as never), {
        message: "openapiSecurity: unknown option 'location'; did you mean 'locations'?",
      })
    })

    void test('unsetCookies needs the reply it writes on', () => {
      assert.throws(() => auth.unsetCookies(), {
        name: 'TypeError',
        message: /auth\.unsetCookies\(reply\) needs the framework's reply/,
      })
    })

    void test('cookies on an instance without cookies in tokenLocation: a clear error', () => {
      const token = auth.createAccessToken('u')
      assert.throws(() => auth.accessCookies(token), {
        name: 'BadConfigurationError',
        message:
          "accessCookies: tokenLocation is [headers], without 'cookies': this instance never " +
          'reads a token cookie, and its tokens carry no CSRF value. Add ' +
          "'cookies' to tokenLocation (for example ['headers', 'cookies']) to use cookies.",
      })
      assert.throws(() => auth.refreshCookies(auth.createRefreshToken('u')), BadConfigurationError)
    })
  })
}
