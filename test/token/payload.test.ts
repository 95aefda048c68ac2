import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AuthX } from '../../src/authx.ts'
import {
  nowSeconds,
  RESERVED_CLAIMS,
  TokenPayload,
  TokenPayloadImpl,
} from '../../src/token/payload.ts'

const NOW = 1_700_000_000

const claims = {
  sub: 'alice',
  jti: 'j-1',
  type: 'access',
  fresh: true,
  csrf: 'c-1',
  iat: NOW,
  nbf: NOW,
  exp: NOW + 900,
  iss: 'issuer',
  aud: ['api'],
  scopes: ['read', 'admin:*'],
  login_type: 'admin',
  sid: 's-1',
  fam: 'f-1',
  role: 'editor',
  org: { id: 7 },
}

void describe('TokenPayload fields', () => {
  void test('registered claims become typed fields', () => {
    const payload = new TokenPayloadImpl(claims, 'sub', () => NOW)
    assert.equal(payload.sub, 'alice')
    assert.equal(payload.jti, 'j-1')
    assert.equal(payload.type, 'access')
    assert.equal(payload.fresh, true)
    assert.equal(payload.csrf, 'c-1')
    assert.equal(payload.iat, NOW)
    assert.equal(payload.nbf, NOW)
    assert.equal(payload.exp, NOW + 900)
    assert.equal(payload.iss, 'issuer')
    assert.deepEqual(payload.aud, ['api'])
    assert.deepEqual(payload.scopes, ['read', 'admin:*'])
    assert.equal(payload.login_type, 'admin')
    assert.equal(payload.sid, 's-1')
    assert.equal(payload.fam, 'f-1')
    assert.equal(payload.claims, claims)
  })

  void test('absent claims are undefined; fresh is false unless exactly true', () => {
    const payload = new TokenPayloadImpl({ sub: 'u' })
    for (const name of [
      'jti',
      'type',
      'csrf',
      'iat',
      'nbf',
      'exp',
      'iss',
      'aud',
      'scopes',
    ] as const) {
      assert.equal(payload[name], undefined, name)
    }
    assert.equal(payload.fresh, false)
    assert.equal(new TokenPayloadImpl({ sub: 'u', fresh: 'true' }).fresh, false)
  })

  void test('extra holds the custom claims only', () => {
    const payload = new TokenPayloadImpl(claims)
    assert.deepEqual({ ...payload.extra }, { role: 'editor', org: { id: 7 } })
    assert.equal(Object.getPrototypeOf(payload.extra), null)
    for (const name of RESERVED_CLAIMS) assert.equal(name in payload.extra, false, name)
  })

  void test('custom claims are readable on the payload itself, read-only', () => {
    const payload = new TokenPayloadImpl<{ role: string; org: { id: number } }>(
      claims,
    ) as TokenPayload<{
      role: string
      org: { id: number }
    }>
    assert.equal(payload.role, 'editor')
    assert.deepEqual(payload.org, { id: 7 })
    assert.ok(Object.keys(payload).includes('role'))
    assert.throws(() => {
      ;(payload as unknown as Record<string, unknown>).role = 'admin'
    }, TypeError)
  })

  void test('the identity claim feeds sub and stays out of extra', () => {
    const payload = new TokenPayloadImpl({ uid: 'u7', exp: NOW + 1, role: 'x' }, 'uid')
    assert.equal(payload.sub, 'u7')
    assert.deepEqual({ ...payload.extra }, { role: 'x' })
  })

  void test('toJSON is a copy of the claims', () => {
    const payload = new TokenPayloadImpl(claims)
    const json = payload.toJSON()
    assert.deepEqual(json, claims)
    assert.notEqual(json, claims)
    assert.deepEqual(JSON.parse(JSON.stringify(payload)), claims)
  })

  void test('TokenPayload is the class, for instanceof', () => {
    assert.equal(TokenPayload, TokenPayloadImpl)
    const auth = new AuthX({ secretKey: 's'.repeat(32) })
    assert.ok(auth.verifyTokenSync(auth.createAccessToken('u')) instanceof TokenPayload)
  })
})

void describe('helpers', () => {
  void test('hasScopes with AuthX semantics', () => {
    const payload = new TokenPayloadImpl(claims)
    assert.equal(payload.hasScopes(['read']), true)
    assert.equal(payload.hasScopes(['admin:users', 'read']), true)
    assert.equal(payload.hasScopes(['read', 'write']), false)
    assert.equal(payload.hasScopes(['read', 'write'], { all: false }), true)
    assert.equal(payload.hasScopes(['write'], { all: false }), false)
    const none = new TokenPayloadImpl({ sub: 'u' })
    assert.equal(none.hasScopes([]), true)
    assert.equal(none.hasScopes(['read']), false)
  })

  void test('timeUntilExpiry reads the injected clock', () => {
    let now = NOW
    const payload = new TokenPayloadImpl(claims, 'sub', () => now)
    assert.equal(payload.timeUntilExpiry(), 900)
    now = NOW + 899.5
    assert.equal(payload.timeUntilExpiry(), 0.5)
    now = NOW + 1000
    assert.equal(payload.timeUntilExpiry(), -100)
    assert.equal(new TokenPayloadImpl({ sub: 'u' }).timeUntilExpiry(), null)
  })

  void test('the default clock is the wall clock', () => {
    const exp = Math.floor(Date.now() / 1000) + 100
    const left = new TokenPayloadImpl({ sub: 'u', exp }).timeUntilExpiry() ?? 0
    assert.ok(left > 90 && left <= 100, String(left))
    const t = nowSeconds()
    assert.ok(Math.abs(t - Date.now() / 1000) < 5)
  })

  void test('expiresAt and issuedAt are Dates, or null', () => {
    const payload = new TokenPayloadImpl(claims)
    assert.deepEqual(payload.expiresAt, new Date((NOW + 900) * 1000))
    assert.deepEqual(payload.issuedAt, new Date(NOW * 1000))
    const none = new TokenPayloadImpl({ sub: 'u' })
    assert.equal(none.expiresAt, null)
    assert.equal(none.issuedAt, null)
  })
})

void describe('hostile claim names', () => {
  const hostile = JSON.parse(
    JSON.stringify({ sub: 'u', exp: NOW + 60 }).slice(0, -1) +
      ',"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},' +
      '"hasScopes":"x","timeUntilExpiry":1,"toJSON":"y","extra":{"a":1},"claims":2,' +
      '"expiresAt":3,"issuedAt":4,"toString":"z","valueOf":5,"hasOwnProperty":6}',
  ) as Record<string, unknown>

  void test('they neither pollute prototypes nor shadow methods', () => {
    const payload = new TokenPayloadImpl(hostile, 'sub', () => NOW)
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.equal(Object.getPrototypeOf(payload), TokenPayloadImpl.prototype)
    assert.equal(payload.constructor, TokenPayloadImpl)
    assert.equal(typeof payload.hasScopes, 'function')
    assert.equal(payload.hasScopes([]), true)
    assert.equal(payload.timeUntilExpiry(), 60)
    assert.equal(typeof payload.toJSON, 'function')
    assert.equal(payload.claims, hostile)
    assert.equal(payload.expiresAt?.getTime(), (NOW + 60) * 1000)
    assert.equal(payload.issuedAt, null)
    assert.equal(Object.hasOwn(payload, 'toString'), false)
    assert.equal(typeof payload.hasOwnProperty, 'function')
    assert.equal(Object.hasOwn(payload, '__proto__'), false)
  })

  void test('they are all kept in extra, as plain data', () => {
    const payload = new TokenPayloadImpl(hostile)
    const { extra } = payload as unknown as { extra: Record<string, unknown> }
    assert.deepEqual(Object.getOwnPropertyDescriptor(extra, '__proto__')?.value, { polluted: true })
    assert.equal(Object.getPrototypeOf(extra), null)
    assert.equal(extra.hasScopes, 'x')
    assert.deepEqual(extra.extra, { a: 1 })
    assert.equal(extra.claims, 2)
    assert.equal(Object.getOwnPropertyDescriptor(extra, 'toString')?.value, 'z')
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  void test('end to end through a signed token', () => {
    const auth = new AuthX({ secretKey: 's'.repeat(32), clock: () => NOW })
    const token = auth.createAccessToken('u', {
      data: JSON.parse('{"__proto__":{"isAdmin":true},"hasScopes":"x","constructor":1}') as Record<
        string,
        unknown
      >,
      scopes: ['read'],
    })
    const payload = auth.verifyTokenSync(token)
    assert.equal((payload as unknown as Record<string, unknown>).isAdmin, undefined)
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined)
    assert.equal(payload.hasScopes(['read']), true)
    assert.equal(payload.constructor, TokenPayloadImpl)
    assert.equal(payload.extra.constructor, 1)
  })
})
