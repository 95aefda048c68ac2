/**
 * Timing: signatures and CSRF values are compared in constant time, and unequal lengths (which
 * make Node's `timingSafeEqual` throw) are a plain rejection, never a 500 (RFC 7515 section 10.4
 * HMAC comparison, OWASP CSRF cheat sheet "double submit"). No timing thresholds are measured: the
 * code paths are exercised and the primitives checked.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { csrfMatches } from '../../src/request/csrf.ts'
import { signatureOf, withSignature } from '../helpers/forge.ts'
import { bearer, buildSecurityApp, expectRejected } from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'

const SIGNATURE = { status: 401, errorType: 'TokenInvalidSignatureError' } as const
const CSRF = { status: 401, errorType: 'CSRFError' } as const

void describe('security: timing-safe comparisons', () => {
  let target: SecurityApp
  let cookie = ''
  before(async () => {
    target = await buildSecurityApp({ auth: { tokenLocation: ['headers', 'cookies'] } })
    cookie = `access_token_cookie=${target.validToken()}`
  })
  after(() => target.close())

  const csrfPost = (csrf: string) => ({
    method: 'POST' as const,
    url: '/protected',
    headers: { cookie, 'x-csrf-token': csrf },
  })

  for (const bytes of [1, 31, 33, 64]) {
    void test(`an HS256 signature of ${bytes} bytes is a 401, not a timingSafeEqual throw (RFC 7515 §10.4)`, async () => {
      const token = target.validToken()
      const signature = Buffer.alloc(bytes, signatureOf(token)[0])
      await expectRejected(target, bearer(withSignature(token, signature)), SIGNATURE)
    })
  }

  void test('a 1-character CSRF value is a CSRFError, not a throw (OWASP CSRF cheat sheet: double submit)', async () => {
    await expectRejected(target, csrfPost('a'), CSRF)
  })

  void test('a 10 000-character CSRF value is a CSRFError (OWASP CSRF cheat sheet)', async () => {
    await expectRejected(target, csrfPost('a'.repeat(10_000)), CSRF)
  })

  void test('a CSRF value of equal character length but different byte length is a CSRFError (UTF-8 length trap)', async () => {
    const claim = String(target.auth.verifyTokenSync(target.validToken()).csrf)
    await expectRejected(target, csrfPost('é'.repeat(claim.length)), CSRF)
  })

  void test('csrfMatches: unequal lengths return false without throwing; equal values match', () => {
    assert.equal(csrfMatches('a', 'abcdef'), false)
    assert.equal(csrfMatches('abcdef'.repeat(1000), 'abcdef'), false)
    assert.equal(csrfMatches('', ''), false)
    assert.equal(csrfMatches('same-value', 'same-value'), true)
  })

  void test('secret comparisons go through timingSafeEqual, never === (RFC 7515 §10.4 source check)', () => {
    const jws = readFileSync(new URL('../../src/token/jws.ts', import.meta.url), 'utf8')
    const hmacBranch = jws.slice(jws.indexOf("case 'hmac'"), jws.indexOf("case 'rsa'"))
    assert.match(hmacBranch, /timingSafeEqual\(/)
    // Comparing lengths is fine (they are public); comparing the bytes with === or equals() is not.
    assert.doesNotMatch(hmacBranch, /===\s*signature(?!\.length)|signature\s*===|\.equals\(/)
    const csrf = readFileSync(new URL('../../src/request/csrf.ts', import.meta.url), 'utf8')
    assert.match(csrf, /timingSafeEqual\(/)
  })
})
