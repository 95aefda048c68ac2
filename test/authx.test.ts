import assert from 'node:assert/strict'
import { generateKeyPairSync } from './helpers/keypair.ts'
import { describe, test } from 'node:test'
import { AuthX } from '../src/authx.ts'
import type { AuthXOptions } from '../src/config/index.ts'
import {
  AccessTokenRequiredError,
  BadConfigurationError,
  CSRFError,
  FreshTokenRequiredError,
  InsufficientScopeError,
  JWTDecodeError,
  MissingTokenError,
  RefreshTokenRequiredError,
  RevokedTokenError,
  StoreUnavailableError,
  SubjectNotFoundError,
  TokenExpiredError,
  TokenInvalidAudienceError,
  TokenInvalidIssuerError,
  TokenInvalidSignatureError,
} from '../src/errors.ts'
import type { RequestToken } from '../src/request/extract.ts'
import { MemoryStore } from '../src/stores/memory.ts'
import { RESERVED_CLAIMS, TokenPayload } from '../src/token/payload.ts'
import type { TokenPayload as TokenPayloadType } from '../src/token/payload.ts'

const SECRET = 'current-secret-'.padEnd(32, 'x')
const OLD_SECRET = 'previous-secret-'.padEnd(32, 'y')
const OTHER_SECRET = 'unrelated-secret-'.padEnd(32, 'z')
/** A fixed, fractional "now": `iat` must be its floor. */
const NOW = 1_700_000_000.75
const IAT = Math.floor(NOW)
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** A clock the test moves by hand. */
function manualClock(start = NOW): { clock: () => number; set: (t: number) => void } {
  let now = start
  return { clock: () => now, set: (t) => (now = t) }
}

function make(options: Partial<AuthXOptions> = {}): AuthX {
  return new AuthX({ secretKey: SECRET, clock: () => NOW, ...options })
}

/** Decodes a segment without verifying: what a client (or an attacker) reads. */
function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  const part = token.split('.')[index] ?? ''
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>
}
const claimsOf = (token: string): Record<string, unknown> => decodePart(token, 1)
const headerOf = (token: string): Record<string, unknown> => decodePart(token, 0)

/** Asserts that `fn` throws exactly `Class` (not a subclass, not a parent). */
function throwsExactly(fn: () => unknown, Class: new (...args: never[]) => Error): void {
  assert.throws(fn, (error: unknown) => {
    assert.equal((error as Error).constructor, Class, `got ${(error as Error).name}`)
    return true
  })
}

async function rejectsExactly(
  promise: Promise<unknown>,
  Class: new (...args: never[]) => Error,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as Error).constructor, Class, `got ${(error as Error).name}`)
    return true
  })
}

const rsaOld = generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsaNew = generateKeyPairSync('rsa', { modulusLength: 2048 })

void describe('access token claims (AuthX section 7, scenario 88)', () => {
  void test('default claims, field by field', () => {
    const auth = make()
    const token = auth.createAccessToken('user1')
    const claims = claimsOf(token)
    assert.deepEqual(Object.keys(claims), [
      'sub',
      'jti',
      'type',
      'fresh',
      'csrf',
      'iat',
      'nbf',
      'exp',
    ])
    assert.equal(claims.sub, 'user1')
    assert.match(claims.jti as string, UUID)
    assert.equal(claims.type, 'access')
    assert.equal(claims.fresh, false)
    assert.equal(claims.csrf, '')
    assert.equal(claims.iat, IAT)
    assert.ok(Number.isInteger(claims.iat))
    assert.equal(claims.nbf, IAT)
    assert.equal(claims.exp, IAT + 900)
    assert.deepEqual(headerOf(token), { alg: 'HS256', typ: 'JWT' })
  })

  void test('every token has its own jti', () => {
    const auth = make()
    assert.notEqual(
      claimsOf(auth.createAccessToken('u')).jti,
      claimsOf(auth.createAccessToken('u')).jti,
    )
  })

  void test('a numeric uid becomes a string sub; other uids are a TypeError', () => {
    const auth = make()
    assert.equal(claimsOf(auth.createAccessToken(42)).sub, '42')
    assert.throws(() => auth.createAccessToken({} as unknown as string), TypeError)
    assert.throws(() => auth.createAccessToken(undefined as unknown as string), TypeError)
  })

  void test('fresh only on access tokens', () => {
    const auth = make()
    assert.equal(claimsOf(auth.createAccessToken('u', { fresh: true })).fresh, true)
    assert.equal('fresh' in claimsOf(auth.createRefreshToken('u')), false)
    // A refresh token is never fresh: asking for one is refused, not ignored.
    assert.throws(
      () => auth.createRefreshToken('u', { fresh: true } as unknown as Record<string, never>),
      { name: 'TypeError', message: /createRefreshToken: unknown option 'fresh'/ },
    )
  })

  void test('csrf is "" unless cookies are a location and CSRF protection is on', () => {
    assert.equal(claimsOf(make().createAccessToken('u')).csrf, '')
    const cookies = make({ tokenLocation: ['headers', 'cookies'] })
    assert.match(claimsOf(cookies.createAccessToken('u')).csrf as string, UUID)
    assert.match(claimsOf(cookies.createRefreshToken('u')).csrf as string, UUID)
    assert.notEqual(
      claimsOf(cookies.createAccessToken('u')).csrf,
      claimsOf(cookies.createAccessToken('u')).csrf,
    )
    const off = make({ tokenLocation: ['cookies'], cookieCsrfProtect: false })
    assert.equal(claimsOf(off.createAccessToken('u')).csrf, '')
  })

  void test('nbf is written by default and not when encodeNbf is false', () => {
    const claims = claimsOf(make({ encodeNbf: false }).createAccessToken('u'))
    assert.equal('nbf' in claims, false)
    assert.equal(claims.iat, IAT)
  })

  void test('iss and aud come from the encode options; audience overrides per token', () => {
    const auth = make({ encodeIssuer: 'https://issuer', encodeAudience: 'api' })
    const claims = claimsOf(auth.createAccessToken('u'))
    assert.equal(claims.iss, 'https://issuer')
    assert.equal(claims.aud, 'api')
    assert.equal(claimsOf(auth.createAccessToken('u', { audience: 'web' })).aud, 'web')
    assert.deepEqual(claimsOf(auth.createAccessToken('u', { audience: ['a', 'b'] })).aud, [
      'a',
      'b',
    ])
    assert.deepEqual(claimsOf(make({ encodeAudience: ['x', 'y'] }).createAccessToken('u')).aud, [
      'x',
      'y',
    ])
    const none = claimsOf(make().createAccessToken('u'))
    assert.equal('iss' in none, false)
    assert.equal('aud' in none, false)
  })

  void test('scopes are kept exactly: order, [] and absence (scenario 78)', () => {
    const auth = make()
    assert.deepEqual(claimsOf(auth.createAccessToken('u', { scopes: ['b', 'a', 'b'] })).scopes, [
      'b',
      'a',
      'b',
    ])
    assert.deepEqual(claimsOf(auth.createAccessToken('u', { scopes: [] })).scopes, [])
    assert.equal('scopes' in claimsOf(auth.createAccessToken('u')), false)
    assert.deepEqual(claimsOf(auth.createRefreshToken('u', { scopes: ['refresh'] })).scopes, [
      'refresh',
    ])
  })

  void test('login_type is stamped from loginType (scenario 94)', () => {
    assert.equal(claimsOf(make({ loginType: 'admin' }).createAccessToken('u')).login_type, 'admin')
    assert.equal('login_type' in claimsOf(make().createAccessToken('u')), false)
  })

  void test('custom data becomes top-level claims (scenario 90)', () => {
    const claims = claimsOf(
      make().createAccessToken('u', { data: { role: 'admin', n: 1, nested: { a: [1] } } }),
    )
    assert.equal(claims.role, 'admin')
    assert.equal(claims.n, 1)
    assert.deepEqual(claims.nested, { a: [1] })
  })

  void test('sessionId and familyId become sid and fam', () => {
    const auth = make()
    assert.equal(claimsOf(auth.createAccessToken('u', { sessionId: 's1' })).sid, 's1')
    assert.equal(claimsOf(auth.createRefreshToken('u', { familyId: 'f1' })).fam, 'f1')
  })
})

void describe('refresh token claims (scenario 89)', () => {
  void test('type refresh, no fresh, 20 days', () => {
    const claims = claimsOf(make().createRefreshToken('user1'))
    assert.equal(claims.type, 'refresh')
    assert.equal('fresh' in claims, false)
    assert.equal(claims.sub, 'user1')
    assert.match(claims.jti as string, UUID)
    assert.equal(claims.iat, IAT)
    assert.equal(claims.nbf, IAT)
    assert.equal(claims.exp, IAT + 20 * 86_400)
  })
})

void describe('expiresIn (scenario 93, with the numeric defect fixed)', () => {
  void test('a number is seconds from now, not an epoch', () => {
    const auth = make()
    assert.equal(claimsOf(auth.createAccessToken('u', { expiresIn: 3600 })).exp, IAT + 3600)
    assert.equal(claimsOf(auth.createRefreshToken('u', { expiresIn: 60 })).exp, IAT + 60)
    // Fractions are rounded: exp is an integer NumericDate.
    assert.equal(claimsOf(auth.createAccessToken('u', { expiresIn: 10.6 })).exp, IAT + 11)
    const token = auth.createAccessToken('u', { expiresIn: 3600 })
    assert.equal(auth.verifyTokenSync(token).sub, 'u')
  })

  void test('a duration string', () => {
    assert.equal(claimsOf(make().createAccessToken('u', { expiresIn: '2h' })).exp, IAT + 7200)
  })

  void test('a Date is absolute', () => {
    const at = new Date((IAT + 1234) * 1000 + 999)
    assert.equal(claimsOf(make().createAccessToken('u', { expiresIn: at })).exp, IAT + 1234)
  })

  void test('a negative number gives an already expired token (scenario 42)', () => {
    const auth = make()
    throwsExactly(
      () => auth.verifyTokenSync(auth.createAccessToken('u', { expiresIn: -1 })),
      TokenExpiredError,
    )
  })

  void test('anything else is a TypeError', () => {
    assert.throws(
      () => make().createAccessToken('u', { expiresIn: 'tomorrow' }),
      (error: unknown) => error instanceof TypeError && /expiresIn/.test(error.message),
    )
  })

  void test('null writes no exp: accepted only when the lifetime of its type is null', () => {
    const strict = make()
    const forever = strict.createAccessToken('u', { expiresIn: null })
    assert.equal('exp' in claimsOf(forever), false)
    throwsExactly(() => strict.verifyTokenSync(forever), JWTDecodeError)

    const lax = make({ accessTokenExpires: null })
    assert.equal(lax.verifyTokenSync(forever).exp, undefined)
    assert.equal(lax.verifyTokenSync(forever).timeUntilExpiry(), null)
    // The refresh lifetime is still 20 days: a refresh token without exp is refused.
    const refresh = lax.createRefreshToken('u', { expiresIn: null })
    throwsExactly(() => lax.verifyTokenSync(refresh, { type: 'refresh' }), JWTDecodeError)
    assert.equal(
      make({ refreshTokenExpires: null }).verifyTokenSync(refresh, { type: 'refresh' }).type,
      'refresh',
    )
  })

  void test('a null lifetime accepts its tokens indefinitely (scenario 92)', () => {
    const { clock, set } = manualClock()
    const auth = make({ accessTokenExpires: null, clock })
    const token = auth.createAccessToken('u')
    assert.equal('exp' in claimsOf(token), false)
    set(NOW + 100 * 365 * 86_400)
    assert.equal(auth.verifyTokenSync(token).sub, 'u')
  })
})

void describe('reserved claims and headers', () => {
  void test('every reserved claim in data is a TypeError naming it', () => {
    const auth = make()
    for (const name of RESERVED_CLAIMS) {
      assert.throws(
        () => auth.createAccessToken('u', { data: { [name]: 'x' } }),
        (error: unknown) =>
          error instanceof TypeError &&
          error.message.startsWith(`data.${name} is a reserved claim`),
        name,
      )
    }
    assert.throws(() => auth.createRefreshToken('u', { data: { jti: 'mine' } }), TypeError)
  })

  void test('the identity claim is reserved too', () => {
    const auth = make({ identityClaim: 'uid' })
    assert.throws(() => auth.createAccessToken('u', { data: { uid: 'x' } }), /data\.uid/)
    assert.throws(() => auth.createAccessToken('u', { data: { sub: 'x' } }), /data\.sub/)
  })

  void test('a data key named __proto__ stays a plain claim', () => {
    const auth = make()
    const data = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>
    const token = auth.createAccessToken('u', { data })
    assert.deepEqual(Object.getOwnPropertyDescriptor(claimsOf(token), '__proto__')?.value, {
      polluted: true,
    })
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    const payload = auth.verifyTokenSync(token)
    assert.equal(payload.extra.ok, 1)
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  void test('headers: kid and other members are written; alg, crit, b64, zip are TypeErrors', () => {
    const auth = make()
    const token = auth.createAccessToken('u', { headers: { kid: 'key-1', cty: 'x' } })
    assert.deepEqual(headerOf(token), { alg: 'HS256', typ: 'JWT', kid: 'key-1', cty: 'x' })
    assert.equal(auth.verifyTokenSync(token).sub, 'u')
    for (const name of ['alg', 'crit', 'b64', 'zip']) {
      assert.throws(
        () => auth.createAccessToken('u', { headers: { [name]: 'none' } }),
        (error: unknown) =>
          error instanceof TypeError && error.message === `headers.${name} cannot be set`,
      )
    }
    assert.throws(() => auth.createRefreshToken('u', { headers: { alg: 'none' } }), TypeError)
  })

  void test('the configured keyId is written into every header', () => {
    const auth = make({ keyId: 'k-2026' })
    assert.deepEqual(headerOf(auth.createAccessToken('u')), {
      alg: 'HS256',
      typ: 'JWT',
      kid: 'k-2026',
    })
    assert.deepEqual(headerOf(auth.createAccessToken('u', { headers: { x5t: 'abc' } })), {
      alg: 'HS256',
      typ: 'JWT',
      kid: 'k-2026',
      x5t: 'abc',
    })
  })
})

void describe('createTokenPair (scenario 91)', () => {
  void test('fresh access with its scopes, refresh with its own, shared data and audience', () => {
    const auth = make({ decodeAudience: 'myapp' })
    const pair = auth.createTokenPair('u1', {
      fresh: true,
      accessScopes: ['read', 'write'],
      refreshScopes: ['refresh'],
      data: { role: 'admin' },
      audience: 'myapp',
      accessExpiresIn: '2h',
      refreshExpiresIn: '7d',
    })
    assert.deepEqual(Object.keys(pair).sort(), ['access_token', 'refresh_token', 'token_type'])
    assert.equal(pair.token_type, 'bearer')
    assert.notEqual(pair.access_token, pair.refresh_token)
    const access = auth.verifyTokenSync(pair.access_token)
    const refresh = auth.verifyTokenSync(pair.refresh_token, { type: 'refresh' })
    assert.equal(access.fresh, true)
    assert.deepEqual(access.scopes, ['read', 'write'])
    assert.deepEqual(refresh.scopes, ['refresh'])
    assert.equal(refresh.fresh, false)
    assert.equal('fresh' in refresh.claims, false)
    for (const payload of [access, refresh]) {
      assert.equal(payload.sub, 'u1')
      assert.equal(payload.extra.role, 'admin')
      assert.equal(payload.aud, 'myapp')
    }
    assert.equal(access.timeUntilExpiry(), IAT + 7200 - NOW)
    assert.ok((access.timeUntilExpiry() ?? 0) > 7100)
    assert.equal(refresh.exp, IAT + 7 * 86_400)
  })

  void test('defaults: non-fresh, configured lifetimes, no scopes', () => {
    const auth = make()
    const pair = auth.createTokenPair('u')
    const access = claimsOf(pair.access_token)
    const refresh = claimsOf(pair.refresh_token)
    assert.equal(access.fresh, false)
    assert.equal(access.exp, IAT + 900)
    assert.equal(refresh.exp, IAT + 20 * 86_400)
    assert.equal('scopes' in access, false)
    assert.equal('scopes' in refresh, false)
  })

  void test('headers, sessionId and familyId apply to both tokens', () => {
    const pair = make().createTokenPair('u', {
      headers: { kid: 'k' },
      sessionId: 's',
      familyId: 'f',
    })
    assert.equal(headerOf(pair.access_token).kid, 'k')
    assert.equal(headerOf(pair.refresh_token).kid, 'k')
    assert.equal(claimsOf(pair.access_token).sid, 's')
    assert.equal(claimsOf(pair.refresh_token).sid, 's')
    // The access token joins its refresh token's family, so revoking the family rejects both.
    assert.equal(claimsOf(pair.access_token).fam, 'f')
    assert.equal(claimsOf(pair.refresh_token).fam, 'f')
    assert.equal('fam' in claimsOf(make().createTokenPair('u').access_token), false)
  })
})

void describe('time claims', () => {
  const EXP = IAT + 900

  void test('exp without leeway: valid until exp, expired at exp', () => {
    const { clock, set } = manualClock()
    const auth = make({ clock })
    const token = auth.createAccessToken('u')
    set(EXP - 1)
    assert.equal(auth.verifyTokenSync(token).sub, 'u')
    set(EXP - 0.001)
    assert.equal(auth.verifyTokenSync(token).sub, 'u')
    set(EXP)
    throwsExactly(() => auth.verifyTokenSync(token), TokenExpiredError)
  })

  void test('exp with leeway: accepted up to exp + leeway, exclusive', () => {
    const { clock, set } = manualClock()
    const auth = make({ clock, decodeLeeway: 30 })
    const token = auth.createAccessToken('u')
    set(EXP + 29.999)
    assert.equal(auth.verifyTokenSync(token).sub, 'u')
    set(EXP + 30)
    throwsExactly(() => auth.verifyTokenSync(token), TokenExpiredError)
  })

  void test('nbf in the future is Invalid Token, within leeway it passes', () => {
    const issuer = make({ clock: () => NOW + 60 })
    const token = issuer.createAccessToken('u')
    throwsExactly(() => make().verifyTokenSync(token), JWTDecodeError)
    throwsExactly(() => make({ decodeLeeway: 59 }).verifyTokenSync(token), JWTDecodeError)
    assert.equal(make({ decodeLeeway: 60 }).verifyTokenSync(token).sub, 'u')
    // Once the time has come, the same token is accepted (scenario 48).
    assert.equal(make({ clock: () => NOW + 60 }).verifyTokenSync(token).sub, 'u')
  })

  void test('iat in the future is Invalid Token even without nbf', () => {
    const token = make({ clock: () => NOW + 60, encodeNbf: false }).createAccessToken('u')
    throwsExactly(() => make().verifyTokenSync(token), JWTDecodeError)
    assert.equal(make({ decodeLeeway: 60 }).verifyTokenSync(token).sub, 'u')
  })
})

void describe('audience and issuer (scenarios 44-47)', () => {
  const signer = make()

  void test('decodeAudience matches any audience of the token', () => {
    const auth = make({ decodeAudience: 'AUTHX' })
    const token = signer.createAccessToken('u', { audience: ['TESTING', 'AUTHX'] })
    assert.deepEqual(auth.verifyTokenSync(token).aud, ['TESTING', 'AUTHX'])
    throwsExactly(
      () => auth.verifyTokenSync(signer.createAccessToken('u', { audience: 'BAD' })),
      TokenInvalidAudienceError,
    )
    const multi = make({ decodeAudience: ['x', 'AUTHX'] })
    assert.equal(multi.verifyTokenSync(token).sub, 'u')
  })

  void test('a token with aud and no decodeAudience is Invalid audience', () => {
    throwsExactly(
      () => make().verifyTokenSync(signer.createAccessToken('u', { audience: 'api' })),
      TokenInvalidAudienceError,
    )
    // So encodeAudience needs a matching decodeAudience to round-trip.
    throwsExactly(() => {
      const auth = make({ encodeAudience: 'api' })
      auth.verifyTokenSync(auth.createAccessToken('u'))
    }, TokenInvalidAudienceError)
    const both = make({ encodeAudience: 'api', decodeAudience: 'api' })
    assert.equal(both.verifyTokenSync(both.createAccessToken('u')).aud, 'api')
  })

  void test('decodeAudience and a token without aud is Invalid Token', () => {
    throwsExactly(
      () => make({ decodeAudience: 'api' }).verifyTokenSync(signer.createAccessToken('u')),
      JWTDecodeError,
    )
  })

  void test('the audience verify option overrides decodeAudience', () => {
    const token = signer.createAccessToken('u', { audience: 'web' })
    const auth = make({ decodeAudience: 'api' })
    throwsExactly(() => auth.verifyTokenSync(token), TokenInvalidAudienceError)
    assert.equal(auth.verifyTokenSync(token, { audience: 'web' }).aud, 'web')
    assert.equal(auth.verifyTokenSync(token, { audience: ['x', 'web'] }).aud, 'web')
    throwsExactly(() => auth.verifyTokenSync(token, { audience: 'api' }), TokenInvalidAudienceError)
  })

  void test('decodeIssuer: a different iss is Invalid issuer, a missing one Invalid Token', () => {
    const auth = make({ decodeIssuer: 'VALID' })
    throwsExactly(
      () => auth.verifyTokenSync(make({ encodeIssuer: 'BAD' }).createAccessToken('u')),
      TokenInvalidIssuerError,
    )
    throwsExactly(() => auth.verifyTokenSync(signer.createAccessToken('u')), JWTDecodeError)
    const good = make({ encodeIssuer: 'VALID' }).createAccessToken('u')
    assert.equal(auth.verifyTokenSync(good).iss, 'VALID')
    // Without decodeIssuer, iss is not checked.
    assert.equal(make().verifyTokenSync(good).iss, 'VALID')
  })

  void test('the issuer verify option overrides decodeIssuer', () => {
    const token = make({ encodeIssuer: 'other' }).createAccessToken('u')
    assert.equal(
      make({ decodeIssuer: 'VALID' }).verifyTokenSync(token, { issuer: 'other' }).iss,
      'other',
    )
    throwsExactly(() => make().verifyTokenSync(token, { issuer: 'VALID' }), TokenInvalidIssuerError)
  })
})

void describe('token type, freshness and CSRF', () => {
  const auth = make({ tokenLocation: ['headers', 'cookies'] })
  const access = auth.createAccessToken('u')
  const fresh = auth.createAccessToken('u', { fresh: true })
  const refresh = auth.createRefreshToken('u')
  const found = (
    token: string,
    type: 'access' | 'refresh',
    extra: Partial<RequestToken> = {},
  ): RequestToken => ({ token, type, csrf: undefined, location: 'headers', ...extra })

  void test('verifyTokenSync expects an access token by default', () => {
    throwsExactly(() => auth.verifyTokenSync(refresh), AccessTokenRequiredError)
    throwsExactly(
      () => auth.verifyTokenSync(access, { type: 'refresh' }),
      RefreshTokenRequiredError,
    )
    assert.equal(auth.verifyTokenSync(refresh, { type: 'refresh' }).type, 'refresh')
  })

  void test('a RequestToken brings its own expected type', () => {
    throwsExactly(() => auth.verifyTokenSync(found(access, 'refresh')), RefreshTokenRequiredError)
    assert.equal(auth.verifyTokenSync(found(refresh, 'refresh')).type, 'refresh')
    // The option wins over the request token's type.
    assert.equal(auth.verifyTokenSync(found(access, 'refresh'), { type: 'access' }).type, 'access')
  })

  void test('verifyType: false accepts either type (scenario 33)', () => {
    assert.equal(auth.verifyTokenSync(refresh, { verifyType: false }).type, 'refresh')
  })

  void test('verifyFresh requires fresh: true, after the type check (scenario 37)', () => {
    throwsExactly(
      () => auth.verifyTokenSync(access, { verifyFresh: true }),
      FreshTokenRequiredError,
    )
    assert.equal(auth.verifyTokenSync(fresh, { verifyFresh: true }).fresh, true)
    throwsExactly(
      () => auth.verifyTokenSync(refresh, { verifyFresh: true }),
      AccessTokenRequiredError,
    )
  })

  void test('the csrf option is compared with the csrf claim', () => {
    const claim = auth.verifyTokenSync(access).csrf as string
    assert.match(claim, UUID)
    assert.equal(auth.verifyTokenSync(access, { csrf: claim }).sub, 'u')
    throwsExactly(() => auth.verifyTokenSync(access, { csrf: 'wrong' }), CSRFError)
    throwsExactly(() => auth.verifyTokenSync(access, { csrf: claim + 'x' }), CSRFError)
    throwsExactly(() => auth.verifyTokenSync(access, { csrf: '' }), CSRFError)
    assert.equal(auth.verifyTokenSync(access, { csrf: 'wrong', verifyCsrf: false }).sub, 'u')
  })

  void test('an empty csrf claim never matches, not even an empty value', () => {
    const headersOnly = make()
    const token = headersOnly.createAccessToken('u')
    throwsExactly(() => headersOnly.verifyTokenSync(token, { csrf: '' }), CSRFError)
  })

  void test('a cookie RequestToken is checked against its own csrf value', () => {
    const claim = auth.verifyTokenSync(access).csrf as string
    const cookie = (csrf: string | undefined) =>
      found(access, 'access', { location: 'cookies', csrf })
    assert.equal(auth.verifyTokenSync(cookie(claim)).sub, 'u')
    throwsExactly(() => auth.verifyTokenSync(cookie('nope')), CSRFError)
    // No header value at all (a GET), but CSRF verification forced: CSRFError.
    throwsExactly(() => auth.verifyTokenSync(cookie(undefined)), CSRFError)
    assert.equal(auth.verifyTokenSync(cookie(undefined), { verifyCsrf: false }).sub, 'u')
    // A header RequestToken is not a CSRF carrier: nothing to compare.
    assert.equal(auth.verifyTokenSync(found(access, 'access')).sub, 'u')
  })

  void test('verifyToken runs the same checks asynchronously', async () => {
    await rejectsExactly(auth.verifyToken(refresh), AccessTokenRequiredError)
    assert.equal((await auth.verifyToken(found(refresh, 'refresh'))).type, 'refresh')
    assert.ok((await auth.verifyToken(access)) instanceof TokenPayload)
  })
})

void describe('signatures and key rotation (scenarios 51-52)', () => {
  void test('HS256 with previousSecretKey accepts old and new tokens, not unknown ones', () => {
    const oldAuth = make({ secretKey: OLD_SECRET })
    const rotated = make({ previousSecretKey: OLD_SECRET })
    const oldToken = oldAuth.createAccessToken('old')
    const newToken = rotated.createAccessToken('new')
    assert.equal(rotated.verifyTokenSync(oldToken).sub, 'old')
    assert.equal(rotated.verifyTokenSync(newToken).sub, 'new')
    throwsExactly(
      () => rotated.verifyTokenSync(make({ secretKey: OTHER_SECRET }).createAccessToken('x')),
      TokenInvalidSignatureError,
    )
    // Without the previous key the old token fails; new tokens need only the new key.
    throwsExactly(() => make().verifyTokenSync(oldToken), TokenInvalidSignatureError)
    assert.equal(make().verifyTokenSync(newToken).sub, 'new')
    throwsExactly(() => oldAuth.verifyTokenSync(newToken), TokenInvalidSignatureError)
  })

  void test('an expired token says Token has expired even with a previous key (AuthX defect fixed)', () => {
    const { clock, set } = manualClock()
    const rotated = make({ previousSecretKey: OLD_SECRET, clock })
    const current = rotated.createAccessToken('u')
    const previous = make({ secretKey: OLD_SECRET, clock }).createAccessToken('u')
    set(NOW + 3600)
    throwsExactly(() => rotated.verifyTokenSync(current), TokenExpiredError)
    throwsExactly(() => rotated.verifyTokenSync(previous), TokenExpiredError)
  })

  void test('RS256 with previousPublicKey accepts tokens of the old private key', () => {
    const oldAuth = new AuthX({
      algorithm: 'RS256',
      privateKey: rsaOld.privateKey,
      clock: () => NOW,
    })
    const rotated = new AuthX({
      algorithm: 'RS256',
      privateKey: rsaNew.privateKey,
      previousPublicKey: rsaOld.publicKey,
      clock: () => NOW,
    })
    assert.equal(rotated.verifyTokenSync(oldAuth.createAccessToken('old')).sub, 'old')
    assert.equal(rotated.verifyTokenSync(rotated.createAccessToken('new')).sub, 'new')
    const plain = new AuthX({ algorithm: 'RS256', publicKey: rsaNew.publicKey, clock: () => NOW })
    throwsExactly(
      () => plain.verifyTokenSync(oldAuth.createAccessToken('old')),
      TokenInvalidSignatureError,
    )
  })

  void test('RS256 rotation: an expired current-key token is TokenExpiredError', () => {
    const { clock, set } = manualClock()
    const rotated = new AuthX({
      algorithm: 'RS256',
      privateKey: rsaNew.privateKey,
      previousPublicKey: rsaOld.publicKey,
      clock,
    })
    const token = rotated.createAccessToken('u')
    set(NOW + 901)
    throwsExactly(() => rotated.verifyTokenSync(token), TokenExpiredError)
  })

  void test('a previous key of another algorithm (HS256 to RS256 migration)', () => {
    const hs = make({ secretKey: OLD_SECRET })
    const rs = new AuthX({
      algorithm: 'RS256',
      privateKey: rsaNew.privateKey,
      previousAlgorithm: 'HS256',
      previousSecretKey: OLD_SECRET,
      clock: () => NOW,
    })
    assert.equal(rs.verifyTokenSync(hs.createAccessToken('legacy')).sub, 'legacy')
    assert.equal(rs.verifyTokenSync(rs.createAccessToken('new')).sub, 'new')
  })

  void test('with kids configured, the token kid selects the one key to try', () => {
    const oldAuth = make({ secretKey: OLD_SECRET, keyId: 'k1' })
    const rotated = make({ keyId: 'k2', previousSecretKey: OLD_SECRET, previousKeyId: 'k1' })
    const oldToken = oldAuth.createAccessToken('old')
    assert.equal(headerOf(oldToken).kid, 'k1')
    assert.equal(rotated.verifyTokenSync(oldToken).sub, 'old')
    const newToken = rotated.createAccessToken('new')
    assert.equal(headerOf(newToken).kid, 'k2')
    assert.equal(rotated.verifyTokenSync(newToken).sub, 'new')
    // The new key's signature under the old kid: only k1 is tried, and it fails.
    const mislabelled = rotated.createAccessToken('x', { headers: { kid: 'k1' } })
    throwsExactly(() => rotated.verifyTokenSync(mislabelled), TokenInvalidSignatureError)
    // An unknown kid has no key at all.
    const unknown = rotated.createAccessToken('x', { headers: { kid: 'k9' } })
    throwsExactly(() => rotated.verifyTokenSync(unknown), TokenInvalidSignatureError)
    // A token without kid still tries every key of its algorithm.
    const noKid = make({ secretKey: OLD_SECRET }).createAccessToken('nokid')
    assert.equal(rotated.verifyTokenSync(noKid).sub, 'nokid')
  })

  void test('a token of another algorithm is Invalid Token (scenario 50)', () => {
    const rs = new AuthX({ algorithm: 'RS256', privateKey: rsaNew.privateKey, clock: () => NOW })
    throwsExactly(() => make().verifyTokenSync(rs.createAccessToken('u')), JWTDecodeError)
  })

  void test('garbage is Invalid Token (scenario 43)', () => {
    throwsExactly(() => make().verifyTokenSync('secret'), JWTDecodeError)
  })
})

void describe('identityClaim', () => {
  void test('the subject is written to and read from the configured claim', () => {
    const auth = make({ identityClaim: 'uid' })
    const token = auth.createAccessToken('user7', { data: { role: 'r' } })
    const claims = claimsOf(token)
    assert.equal(claims.uid, 'user7')
    assert.equal('sub' in claims, false)
    const payload = auth.verifyTokenSync(token)
    assert.equal(payload.sub, 'user7')
    assert.deepEqual({ ...payload.extra }, { role: 'r' })
  })

  void test('a token without the identity claim is Invalid Token', () => {
    const token = make().createAccessToken('u')
    throwsExactly(() => make({ identityClaim: 'uid' }).verifyTokenSync(token), JWTDecodeError)
  })
})

void describe('key roles', () => {
  void test('a verify-only instance verifies but cannot create tokens', () => {
    const signer = new AuthX({
      algorithm: 'RS256',
      privateKey: rsaNew.privateKey,
      clock: () => NOW,
    })
    const verifier = new AuthX({
      algorithm: 'RS256',
      publicKey: rsaNew.publicKey,
      clock: () => NOW,
    })
    assert.equal(verifier.config.signingKey, undefined)
    assert.equal(verifier.verifyTokenSync(signer.createAccessToken('u')).sub, 'u')
    for (const create of [
      () => verifier.createAccessToken('u'),
      () => verifier.createRefreshToken('u'),
      () => verifier.createTokenPair('u'),
    ]) {
      assert.throws(
        create,
        (error: unknown) =>
          error instanceof BadConfigurationError && error.message.startsWith('privateKey: '),
      )
    }
  })

  void test('a private key alone derives its public key', () => {
    const auth = new AuthX({ algorithm: 'RS256', privateKey: rsaNew.privateKey, clock: () => NOW })
    assert.equal(auth.config.signingKey?.key.type, 'private')
    assert.equal(auth.config.verifyKeys.length, 1)
    assert.equal(auth.config.verifyKeys[0]?.key.type, 'public')
    assert.equal(auth.verifyTokenSync(auth.createAccessToken('u')).sub, 'u')
    const verifier = new AuthX({
      algorithm: 'RS256',
      publicKey: rsaNew.publicKey,
      clock: () => NOW,
    })
    assert.equal(verifier.verifyTokenSync(auth.createAccessToken('u')).sub, 'u')
  })

  void test('an explicit publicKey wins over the private key half', () => {
    const auth = new AuthX({
      algorithm: 'RS256',
      privateKey: rsaNew.privateKey,
      publicKey: rsaOld.publicKey,
      clock: () => NOW,
    })
    // Misconfigured on purpose: tokens it signs do not verify with the other public key.
    throwsExactly(
      () => auth.verifyTokenSync(auth.createAccessToken('u')),
      TokenInvalidSignatureError,
    )
  })
})

void describe('setTokenBlocklist', () => {
  void test('a sync callback receives (token, payload); truthy means revoked', async () => {
    const auth = make()
    const token = auth.createAccessToken('u')
    const calls: [string, string][] = []
    auth.setTokenBlocklist((t, payload) => {
      calls.push([t, payload.sub])
      return t === token
    })
    await rejectsExactly(auth.verifyToken(token), RevokedTokenError)
    assert.deepEqual(calls, [[token, 'u']])
    const other = auth.createAccessToken('v')
    assert.equal((await auth.verifyToken(other)).sub, 'v')
    // verifyTokenSync does not consult revocation.
    assert.equal(auth.verifyTokenSync(token).sub, 'u')
  })

  void test('an async callback, keyed by jti', async () => {
    const auth = make()
    const token = auth.createAccessToken('u')
    const revoked = new Set([auth.verifyTokenSync(token).jti])
    auth.setTokenBlocklist(async (_t, payload) => {
      await Promise.resolve()
      return revoked.has(payload.jti)
    })
    await rejectsExactly(auth.verifyToken(token), RevokedTokenError)
    assert.equal((await auth.verifyToken(auth.createAccessToken('u'))).sub, 'u')
  })

  void test('the callback runs only after the signature check', async () => {
    const auth = make()
    let called = 0
    auth.setTokenBlocklist(() => {
      called++
      return true
    })
    await rejectsExactly(auth.verifyToken('garbage'), JWTDecodeError)
    await rejectsExactly(
      auth.verifyToken(make({ secretKey: OTHER_SECRET }).createAccessToken('u')),
      TokenInvalidSignatureError,
    )
    assert.equal(called, 0)
  })

  void test('a callback that throws or rejects fails closed with StoreUnavailableError', async () => {
    const auth = make()
    const token = auth.createAccessToken('u')
    auth.setTokenBlocklist(() => {
      throw new Error('db down')
    })
    await rejectsExactly(auth.verifyToken(token), StoreUnavailableError)
    auth.setTokenBlocklist(() => Promise.reject(new Error('db down')))
    await assert.rejects(auth.verifyToken(token), (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError)
      assert.equal(error.statusCode, 503)
      assert.equal((error.cause as Error).message, 'db down')
      return true
    })
  })

  void test('a falsy return means not revoked', async () => {
    const auth = make()
    auth.setTokenBlocklist(() => null as unknown as boolean)
    assert.equal((await auth.verifyToken(auth.createAccessToken('u'))).sub, 'u')
  })

  void test('a non-function is a TypeError', () => {
    assert.throws(() => make().setTokenBlocklist('x' as unknown as () => boolean), TypeError)
  })
})

void describe('revocation through the store', () => {
  void test('revokeToken by jti, from a token string or a payload', async () => {
    const auth = make()
    const a = auth.createAccessToken('u')
    const b = auth.createAccessToken('u')
    const c = auth.createRefreshToken('u')
    assert.equal((await auth.verifyToken(a)).sub, 'u')
    await auth.revokeToken(a)
    await rejectsExactly(auth.verifyToken(a), RevokedTokenError)
    assert.equal((await auth.verifyToken(b)).sub, 'u')
    await auth.revokeToken(auth.verifyTokenSync(c, { type: 'refresh' }))
    await rejectsExactly(auth.verifyToken(c, { type: 'refresh' }), RevokedTokenError)
  })

  void test('revocation lasts until the token would have expired anyway', async () => {
    const { clock, set } = manualClock()
    const store = new MemoryStore({ clock })
    const auth = make({ clock, store })
    const token = auth.createAccessToken('u')
    await auth.revokeToken(token)
    assert.equal(await store.isRevoked({ sub: 'u', jti: auth.verifyTokenSync(token).jti }), true)
    set(IAT + 901)
    // Past exp the entry is gone: the token is refused as expired, not as revoked.
    await rejectsExactly(auth.verifyToken(token), TokenExpiredError)
  })

  void test('revoking an expired token is a no-op; a forged one is refused', async () => {
    const { clock, set } = manualClock()
    const auth = make({ clock })
    const token = auth.createAccessToken('u')
    set(NOW + 3600)
    await auth.revokeToken(token)
    await rejectsExactly(
      auth.revokeToken(make({ secretKey: OTHER_SECRET }).createAccessToken('u')),
      TokenInvalidSignatureError,
    )
  })

  void test('a payload without jti cannot be revoked', async () => {
    const payload = new TokenPayload({ sub: 'u', exp: IAT + 60 }) as TokenPayloadType
    await assert.rejects(make().revokeToken(payload), TypeError)
  })

  void test('a token without exp is remembered for the longest lifetime', async () => {
    const auth = make({ accessTokenExpires: null })
    const token = auth.createAccessToken('u')
    await auth.revokeToken(token)
    await rejectsExactly(auth.verifyToken(token), RevokedTokenError)
  })

  void test('revokeAllForSubject revokes what was issued until now', async () => {
    const { clock, set } = manualClock()
    const auth = make({ clock })
    const before = auth.createAccessToken('alice')
    const bob = auth.createAccessToken('bob')
    await auth.revokeAllForSubject('alice')
    await rejectsExactly(auth.verifyToken(before), RevokedTokenError)
    assert.equal((await auth.verifyToken(bob)).sub, 'bob')
    set(NOW + 2)
    const after = auth.createAccessToken('alice')
    assert.equal((await auth.verifyToken(after)).sub, 'alice')
  })

  void test('a failing store is StoreUnavailableError (503), for writes and reads', async () => {
    const store = new MemoryStore({ clock: () => NOW })
    const auth = make({ store })
    const token = auth.createAccessToken('u')
    const broken = new Error('connection refused')
    store.isRevoked = () => Promise.reject(broken)
    store.revoke = () => Promise.reject(broken)
    store.revokeSubject = () => Promise.reject(broken)
    await rejectsExactly(auth.verifyToken(token), StoreUnavailableError)
    await rejectsExactly(auth.revokeToken(token), StoreUnavailableError)
    await rejectsExactly(auth.revokeAllForSubject('u'), StoreUnavailableError)
    assert.equal(auth.store, store)
  })
})

void describe('subject getter', () => {
  void test('no getter is a BadConfigurationError', async () => {
    const auth = make()
    const payload = auth.verifyTokenSync(auth.createAccessToken('u'))
    await assert.rejects(auth.getSubject(payload), BadConfigurationError)
  })

  void test('sync and async getters receive (sub, payload); nothing found is SubjectNotFoundError', async () => {
    const auth = make()
    const payload = auth.verifyTokenSync(auth.createAccessToken('test'))
    const seen: unknown[] = []
    auth.setSubjectGetter((sub, p) => {
      seen.push(sub, p)
      return sub === 'test' ? { uid: 'test', email: 'test@test.com' } : null
    })
    assert.deepEqual(await auth.getSubject(payload), { uid: 'test', email: 'test@test.com' })
    assert.deepEqual(seen, ['test', payload])
    const other = auth.verifyTokenSync(auth.createAccessToken('nobody'))
    await rejectsExactly(auth.getSubject(other), SubjectNotFoundError)
    auth.setSubjectGetter(async (sub) => {
      await Promise.resolve()
      return sub === 'test' ? { uid: sub } : undefined
    })
    assert.deepEqual(await auth.getSubject(payload), { uid: 'test' })
    await rejectsExactly(auth.getSubject(other), SubjectNotFoundError)
  })

  void test('a non-function is a TypeError', () => {
    assert.throws(() => make().setSubjectGetter(null as unknown as () => null), TypeError)
  })
})

void describe('request pipeline (Fetch Request)', () => {
  const request = (headers: Record<string, string>, init: RequestInit = {}) =>
    new Request('http://localhost/r', { ...init, headers })

  void test('authenticate verifies a bearer token and checks scopes', async () => {
    const auth = make()
    const token = auth.createAccessToken('u', { scopes: ['read'] })
    const payload = await auth.authenticate(request({ authorization: `Bearer ${token}` }), {
      scopes: ['read'],
    })
    assert.equal(payload.sub, 'u')
    await assert.rejects(
      auth.authenticate(request({ authorization: `Bearer ${token}` }), { scopes: ['write'] }),
      InsufficientScopeError,
    )
    assert.equal(
      (
        await auth.authenticate(request({ authorization: `Bearer ${token}` }), {
          scopes: ['write', 'read'],
          allScopes: false,
        })
      ).sub,
      'u',
    )
    await assert.rejects(auth.authenticate(request({})), MissingTokenError)
  })

  void test('authenticate consults revocation', async () => {
    const auth = make()
    const token = auth.createAccessToken('u')
    await auth.revokeToken(token)
    await rejectsExactly(
      auth.authenticate(request({ authorization: `Bearer ${token}` })),
      RevokedTokenError,
    )
  })

  void test('getTokenFromRequest is optional by default; the typed getters are not', async () => {
    const auth = make({ tokenLocation: ['headers', 'json'] })
    assert.equal(await auth.getTokenFromRequest(request({})), null)
    await assert.rejects(
      auth.getTokenFromRequest(request({}), { optional: false }),
      MissingTokenError,
    )
    await assert.rejects(auth.getAccessTokenFromRequest(request({})), MissingTokenError)
    await assert.rejects(auth.getRefreshTokenFromRequest(request({})), MissingTokenError)
    const refresh = auth.createRefreshToken('u')
    const found = await auth.getRefreshTokenFromRequest(
      request(
        { 'content-type': 'application/json' },
        { method: 'POST', body: JSON.stringify({ refresh_token: refresh }) },
      ),
    )
    assert.deepEqual(found, { token: refresh, csrf: undefined, type: 'refresh', location: 'json' })
    assert.equal((await auth.verifyToken(found)).type, 'refresh')
    // A malformed header is not "missing": the optional lookup still throws it.
    await assert.rejects(
      auth.getTokenFromRequest(request({ authorization: 'Bearer a b' })),
      JWTDecodeError,
    )
  })

  void test('checkScopes with a payload that has no scopes claim', () => {
    const auth = make()
    const payload = auth.verifyTokenSync(auth.createAccessToken('u'))
    assert.throws(
      () => auth.checkScopes(payload, ['read']),
      (error: unknown) =>
        error instanceof InsufficientScopeError &&
        error.message === 'Missing required scopes: read. Provided: none',
    )
    auth.checkScopes(payload, [])
  })
})

void describe('cookies and error rendering', () => {
  void test('accessCookies/refreshCookies carry the token and its csrf claim', () => {
    const auth = make({ tokenLocation: ['cookies'] })
    const access = auth.createAccessToken('u')
    const cookies = auth.accessCookies(access)
    assert.deepEqual(
      cookies.map((c) => c.name),
      ['access_token_cookie', 'csrf_access_token'],
    )
    assert.equal(cookies[0]?.value, access)
    assert.equal(cookies[1]?.value, auth.verifyTokenSync(access).csrf)
    const refresh = auth.createRefreshToken('u')
    assert.deepEqual(
      auth.refreshCookies(refresh, { maxAge: 60 }).map((c) => [c.name, c.options.maxAge]),
      [
        ['refresh_token_cookie', 60],
        ['csrf_refresh_token', 60],
      ],
    )
    assert.equal(auth.unsetCookies().length, 4)
    assert.equal(auth.unsetCookies('access').length, 2)
    // The token is verified to read its csrf claim: a foreign token is refused (scenario 87).
    assert.throws(
      () => auth.accessCookies(make({ secretKey: OTHER_SECRET }).createAccessToken('u')),
      TokenInvalidSignatureError,
    )
    // Without CSRF cookies nothing is decoded.
    const plain = make({ tokenLocation: ['cookies'], cookieCsrfProtect: false })
    assert.equal(plain.accessCookies('not-even-a-jwt').length, 1)
  })

  void test('renderError and errorResponse use errorMessageKey and per-instance messages', async () => {
    const auth = make({
      errorMessageKey: 'message',
      messages: { TokenExpiredError: 'Session expired' },
    })
    const rendered = auth.renderError(new TokenExpiredError())
    assert.equal(rendered.status, 401)
    assert.deepEqual(rendered.body, { message: 'Session expired', error_type: 'TokenExpiredError' })
    const response = auth.errorResponse(new MissingTokenError())
    assert.equal(response.status, 401)
    assert.equal(response.headers.get('www-authenticate'), 'Bearer')
    assert.deepEqual(await response.json(), {
      message: 'Missing JWT in request',
      error_type: 'MissingTokenError',
    })
  })
})
