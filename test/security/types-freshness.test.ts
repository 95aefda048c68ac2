/**
 * Token types and freshness: a refresh token never opens an access route (and the reverse) in any
 * location, forged or mistyped `type`/`fresh` claims are refused, and reserved claims cannot be
 * smuggled through custom data (RFC 8725 section 3.11 and 3.12, OWASP JWT cheat sheet).
 */
import assert from 'node:assert/strict'
import type { InjectOptions } from 'fastify'
import { after, before, describe, test } from 'node:test'
import {
  bearer,
  buildSecurityApp,
  expectRejected,
  forgeClaims,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'

const DECODE = { status: 401, errorType: 'JWTDecodeError' } as const
const ACCESS_REQUIRED = { status: 401, errorType: 'AccessTokenRequiredError' } as const
const REFRESH_REQUIRED = { status: 401, errorType: 'RefreshTokenRequiredError' } as const
const FRESH_REQUIRED = { status: 401, errorType: 'FreshTokenRequiredError' } as const

type Location = 'headers' | 'cookies' | 'query' | 'json'

/** A request carrying `token` for a route of `type` in one location (GET, so no CSRF applies). */
function carry(
  location: Location,
  token: string,
  path: string,
  type: 'access' | 'refresh',
): InjectOptions {
  switch (location) {
    case 'headers':
      return bearer(token, path)
    case 'cookies':
      return { method: 'GET', url: path, headers: { cookie: `${type}_token_cookie=${token}` } }
    case 'query':
      return { method: 'GET', url: `${path}?token=${token}` }
    case 'json':
      return { method: 'POST', url: path, payload: { [`${type}_token`]: token } }
  }
}

void describe('security: token types and freshness', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp({
      auth: { tokenLocation: ['headers', 'cookies', 'query', 'json'] },
    })
  })
  after(() => target.close())

  for (const location of ['headers', 'cookies', 'query', 'json'] as const) {
    void test(`a refresh token in ${location} does not open an access route (RFC 8725 §3.12 cross-JWT confusion)`, async () => {
      const refresh = target.auth.createRefreshToken('alice')
      await expectRejected(
        target,
        carry(location, refresh, '/protected', 'access'),
        ACCESS_REQUIRED,
      )
    })

    void test(`an access token in ${location} does not open a refresh route (RFC 8725 §3.12, AuthX query-type defect fixed)`, async () => {
      const access = target.auth.createAccessToken('alice')
      await expectRejected(target, carry(location, access, '/refresh', 'refresh'), REFRESH_REQUIRED)
    })
  }

  void test('a forged type "admin" is refused on an access route (RFC 8725 §3.12)', async () => {
    await expectRejected(target, bearer(forgeClaims({ type: 'admin' })), ACCESS_REQUIRED)
  })

  void test('a token without type is refused on an access route (RFC 8725 §3.12: explicit typing)', async () => {
    await expectRejected(target, bearer(forgeClaims({}, { omit: ['type'] })), ACCESS_REQUIRED)
  })

  void test('type as a number is refused (claim type confusion)', async () => {
    await expectRejected(target, bearer(forgeClaims({ type: 1 })), DECODE)
  })

  void test('type as an array ["access"] is refused (claim type confusion)', async () => {
    await expectRejected(target, bearer(forgeClaims({ type: ['access'] })), DECODE)
  })

  void test('type "Access" (wrong case) is refused (exact comparison)', async () => {
    await expectRejected(target, bearer(forgeClaims({ type: 'Access' })), ACCESS_REQUIRED)
  })

  void test('fresh as the string "true" is refused on a fresh route (claim type confusion, not truthiness)', async () => {
    await expectRejected(target, bearer(forgeClaims({ fresh: 'true' }), '/fresh'), DECODE)
  })

  void test('fresh as the number 1 is refused on a fresh route (claim type confusion)', async () => {
    await expectRejected(target, bearer(forgeClaims({ fresh: 1 }), '/fresh'), DECODE)
  })

  void test('a non-fresh access token is refused on a fresh route (AuthX fresh_token_required)', async () => {
    await expectRejected(
      target,
      bearer(target.auth.createAccessToken('alice'), '/fresh'),
      FRESH_REQUIRED,
    )
  })

  void test('a refresh token claiming fresh: true is refused on a fresh route (RFC 8725 §3.12)', async () => {
    await expectRejected(
      target,
      bearer(forgeClaims({ type: 'refresh', fresh: true }), '/fresh'),
      ACCESS_REQUIRED,
    )
  })

  for (const name of ['type', 'fresh', 'scopes', 'exp', 'sub', 'jti', 'csrf']) {
    void test(`data.${name} cannot override a reserved claim at creation (AuthX reserved-claims defect fixed, DESIGN §9)`, () => {
      assert.throws(
        () => target.auth.createAccessToken('alice', { data: { [name]: 'x' } }),
        TypeError,
      )
    })
  }

  void test('headers.alg "none" cannot be set at creation (RFC 8725 §3.1)', () => {
    assert.throws(
      () => target.auth.createAccessToken('alice', { headers: { alg: 'none' } }),
      TypeError,
    )
  })

  void test('headers.crit cannot be set at creation (RFC 7515 §4.1.11)', () => {
    assert.throws(
      () => target.auth.createAccessToken('alice', { headers: { crit: ['exp'] } }),
      TypeError,
    )
  })
})
