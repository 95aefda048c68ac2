/**
 * The seed's refresh route written by hand, on every binding:
 * `auth.refresh(await auth.getRefreshTokenFromRequest(<the framework's request>, locations))`.
 * The framework's own request goes in as it is, and CSRF follows the one rule the guards follow
 * (`cookieCsrfProtect`, the request-line method): a request the guards let through is not refused
 * by `refresh` for CSRF, and one they refuse is refused.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AdapterDriver, RouteSpec, TestApp } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'
import { baseOptions, bearer, cookies, csrfOf, expectOk, expectRefused } from './helpers.ts'
import type { AuthXOptions } from '../../src/index.ts'
import type { TestRequest } from './driver.ts'

/**
 * The refusal of a route whose handler throws the AuthX error (so it ran): the contract's
 * status and body, as `handleErrors` renders them.
 */
async function expectHandlerRefused(
  app: TestApp,
  req: TestRequest,
  errorType: string,
  detail: string,
): Promise<void> {
  const res = await app.request(req)
  assert.equal(res.status, 401, `${req.method} ${req.path}: status (body ${res.text})`)
  assert.deepEqual(res.body, { detail, error_type: errorType })
}

const ROUTES: RouteSpec[] = [
  {
    method: 'POST',
    path: '/refresh',
    guard: { kind: 'none' },
    handler: { kind: 'refresh', locations: ['cookies'] },
  },
  { method: 'POST', path: '/refresh-any', guard: { kind: 'none' }, handler: { kind: 'refresh' } },
  { method: 'GET', path: '/refresh', guard: { kind: 'none' }, handler: { kind: 'refresh' } },
  { method: 'POST', path: '/guarded', guard: { kind: 'refresh' } },
]

async function withApp(
  driver: AdapterDriver,
  options: Partial<AuthXOptions>,
  run: (app: TestApp) => Promise<void>,
): Promise<void> {
  const app = await driver.build(
    baseOptions({ tokenLocation: ['headers', 'cookies'], ...options }),
    ROUTES,
    { handleErrors: true },
  )
  try {
    await run(app)
  } finally {
    await app.close()
  }
}

/** The new pair a refresh answered with. */
function pairOf(body: unknown): { access_token: string; refresh_token: string } {
  const pair = body as { access_token?: unknown; refresh_token?: unknown; token_type?: unknown }
  assert.equal(typeof pair.access_token, 'string')
  assert.equal(typeof pair.refresh_token, 'string')
  assert.equal(pair.token_type, 'bearer')
  return pair as { access_token: string; refresh_token: string }
}

for (const driver of DRIVERS) {
  void describe(`refresh route by hand [${driver.name}]`, () => {
    void test('cookieCsrfProtect: false: a cookie refresh without a CSRF header refreshes, as the guard lets it through', () =>
      withApp(driver, { cookieCsrfProtect: false }, async (app) => {
        const refresh = app.auth.createRefreshToken('alice')
        const jar = cookies({ refresh_token_cookie: refresh })
        await expectOk(app, { method: 'POST', path: '/guarded', headers: jar })
        const res = await expectOk(app, { method: 'POST', path: '/refresh', headers: jar })
        const pair = pairOf(res.body)
        const verified = await app.auth.verifyToken(pair.access_token)
        assert.equal(verified.sub, 'alice')
      }))

    void test('csrfMethods and safe methods: a GET refresh from the cookie needs no CSRF header', () =>
      withApp(driver, {}, async (app) => {
        const refresh = app.auth.createRefreshToken('alice')
        const res = await expectOk(app, {
          method: 'GET',
          path: '/refresh',
          headers: cookies({ refresh_token_cookie: refresh }),
        })
        assert.equal((await app.auth.verifyToken(pairOf(res.body).access_token)).sub, 'alice')
      }))

    void test('CSRF on: refused exactly as the guard refuses, and accepted with the header', () =>
      withApp(driver, {}, async (app) => {
        const refresh = app.auth.createRefreshToken('bob')
        const jar = cookies({ refresh_token_cookie: refresh })
        await expectRefused(
          app,
          { method: 'POST', path: '/guarded', headers: jar },
          { errorType: 'MissingCSRFTokenError' },
        )
        await expectRefused(
          app,
          { method: 'POST', path: '/guarded', headers: { ...jar, 'x-csrf-token': 'forged' } },
          { errorType: 'CSRFError' },
        )
        await expectHandlerRefused(
          app,
          { method: 'POST', path: '/refresh', headers: jar },
          'MissingCSRFTokenError',
          'Missing CSRF token',
        )
        await expectHandlerRefused(
          app,
          { method: 'POST', path: '/refresh', headers: { ...jar, 'x-csrf-token': 'forged' } },
          'CSRFError',
          'CSRF double submit does not match',
        )
        await expectOk(app, {
          method: 'POST',
          path: '/guarded',
          headers: { ...jar, 'x-csrf-token': csrfOf(refresh) },
        })
        const res = await expectOk(app, {
          method: 'POST',
          path: '/refresh',
          headers: { ...jar, 'x-csrf-token': csrfOf(refresh) },
        })
        assert.equal((await app.auth.verifyToken(pairOf(res.body).access_token)).sub, 'bob')
      }))

    void test('a header token never needs CSRF; an access token is refused', () =>
      withApp(driver, {}, async (app) => {
        const refresh = app.auth.createRefreshToken('carol')
        const res = await expectOk(app, {
          method: 'POST',
          path: '/refresh-any',
          headers: bearer(refresh),
        })
        pairOf(res.body)
        await expectHandlerRefused(
          app,
          {
            method: 'POST',
            path: '/refresh-any',
            headers: bearer(app.auth.createAccessToken('carol')),
          },
          'RefreshTokenRequiredError',
          'Refresh token required',
        )
      }))
  })
}
