/**
 * Setting and deleting token cookies through the adapter's reply helpers: names, values and every
 * attribute, and deletions that carry the same Path, Domain, Secure, SameSite and HttpOnly as the
 * cookie they delete (AuthX scenarios 79-87, with our fix for deletions).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { AuthXOptions } from '../../src/index.ts'
import type { RouteSpec, TestApp } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'
import {
  OTHER_SECRET,
  baseOptions,
  claimsOf,
  cookieMap,
  cookies,
  expectOk,
  expectRefused,
} from './helpers.ts'
import type { ParsedCookie } from './helpers.ts'

const EPOCH = 'Thu, 01 Jan 1970 00:00:00 GMT'

const ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    path: '/token/access',
    guard: { kind: 'none' },
    handler: { kind: 'issue', cookies: 'access' },
  },
  {
    method: 'GET',
    path: '/token/refresh',
    guard: { kind: 'none' },
    handler: { kind: 'issue', cookies: 'refresh' },
  },
  {
    method: 'GET',
    path: '/token/both',
    guard: { kind: 'none' },
    handler: { kind: 'issue', cookies: 'both' },
  },
  {
    method: 'GET',
    path: '/token/none',
    guard: { kind: 'none' },
    handler: { kind: 'issue', cookies: 'none' },
  },
  {
    method: 'GET',
    path: '/token/hour',
    guard: { kind: 'none' },
    handler: { kind: 'issue', cookies: 'both', maxAge: 3600 },
  },
  { method: 'POST', path: '/logout', guard: { kind: 'none' }, handler: { kind: 'logout' } },
  {
    method: 'POST',
    path: '/logout/access',
    guard: { kind: 'none' },
    handler: { kind: 'logout-access' },
  },
  { method: 'POST', path: '/protected', guard: { kind: 'access' } },
  { method: 'POST', path: '/refresh', guard: { kind: 'refresh' } },
]

/** Attributes other than the name and value, as a plain record for deepEqual. */
function attrs(cookie: ParsedCookie | undefined): Record<string, string | true> {
  assert.ok(cookie !== undefined, 'cookie missing')
  const out: Record<string, string | true> = {}
  for (const [name, value] of Object.entries(cookie.attributes))
    out[name] = name === 'samesite' && typeof value === 'string' ? value.toLowerCase() : value
  return out
}

async function withApp(
  driver: (typeof DRIVERS)[number],
  options: Partial<AuthXOptions>,
  run: (app: TestApp) => Promise<void>,
): Promise<void> {
  const app = await driver.build(
    baseOptions({ tokenLocation: ['headers', 'cookies'], ...options }),
    ROUTES,
  )
  try {
    await run(app)
  } finally {
    await app.close()
  }
}

for (const driver of DRIVERS) {
  void describe(`cookies with the default attributes [${driver.name}]`, () => {
    let app: TestApp

    before(async () => {
      app = await driver.build(baseOptions({ tokenLocation: ['headers', 'cookies'] }), ROUTES)
    })
    after(() => app.close())

    void test('79. access cookies: the token (HttpOnly) and its readable CSRF value', async () => {
      const res = await expectOk(app, { method: 'GET', path: '/token/access' })
      const { access_token: token } = res.body as { access_token: string }
      assert.equal(res.setCookies.length, 2)
      const jar = cookieMap(res)
      assert.equal(jar.access_token_cookie?.value, token)
      assert.deepEqual(attrs(jar.access_token_cookie), {
        path: '/',
        httponly: true,
        secure: true,
        samesite: 'lax',
      })
      const csrf = claimsOf(token).csrf
      assert.match(String(csrf), /^[0-9a-f-]{36}$/, '86. a uuid when cookies and CSRF are on')
      assert.equal(jar.csrf_access_token?.value, csrf)
      assert.deepEqual(attrs(jar.csrf_access_token), { path: '/', secure: true, samesite: 'lax' })
    })

    void test('80. refresh cookies: refresh_token_cookie and csrf_refresh_token', async () => {
      const res = await expectOk(app, { method: 'GET', path: '/token/refresh' })
      const { refresh_token: token } = res.body as { refresh_token: string }
      const jar = cookieMap(res)
      assert.deepEqual(Object.keys(jar).sort(), ['csrf_refresh_token', 'refresh_token_cookie'])
      assert.equal(jar.refresh_token_cookie?.value, token)
      assert.equal(jar.csrf_refresh_token?.value, claimsOf(token).csrf)
      assert.deepEqual(attrs(jar.refresh_token_cookie), {
        path: '/',
        httponly: true,
        secure: true,
        samesite: 'lax',
      })
      assert.deepEqual(attrs(jar.csrf_refresh_token), { path: '/', secure: true, samesite: 'lax' })
    })

    void test('both kinds at once: four cookies; none when asked for none', async () => {
      const res = await expectOk(app, { method: 'GET', path: '/token/both' })
      assert.deepEqual(Object.keys(cookieMap(res)).sort(), [
        'access_token_cookie',
        'csrf_access_token',
        'csrf_refresh_token',
        'refresh_token_cookie',
      ])
      const none = await expectOk(app, { method: 'GET', path: '/token/none' })
      assert.deepEqual(none.setCookies, [])
    })

    void test('the cookies a browser got open guarded routes with the CSRF cookie echoed', async () => {
      const res = await expectOk(app, { method: 'GET', path: '/token/both' })
      const jar = cookieMap(res)
      const sent = cookies({
        access_token_cookie: jar.access_token_cookie?.value ?? '',
        refresh_token_cookie: jar.refresh_token_cookie?.value ?? '',
      })
      await expectOk(app, {
        method: 'POST',
        path: '/protected',
        headers: { ...sent, 'x-csrf-token': jar.csrf_access_token?.value ?? '' },
      })
      await expectOk(app, {
        method: 'POST',
        path: '/refresh',
        headers: { ...sent, 'x-csrf-token': jar.csrf_refresh_token?.value ?? '' },
      })
      await expectRefused(
        app,
        {
          method: 'POST',
          path: '/protected',
          headers: { ...sent, 'x-csrf-token': jar.csrf_refresh_token?.value ?? '' },
        },
        { errorType: 'CSRFError' },
      )
    })

    void test('83. no Max-Age or Expires by default (session cookies)', async () => {
      const res = await expectOk(app, { method: 'GET', path: '/token/both' })
      for (const cookie of Object.values(cookieMap(res))) {
        assert.equal(cookie.attributes['max-age'], undefined, cookie.name)
        assert.equal(cookie.attributes.expires, undefined, cookie.name)
      }
    })

    void test('83. maxAge: 3600 puts Max-Age=3600 on every cookie', async () => {
      const res = await expectOk(app, { method: 'GET', path: '/token/hour' })
      const jar = cookieMap(res)
      assert.equal(Object.keys(jar).length, 4)
      for (const cookie of Object.values(jar))
        assert.equal(cookie.attributes['max-age'], '3600', cookie.name)
    })

    void test('81. unsetting access cookies: empty values, Max-Age=0, Expires 1970, same attributes', async () => {
      const res = await expectOk(app, { method: 'POST', path: '/logout/access' })
      const jar = cookieMap(res)
      assert.deepEqual(Object.keys(jar).sort(), ['access_token_cookie', 'csrf_access_token'])
      for (const cookie of Object.values(jar)) assert.equal(cookie.value, '', cookie.name)
      assert.deepEqual(attrs(jar.access_token_cookie), {
        'max-age': '0',
        expires: EPOCH,
        path: '/',
        httponly: true,
        secure: true,
        samesite: 'lax',
      })
      assert.deepEqual(attrs(jar.csrf_access_token), {
        'max-age': '0',
        expires: EPOCH,
        path: '/',
        secure: true,
        samesite: 'lax',
      })
    })

    void test('81. unsetCookies deletes all four cookies', async () => {
      const res = await expectOk(app, { method: 'POST', path: '/logout' })
      const jar = cookieMap(res)
      assert.deepEqual(Object.keys(jar).sort(), [
        'access_token_cookie',
        'csrf_access_token',
        'csrf_refresh_token',
        'refresh_token_cookie',
      ])
      for (const cookie of Object.values(jar)) {
        assert.equal(cookie.value, '', cookie.name)
        assert.equal(cookie.attributes['max-age'], '0', cookie.name)
        assert.equal(cookie.attributes.expires, EPOCH, cookie.name)
      }
    })

    void test('87. setting cookies verifies the token (to read its CSRF claim)', () => {
      const expired = app.auth.createAccessToken('alice', { expiresIn: -1 })
      assert.throws(() => app.auth.accessCookies(expired), { name: 'TokenExpiredError' })
      assert.throws(() => app.auth.accessCookies(app.auth.createRefreshToken('alice')), {
        name: 'AccessTokenRequiredError',
      })
    })
  })

  void describe(`cookie configuration [${driver.name}]`, () => {
    void test('Domain, SameSite=Strict, custom names and paths: on sets and deletions alike', async () => {
      await withApp(
        driver,
        {
          cookieDomain: 'example.com',
          cookieSamesite: 'strict',
          accessCookieName: 'at',
          accessCookiePath: '/api',
          accessCsrfCookieName: 'at_csrf',
          accessCsrfCookiePath: '/',
          refreshCookieName: 'rt',
          refreshCookiePath: '/auth/refresh',
          refreshCsrfCookieName: 'rt_csrf',
          refreshCsrfCookiePath: '/auth',
        },
        async (app) => {
          const expected: Record<string, Record<string, string | true>> = {
            at: {
              path: '/api',
              domain: 'example.com',
              httponly: true,
              secure: true,
              samesite: 'strict',
            },
            at_csrf: { path: '/', domain: 'example.com', secure: true, samesite: 'strict' },
            rt: {
              path: '/auth/refresh',
              domain: 'example.com',
              httponly: true,
              secure: true,
              samesite: 'strict',
            },
            rt_csrf: { path: '/auth', domain: 'example.com', secure: true, samesite: 'strict' },
          }
          const set = cookieMap(await expectOk(app, { method: 'GET', path: '/token/both' }))
          const gone = cookieMap(await expectOk(app, { method: 'POST', path: '/logout' }))
          for (const [name, attributes] of Object.entries(expected)) {
            assert.deepEqual(attrs(set[name]), attributes, `set ${name}`)
            assert.deepEqual(
              attrs(gone[name]),
              { ...attributes, 'max-age': '0', expires: EPOCH },
              `delete ${name}`,
            )
          }
        },
      )
    })

    void test('SameSite=None, SameSite omitted (null), Secure off', async () => {
      await withApp(driver, { cookieSamesite: 'none' }, async (app) => {
        const jar = cookieMap(await expectOk(app, { method: 'GET', path: '/token/access' }))
        assert.equal(attrs(jar.access_token_cookie).samesite, 'none')
        const gone = cookieMap(await expectOk(app, { method: 'POST', path: '/logout/access' }))
        assert.equal(attrs(gone.access_token_cookie).samesite, 'none')
      })
      await withApp(driver, { cookieSamesite: null, cookieSecure: false }, async (app) => {
        for (const path of ['/token/access', '/logout/access']) {
          const res = await expectOk(app, {
            method: path.startsWith('/logout') ? 'POST' : 'GET',
            path,
          })
          for (const cookie of Object.values(cookieMap(res))) {
            assert.equal(cookie.attributes.samesite, undefined, `${path} ${cookie.name}`)
            assert.equal(cookie.attributes.secure, undefined, `${path} ${cookie.name}`)
          }
        }
      })
    })

    void test('cookieMaxAge applies to every cookie; an explicit maxAge wins', async () => {
      await withApp(driver, { cookieMaxAge: 600 }, async (app) => {
        const jar = cookieMap(await expectOk(app, { method: 'GET', path: '/token/both' }))
        for (const cookie of Object.values(jar)) assert.equal(cookie.attributes['max-age'], '600')
        const hour = cookieMap(await expectOk(app, { method: 'GET', path: '/token/hour' }))
        for (const cookie of Object.values(hour)) assert.equal(cookie.attributes['max-age'], '3600')
      })
    })

    void test('84. cookieHttpOnly: false leaves HttpOnly off the token cookie', async () => {
      await withApp(driver, { cookieHttpOnly: false }, async (app) => {
        const jar = cookieMap(await expectOk(app, { method: 'GET', path: '/token/access' }))
        assert.equal(jar.access_token_cookie?.attributes.httponly, undefined)
        const gone = cookieMap(await expectOk(app, { method: 'POST', path: '/logout/access' }))
        assert.equal(gone.access_token_cookie?.attributes.httponly, undefined)
      })
    })

    void test('82. CSRF protection off: one cookie set, one deleted, no decoding', async () => {
      await withApp(driver, { cookieCsrfProtect: false }, async (app) => {
        const set = await expectOk(app, { method: 'GET', path: '/token/access' })
        assert.deepEqual(Object.keys(cookieMap(set)), ['access_token_cookie'])
        const gone = await expectOk(app, { method: 'POST', path: '/logout/access' })
        assert.deepEqual(Object.keys(cookieMap(gone)), ['access_token_cookie'])
        // 87. Without a CSRF cookie to fill, a foreign token is not decoded to set it.
        const foreign = await driver.build(baseOptions({ secretKey: OTHER_SECRET }), [])
        try {
          const token = foreign.auth.createAccessToken('alice')
          assert.equal(app.auth.accessCookies(token)[0]?.value, token)
        } finally {
          await foreign.close()
        }
      })
    })

    void test('85. csrfInCookies: false emits only the token cookie', async () => {
      await withApp(driver, { csrfInCookies: false }, async (app) => {
        const set = await expectOk(app, { method: 'GET', path: '/token/both' })
        assert.deepEqual(Object.keys(cookieMap(set)).sort(), [
          'access_token_cookie',
          'refresh_token_cookie',
        ])
        const gone = await expectOk(app, { method: 'POST', path: '/logout' })
        assert.deepEqual(Object.keys(cookieMap(gone)).sort(), [
          'access_token_cookie',
          'refresh_token_cookie',
        ])
      })
    })
  })
}
