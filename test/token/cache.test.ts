import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { VerifiedTokenCache } from '../../src/token/cache.ts'

const NOW = 1_700_000_000

function claimsFor(sub: string, exp = NOW + 900): Record<string, unknown> {
  return { sub, jti: `jti-${sub}`, type: 'access', fresh: false, csrf: '', iat: NOW, nbf: NOW, exp }
}

void describe('VerifiedTokenCache', () => {
  void test('rejects a bad maxEntries at construction', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      assert.throws(() => new VerifiedTokenCache({ maxEntries }), TypeError, String(maxEntries))
    }
    assert.throws(
      () => new VerifiedTokenCache({ maxEntries: '10' as unknown as number }),
      TypeError,
    )
  })

  void test('defaults to 10 000 entries', () => {
    const cache = new VerifiedTokenCache()
    assert.equal(cache.stats().maxEntries, 10_000)
    for (let i = 0; i < 10_001; i++) cache.set(`t${i}`, claimsFor(`u${i}`), NOW + 900)
    assert.equal(cache.size, 10_000)
    assert.equal(cache.get('t0', NOW), undefined, 'the oldest entry made room')
    assert.ok(cache.get('t10000', NOW) !== undefined)
  })

  void test('a stored token is served with the same claims; an unknown one is a miss', () => {
    const cache = new VerifiedTokenCache()
    const claims = claimsFor('alice')
    assert.equal(cache.set('token-a', claims, NOW + 900), true)
    assert.equal(cache.get('token-a', NOW), claims)
    assert.equal(cache.get('token-b', NOW), undefined)
    // A prefix or extension of a cached token is another token.
    assert.equal(cache.get('token-', NOW), undefined)
    assert.equal(cache.get('token-ab', NOW), undefined)
    assert.deepEqual(cache.stats(), {
      hits: 1,
      misses: 3,
      expired: 0,
      evictions: 0,
      size: 1,
      maxEntries: 10_000,
    })
    assert.equal(cache.hits, 1)
    assert.equal(cache.misses, 3)
  })

  void describe('expiry against the injected clock', () => {
    void test('served strictly before exp, never at or after it, and dropped then', () => {
      let now = NOW
      const clock = (): number => now
      const cache = new VerifiedTokenCache()
      const exp = NOW + 60
      cache.set('t', claimsFor('alice', exp), exp)
      assert.ok(cache.get('t', clock()) !== undefined)
      now = exp - 0.001
      assert.ok(cache.get('t', clock()) !== undefined, 'a millisecond before exp is still valid')
      now = exp
      assert.equal(cache.get('t', clock()), undefined, 'exp itself is expired (exp <= now)')
      assert.equal(cache.size, 0, 'the expired entry is dropped')
      now = NOW // even if the clock goes back, the entry is gone
      assert.equal(cache.get('t', clock()), undefined)
      assert.deepEqual(
        { hits: cache.stats().hits, misses: cache.stats().misses, expired: cache.stats().expired },
        { hits: 2, misses: 2, expired: 1 },
      )
    })

    void test('the cache never serves past exp whatever the claims say', () => {
      const cache = new VerifiedTokenCache()
      // The exp argument is the bound, even if the claims object were to disagree.
      cache.set('t', claimsFor('alice', NOW + 10_000), NOW + 10)
      assert.ok(cache.get('t', NOW + 9) !== undefined)
      assert.equal(cache.get('t', NOW + 10), undefined)
      assert.equal(cache.get('t', NOW + 10_000), undefined)
    })

    void test('a NaN clock is never a hit', () => {
      const cache = new VerifiedTokenCache()
      cache.set('t', claimsFor('alice'), NOW + 900)
      assert.equal(cache.get('t', Number.NaN), undefined)
    })

    void test('a token without a finite exp is never cached', () => {
      const cache = new VerifiedTokenCache()
      for (const exp of [undefined, Number.NaN, Number.POSITIVE_INFINITY, '9999999999']) {
        assert.equal(cache.set('t', claimsFor('alice'), exp as number | undefined), false)
      }
      assert.equal(cache.size, 0)
      assert.equal(cache.get('t', NOW), undefined)
    })

    void test('re-setting a token replaces its exp', () => {
      const cache = new VerifiedTokenCache()
      cache.set('t', claimsFor('alice'), NOW + 900)
      cache.set('t', claimsFor('alice'), NOW + 5)
      assert.equal(cache.size, 1)
      assert.equal(cache.get('t', NOW + 6), undefined)
    })
  })

  void describe('LRU order and bound', () => {
    void test('the least recently used entry is evicted first', () => {
      const cache = new VerifiedTokenCache({ maxEntries: 3 })
      cache.set('a', claimsFor('a'), NOW + 900)
      cache.set('b', claimsFor('b'), NOW + 900)
      cache.set('c', claimsFor('c'), NOW + 900)
      assert.ok(cache.get('a', NOW) !== undefined) // order now b, c, a
      cache.set('d', claimsFor('d'), NOW + 900) // evicts b
      assert.equal(cache.size, 3)
      assert.equal(cache.get('b', NOW), undefined)
      for (const key of ['a', 'c', 'd']) assert.ok(cache.get(key, NOW) !== undefined, key)
      assert.equal(cache.stats().evictions, 1)
    })

    void test('re-setting a held token refreshes it without evicting anything', () => {
      const cache = new VerifiedTokenCache({ maxEntries: 2 })
      cache.set('a', claimsFor('a'), NOW + 900)
      cache.set('b', claimsFor('b'), NOW + 900)
      cache.set('a', claimsFor('a'), NOW + 900) // order b, a
      assert.equal(cache.stats().evictions, 0)
      cache.set('c', claimsFor('c'), NOW + 900) // evicts b
      assert.equal(cache.get('b', NOW), undefined)
      assert.ok(cache.get('a', NOW) !== undefined)
      assert.ok(cache.get('c', NOW) !== undefined)
    })

    void test('a miss does not change the order', () => {
      const cache = new VerifiedTokenCache({ maxEntries: 2 })
      cache.set('a', claimsFor('a'), NOW + 900)
      cache.set('b', claimsFor('b'), NOW + 900)
      assert.equal(cache.get('zzz', NOW), undefined)
      cache.set('c', claimsFor('c'), NOW + 900) // evicts a, still the oldest
      assert.equal(cache.get('a', NOW), undefined)
      assert.ok(cache.get('b', NOW) !== undefined)
    })

    void test('the size never exceeds the bound under churn', () => {
      const cache = new VerifiedTokenCache({ maxEntries: 50 })
      for (let i = 0; i < 1000; i++) {
        cache.set(`t${i}`, claimsFor(`u${i}`), NOW + 900)
        if (i % 3 === 0) cache.get(`t${i - 10}`, NOW)
        assert.ok(cache.size <= 50)
      }
      assert.equal(cache.size, 50)
      assert.equal(cache.stats().evictions, 950)
    })

    void test('a cache of one holds the last token', () => {
      const cache = new VerifiedTokenCache({ maxEntries: 1 })
      cache.set('a', claimsFor('a'), NOW + 900)
      cache.set('b', claimsFor('b'), NOW + 900)
      assert.equal(cache.get('a', NOW), undefined)
      assert.ok(cache.get('b', NOW) !== undefined)
    })
  })

  void test('delete and clear drop entries; clear keeps the counters', () => {
    const cache = new VerifiedTokenCache()
    cache.set('a', claimsFor('a'), NOW + 900)
    cache.set('b', claimsFor('b'), NOW + 900)
    assert.equal(cache.delete('a'), true)
    assert.equal(cache.delete('a'), false)
    assert.equal(cache.get('a', NOW), undefined)
    assert.ok(cache.get('b', NOW) !== undefined)
    cache.clear()
    assert.equal(cache.size, 0)
    assert.equal(cache.get('b', NOW), undefined)
    assert.deepEqual([cache.hits, cache.misses], [1, 2])
  })

  void describe('shared claims cannot be altered', () => {
    void test('claims are frozen deeply when stored', () => {
      const cache = new VerifiedTokenCache()
      const claims = {
        ...claimsFor('alice'),
        scopes: ['read'],
        aud: ['api'],
        profile: { tags: ['x'] },
      }
      cache.set('t', claims, NOW + 900)
      const served = cache.get('t', NOW) as Record<string, unknown>
      assert.ok(Object.isFrozen(served))
      assert.throws(() => {
        served.sub = 'mallory'
      }, TypeError)
      assert.throws(() => {
        ;(served.scopes as string[]).push('admin')
      }, TypeError)
      assert.throws(() => {
        ;(served.profile as { tags: string[] }).tags[0] = 'y'
      }, TypeError)
      assert.deepEqual(cache.get('t', NOW), {
        ...claimsFor('alice'),
        scopes: ['read'],
        aud: ['api'],
        profile: { tags: ['x'] },
      })
    })
  })

  void describe('no prototype hazards', () => {
    void test('tokens named like Object.prototype members are ordinary keys', () => {
      const cache = new VerifiedTokenCache()
      for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf']) {
        assert.equal(cache.get(name, NOW), undefined, `${name} is not cached before set`)
        cache.set(name, claimsFor(name), NOW + 900)
        assert.equal((cache.get(name, NOW) as { sub: string }).sub, name)
      }
      assert.equal(cache.size, 5)
      assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'sub'), false)
    })

    void test('decoded __proto__ and constructor claims stay plain data and pollute nothing', () => {
      const cache = new VerifiedTokenCache()
      const claims = JSON.parse(
        `{"sub":"alice","exp":${NOW + 900},"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}`,
      ) as Record<string, unknown>
      assert.equal(Object.getPrototypeOf(claims), Object.prototype)
      cache.set('t', claims, NOW + 900)
      const served = cache.get('t', NOW) as Record<string, unknown>
      assert.ok(Object.hasOwn(served, '__proto__'))
      assert.equal(Object.getPrototypeOf(served), Object.prototype)
      assert.equal(({} as Record<string, unknown>).polluted, undefined)
      assert.equal(
        (Object.prototype as Record<string, unknown>).polluted,
        undefined,
        'freezing walked own keys only',
      )
      assert.equal(Object.isFrozen(Object.prototype), false, 'the real prototype was not frozen')
      assert.equal(Object.isFrozen(Function.prototype), false)
    })
  })
})
