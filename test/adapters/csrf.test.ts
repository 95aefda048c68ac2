/**
 * Double-submit CSRF for cookie tokens: which methods need the header, the separate refresh
 * header, the form-field fallback, the verifyCsrf switch (AuthX scenarios 5-9, 26-28, 85).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { RouteSpec, TestApp } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'
import { baseOptions, bearer, cookies, csrfOf, expectOk, expectRefused } from './helpers.ts'

const UNSAFE = ['POST', 'PUT', 'PATCH', 'DELETE'] as const
const SAFE = ['GET', 'OPTIONS'] as const

for (const driver of DRIVERS) {
  void describe(`CSRF per method [${driver.name}]`, () => {
    let app: TestApp
    let access: string
    let refresh: string

    before(async () => {
      const routes: RouteSpec[] = [...UNSAFE, ...SAFE].map((method) => ({
        method,
        path: `/m/${method.toLowerCase()}`,
        guard: { kind: 'access' },
      }))
      routes.push(
        { method: 'POST', path: '/refresh', guard: { kind: 'refresh' } },
        { method: 'POST', path: '/fresh', guard: { kind: 'fresh' } },
        {
          method: 'POST',
          path: '/no-verify',
          guard: { kind: 'token', options: { verifyCsrf: false } },
        },
        {
          method: 'GET',
          path: '/force-verify',
          guard: { kind: 'token', options: { verifyCsrf: true } },
        },
      )
      app = await driver.build(baseOptions({ tokenLocation: ['headers', 'cookies'] }), routes)
      access = app.auth.createAccessToken('alice', { fresh: true })
      refresh = app.auth.createRefreshToken('alice')
    })
    after(() => app.close())

    for (const method of UNSAFE) {
      const path = `/m/${method.toLowerCase()}`

      void test(`${method}: cookie without the CSRF header is 401 MissingCSRFTokenError`, async () => {
        await expectRefused(
          app,
          { method, path, headers: cookies({ access_token_cookie: access }) },
          { errorType: 'MissingCSRFTokenError' },
        )
        // An empty header is no header.
        await expectRefused(
          app,
          {
            method,
            path,
            headers: { ...cookies({ access_token_cookie: access }), 'x-csrf-token': '' },
          },
          { errorType: 'MissingCSRFTokenError' },
        )
      })

      void test(`${method}: a wrong CSRF value is 401 CSRFError`, async () => {
        for (const value of ['wrong', csrfOf(refresh), `${csrfOf(access)}x`]) {
          await expectRefused(
            app,
            {
              method,
              path,
              headers: { ...cookies({ access_token_cookie: access }), 'x-csrf-token': value },
            },
            { errorType: 'CSRFError' },
          )
        }
      })

      void test(`${method}: the matching CSRF value opens the route`, async () => {
        await expectOk(app, {
          method,
          path,
          headers: { ...cookies({ access_token_cookie: access }), 'x-csrf-token': csrfOf(access) },
        })
      })

      void test(`${method}: a header token needs no CSRF value`, async () => {
        await expectOk(app, { method, path, headers: bearer(access) })
      })
    }

    for (const method of SAFE) {
      void test(`${method}: cookie without the CSRF header opens the route`, async () => {
        await expectOk(app, {
          method,
          path: `/m/${method.toLowerCase()}`,
          headers: cookies({ access_token_cookie: access }),
        })
      })
    }

    void test('HEAD (served by the GET route): cookie without the CSRF header is let through', async () => {
      const res = await expectOk(app, {
        method: 'HEAD',
        path: '/m/get',
        headers: cookies({ access_token_cookie: access }),
      })
      assert.equal(res.text, '', 'a HEAD response has no body')
    })

    void test('HEAD without a token is refused like GET', async () => {
      const before = app.handlerRuns('/m/get')
      const res = await app.request({ method: 'HEAD', path: '/m/get' })
      assert.equal(res.status, 401)
      assert.equal(res.headers['www-authenticate'], 'Bearer')
      assert.equal(app.handlerRuns('/m/get'), before, 'the handler must not run')
    })

    void test('26. the refresh cookie is checked against the refresh token CSRF value', async () => {
      await expectOk(app, {
        method: 'POST',
        path: '/refresh',
        headers: { ...cookies({ refresh_token_cookie: refresh }), 'x-csrf-token': csrfOf(refresh) },
      })
      await expectRefused(
        app,
        {
          method: 'POST',
          path: '/refresh',
          headers: {
            ...cookies({ refresh_token_cookie: refresh }),
            'x-csrf-token': csrfOf(access),
          },
        },
        { errorType: 'CSRFError' },
      )
    })

    void test('39. a fresh token from a cookie with its CSRF value opens a fresh route', async () => {
      await expectOk(app, {
        method: 'POST',
        path: '/fresh',
        headers: { ...cookies({ access_token_cookie: access }), 'x-csrf-token': csrfOf(access) },
      })
    })

    void test('verifyCsrf: false skips the comparison, but the header must still be sent', async () => {
      await expectOk(app, {
        method: 'POST',
        path: '/no-verify',
        headers: { ...cookies({ access_token_cookie: access }), 'x-csrf-token': 'anything' },
      })
      await expectRefused(
        app,
        { method: 'POST', path: '/no-verify', headers: cookies({ access_token_cookie: access }) },
        { errorType: 'MissingCSRFTokenError' },
      )
    })

    void test('verifyCsrf: true on GET compares even there: no header is 401 CSRFError', async () => {
      await expectRefused(
        app,
        { method: 'GET', path: '/force-verify', headers: cookies({ access_token_cookie: access }) },
        { errorType: 'CSRFError' },
      )
      // A header token has no double submit to compare.
      await expectOk(app, { method: 'GET', path: '/force-verify', headers: bearer(access) })
    })
  })

  void describe(`CSRF configuration [${driver.name}]`, () => {
    void test('9. cookieCsrfProtect: false lets a cookie-only POST through', async () => {
      const app = await driver.build(
        baseOptions({ tokenLocation: ['cookies'], cookieCsrfProtect: false }),
        [{ method: 'POST', path: '/p', guard: { kind: 'access' } }],
      )
      try {
        const access = app.auth.createAccessToken('alice')
        await expectOk(app, {
          method: 'POST',
          path: '/p',
          headers: cookies({ access_token_cookie: access }),
        })
      } finally {
        await app.close()
      }
    })

    void test('28. refreshCsrfHeaderName: the refresh cookie needs that header', async () => {
      const app = await driver.build(
        baseOptions({ tokenLocation: ['cookies'], refreshCsrfHeaderName: 'X-REFRESH-CSRF-TOKEN' }),
        [
          { method: 'POST', path: '/access', guard: { kind: 'access' } },
          { method: 'POST', path: '/refresh', guard: { kind: 'refresh' } },
        ],
      )
      try {
        const access = app.auth.createAccessToken('alice')
        const refresh = app.auth.createRefreshToken('alice')
        await expectOk(app, {
          method: 'POST',
          path: '/refresh',
          headers: {
            ...cookies({ refresh_token_cookie: refresh }),
            'x-refresh-csrf-token': csrfOf(refresh),
          },
        })
        await expectRefused(
          app,
          {
            method: 'POST',
            path: '/refresh',
            headers: {
              ...cookies({ refresh_token_cookie: refresh }),
              'x-csrf-token': csrfOf(refresh),
            },
          },
          { errorType: 'MissingCSRFTokenError' },
        )
        await expectOk(app, {
          method: 'POST',
          path: '/access',
          headers: { ...cookies({ access_token_cookie: access }), 'x-csrf-token': csrfOf(access) },
        })
        await expectRefused(
          app,
          {
            method: 'POST',
            path: '/access',
            headers: {
              ...cookies({ access_token_cookie: access }),
              'x-refresh-csrf-token': csrfOf(access),
            },
          },
          { errorType: 'MissingCSRFTokenError' },
        )
      } finally {
        await app.close()
      }
    })

    void test('csrfMethods only adds methods: leaving PUT out still checks it, adding GET checks GET', async () => {
      const app = await driver.build(
        baseOptions({ tokenLocation: ['cookies'], csrfMethods: ['POST', 'GET'] }),
        [
          { method: 'POST', path: '/post', guard: { kind: 'access' } },
          { method: 'PUT', path: '/put', guard: { kind: 'access' } },
          { method: 'GET', path: '/get', guard: { kind: 'access' } },
          { method: 'OPTIONS', path: '/options', guard: { kind: 'access' } },
        ],
      )
      try {
        const access = app.auth.createAccessToken('alice')
        const jar = cookies({ access_token_cookie: access })
        for (const [method, path] of [
          ['PUT', '/put'],
          ['POST', '/post'],
          ['GET', '/get'],
        ] as const) {
          // expectRefused also checks that the handler did not run.
          await expectRefused(
            app,
            { method, path, headers: jar },
            { errorType: 'MissingCSRFTokenError' },
          )
        }
        await expectOk(app, {
          method: 'GET',
          path: '/get',
          headers: { ...jar, 'x-csrf-token': csrfOf(access) },
        })
        // OPTIONS was not added: still exempt.
        await expectOk(app, { method: 'OPTIONS', path: '/options', headers: jar })
      } finally {
        await app.close()
      }
    })

    void test('85. csrfInCookies: false still requires and compares the header', async () => {
      const app = await driver.build(
        baseOptions({ tokenLocation: ['cookies'], csrfInCookies: false }),
        [{ method: 'POST', path: '/p', guard: { kind: 'access' } }],
      )
      try {
        const access = app.auth.createAccessToken('alice')
        await expectRefused(
          app,
          { method: 'POST', path: '/p', headers: cookies({ access_token_cookie: access }) },
          { errorType: 'MissingCSRFTokenError' },
        )
        await expectRefused(
          app,
          {
            method: 'POST',
            path: '/p',
            headers: { ...cookies({ access_token_cookie: access }), 'x-csrf-token': 'nope' },
          },
          { errorType: 'CSRFError' },
        )
        await expectOk(app, {
          method: 'POST',
          path: '/p',
          headers: { ...cookies({ access_token_cookie: access }), 'x-csrf-token': csrfOf(access) },
        })
      } finally {
        await app.close()
      }
    })
  })

  void describe(`csrfCheckForm [${driver.name}]`, () => {
    let app: TestApp
    let access: string

    before(async () => {
      app = await driver.build(
        baseOptions({ tokenLocation: ['cookies'], csrfCheckForm: true }),
        [{ method: 'POST', path: '/p', guard: { kind: 'access' } }],
        { parseForms: true },
      )
      access = app.auth.createAccessToken('alice')
    })
    after(() => app.close())

    const form = { 'content-type': 'application/x-www-form-urlencoded' }

    void test('27. the csrf_token form field stands in for the header', async () => {
      await expectOk(app, {
        method: 'POST',
        path: '/p',
        headers: { ...cookies({ access_token_cookie: access }), ...form },
        body: `csrf_token=${encodeURIComponent(csrfOf(access))}&other=1`,
      })
    })

    void test('27. a missing or empty form field is 401 MissingCSRFTokenError', async () => {
      for (const body of ['other=1', 'csrf_token=']) {
        await expectRefused(
          app,
          {
            method: 'POST',
            path: '/p',
            headers: { ...cookies({ access_token_cookie: access }), ...form },
            body,
          },
          { errorType: 'MissingCSRFTokenError' },
        )
      }
    })

    void test('27. a wrong form value is 401 CSRFError', async () => {
      await expectRefused(
        app,
        {
          method: 'POST',
          path: '/p',
          headers: { ...cookies({ access_token_cookie: access }), ...form },
          body: 'csrf_token=wrong',
        },
        { errorType: 'CSRFError' },
      )
    })

    void test('the field is read from forms only, never from a JSON body', async () => {
      await expectRefused(
        app,
        {
          method: 'POST',
          path: '/p',
          headers: cookies({ access_token_cookie: access }),
          body: { csrf_token: csrfOf(access) },
        },
        { errorType: 'MissingCSRFTokenError' },
      )
    })

    void test('the header wins over the form field', async () => {
      await expectOk(app, {
        method: 'POST',
        path: '/p',
        headers: {
          ...cookies({ access_token_cookie: access }),
          ...form,
          'x-csrf-token': csrfOf(access),
        },
        body: 'csrf_token=wrong',
      })
    })
  })
}
