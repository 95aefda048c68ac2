/**
 * Where tokens are found: headers, JSON body, query string and cookies; the order of the
 * configured locations; per-guard `locations`; the header scheme parse (AuthX scenarios 1-25).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { TestApp } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'
import { baseOptions, bearer, cookies, csrfOf, expectOk, expectRefused } from './helpers.ts'

const ALL = ['headers', 'json', 'query', 'cookies'] as const

for (const driver of DRIVERS) {
  void describe(`token locations [${driver.name}]`, () => {
    let app: TestApp
    let access: string
    let refresh: string

    before(async () => {
      app = await driver.build(baseOptions({ tokenLocation: [...ALL] }), [
        { method: 'POST', path: '/protected/access', guard: { kind: 'access' } },
        { method: 'POST', path: '/protected/refresh', guard: { kind: 'refresh' } },
        { method: 'GET', path: '/get/access', guard: { kind: 'access' } },
        {
          method: 'POST',
          path: '/read/access',
          guard: { kind: 'none' },
          handler: { kind: 'read', type: 'access' },
        },
        {
          method: 'POST',
          path: '/read/refresh',
          guard: { kind: 'none' },
          handler: { kind: 'read', type: 'refresh' },
        },
        {
          method: 'POST',
          path: '/cookies-then-headers',
          guard: { kind: 'token', options: { locations: ['cookies', 'headers'] } },
        },
        {
          method: 'POST',
          path: '/json-only',
          guard: { kind: 'token', options: { locations: ['json'] } },
        },
        {
          method: 'POST',
          path: '/json-refresh',
          guard: { kind: 'token', options: { type: 'refresh', locations: ['json'] } },
        },
        {
          method: 'GET',
          path: '/query-only',
          guard: { kind: 'token', options: { locations: ['query'] } },
        },
        {
          method: 'GET',
          path: '/no-locations',
          guard: { kind: 'token', options: { locations: [] } },
        },
        {
          method: 'GET',
          path: '/cookies-only',
          guard: { kind: 'token', options: { locations: ['cookies'] } },
        },
        {
          method: 'POST',
          path: '/echo',
          guard: { kind: 'token', options: { locations: ['json'] } },
          handler: { kind: 'echo' },
        },
      ])
      access = app.auth.createAccessToken('alice')
      refresh = app.auth.createRefreshToken('alice')
    })
    after(() => app.close())

    void test('1. no credentials: 401 MissingTokenError with a bare Bearer challenge', async () => {
      await expectRefused(
        app,
        { method: 'POST', path: '/protected/access' },
        { errorType: 'MissingTokenError' },
      )
    })

    void test('2. Authorization: Bearer <access> opens the route', async () => {
      const res = await expectOk(app, {
        method: 'POST',
        path: '/protected/access',
        headers: bearer(access),
      })
      assert.deepEqual(res.body, {
        sub: 'alice',
        type: 'access',
        fresh: false,
        scopes: null,
        extra: {},
      })
    })

    void test('3. JSON body {"access_token": <access>} opens the route', async () => {
      await expectOk(app, {
        method: 'POST',
        path: '/protected/access',
        body: { access_token: access },
      })
    })

    void test('4. ?token=<access> opens the route', async () => {
      await expectOk(app, { method: 'POST', path: `/protected/access?token=${access}` })
    })

    void test('5. access cookie plus X-CSRF-TOKEN opens a POST route', async () => {
      await expectOk(app, {
        method: 'POST',
        path: '/protected/access',
        headers: { ...cookies({ access_token_cookie: access }), 'x-csrf-token': csrfOf(access) },
      })
    })

    void test('6. access cookie without the CSRF header on POST: 401 MissingCSRFTokenError', async () => {
      await expectRefused(
        app,
        {
          method: 'POST',
          path: '/protected/access',
          headers: cookies({ access_token_cookie: access }),
        },
        { errorType: 'MissingCSRFTokenError' },
      )
      // A JSON body without a token changes nothing: the JSON reader misses, the CSRF miss stays.
      await expectRefused(
        app,
        {
          method: 'POST',
          path: '/protected/access',
          headers: cookies({ access_token_cookie: access }),
          body: {},
        },
        { errorType: 'MissingCSRFTokenError' },
      )
    })

    void test('7. GET with the access cookie needs no CSRF header', async () => {
      await expectOk(app, {
        method: 'GET',
        path: '/cookies-only',
        headers: cookies({ access_token_cookie: access }),
      })
    })

    void test('8. a wrong CSRF header: 401 CSRFError', async () => {
      await expectRefused(
        app,
        {
          method: 'POST',
          path: '/protected/access',
          headers: { ...cookies({ access_token_cookie: access }), 'x-csrf-token': 'wrong' },
        },
        { errorType: 'CSRFError' },
      )
    })

    void test('10. getTokenFromRequest reports the location and type of each', async () => {
      const cases = [
        { headers: bearer(access), location: 'headers', csrf: null },
        { body: { access_token: access }, location: 'json', csrf: null },
        { query: `?token=${access}`, location: 'query', csrf: null },
        {
          headers: { ...cookies({ access_token_cookie: access }), 'x-csrf-token': csrfOf(access) },
          location: 'cookies',
          csrf: csrfOf(access),
        },
      ]
      for (const c of cases) {
        const res = await expectOk(app, {
          method: 'POST',
          path: `/read/access${c.query ?? ''}`,
          ...(c.headers === undefined ? {} : { headers: c.headers }),
          ...(c.body === undefined ? {} : { body: c.body }),
        })
        const token = (res.body as { token: Record<string, unknown> }).token
        assert.equal(token.token, access, c.location)
        assert.equal(token.type, 'access', c.location)
        assert.equal(token.location, c.location)
        assert.equal(token.csrf ?? null, c.csrf, c.location)
      }
      const res = await expectOk(app, {
        method: 'POST',
        path: `/read/refresh`,
        headers: bearer(refresh),
      })
      assert.equal((res.body as { token: { type: string } }).token.type, 'refresh')
    })

    void test('11. getTokenFromRequest with a cookie but no CSRF header on POST: null', async () => {
      const res = await expectOk(app, {
        method: 'POST',
        path: '/read/access',
        headers: cookies({ access_token_cookie: access }),
      })
      assert.deepEqual(res.body, { token: null })
      const none = await expectOk(app, { method: 'POST', path: '/read/access' })
      assert.deepEqual(none.body, { token: null })
    })

    void test('12. precedence: the first configured location with a token wins', async () => {
      const bob = app.auth.createAccessToken('bob')
      const res = await expectOk(app, {
        method: 'POST',
        path: `/protected/access?token=${bob}`,
        headers: bearer(access),
      })
      assert.equal((res.body as { sub: string }).sub, 'alice', 'headers come before query')
      const json = await expectOk(app, {
        method: 'POST',
        path: `/protected/access?token=${bob}`,
        body: { access_token: access },
      })
      assert.equal((json.body as { sub: string }).sub, 'alice', 'json comes before query')
      const cookie = await expectOk(app, {
        method: 'POST',
        path: `/protected/access?token=${access}`,
        headers: { ...cookies({ access_token_cookie: bob }), 'x-csrf-token': csrfOf(bob) },
      })
      assert.equal((cookie.body as { sub: string }).sub, 'alice', 'query comes before cookies')
    })

    void test('13. no fallback past an invalid token: Bearer garbage + valid query is 401', async () => {
      await expectRefused(
        app,
        { method: 'POST', path: `/protected/access?token=${access}`, headers: bearer('garbage') },
        { errorType: 'JWTDecodeError' },
      )
      // An expired token in the first location is not rescued by a valid one later either.
      const expired = app.auth.createAccessToken('alice', { expiresIn: -10 })
      await expectRefused(
        app,
        { method: 'POST', path: `/protected/access?token=${access}`, headers: bearer(expired) },
        { errorType: 'TokenExpiredError' },
      )
    })

    void test('14. a cookie without its CSRF header is a miss: the next location is read', async () => {
      const res = await expectOk(app, {
        method: 'POST',
        path: '/cookies-then-headers',
        headers: { ...cookies({ access_token_cookie: 'not-even-a-jwt' }), ...bearer(access) },
      })
      assert.equal((res.body as { sub: string }).sub, 'alice')
    })

    void test('19. JSON with "; charset=utf-8" is read', async () => {
      for (const type of ['application/json; charset=utf-8', 'Application/JSON;charset=UTF-8']) {
        await expectOk(app, {
          method: 'POST',
          path: '/json-only',
          headers: { 'content-type': type },
          body: JSON.stringify({ access_token: access }),
        })
      }
    })

    void test('20. a non-string or absent JSON token, or a non-JSON body: MissingTokenError', async () => {
      for (const body of [{ access_token: 123 }, { access_token: '' }, { other: access }, []]) {
        await expectRefused(
          app,
          { method: 'POST', path: '/json-only', body },
          { errorType: 'MissingTokenError' },
        )
      }
      await expectRefused(
        app,
        {
          method: 'POST',
          path: '/json-only',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ access_token: access }),
        },
        { errorType: 'MissingTokenError' },
      )
    })

    void test('the JSON body read by a guard is still there for the handler', async () => {
      const res = await expectOk(app, {
        method: 'POST',
        path: '/echo',
        body: { access_token: access, note: 'kept' },
      })
      assert.deepEqual(res.body, { body: { access_token: access, note: 'kept' } })
    })

    void test('21. a refresh token is read from "refresh_token" in JSON, not "access_token"', async () => {
      await expectOk(app, {
        method: 'POST',
        path: '/json-refresh',
        body: { refresh_token: refresh },
      })
      await expectRefused(
        app,
        { method: 'POST', path: '/json-refresh', body: { access_token: refresh } },
        { errorType: 'MissingTokenError' },
      )
    })

    void test('22. ?token= (empty) is a presented, invalid token: 401 JWTDecodeError', async () => {
      await expectRefused(
        app,
        { method: 'GET', path: '/query-only?token=' },
        { errorType: 'JWTDecodeError' },
      )
    })

    void test('a repeated ?token= is refused rather than guessed', async () => {
      await expectRefused(
        app,
        { method: 'GET', path: `/query-only?token=${access}&token=${access}` },
        { errorType: 'JWTDecodeError' },
      )
    })

    void test('23. a guard with locations: [] finds nothing: 401 MissingTokenError', async () => {
      await expectRefused(
        app,
        { method: 'GET', path: '/no-locations', headers: bearer(access) },
        { errorType: 'MissingTokenError' },
      )
    })

    void test('per-guard locations: a token elsewhere is not seen', async () => {
      await expectRefused(
        app,
        { method: 'GET', path: '/cookies-only', headers: bearer(access) },
        { errorType: 'MissingTokenError' },
      )
      await expectRefused(
        app,
        { method: 'GET', path: '/query-only', headers: cookies({ access_token_cookie: access }) },
        { errorType: 'MissingTokenError' },
      )
      await expectOk(app, { method: 'GET', path: `/query-only?token=${access}` })
    })

    void test('an empty cookie value is a miss', async () => {
      await expectRefused(
        app,
        { method: 'GET', path: '/cookies-only', headers: cookies({ access_token_cookie: '' }) },
        { errorType: 'MissingTokenError' },
      )
    })

    void test('26. refresh cookie plus its CSRF value opens a refresh route', async () => {
      await expectOk(app, {
        method: 'POST',
        path: '/protected/refresh',
        headers: { ...cookies({ refresh_token_cookie: refresh }), 'x-csrf-token': csrfOf(refresh) },
      })
      // The access cookie is not the refresh cookie.
      await expectRefused(
        app,
        {
          method: 'POST',
          path: '/protected/refresh',
          headers: {
            ...cookies({ access_token_cookie: refresh }),
            'x-csrf-token': csrfOf(refresh),
          },
        },
        { errorType: 'MissingTokenError' },
      )
    })
  })

  void describe(`the Authorization header [${driver.name}]`, () => {
    let app: TestApp
    let access: string

    before(async () => {
      app = await driver.build(baseOptions(), [
        { method: 'GET', path: '/p', guard: { kind: 'access' } },
        { method: 'POST', path: '/refresh', guard: { kind: 'refresh' } },
      ])
      access = app.auth.createAccessToken('alice')
    })
    after(() => app.close())

    void test('15. the scheme is case-insensitive (RFC 7235)', async () => {
      for (const scheme of ['bearer', 'BEARER', 'bEaReR'])
        await expectOk(app, {
          method: 'GET',
          path: '/p',
          headers: { authorization: `${scheme} ${access}` },
        })
    })

    void test('surrounding and repeated spaces around the token are tolerated', async () => {
      await expectOk(app, {
        method: 'GET',
        path: '/p',
        headers: { authorization: `Bearer   ${access}  ` },
      })
    })

    void test('16. the scheme alone is a presented, invalid token: 401 JWTDecodeError', async () => {
      await expectRefused(
        app,
        { method: 'GET', path: '/p', headers: { authorization: 'Bearer' } },
        { errorType: 'JWTDecodeError' },
      )
    })

    void test('"Bearer Bearer x" and two credentials are invalid, not stripped', async () => {
      for (const value of [
        `Bearer Bearer ${access}`,
        `Bearer ${access}, Bearer ${access}`,
        `Bearer ${access} x`,
      ]) {
        await expectRefused(
          app,
          { method: 'GET', path: '/p', headers: { authorization: value } },
          { errorType: 'JWTDecodeError' },
        )
      }
    })

    void test('another scheme is not ours: 401 MissingTokenError', async () => {
      for (const value of [`Token ${access}`, `Basic dXNlcjpwYXNz`, access]) {
        await expectRefused(
          app,
          { method: 'GET', path: '/p', headers: { authorization: value } },
          { errorType: 'MissingTokenError' },
        )
      }
    })

    void test('24. headers-only config: ?token= is not read', async () => {
      await expectRefused(
        app,
        { method: 'GET', path: `/p?token=${access}` },
        { errorType: 'MissingTokenError' },
      )
    })

    void test('25. a refresh token is accepted in the Authorization header', async () => {
      const res = await expectOk(app, {
        method: 'POST',
        path: '/refresh',
        headers: bearer(app.auth.createRefreshToken('alice')),
      })
      assert.equal((res.body as { type: string }).type, 'refresh')
    })
  })

  void describe(`+json bodies [${driver.name}]`, () => {
    void test('19b. application/*+json bodies are read when the app parses them', async () => {
      const app = await driver.build(
        baseOptions({ tokenLocation: ['json'] }),
        [{ method: 'POST', path: '/p', guard: { kind: 'access' } }],
        { parseJSONSuffix: true },
      )
      try {
        const access = app.auth.createAccessToken('alice')
        for (const type of [
          'application/vnd.api+json',
          'application/merge-patch+json; charset=utf-8',
        ])
          await expectOk(app, {
            method: 'POST',
            path: '/p',
            headers: { 'content-type': type },
            body: JSON.stringify({ access_token: access }),
          })
      } finally {
        await app.close()
      }
    })
  })

  void describe(`custom header name and scheme [${driver.name}]`, () => {
    void test('17. headerType "" reads the whole header value as the token', async () => {
      const app = await driver.build(baseOptions({ headerType: '' }), [
        { method: 'GET', path: '/p', guard: { kind: 'access' } },
      ])
      try {
        const access = app.auth.createAccessToken('alice')
        await expectOk(app, { method: 'GET', path: '/p', headers: { authorization: access } })
        await expectRefused(
          app,
          { method: 'GET', path: '/p', headers: bearer(access) },
          { errorType: 'JWTDecodeError' },
        )
      } finally {
        await app.close()
      }
    })

    void test('18. X-Auth-Token: Token <access>; Authorization is then ignored', async () => {
      const app = await driver.build(
        baseOptions({ headerName: 'X-Auth-Token', headerType: 'Token' }),
        [{ method: 'GET', path: '/p', guard: { kind: 'access' } }],
      )
      try {
        const access = app.auth.createAccessToken('alice')
        await expectOk(app, {
          method: 'GET',
          path: '/p',
          headers: { 'x-auth-token': `Token ${access}` },
        })
        await expectRefused(
          app,
          { method: 'GET', path: '/p', headers: bearer(access) },
          { errorType: 'MissingTokenError' },
        )
      } finally {
        await app.close()
      }
    })
  })
}
