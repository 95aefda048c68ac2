/**
 * Scopes: exact and wildcard matching only as documented, scopes that are not strings refused,
 * prototype-named scopes granting nothing (RFC 6750 section 3.1 insufficient_scope, RFC 8693
 * section 4.2 scope semantics, OWASP authorization cheat sheet "deny by default").
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  bearer,
  buildSecurityApp,
  expectAccepted,
  expectRejected,
  forgeClaims,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'

const DECODE = { status: 401, errorType: 'JWTDecodeError' } as const
const FORBIDDEN = { status: 403, errorType: 'InsufficientScopeError' } as const

void describe('security: scopes', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp()
  })
  after(() => target.close())

  const withScopes = (scopes: unknown, path: string) => bearer(forgeClaims({ scopes }), path)

  void test('a token without a scopes claim is refused with 403 and an RFC 6750 challenge (RFC 6750 §3.1)', async () => {
    const result = await expectRejected(target, bearer(forgeClaims(), '/scoped/read'), FORBIDDEN)
    assert.match(String(result.headers['www-authenticate']), /error="insufficient_scope"/)
  })

  void test('scopes as a string "read" is refused, not split or matched by substring (claim type confusion)', async () => {
    await expectRejected(target, withScopes('read', '/scoped/read'), DECODE)
  })

  void test('scopes as a space-delimited string is refused (RFC 8693 §4.2 "scope" is not our "scopes")', async () => {
    await expectRejected(target, withScopes('admin:users read', '/admin'), DECODE)
  })

  void test('scopes holding a number is refused (claim type confusion)', async () => {
    await expectRejected(target, withScopes([1], '/scoped/read'), DECODE)
  })

  void test('scopes holding a nested array is refused (claim type confusion)', async () => {
    await expectRejected(target, withScopes([['read']], '/scoped/read'), DECODE)
  })

  void test('scopes holding null is refused (claim type confusion)', async () => {
    await expectRejected(target, withScopes(['read', null], '/scoped/read'), DECODE)
  })

  void test('an array-like object {0: "read", length: 1} is refused (claim type confusion)', async () => {
    await expectRejected(target, withScopes({ 0: 'read', length: 1 }, '/scoped/read'), DECODE)
  })

  void test('a bare "*" is an ordinary scope and grants nothing else (deny by default)', async () => {
    await expectRejected(target, withScopes(['*'], '/scoped/read'), FORBIDDEN)
  })

  void test('"admin:*" grants "admin:users" (documented wildcard, control case)', async () => {
    await expectAccepted(target, withScopes(['admin:*'], '/admin'))
  })

  void test('"admin*" (no colon) is not a wildcard (deny by default)', async () => {
    await expectRejected(target, withScopes(['admin*'], '/admin'), FORBIDDEN)
  })

  void test('":*" does not grant everything (empty wildcard base)', async () => {
    await expectRejected(target, withScopes([':*'], '/admin'), FORBIDDEN)
  })

  void test('"adm:*" does not grant "admin:users" (prefix is a whole segment)', async () => {
    await expectRejected(target, withScopes(['adm:*'], '/admin'), FORBIDDEN)
  })

  void test('"ADMIN:USERS" does not grant "admin:users" (case-sensitive)', async () => {
    await expectRejected(target, withScopes(['ADMIN:USERS'], '/admin'), FORBIDDEN)
  })

  void test('"admin:users " (trailing space) does not grant "admin:users" (exact match)', async () => {
    await expectRejected(target, withScopes(['admin:users '], '/admin'), FORBIDDEN)
  })

  void test('"admin:users:*" does not grant its parent "admin:users"... but does grant below it only', async () => {
    await expectRejected(target, withScopes(['admin:user:*'], '/admin'), FORBIDDEN)
  })

  void test('any-of routes accept one listed scope (control case)', async () => {
    await expectAccepted(target, withScopes(['moderator'], '/any'))
  })

  void test('any-of routes refuse an empty scope list (deny by default)', async () => {
    await expectRejected(target, withScopes([], '/any'), FORBIDDEN)
  })

  void test('a route requiring "constructor" is not satisfied by an empty list (prototype-named scope)', async () => {
    await expectRejected(target, withScopes([], '/proto'), FORBIDDEN)
  })

  void test('a route requiring "constructor" is not satisfied by "__proto__" (prototype-named scope)', async () => {
    await expectRejected(target, withScopes(['__proto__'], '/proto'), FORBIDDEN)
  })

  void test('a route requiring "constructor" is not satisfied by a token without scopes (prototype-named scope)', async () => {
    await expectRejected(target, bearer(forgeClaims(), '/proto'), FORBIDDEN)
  })

  void test('the 403 body lists required and provided scopes but no token (RFC 6750 §3.1)', async () => {
    const result = await expectRejected(target, withScopes(['read'], '/admin'), FORBIDDEN)
    assert.deepEqual(result.json?.required_scopes, ['admin:users'])
    assert.deepEqual(result.json?.provided_scopes, ['read'])
  })
})
