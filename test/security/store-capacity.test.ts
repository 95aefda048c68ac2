/**
 * The embedded store must not forget security state to make room. A `MemoryStore` used to drop
 * its soonest-expiring entry when a map was full, so an attacker with an account could refresh
 * (or get tokens revoked) until a victim's "spent refresh token" marker or revoked jti was
 * evicted, and a stolen spent token minted a new pair again. A full map now refuses the new entry
 * with a 503 `StoreUnavailableError` (fail closed) and warns, naming the cap (DESIGN §7).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AuthX } from '../../src/authx.ts'
import { RevokedTokenError, StoreUnavailableError } from '../../src/errors.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import type { MemoryStoreFullEvent } from '../../src/stores/memory.ts'

const START = 1_750_000_000
const SECRET = 'x'.repeat(32)
const CAP = 50

/** Asserts that `promise` rejects with exactly `Class` (not a subclass or a wrapper). */
async function rejectsExactly<E extends Error>(
  promise: Promise<unknown>,
  Class: new (...args: never[]) => E,
  message?: string,
): Promise<E> {
  let caught: E | undefined
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as Error).constructor, Class, `${message ?? ''} got ${String(error)}`)
    caught = error as E
    return true
  })
  return caught!
}

/** An AuthX on a small MemoryStore, on a clock the test moves, with the store's warnings kept. */
function world(options: { rotation: boolean }): {
  auth: AuthX
  store: MemoryStore
  time: { now: number }
  warnings: MemoryStoreFullEvent[]
} {
  const time = { now: START }
  const clock = (): number => time.now
  const warnings: MemoryStoreFullEvent[] = []
  const store = new MemoryStore({ maxEntries: CAP, clock, onFull: (e) => warnings.push(e) })
  const auth = new AuthX({
    secretKey: SECRET,
    clock,
    store,
    ...(options.rotation ? { refreshRotation: {} } : {}),
  })
  return { auth, store, time, warnings }
}

void describe('security: a full MemoryStore refuses, it never forgets a revocation', () => {
  void test('spent refresh tokens: the victim stays refused while the attacker gets 503s', async () => {
    const { auth, store, time, warnings } = world({ rotation: true })
    const victim = auth.createTokenPair('victim')
    const rotated = await auth.refresh(victim.refresh_token)
    // The victim's spent marker is now the entry that expires soonest: the one eviction took.
    time.now += 10

    let attacker = auth.createTokenPair('attacker').refresh_token
    let refreshed = 0
    let refused = 0
    for (let i = 0; i < 3 * CAP; i++) {
      try {
        attacker = (await auth.refresh(attacker)).refresh_token
        refreshed++
      } catch (error) {
        assert.equal((error as Error).constructor, StoreUnavailableError, String(error))
        assert.equal((error as StoreUnavailableError).statusCode, 503)
        refused++
      }
    }
    assert.equal(refreshed, CAP - 1, 'refreshes succeed until the map is full')
    assert.equal(refused, 3 * CAP - (CAP - 1), 'every refresh beyond the cap is a 503')
    assert.equal(store.stats().usedRefreshTokens, CAP)

    const reuse = await rejectsExactly(auth.refresh(victim.refresh_token), RevokedTokenError)
    assert.equal(reuse.statusCode, 401)
    // The reuse revoked the family: the pair minted from the stolen token's family is dead too.
    await rejectsExactly(auth.refresh(rotated.refresh_token), RevokedTokenError)
    await rejectsExactly(auth.verifyToken(rotated.access_token), RevokedTokenError)

    assert.deepEqual(
      warnings.map(({ map, action, option, maxEntries }) => ({ map, action, option, maxEntries })),
      [{ map: 'usedRefreshTokens', action: 'refused', option: 'maxEntries', maxEntries: CAP }],
    )
    assert.match(warnings[0]!.message, /maxEntries \(50\) reached for usedRefreshTokens/)
  })

  void test('revoked jtis: the victim stays revoked while more revocations get 503s', async () => {
    const { auth, store, time, warnings } = world({ rotation: false })
    const victim = auth.createAccessToken('victim')
    await auth.revokeToken(victim)
    time.now += 10 // the victim's revocation expires soonest

    for (let i = 1; i < CAP; i++) await auth.revokeToken(auth.createAccessToken(`user${i}`))
    assert.equal(store.stats().revokedTokens, CAP)
    const overflow = Array.from({ length: CAP }, (_, i) => auth.createAccessToken(`late${i}`))
    for (const token of overflow) {
      const error = await rejectsExactly(auth.revokeToken(token), StoreUnavailableError)
      assert.equal(error.statusCode, 503)
      assert.equal(error.reason, 'maxEntries (50) reached for revokedTokens')
    }

    await rejectsExactly(auth.verifyToken(victim), RevokedTokenError)
    // A refused revocation was not recorded, and the caller was told so (503): no silent success.
    const unrevoked = await auth.verifyToken(overflow[0]!)
    assert.equal(unrevoked.sub, 'late0')
    assert.equal(store.stats().revokedTokens, CAP)
    assert.deepEqual(
      warnings.map(({ map, action }) => `${map}:${action}`),
      ['revokedTokens:refused'],
    )
  })

  void test('room comes back as entries expire, and the revocation then holds', async () => {
    const { auth, time } = world({ rotation: false })
    for (let i = 0; i < CAP; i++) await auth.revokeToken(auth.createAccessToken(`user${i}`))
    // Issued later, so it outlives the revocations already held.
    time.now += 60
    const late = auth.createAccessToken('late')
    await rejectsExactly(auth.revokeToken(late), StoreUnavailableError)
    // Past the access lifetime (15 minutes by default) of the first tokens, their entries go.
    time.now += 15 * 60 - 30
    await auth.revokeToken(late)
    await rejectsExactly(auth.verifyToken(late), RevokedTokenError)
  })
})
