/**
 * Extraction: Authorization variants, repeated query parameters, non-string JSON tokens, locations
 * not enabled, and "first configured location wins" (no fallback past a bad token), through every
 * adapter of the conformance suite (RFC 6750 section 2, RFC 7235 section 2.1, jwt_tool playbook).
 */
import { after, before, describe, test } from 'node:test'
import { DRIVERS } from '../adapters/drivers/index.ts'
import { flipBit, signatureOf, withSignature } from '../helpers/forge.ts'
import {
  buildSecurityApp,
  expectRejected,
  buildDriverTarget,
  expectDriverAccepted,
  expectDriverRejected,
} from '../helpers/http-invariants.ts'
import type { DriverTarget, SecurityApp } from '../helpers/http-invariants.ts'

const DECODE = { status: 401, errorType: 'JWTDecodeError' } as const
const MISSING = { status: 401, errorType: 'MissingTokenError' } as const
const SIGNATURE = { status: 401, errorType: 'TokenInvalidSignatureError' } as const

const auth = (value: string) => ({
  method: 'GET',
  path: '/protected',
  headers: { authorization: value },
})

for (const driver of DRIVERS) {
  void describe(`security: extraction [${driver.name}]`, () => {
    let headersOnly: DriverTarget
    let all: DriverTarget
    before(async () => {
      headersOnly = await buildDriverTarget(driver)
      all = await buildDriverTarget(driver, {
        tokenLocation: ['headers', 'cookies', 'query', 'json'],
      })
    })
    after(async () => {
      await Promise.all([headersOnly.close(), all.close()])
    })

    void test('the scheme is case-insensitive: "bearer" works (RFC 7235 §2.1)', async () => {
      await expectDriverAccepted(headersOnly, auth(`bearer ${headersOnly.validToken()}`))
    })

    void test('the scheme is case-insensitive: "BEARER" works (RFC 7235 §2.1)', async () => {
      await expectDriverAccepted(headersOnly, auth(`BEARER ${headersOnly.validToken()}`))
    })

    void test('"Bearer" with no credential is an invalid token (RFC 6750 §2.1: b64token required)', async () => {
      await expectDriverRejected(headersOnly, auth('Bearer'), DECODE)
    })

    void test('"Bearer Bearer <token>" is refused, not unwrapped (AuthX prefix defect fixed, DESIGN §9)', async () => {
      await expectDriverRejected(
        headersOnly,
        auth(`Bearer Bearer ${headersOnly.validToken()}`),
        DECODE,
      )
    })

    void test('two credentials "Bearer a, Bearer b" are refused (RFC 7235 §4.2: one credential)', async () => {
      const token = headersOnly.validToken()
      await expectDriverRejected(headersOnly, auth(`Bearer ${token}, Bearer ${token}`), DECODE)
    })

    void test('"Bearer<token>" without a space is not the Bearer scheme (RFC 6750 §2.1)', async () => {
      await expectDriverRejected(headersOnly, auth(`Bearer${headersOnly.validToken()}`), MISSING)
    })

    void test('"Basic ..." is not a bearer token (RFC 7617 vs RFC 6750)', async () => {
      await expectDriverRejected(headersOnly, auth('Basic YWxpY2U6c2VjcmV0LXBhc3N3b3Jk'), MISSING)
    })

    void test('"Token <token>" is not the Bearer scheme (AuthX quirk fixed: 401 Missing, not 422)', async () => {
      await expectDriverRejected(headersOnly, auth(`Token ${headersOnly.validToken()}`), MISSING)
    })

    void test('an empty Authorization header is a missing token (RFC 6750 §3.1)', async () => {
      await expectDriverRejected(headersOnly, auth(''), MISSING)
    })

    void test('a token in the query is ignored when the query location is off (location not enabled)', async () => {
      await expectDriverRejected(
        headersOnly,
        { method: 'GET', path: `/protected?token=${headersOnly.validToken()}` },
        MISSING,
      )
    })

    void test('a token cookie is ignored when the cookie location is off (location not enabled)', async () => {
      await expectDriverRejected(
        headersOnly,
        {
          method: 'GET',
          path: '/protected',
          headers: { cookie: `access_token_cookie=${headersOnly.validToken()}` },
        },
        MISSING,
      )
    })

    void test('a JSON body token is ignored when the json location is off (location not enabled)', async () => {
      await expectDriverRejected(
        headersOnly,
        { method: 'POST', path: '/protected', body: { access_token: headersOnly.validToken() } },
        MISSING,
      )
    })

    void test('?token=a&token=b is refused, not resolved by picking one (HTTP parameter pollution, OWASP)', async () => {
      const token = all.validToken()
      await expectDriverRejected(
        all,
        { method: 'GET', path: `/protected?token=${token}&token=${token}` },
        DECODE,
      )
    })

    void test('?token[]=... is not the token parameter (qs array syntax)', async () => {
      await expectDriverRejected(
        all,
        { method: 'GET', path: `/protected?token[]=${all.validToken()}` },
        MISSING,
      )
    })

    void test('a numeric JSON token is not a token (JSON type confusion)', async () => {
      await expectDriverRejected(
        all,
        { method: 'POST', path: '/protected', body: { access_token: 12345 } },
        MISSING,
      )
    })

    void test('an array JSON token is not a token (JSON type confusion)', async () => {
      await expectDriverRejected(
        all,
        { method: 'POST', path: '/protected', body: { access_token: [all.validToken()] } },
        MISSING,
      )
    })

    void test('an object JSON token is not a token (JSON type confusion)', async () => {
      await expectDriverRejected(
        all,
        { method: 'POST', path: '/protected', body: { access_token: { token: all.validToken() } } },
        MISSING,
      )
    })

    void test('a JSON token sent as text/plain is not read (content-type games)', async () => {
      await expectDriverRejected(
        all,
        {
          method: 'POST',
          path: '/protected',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ access_token: all.validToken() }),
        },
        MISSING,
      )
    })

    void test('the refresh_token JSON key does not feed an access route (AuthX json key per type)', async () => {
      await expectDriverRejected(
        all,
        { method: 'POST', path: '/protected', body: { refresh_token: all.validToken() } },
        MISSING,
      )
    })

    void test('first configured location wins: a bad header token is not rescued by a good cookie (no fallback)', async () => {
      const good = all.validToken()
      const bad = withSignature(good, flipBit(signatureOf(good), 4))
      await expectDriverRejected(
        all,
        {
          method: 'GET',
          path: '/protected',
          headers: { authorization: `Bearer ${bad}`, cookie: `access_token_cookie=${good}` },
        },
        SIGNATURE,
      )
    })

    void test('a header without a token is a miss, so the next location is searched (control case)', async () => {
      await expectDriverAccepted(all, {
        method: 'GET',
        path: '/protected',
        headers: {
          authorization: 'Basic YWxpY2U6c2VjcmV0',
          cookie: `access_token_cookie=${all.validToken()}`,
        },
      })
    })
  })
}

/** A header sent several times (light-my-request takes an array; its types say string). */
function repeated(name: string, values: string[]): Record<string, string> {
  return { [name]: values as unknown as string }
}

void describe('security: repeated headers (Fastify inject, which can send them)', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp({ auth: { tokenLocation: ['headers', 'cookies'] } })
  })
  after(() => target.close())

  void test('two Authorization headers: the first decides and a forged first is not rescued by a valid second (RFC 9110 §11.6.2: not a list)', async () => {
    const token = target.validToken()
    const forged = withSignature(token, flipBit(signatureOf(token), 2))
    await expectRejected(
      target,
      {
        method: 'GET',
        url: '/protected',
        headers: repeated('authorization', [`Bearer ${forged}`, `Bearer ${token}`]),
      },
      SIGNATURE,
    )
  })

  void test('two X-CSRF-TOKEN headers with the right value are not a match (RFC 9110 §5.3: joined with ", ")', async () => {
    const token = target.validToken()
    const csrf = String(target.auth.verifyTokenSync(token).csrf)
    await expectRejected(
      target,
      {
        method: 'POST',
        url: '/protected',
        headers: { cookie: `access_token_cookie=${token}`, 'x-csrf-token': [csrf, csrf] },
      },
      { status: 401, errorType: 'CSRFError' },
    )
  })

  void test('a Basic header first and a Bearer second is not searched past (RFC 9110 §11.6.2)', async () => {
    await expectRejected(
      target,
      {
        method: 'GET',
        url: '/protected',
        headers: repeated('authorization', ['Basic YWxpY2U6cHc=', `Bearer ${target.validToken()}`]),
      },
      { status: 401, errorType: 'MissingTokenError' },
    )
  })
})
