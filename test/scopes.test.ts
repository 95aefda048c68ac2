import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { hasRequiredScopes, scopeMatches } from '../src/scopes.ts'

void describe('scopeMatches (AuthX scenario 76)', () => {
  const table: [required: string, granted: string, matches: boolean][] = [
    // A granted wildcard covers its base and everything below it...
    ['admin', 'admin:*', true],
    ['admin:users', 'admin:*', true],
    ['admin:users:edit', 'admin:*', true],
    ['admin:', 'admin:*', true],
    ['admin:users:*', 'admin:*', true],
    // ...and nothing beside it.
    ['administrator', 'admin:*', false],
    ['users:read', 'admin:*', false],
    ['adminx:users', 'admin:*', false],
    // Wildcards are read on the granted side only.
    ['admin:*', 'admin:*', true],
    ['admin:*', 'admin:users', false],
    ['admin:*', 'admin', false],
    // A bare `*` is an ordinary scope, not a universal one.
    ['read', '*', false],
    ['*', '*', true],
    // Exact equality, case-sensitive.
    ['read', 'read', true],
    ['read', 'Read', false],
    ['users:read', 'users:read', true],
    ['users:read', 'users', false],
    ['users', 'users:read', false],
    // Nested wildcards.
    ['admin:users:edit', 'admin:users:*', true],
    ['admin:groups', 'admin:users:*', false],
  ]
  for (const [required, granted, matches] of table) {
    void test(`required ${required} / granted ${granted}: ${matches}`, () => {
      assert.equal(scopeMatches(required, granted), matches)
    })
  }
})

void describe('hasRequiredScopes', () => {
  void test('AND (the default): every required scope must be granted', () => {
    assert.equal(hasRequiredScopes(['read'], ['read', 'write']), true)
    assert.equal(hasRequiredScopes(['read', 'write'], ['read']), false)
    assert.equal(hasRequiredScopes(['read', 'write'], ['write', 'read']), true)
    assert.equal(hasRequiredScopes(['admin:users', 'admin:groups'], ['admin:*']), true)
    assert.equal(hasRequiredScopes(['read', 'write'], ['read'], true), false)
  })

  void test('OR: one required scope is enough', () => {
    assert.equal(hasRequiredScopes(['admin', 'moderator'], ['moderator'], false), true)
    assert.equal(hasRequiredScopes(['admin', 'moderator'], ['admin'], false), true)
    assert.equal(hasRequiredScopes(['admin', 'moderator'], ['user'], false), false)
  })

  void test('empty required: passes with AND, fails with OR', () => {
    assert.equal(hasRequiredScopes([], ['read']), true)
    assert.equal(hasRequiredScopes([], []), true)
    assert.equal(hasRequiredScopes([], ['read'], false), false)
  })

  void test('no scopes claim: only an empty requirement passes, whatever the mode', () => {
    assert.equal(hasRequiredScopes([], undefined), true)
    assert.equal(hasRequiredScopes([], undefined, false), true)
    assert.equal(hasRequiredScopes(['read'], undefined), false)
    assert.equal(hasRequiredScopes(['read'], undefined, false), false)
  })

  void test('an empty granted list satisfies no requirement', () => {
    assert.equal(hasRequiredScopes(['read'], []), false)
    assert.equal(hasRequiredScopes(['read'], [], false), false)
  })
})
