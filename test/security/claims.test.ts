/**
 * Claims: time boundaries with and without leeway, non-numeric and non-finite dates, required
 * `exp`, typed `sub`/`iss`/`aud`, and the signature checked before any claim is believed (RFC 7519
 * section 4.1 and 7.2, RFC 8725 section 3.8-3.10), all correctly signed and sent over HTTP.
 */
import { after, before, describe, test } from 'node:test'
import { flipBit, signatureOf, withSignature } from '../helpers/forge.ts'
import {
  NOW,
  bearer,
  buildSecurityApp,
  expectAccepted,
  expectRejected,
  forgeClaims,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'

const DECODE = { status: 401, errorType: 'JWTDecodeError' } as const
const EXPIRED = { status: 401, errorType: 'TokenExpiredError' } as const
const AUDIENCE = { status: 401, errorType: 'TokenInvalidAudienceError' } as const
const ISSUER = { status: 401, errorType: 'TokenInvalidIssuerError' } as const
const SIGNATURE = { status: 401, errorType: 'TokenInvalidSignatureError' } as const

/** Replaces `"name":<anything up to , or }>` in the JSON text with raw JSON text. */
function rawClaim(name: string, json: string): string {
  const text = JSON.stringify({ sub: 'alice', type: 'access', iat: NOW, exp: NOW + 900, [name]: 0 })
  return text.replace(new RegExp(`"${name}":[^,}]+`), `"${name}":${json}`)
}

void describe('security: time claims', () => {
  let strict: SecurityApp
  let lenient: SecurityApp
  before(async () => {
    strict = await buildSecurityApp()
    lenient = await buildSecurityApp({ auth: { decodeLeeway: 10 } })
  })
  after(async () => {
    await Promise.all([strict.close(), lenient.close()])
  })

  void test('exp equal to now is expired (RFC 7519 §4.1.4: "on or after")', async () => {
    await expectRejected(strict, bearer(forgeClaims({ exp: NOW })), EXPIRED)
  })

  void test('exp one second ahead is accepted (RFC 7519 §4.1.4 boundary, control case)', async () => {
    await expectAccepted(strict, bearer(forgeClaims({ exp: NOW + 1 })))
  })

  void test('exp 5 s past with 10 s leeway is accepted (RFC 7519 §4.1.4 "small leeway")', async () => {
    await expectAccepted(lenient, bearer(forgeClaims({ exp: NOW - 5 })))
  })

  void test('exp exactly leeway seconds past is expired (RFC 7519 §4.1.4 boundary with leeway)', async () => {
    await expectRejected(lenient, bearer(forgeClaims({ exp: NOW - 10 })), EXPIRED)
  })

  void test('nbf one second ahead is refused (RFC 7519 §4.1.5)', async () => {
    await expectRejected(strict, bearer(forgeClaims({ nbf: NOW + 1 })), DECODE)
  })

  void test('nbf within the leeway is accepted (RFC 7519 §4.1.5 leeway)', async () => {
    await expectAccepted(lenient, bearer(forgeClaims({ nbf: NOW + 10 })))
  })

  void test('nbf beyond the leeway is refused (RFC 7519 §4.1.5 leeway boundary)', async () => {
    await expectRejected(lenient, bearer(forgeClaims({ nbf: NOW + 11 })), DECODE)
  })

  void test('iat in the future is refused (RFC 7519 §4.1.6, OWASP JWT cheat sheet: token sidejacking)', async () => {
    await expectRejected(strict, bearer(forgeClaims({ iat: NOW + 3600 })), DECODE)
  })

  void test('exp as a numeric string is refused (RFC 7519 §2 NumericDate, jsonwebtoken type coercion)', async () => {
    await expectRejected(strict, bearer(forgeClaims({ exp: String(NOW + 900) })), DECODE)
  })

  void test('exp = 1e400 (parses to Infinity) is refused (RFC 7519 §2: a finite number)', async () => {
    await expectRejected(strict, bearer(forgeClaims(rawClaim('exp', '1e400'))), DECODE)
  })

  void test('nbf = -1e400 (parses to -Infinity) is refused (RFC 7519 §2)', async () => {
    await expectRejected(strict, bearer(forgeClaims(rawClaim('nbf', '-1e400'))), DECODE)
  })

  void test('exp null is refused (RFC 7519 §2)', async () => {
    await expectRejected(strict, bearer(forgeClaims({ exp: null })), DECODE)
  })

  void test('exp as a boolean is refused (RFC 7519 §2)', async () => {
    await expectRejected(strict, bearer(forgeClaims({ exp: true })), DECODE)
  })

  void test('exp as an array is refused (RFC 7519 §2)', async () => {
    await expectRejected(strict, bearer(forgeClaims({ exp: [NOW + 900] })), DECODE)
  })

  void test('a token without exp is refused while lifetimes are configured (RFC 8725 §3.10, DESIGN §6)', async () => {
    await expectRejected(strict, bearer(forgeClaims({}, { omit: ['exp'] })), DECODE)
  })

  void test('a token without exp is accepted only when accessTokenExpires is null (documented opt-in)', async () => {
    const forever = await buildSecurityApp({ auth: { accessTokenExpires: null } })
    try {
      await expectAccepted(forever, bearer(forgeClaims({}, { omit: ['exp'] })))
      // ...but an access-typed opt-in does not extend to refresh tokens.
      await expectRejected(
        forever,
        bearer(forgeClaims({ type: 'refresh' }, { omit: ['exp'] }), '/refresh'),
        DECODE,
      )
    } finally {
      await forever.close()
    }
  })
})

void describe('security: identity, issuer and audience claims', () => {
  let plain: SecurityApp
  let scoped: SecurityApp
  before(async () => {
    plain = await buildSecurityApp()
    scoped = await buildSecurityApp({
      auth: {
        decodeAudience: ['api'],
        decodeIssuer: 'https://issuer.example',
        encodeAudience: 'api',
        encodeIssuer: 'https://issuer.example',
      },
    })
  })
  after(async () => {
    await Promise.all([plain.close(), scoped.close()])
  })

  const good = { aud: 'api', iss: 'https://issuer.example' }

  void test('sub as a number is refused (RFC 7519 §4.1.2: a StringOrURI)', async () => {
    await expectRejected(plain, bearer(forgeClaims({ sub: 42 })), DECODE)
  })

  void test('sub missing is refused (identity claim required)', async () => {
    await expectRejected(plain, bearer(forgeClaims({}, { omit: ['sub'] })), DECODE)
  })

  void test('sub as an object is refused (RFC 7519 §4.1.2, NoSQL-style injection)', async () => {
    await expectRejected(plain, bearer(forgeClaims({ sub: { $ne: null } })), DECODE)
  })

  void test('sub null is refused (RFC 7519 §4.1.2)', async () => {
    await expectRejected(plain, bearer(forgeClaims({ sub: null })), DECODE)
  })

  void test('jti as a number is refused (RFC 7519 §4.1.7: a string; revocation keys by it)', async () => {
    await expectRejected(plain, bearer(forgeClaims({ jti: 7 })), DECODE)
  })

  void test('iss as an array is refused (RFC 7519 §4.1.1: a StringOrURI, not a list)', async () => {
    await expectRejected(
      scoped,
      bearer(forgeClaims({ ...good, iss: ['https://issuer.example'] })),
      ISSUER,
    )
  })

  void test('a different iss is refused (RFC 7519 §4.1.1, RFC 8725 §3.8)', async () => {
    await expectRejected(
      scoped,
      bearer(forgeClaims({ ...good, iss: 'https://evil.example' })),
      ISSUER,
    )
  })

  void test('iss missing when an issuer is required is refused (RFC 8725 §3.8)', async () => {
    await expectRejected(scoped, bearer(forgeClaims({ aud: 'api' })), DECODE)
  })

  void test('aud missing when an audience is required is refused (RFC 7519 §4.1.3, RFC 8725 §3.9)', async () => {
    await expectRejected(scoped, bearer(forgeClaims({ iss: good.iss })), DECODE)
  })

  void test('a different aud is refused (RFC 7519 §4.1.3, RFC 8725 §3.9 substitution)', async () => {
    await expectRejected(scoped, bearer(forgeClaims({ ...good, aud: 'other-api' })), AUDIENCE)
  })

  void test('aud as an object is refused (RFC 7519 §4.1.3)', async () => {
    await expectRejected(scoped, bearer(forgeClaims({ ...good, aud: { 0: 'api' } })), AUDIENCE)
  })

  void test('aud as an array holding a non-string is refused (RFC 7519 §4.1.3)', async () => {
    await expectRejected(scoped, bearer(forgeClaims({ ...good, aud: ['api', 1] })), AUDIENCE)
  })

  void test('aud "api " (trailing space) is not "api" (RFC 7519 §4.1.3: exact comparison)', async () => {
    await expectRejected(scoped, bearer(forgeClaims({ ...good, aud: 'api ' })), AUDIENCE)
  })

  void test('an aud-bearing token on an app with no audience is refused (RFC 7519 §4.1.3: "MUST be rejected")', async () => {
    await expectRejected(plain, bearer(forgeClaims({ aud: 'some-other-service' })), AUDIENCE)
  })

  void test('an array aud containing the accepted audience is accepted (RFC 7519 §4.1.3, control case)', async () => {
    await expectAccepted(scoped, bearer(forgeClaims({ ...good, aud: ['other', 'api'] })))
  })

  void test('an expired token with a bad signature reports the signature: no claim is believed first (RFC 8725 §3.1, DESIGN §6)', async () => {
    const token = forgeClaims({ exp: NOW - 3600 })
    await expectRejected(
      plain,
      bearer(withSignature(token, flipBit(signatureOf(token), 3))),
      SIGNATURE,
    )
  })

  void test('a wrong-audience token with a bad signature reports the signature (RFC 8725 §3.1)', async () => {
    const token = forgeClaims({ ...good, aud: 'other' })
    await expectRejected(
      scoped,
      bearer(withSignature(token, flipBit(signatureOf(token), 3))),
      SIGNATURE,
    )
  })
})
