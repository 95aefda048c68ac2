/**
 * Leakage: error bodies are uniform (the reason a token failed never reaches the client beyond
 * the error table), and no body or header carries the token, a cookie value, key material, a
 * store error or a stack (RFC 6750 section 3, OWASP error handling cheat sheet, CWE-209).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { AuthXError, JWTDecodeError } from '../../src/errors.ts'
import { forgeToken, flipBit, signatureOf, withSignature } from '../helpers/forge.ts'
import {
  NOW,
  SECRET,
  assertNoLeak,
  baseClaims,
  bearer,
  buildSecurityApp,
  expectRejected,
  forgeClaims,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'

const DECODE = { status: 401, errorType: 'JWTDecodeError' } as const

void describe('security: leakage', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp({ auth: { tokenLocation: ['headers', 'cookies'] } })
  })
  after(() => target.close())

  void test('every JWTDecodeError reason renders the same body (CWE-209: no oracle on why)', async () => {
    const reasons = [
      'a.b',
      forgeToken({ header: { alg: 'none' }, payload: baseClaims() }),
      forgeClaims('[1]'),
      forgeClaims({ exp: 'soon' }),
      forgeClaims({}, { omit: ['exp'] }),
      forgeToken({ header: { alg: 'HS256', crit: ['x'] }, payload: baseClaims(), key: SECRET }),
      forgeClaims({ nbf: NOW + 100 }),
    ]
    const bodies = new Set<string>()
    for (const token of reasons)
      bodies.add((await expectRejected(target, bearer(token), DECODE)).text)
    assert.deepEqual([...bodies], ['{"detail":"Invalid Token","error_type":"JWTDecodeError"}'])
  })

  void test('two different bad signatures render byte-identical bodies and headers (uniform errors)', async () => {
    const a = target.validToken('alice')
    const b = target.validToken('bob')
    const ra = await target.inject(bearer(withSignature(a, flipBit(signatureOf(a), 0))))
    const rb = await target.inject(bearer(withSignature(b, flipBit(signatureOf(b), 200))))
    assert.equal(ra.text, rb.text)
    assert.equal(ra.headers['www-authenticate'], rb.headers['www-authenticate'])
  })

  void test('401 bodies carry exactly detail and error_type (error contract, DESIGN §5)', async () => {
    const result = await expectRejected(target, bearer(forgeClaims({ exp: NOW - 1 })), {
      status: 401,
      errorType: 'TokenExpiredError',
    })
    assert.deepEqual(Object.keys(result.json ?? {}).sort(), ['detail', 'error_type'])
  })

  void test('a failed token is not echoed in WWW-Authenticate (RFC 6750 §3: error="invalid_token" only)', async () => {
    const token = forgeClaims({ exp: NOW - 1 })
    const result = await expectRejected(target, bearer(token), {
      status: 401,
      errorType: 'TokenExpiredError',
    })
    const challenge = String(result.headers['www-authenticate'])
    assert.match(challenge, /^Bearer error="invalid_token"/)
    assert.ok(!challenge.includes(token.split('.')[1] ?? ''))
  })

  void test('no token presented gives a bare "Bearer" challenge (RFC 6750 §3.1: no error code)', async () => {
    const result = await expectRejected(
      target,
      { method: 'GET', url: '/protected' },
      { status: 401, errorType: 'MissingTokenError' },
    )
    assert.equal(result.headers['www-authenticate'], 'Bearer')
  })

  void test('error responses are not cacheable (RFC 6750 §5.3, RFC 9111 no-store)', async () => {
    const result = await expectRejected(target, bearer('x.y.z'), DECODE)
    assert.equal(result.headers['cache-control'], 'no-store')
  })

  void test('a bad cookie token is not echoed, nor the CSRF value (OWASP CSRF cheat sheet)', async () => {
    const token = target.validToken()
    const forged = withSignature(token, flipBit(signatureOf(token), 5))
    await expectRejected(
      target,
      {
        method: 'POST',
        url: '/protected',
        headers: {
          cookie: `access_token_cookie=${forged}`,
          'x-csrf-token': 'csrf-value-that-is-long-enough',
        },
      },
      { status: 401, errorType: 'TokenInvalidSignatureError' },
    )
  })

  void test('an AuthX error thrown in a handler renders its message only, never its cause (CWE-209)', async () => {
    const { default: Fastify } = await import('fastify')
    const app = Fastify()
    target.auth.handleErrors(app)
    app.get('/boom', () => {
      throw new JWTDecodeError({ cause: new Error(`key=${SECRET}`), reason: `token ${SECRET}` })
    })
    const response = await app.inject({ method: 'GET', url: '/boom' })
    const result = {
      status: response.statusCode,
      headers: response.headers,
      text: response.body,
      json: undefined,
      setCookies: [],
    }
    assert.equal(response.statusCode, 401)
    assertNoLeak(result, [SECRET])
    assert.deepEqual(JSON.parse(response.body), {
      detail: 'Invalid Token',
      error_type: 'JWTDecodeError',
    })
    await app.close()
  })

  void test('error objects keep the reason for logs but their JSON has no reason (CWE-209)', () => {
    const error = new JWTDecodeError({ reason: 'header is not canonical base64url' })
    assert.ok(error instanceof AuthXError)
    assert.equal(JSON.stringify(error.toJSON()).includes('canonical'), false)
  })
})
