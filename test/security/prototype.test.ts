/**
 * Prototype hazards: `__proto__` and `constructor` in claims, headers, bodies, queries and cookies
 * never change an object's prototype, never supply a missing claim and never grant anything
 * (CWE-1321, Snyk "prototype pollution" research, jsonwebtoken CVE-2022-23529 family).
 */
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import { forgeToken } from '../helpers/forge.ts'
import {
  NOW,
  SECRET,
  bearer,
  buildSecurityApp,
  expectAccepted,
  expectRejected,
  forgeClaims,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'

const DECODE = { status: 401, errorType: 'JWTDecodeError' } as const
const MISSING = { status: 401, errorType: 'MissingTokenError' } as const

/** A signed payload written as raw JSON text, so `__proto__` is a real own member. */
function rawPayload(members: string, base = true): string {
  const head = base
    ? `"sub":"alice","type":"access","jti":"j1","iat":${NOW},"exp":${NOW + 900},`
    : ''
  return forgeClaims(`{${head}${members}}`)
}

function assertUnpolluted(): void {
  const probe = {} as Record<string, unknown>
  assert.equal(probe.polluted, undefined)
  assert.equal(probe.scopes, undefined)
  assert.equal(probe.sub, undefined)
  assert.equal(Object.getPrototypeOf(probe), Object.prototype)
}

void describe('security: prototype hazards', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp({
      auth: { tokenLocation: ['headers', 'json', 'query', 'cookies'] },
    })
  })
  after(() => target.close())
  afterEach(assertUnpolluted)

  void test('"__proto__" in the payload stays a plain claim and pollutes nothing (CWE-1321)', async () => {
    const body = await expectAccepted(target, bearer(rawPayload('"__proto__":{"polluted":true}')))
    assert.ok((body.extra as string[]).includes('__proto__'))
    const payload = target.auth.verifyTokenSync(rawPayload('"__proto__":{"polluted":true}'))
    assert.equal(Object.getPrototypeOf(payload.extra), null)
    assert.equal((payload as unknown as Record<string, unknown>).polluted, undefined)
  })

  void test('"constructor.prototype" in the payload pollutes nothing (CWE-1321)', async () => {
    await expectAccepted(
      target,
      bearer(rawPayload('"constructor":{"prototype":{"polluted":true}}')),
    )
  })

  void test('scopes supplied through "__proto__" grant nothing (CWE-1321: inherited claim)', async () => {
    await expectRejected(
      target,
      bearer(rawPayload('"__proto__":{"scopes":["admin:*"]}'), '/admin'),
      {
        status: 403,
        errorType: 'InsufficientScopeError',
      },
    )
  })

  void test('sub supplied only through "__proto__" is missing (CWE-1321: inherited identity)', async () => {
    const token = forgeClaims(
      `{"type":"access","iat":${NOW},"exp":${NOW + 900},"__proto__":{"sub":"admin"}}`,
    )
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('type supplied only through "__proto__" is missing (CWE-1321: inherited type)', async () => {
    const token = forgeClaims(
      `{"sub":"alice","iat":${NOW},"exp":${NOW + 900},"__proto__":{"type":"access"}}`,
    )
    await expectRejected(target, bearer(token), {
      status: 401,
      errorType: 'AccessTokenRequiredError',
    })
  })

  void test('exp supplied only through "__proto__" is missing (CWE-1321: inherited expiry)', async () => {
    const token = forgeClaims(`{"sub":"alice","type":"access","__proto__":{"exp":${NOW + 900}}}`)
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('fresh supplied only through "__proto__" is not fresh (CWE-1321)', async () => {
    await expectRejected(target, bearer(rawPayload('"__proto__":{"fresh":true}'), '/fresh'), {
      status: 401,
      errorType: 'FreshTokenRequiredError',
    })
  })

  void test('alg supplied only through a header "__proto__" is missing (CWE-1321 in the JOSE header)', async () => {
    const token = forgeToken({
      header: '{"__proto__":{"alg":"HS256"}}',
      payload: { sub: 'alice' },
      key: SECRET,
      alg: 'HS256',
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('crit hidden under a header "__proto__" is not inherited, and alg none is still refused (CWE-1321)', async () => {
    const token = forgeToken({
      header: '{"alg":"none","__proto__":{"alg":"HS256"}}',
      payload: { sub: 'alice' },
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('a claim named "hasScopes" does not shadow the method (payload integrity)', async () => {
    const payload = target.auth.verifyTokenSync(forgeClaims({ hasScopes: true, scopes: ['read'] }))
    assert.equal(typeof payload.hasScopes, 'function')
    assert.equal(payload.hasScopes(['admin']), false)
  })

  void test('a claim named "toJSON" does not break rendering (payload integrity)', async () => {
    await expectAccepted(target, bearer(forgeClaims({ toJSON: 'x', timeUntilExpiry: 1 })))
  })

  void test('a JSON body {"__proto__": {"access_token": ...}} carries no token (Fastify refuses it: 400)', async () => {
    const body = `{"__proto__":{"access_token":"${target.validToken()}"}}`
    await expectRejected(
      target,
      {
        method: 'POST',
        url: '/protected',
        headers: { 'content-type': 'application/json' },
        payload: body,
      },
      { status: 400, errorType: null },
    )
  })

  void test('a JSON body {"constructor": {"prototype": ...}} carries no token (Fastify refuses it: 400)', async () => {
    const body = `{"constructor":{"prototype":{"access_token":"${target.validToken()}"}}}`
    await expectRejected(
      target,
      {
        method: 'POST',
        url: '/protected',
        headers: { 'content-type': 'application/json' },
        payload: body,
      },
      { status: 400, errorType: null },
    )
  })

  void test('a query "__proto__[token]=..." carries no token (qs-style pollution)', async () => {
    await expectRejected(
      target,
      { method: 'GET', url: `/protected?__proto__[token]=${target.validToken()}` },
      MISSING,
    )
  })

  void test('a cookie named "__proto__" carries no token (cookie-parser pollution)', async () => {
    await expectRejected(
      target,
      { method: 'GET', url: '/protected', headers: { cookie: `__proto__=${target.validToken()}` } },
      MISSING,
    )
  })
})
