/**
 * One rule for when the CSRF double submit applies (`csrfApplies`), followed alike by the guards'
 * pipeline (`authenticate`) and by `getTokenFromRequest` + `verifyToken` / `refresh`: a request
 * one of them lets through, the others do not refuse for CSRF.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AuthX, CSRFError, MissingCSRFTokenError } from '../../src/index.ts'
import type { AuthXOptions, RequestToken } from '../../src/index.ts'
import { csrfApplies } from '../../src/request/csrf.ts'

const secretKey = 'csrf-rule-secret-at-least-32-bytes!'

function make(extra: Partial<AuthXOptions> = {}): AuthX {
  return new AuthX({ secretKey, tokenLocation: ['headers', 'cookies'], ...extra })
}

function cookieRequest(method: string, cookie: string, headers: Record<string, string> = {}) {
  return new Request('http://localhost/refresh', {
    method,
    headers: { cookie, ...headers },
  })
}

void describe('csrfApplies', () => {
  void test('cookieCsrfProtect and the request-line method decide, nothing else', () => {
    const on = { cookieCsrfProtect: true, csrfMethods: [] }
    assert.equal(csrfApplies(on, 'POST'), true)
    assert.equal(csrfApplies(on, 'purge'), true)
    assert.equal(csrfApplies(on, 'GET'), false)
    assert.equal(csrfApplies({ cookieCsrfProtect: true, csrfMethods: ['GET'] }, 'get'), true)
    assert.equal(csrfApplies({ cookieCsrfProtect: false, csrfMethods: ['GET'] }, 'POST'), false)
  })
})

void describe('verifyToken and refresh follow the rule the guards follow', () => {
  void test('cookieCsrfProtect: false: a cookie refresh token refreshes without a header', async () => {
    const auth = make({ cookieCsrfProtect: false })
    const refresh = auth.createRefreshToken('alice')
    const request = (): Request => cookieRequest('POST', `refresh_token_cookie=${refresh}`)
    await auth.authenticate(request(), { type: 'refresh' })
    const found = await auth.getRefreshTokenFromRequest(request(), ['cookies'])
    assert.equal((await auth.verifyToken(found)).sub, 'alice')
    const pair = await auth.refresh(await auth.getRefreshTokenFromRequest(request(), ['cookies']))
    assert.equal((await auth.verifyToken(pair.access_token)).sub, 'alice')
  })

  void test('a safe method: no header needed, for the guard and for verifyToken', async () => {
    const auth = make()
    const access = auth.createAccessToken('bob')
    const request = (): Request => cookieRequest('GET', `access_token_cookie=${access}`)
    await auth.authenticate(request())
    const found = await auth.getAccessTokenFromRequest(request())
    assert.equal(found.csrf, undefined)
    assert.equal((await auth.verifyToken(found)).sub, 'bob')
  })

  void test('where CSRF applies, both refuse alike', async () => {
    const auth = make()
    const refresh = auth.createRefreshToken('carol')
    const bare = (): Request => cookieRequest('POST', `refresh_token_cookie=${refresh}`)
    await assert.rejects(auth.authenticate(bare(), { type: 'refresh' }), MissingCSRFTokenError)
    await assert.rejects(auth.getRefreshTokenFromRequest(bare()), MissingCSRFTokenError)
    const forged = (): Request =>
      cookieRequest('POST', `refresh_token_cookie=${refresh}`, { 'x-csrf-token': 'forged' })
    await assert.rejects(auth.authenticate(forged(), { type: 'refresh' }), CSRFError)
    await assert.rejects(auth.refresh(await auth.getRefreshTokenFromRequest(forged())), CSRFError)
  })

  void test('verifyCsrf forces the comparison either way', async () => {
    const auth = make()
    const access = auth.createAccessToken('dave')
    const found = await auth.getAccessTokenFromRequest(
      cookieRequest('GET', `access_token_cookie=${access}`),
    )
    await assert.rejects(auth.verifyToken(found, { verifyCsrf: true }), CSRFError)
    const posted = await auth.getAccessTokenFromRequest(
      cookieRequest('POST', `access_token_cookie=${access}`, { 'x-csrf-token': 'forged' }),
    )
    assert.equal((await auth.verifyToken(posted, { verifyCsrf: false })).sub, 'dave')
  })

  void test('a cookie token built by hand is compared whenever cookieCsrfProtect is on', async () => {
    const auth = make()
    const access = auth.createAccessToken('erin')
    const handMade: RequestToken = {
      token: access,
      csrf: undefined,
      type: 'access',
      location: 'cookies',
    }
    await assert.rejects(auth.verifyToken(handMade), CSRFError)
    // A copy of an extracted token is a token built by hand too.
    const found = await auth.getAccessTokenFromRequest(
      cookieRequest('GET', `access_token_cookie=${access}`),
    )
    await assert.rejects(auth.verifyToken({ ...found }), CSRFError)
    const off = make({ cookieCsrfProtect: false })
    const offToken = off.createAccessToken('erin')
    assert.equal((await off.verifyToken({ ...handMade, token: offToken })).sub, 'erin')
  })
})
