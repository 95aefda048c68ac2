/**
 * Unknown option keys: the nearest valid key, and the messages the API throws with.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  assertKnownKeys,
  nearestKey,
  optionKeys,
  unknownKey,
  unknownKeyMessage,
} from '../../src/internal/option-keys.ts'

const GUARD = ['type', 'verifyType', 'verifyFresh', 'verifyCsrf', 'locations', 'extractor', 'all']

void describe('nearestKey', () => {
  void test('a key that starts a valid one, or that a valid one starts, names it', () => {
    assert.equal(nearestKey('allScopes', GUARD), 'all')
    assert.equal(nearestKey('secret', ['secretKey', 'algorithm']), 'secretKey')
    assert.equal(nearestKey('location', GUARD), 'locations')
  })

  void test('typos and other spellings name the closest key', () => {
    assert.equal(nearestKey('verify_csrf', GUARD), 'verifyCsrf')
    assert.equal(nearestKey('verifycsrf', GUARD), 'verifyCsrf')
    assert.equal(nearestKey('verifyFreshness', GUARD), 'verifyFresh')
    assert.equal(nearestKey('maxage', ['maxAge']), 'maxAge')
    assert.equal(nearestKey('expires', ['expiresIn', 'data', 'fresh']), 'expiresIn')
    assert.equal(nearestKey('tokenLocations', ['tokenLocation', 'headerName']), 'tokenLocation')
  })

  void test('nothing near: no suggestion', () => {
    assert.equal(nearestKey('zzzzzzzz', GUARD), undefined)
    assert.equal(nearestKey('fresh', ['expiresIn', 'data', 'scopes']), undefined)
  })
})

void describe('the messages', () => {
  void test('name the call, the key and the suggestion, or the valid keys', () => {
    assert.equal(
      unknownKeyMessage('scopesRequired', 'allScopes', GUARD),
      "scopesRequired: unknown option 'allScopes'; did you mean 'all'?",
    )
    assert.equal(
      unknownKeyMessage('refresh', 'zzzzzz', ['scopes']),
      "refresh: unknown option 'zzzzzz'; valid keys: scopes",
    )
  })

  void test('assertKnownKeys throws a TypeError for the first unknown own key only', () => {
    assert.throws(
      () => assertKnownKeys('tokenRequired', { type: 'access', optinal: true }, GUARD),
      {
        name: 'TypeError',
        message: "tokenRequired: unknown option 'optinal'; valid keys: " + GUARD.join(', '),
      },
    )
    assert.doesNotThrow(() => assertKnownKeys('tokenRequired', { type: 'access' }, GUARD))
    // Inherited members are not options anyone passed.
    const inherited = Object.create({ bogus: true }) as object
    assert.equal(unknownKey(inherited, GUARD), undefined)
    assert.equal(unknownKey(undefined, GUARD), undefined)
    assert.equal(unknownKey({ undefinedButThere: undefined }, GUARD), 'undefinedButThere')
  })

  void test('optionKeys lists the keys the compiler checked', () => {
    const keys = optionKeys<{ a?: number; b?: string }>()({ a: true, b: true })
    assert.deepEqual(keys, ['a', 'b'])
    assert.ok(Object.isFrozen(keys))
  })
})
