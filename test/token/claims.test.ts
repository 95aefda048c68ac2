import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  JWTDecodeError,
  TokenExpiredError,
  TokenInvalidAudienceError,
  TokenInvalidIssuerError,
} from '../../src/errors.ts'
import { validateClaims } from '../../src/token/claims.ts'
import type { ClaimRules } from '../../src/token/claims.ts'

const NOW = 1_700_000_000

function rules(overrides: Partial<ClaimRules> = {}): ClaimRules {
  return {
    now: NOW,
    leeway: 0,
    audience: null,
    issuer: null,
    identityClaim: 'sub',
    allowsNoExpiry: () => false,
    ...overrides,
  }
}

const base = { sub: 'u', iat: NOW, nbf: NOW, exp: NOW + 60 }

/** Asserts that validation throws exactly `Class`, and returns the error's internal reason. */
function rejects(
  payload: Record<string, unknown>,
  Class: new (...args: never[]) => Error,
  ruleOverrides: Partial<ClaimRules> = {},
): string | undefined {
  let reason: string | undefined
  assert.throws(
    () => validateClaims(payload, rules(ruleOverrides)),
    (error: unknown) => {
      assert.equal((error as Error).constructor, Class, `got ${(error as Error).name}`)
      reason = (error as JWTDecodeError).reason
      return true
    },
  )
  return reason
}

const accepts = (payload: Record<string, unknown>, ruleOverrides: Partial<ClaimRules> = {}) =>
  assert.doesNotThrow(() => validateClaims(payload, rules(ruleOverrides)))

void describe('time claims', () => {
  void test('exp: valid strictly before exp, expired at exp', () => {
    accepts({ ...base, exp: NOW + 1 })
    accepts({ ...base, exp: NOW + 0.001 })
    rejects({ ...base, exp: NOW }, TokenExpiredError)
    rejects({ ...base, exp: NOW - 1 }, TokenExpiredError)
  })

  void test('exp with leeway', () => {
    accepts({ ...base, exp: NOW - 9 }, { leeway: 10 })
    rejects({ ...base, exp: NOW - 10 }, TokenExpiredError, { leeway: 10 })
  })

  void test('nbf and iat: up to now (plus leeway), not after', () => {
    accepts({ ...base, nbf: NOW, iat: NOW })
    assert.match(rejects({ ...base, nbf: NOW + 1 }, JWTDecodeError) ?? '', /nbf/)
    assert.match(rejects({ ...base, iat: NOW + 1 }, JWTDecodeError) ?? '', /iat/)
    accepts({ ...base, nbf: NOW + 5, iat: NOW + 5 }, { leeway: 5 })
    rejects({ ...base, nbf: NOW + 5.5 }, JWTDecodeError, { leeway: 5 })
  })

  void test('time claims must be finite numbers', () => {
    for (const name of ['iat', 'nbf', 'exp']) {
      for (const value of ['1700000000', null, true, [NOW], { n: NOW }, Infinity, -Infinity, NaN]) {
        assert.match(
          rejects({ ...base, [name]: value }, JWTDecodeError) ?? '',
          new RegExp(`${name} is not a finite number`),
          `${name}=${typeof value}`,
        )
      }
    }
  })

  void test('iat and nbf are optional', () => {
    accepts({ sub: 'u', exp: NOW + 60 })
  })

  void test('a missing exp is refused unless the lifetime of the token type is null', () => {
    const seen: unknown[] = []
    const allowsNoExpiry = (type: unknown) => {
      seen.push(type)
      return type === 'refresh'
    }
    assert.match(
      rejects({ sub: 'u', type: 'access' }, JWTDecodeError, { allowsNoExpiry }) ?? '',
      /no exp/,
    )
    accepts({ sub: 'u', type: 'refresh' }, { allowsNoExpiry })
    assert.deepEqual(seen, ['access', 'refresh'])
  })

  void test('time is checked before audience and issuer', () => {
    rejects({ ...base, exp: NOW - 1, aud: 'other', iss: 'other' }, TokenExpiredError, {
      audience: ['api'],
      issuer: ['me'],
    })
  })
})

void describe('registered claim types', () => {
  void test('the identity claim is a required string', () => {
    rejects({ iat: NOW, exp: NOW + 60 }, JWTDecodeError)
    rejects({ ...base, sub: 42 }, JWTDecodeError)
    rejects({ ...base, sub: null }, JWTDecodeError)
    accepts({ ...base, sub: '' })
    // With another identity claim, that claim is the required one and sub is not.
    accepts({ uid: 'u', exp: NOW + 60 }, { identityClaim: 'uid' })
    assert.match(rejects(base, JWTDecodeError, { identityClaim: 'uid' }) ?? '', /uid/)
  })

  void test('type, jti and csrf must be strings; fresh a boolean', () => {
    for (const [name, bad] of [
      ['type', 1],
      ['jti', 1],
      ['csrf', false],
      ['fresh', 'true'],
      ['fresh', 1],
    ] as const) {
      rejects({ ...base, [name]: bad }, JWTDecodeError)
    }
    accepts({ ...base, type: 'access', jti: 'j', csrf: '', fresh: true })
  })

  void test('sid, fam and login_type must be strings; fam_exp a finite number', () => {
    for (const [name, bad] of [
      ['sid', 1],
      ['sid', null],
      ['sid', ['s']],
      ['fam', 1],
      ['fam', { id: 'f' }],
      ['login_type', 1],
      ['login_type', ['admin']],
      ['fam_exp', '1700000000'],
      ['fam_exp', Infinity],
      ['fam_exp', null],
    ] as const) {
      assert.match(rejects({ ...base, [name]: bad }, JWTDecodeError) ?? '', new RegExp(name))
    }
    accepts({ ...base, sid: 's', fam: 'f', login_type: 'admin', fam_exp: NOW + 3600 })
  })

  void test('ids that key the store must be well-formed UTF-16 (no lone surrogate)', () => {
    for (const name of ['sub', 'jti', 'sid', 'fam', 'csrf']) {
      for (const bad of ['\ud800', 'a\ud800', '\udc00b', 'a\udfff\ud83d']) {
        const reason = rejects({ ...base, [name]: bad }, JWTDecodeError)
        assert.match(reason ?? '', new RegExp(`^${name} is not well-formed`))
      }
      // U+FFFD itself and a proper surrogate pair are ordinary characters.
      accepts({ ...base, [name]: 'a\ufffd' })
      accepts({ ...base, [name]: 'a\u{1f600}' })
    }
    // With another identity claim, that claim is the one checked.
    rejects({ uid: 'a\ud800', exp: NOW + 60 }, JWTDecodeError, { identityClaim: 'uid' })
  })

  void test('scopes must be an array of strings', () => {
    for (const bad of ['read', ['read', 1], { 0: 'read' }, null]) {
      rejects({ ...base, scopes: bad }, JWTDecodeError)
    }
    accepts({ ...base, scopes: [] })
    accepts({ ...base, scopes: ['read', 'admin:*'] })
  })
})

void describe('issuer', () => {
  void test('not checked without an expected issuer, beyond its type', () => {
    accepts({ ...base, iss: 'anyone' })
    accepts(base)
    rejects({ ...base, iss: 42 }, JWTDecodeError)
  })

  void test('with an expected issuer', () => {
    const issuer = ['https://issuer']
    accepts({ ...base, iss: issuer[0] }, { issuer })
    rejects({ ...base, iss: 'https://other' }, TokenInvalidIssuerError, { issuer })
    rejects({ ...base, iss: 42 }, TokenInvalidIssuerError, { issuer })
    assert.match(rejects(base, JWTDecodeError, { issuer }) ?? '', /iss is required/)
  })
})

void describe('audience', () => {
  void test('with accepted audiences, any one of the token audiences suffices', () => {
    const audience = ['AUTHX']
    accepts({ ...base, aud: 'AUTHX' }, { audience })
    accepts({ ...base, aud: ['TESTING', 'AUTHX'] }, { audience })
    accepts({ ...base, aud: 'b' }, { audience: ['a', 'b'] })
    rejects({ ...base, aud: 'BAD' }, TokenInvalidAudienceError, { audience })
    rejects({ ...base, aud: [] }, TokenInvalidAudienceError, { audience })
    assert.match(rejects(base, JWTDecodeError, { audience }) ?? '', /aud is required/)
  })

  void test('without accepted audiences, a token naming one is refused', () => {
    rejects({ ...base, aud: 'api' }, TokenInvalidAudienceError)
    rejects({ ...base, aud: ['api'] }, TokenInvalidAudienceError)
    accepts({ ...base, aud: [] })
    accepts(base)
  })

  void test('a malformed aud is Invalid audience', () => {
    for (const bad of [42, null, { a: 1 }, ['api', 1]]) {
      rejects({ ...base, aud: bad }, TokenInvalidAudienceError, { audience: ['api'] })
      rejects({ ...base, aud: bad }, TokenInvalidAudienceError)
    }
  })

  void test('matching is exact', () => {
    rejects({ ...base, aud: 'API' }, TokenInvalidAudienceError, { audience: ['api'] })
    rejects({ ...base, aud: 'api ' }, TokenInvalidAudienceError, { audience: ['api'] })
  })
})
