/**
 * Cookies and CSRF: the double-submit header is required on every unsafe method and compared with
 * the token's own claim; method-override headers, content types and "CSRF from the wrong place"
 * change nothing; cookies are set and deleted with their security attributes. Through every
 * adapter (OWASP CSRF cheat sheet, RFC 6265bis SameSite, PortSwigger CSRF labs).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { DRIVERS } from '../adapters/drivers/index.ts'
import {
  buildDriverTarget,
  expectDriverAccepted,
  expectDriverRejected,
  forgeClaims,
} from '../helpers/http-invariants.ts'
import type { DriverTarget } from '../helpers/http-invariants.ts'

const MISSING_CSRF = { status: 401, errorType: 'MissingCSRFTokenError' } as const
const CSRF = { status: 401, errorType: 'CSRFError' } as const

function csrfOf(token: string): string {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
    csrf: string
  }
  return claims.csrf
}

for (const driver of DRIVERS) {
  void describe(`security: cookies and CSRF [${driver.name}]`, () => {
    let target: DriverTarget
    let token = ''
    let csrf = ''
    before(async () => {
      target = await buildDriverTarget(driver, { tokenLocation: ['cookies'] }, { parseForms: true })
      token = target.validToken()
      csrf = csrfOf(token)
    })
    after(() => target.close())

    const withCookie = (
      method: string,
      headers: Record<string, string> = {},
      path = '/protected',
    ) => ({
      method,
      path,
      headers: { cookie: `access_token_cookie=${token}`, ...headers },
    })

    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      void test(`${method} with the cookie and no CSRF header is refused (OWASP CSRF cheat sheet: double submit)`, async () => {
        await expectDriverRejected(target, withCookie(method), MISSING_CSRF)
      })
    }

    void test('a wrong CSRF value is refused (OWASP CSRF cheat sheet: double submit)', async () => {
      await expectDriverRejected(
        target,
        withCookie('POST', { 'x-csrf-token': 'not-the-right-value' }),
        CSRF,
      )
    })

    void test('the token itself as the CSRF value is refused (PortSwigger "CSRF where token is not tied to user session")', async () => {
      await expectDriverRejected(target, withCookie('POST', { 'x-csrf-token': token }), CSRF)
    })

    void test('another user\'s CSRF value is refused (PortSwigger "CSRF where token is not tied to user session")', async () => {
      const other = csrfOf(target.validToken('mallory'))
      await expectDriverRejected(target, withCookie('POST', { 'x-csrf-token': other }), CSRF)
    })

    void test('an empty CSRF header counts as missing (OWASP CSRF cheat sheet)', async () => {
      await expectDriverRejected(target, withCookie('POST', { 'x-csrf-token': '' }), MISSING_CSRF)
    })

    for (const header of ['x-http-method-override', 'x-http-method', 'x-method-override']) {
      void test(`POST with "${header}: GET" still needs CSRF (method override bypass, OWASP CSRF cheat sheet)`, async () => {
        await expectDriverRejected(target, withCookie('POST', { [header]: 'GET' }), MISSING_CSRF)
      })
    }

    void test('POST with ?_method=GET still needs CSRF (Rails/Laravel-style method override bypass)', async () => {
      await expectDriverRejected(
        target,
        withCookie('POST', {}, '/protected?_method=GET'),
        MISSING_CSRF,
      )
    })

    void test('a text/plain "simple request" body still needs CSRF (PortSwigger "CSRF with content-type text/plain")', async () => {
      await expectDriverRejected(
        target,
        { ...withCookie('POST', { 'content-type': 'text/plain' }), body: '{"x":1}' },
        MISSING_CSRF,
      )
    })

    void test('a form field csrf_token is not read unless csrfCheckForm is on (CSRF from the wrong place)', async () => {
      await expectDriverRejected(
        target,
        {
          ...withCookie('POST', { 'content-type': 'application/x-www-form-urlencoded' }),
          body: `csrf_token=${csrf}`,
        },
        MISSING_CSRF,
      )
    })

    void test('a JSON field csrf_token is not a CSRF header (CSRF from the wrong place)', async () => {
      await expectDriverRejected(
        target,
        { ...withCookie('POST'), body: { csrf_token: csrf } },
        MISSING_CSRF,
      )
    })

    void test('a CSRF value in the query is not a CSRF header (CSRF from the wrong place)', async () => {
      await expectDriverRejected(
        target,
        withCookie('POST', {}, `/protected?csrf_token=${csrf}`),
        MISSING_CSRF,
      )
    })

    void test('the CSRF cookie echoed back as a cookie is not the header (the server never reads the CSRF cookie)', async () => {
      await expectDriverRejected(
        target,
        {
          method: 'POST',
          path: '/protected',
          headers: {
            cookie: `access_token_cookie=${token}; csrf_access_token=${csrf}; X-CSRF-TOKEN=${csrf}`,
          },
        },
        MISSING_CSRF,
      )
    })

    void test("a refresh cookie with the access token's CSRF value is refused (CSRF bound to its own token)", async () => {
      const refresh = target.app.auth.createRefreshToken('alice')
      await expectDriverRejected(
        target,
        {
          method: 'POST',
          path: '/refresh',
          headers: { cookie: `refresh_token_cookie=${refresh}`, 'x-csrf-token': csrf },
        },
        CSRF,
      )
    })

    void test('a signed cookie token with an empty csrf claim never matches (empty-secret double submit)', async () => {
      const forged = forgeClaims({ csrf: '' })
      await expectDriverRejected(
        target,
        {
          method: 'POST',
          path: '/protected',
          headers: { cookie: `access_token_cookie=${forged}`, 'x-csrf-token': 'anything' },
        },
        { status: 401, errorType: 'CSRFError' },
      )
    })

    void test('the right CSRF value on POST is accepted (control case)', async () => {
      await expectDriverAccepted(target, withCookie('POST', { 'x-csrf-token': csrf }))
    })

    void test('GET with the cookie and no CSRF header is accepted (safe method, OWASP)', async () => {
      await expectDriverAccepted(target, withCookie('GET'))
    })

    void test('login sets HttpOnly, Secure, SameSite=Lax, Path=/ token cookies and readable CSRF cookies (OWASP session cookie attributes)', async () => {
      const response = await target.app.request({ method: 'POST', path: '/login' })
      assert.equal(response.status, 200)
      const cookies = response.setCookies
      assert.equal(cookies.length, 4)
      for (const name of ['access_token_cookie', 'refresh_token_cookie']) {
        const cookie = cookies.find((c) => c.startsWith(`${name}=`)) ?? ''
        assert.match(cookie, /; HttpOnly/i)
        assert.match(cookie, /; Secure/i)
        assert.match(cookie, /; SameSite=Lax/i)
        assert.match(cookie, /; Path=\//i)
      }
      for (const name of ['csrf_access_token', 'csrf_refresh_token']) {
        const cookie = cookies.find((c) => c.startsWith(`${name}=`)) ?? ''
        assert.doesNotMatch(cookie, /HttpOnly/i)
        assert.match(cookie, /; Secure/i)
      }
    })

    void test('logout really deletes every cookie with the same attributes (AuthX deletion defect fixed, DESIGN §9)', async () => {
      const response = await target.app.request({ method: 'POST', path: '/logout' })
      assert.equal(response.status, 200)
      assert.equal(response.setCookies.length, 4)
      for (const cookie of response.setCookies) {
        assert.match(cookie, /^[a-z_]+=;/)
        assert.match(cookie, /Max-Age=0|Expires=Thu, 01 Jan 1970/i)
        assert.match(cookie, /; Secure/i)
        assert.match(cookie, /; SameSite=Lax/i)
        assert.match(cookie, /; Path=\//i)
      }
    })
  })
}
